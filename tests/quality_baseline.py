"""Eval metrics held against their measured baselines (``tests/baselines/quality.json``).

A test asserts ``measured >= baseline - tolerance`` (``measured <= baseline + tolerance`` where lower
is better), so an improvement elsewhere never trips a bound that sat at the old value. Each entry
keeps the measured value, the tolerance, where the value comes from and the command that measures
it; a baseline is updated on purpose, with that command, never automatically.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.metrics import metric_at

BASELINES = Path(__file__).parent / "baselines" / "quality.json"


@dataclass(frozen=True)
class Baseline:
    """One measure of one eval set: its measured value and how far a run may fall short of it."""

    eval_set: str
    measure: str  # dotted path into a report's metrics, e.g. "abstention.recall"
    value: float
    tolerance: float
    higher_is_better: bool
    note: str
    command: str

    def shortfall(self, measured: float | None) -> str | None:
        """Why ``measured`` fails this baseline; None when it passes."""
        if self.higher_is_better:
            bound, side = self.value - self.tolerance, "-"
            ok = measured is not None and measured >= bound
        else:
            bound, side = self.value + self.tolerance, "+"
            ok = measured is not None and measured <= bound
        if ok:
            return None
        got = "missing from the report" if measured is None else f"{measured:.4f}"
        return (
            f"{self.eval_set} {self.measure} ({'higher' if self.higher_is_better else 'lower'} is better): "
            f"measured {got}, baseline {self.value:.3f} {side} tolerance {self.tolerance:.3f} = {bound:.3f} "
            f"({self.note}; measured with `{self.command}`)"
        )


def load_baselines(path: Path = BASELINES) -> dict[str, list[Baseline]]:
    """Every eval set's baselines from ``path``."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, list[Baseline]] = {}
    for eval_set, measures in data.items():
        for measure, entry in measures.items():
            if entry.get("better") not in ("higher", "lower"):
                raise ValueError(f"{path}: {eval_set} {measure}: 'better' must be 'higher' or 'lower', is {entry.get('better')!r}")
            out.setdefault(eval_set, []).append(
                Baseline(
                    eval_set, measure, float(entry["baseline"]), float(entry["tolerance"]),
                    entry["better"] == "higher", entry["note"], entry["command"],
                )
            )
    return out


def assert_meets_baselines(eval_set: str, metrics: dict[str, Any], path: Path = BASELINES) -> None:
    """Fail, naming every measure that falls short, unless the report's ``metrics`` meet each
    baseline ``path`` keeps for ``eval_set``."""
    baselines = load_baselines(path)
    if eval_set not in baselines:
        raise KeyError(f"{path} has no baselines for {eval_set!r} (it has {sorted(baselines)})")
    problems = [p for b in baselines[eval_set] if (p := b.shortfall(metric_at(metrics, b.measure))) is not None]
    assert not problems, "below the baseline:\n" + "\n".join(problems)
