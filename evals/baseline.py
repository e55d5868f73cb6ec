"""A run against a saved ``report.json`` (the baseline): which metrics got worse by more than the
tolerance, and why the comparison may be unfair."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .metrics import COMPARED_METRICS, metric_at
from .packages import changed_packages
from .run import EvalError, Report
from .stats import flips


@dataclass(frozen=True)
class Regression:
    """A metric that got worse than the baseline by more than the tolerance."""

    metric: str
    baseline: float
    current: float | None
    higher_is_better: bool = True

    @property
    def delta(self) -> float | None:
        return None if self.current is None else self.current - self.baseline

    def describe(self) -> str:
        now = "fehlt" if self.current is None else f"{self.current:.3f}"
        delta = "" if self.delta is None else f" ({self.delta:+.3f})"
        return f"{self.metric}: {self.baseline:.3f} → {now}{delta}"


def load_baseline(baseline_json: Path | str | dict) -> dict[str, Any]:
    """A baseline's metrics, from a ``report.json`` path or an already-loaded dict."""
    if isinstance(baseline_json, dict):
        data = baseline_json
    else:
        path = Path(baseline_json)
        if not path.is_file():
            raise EvalError(f"Baseline-Datei {path} nicht gefunden.")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise EvalError(f"Baseline-Datei {path} ist kein gültiges JSON ({exc}).") from exc
    if not isinstance(data, dict):
        raise EvalError("Die Baseline muss ein JSON-Objekt sein (ein report.json).")
    return data


def compare(report: Report, baseline_json: Path | str | dict, tolerance: float = 0.02) -> list[Regression]:
    """Metrics of ``report`` that are worse than the baseline's by more than ``tolerance``.

    Checked: ``metrics.COMPARED_METRICS`` (absolute differences of shares). A metric the baseline
    has but the run does not (e.g. no abstentions at all any more) counts as a regression.
    """
    if tolerance < 0:
        raise EvalError(f"--tolerance darf nicht negativ sein, ist aber {tolerance}.")
    data = load_baseline(baseline_json)
    base = data.get("metrics", data)
    regressions = []
    for name, higher_better in COMPARED_METRICS.items():
        b, c = metric_at(base, name), metric_at(report.metrics, name)
        if not isinstance(b, (int, float)):
            continue  # the baseline did not measure it
        if c is None:
            regressions.append(Regression(name, float(b), None, higher_better))
        elif (higher_better and c < b - tolerance) or (not higher_better and c > b + tolerance):
            regressions.append(Regression(name, float(b), float(c), higher_better))
    return regressions


def baseline_warnings(report: Report, baseline_json: Path | str | dict) -> list[str]:
    """Reasons the comparison may be unfair: a different data set, hold-out or number of questions,
    or different settings (embedder, threshold, thesaurus, …). A QA machine without the thesaurus
    answers worse than the baseline; the report should say why, not only that."""
    meta = load_baseline(baseline_json).get("meta", {})
    warnings = []
    for key in ("dataset", "holdout", "items", "questions"):
        if key in meta and meta.get(key) != report.meta.get(key):
            warnings.append(f"Baseline {key}={meta.get(key)!r}, dieser Lauf {key}={report.meta.get(key)!r}.")
    # the question file by name: its folder differs between clones
    before_src, now_src = (Path(str(m.get("source", ""))).name for m in (meta, report.meta))
    if before_src and now_src and before_src != now_src:
        warnings.append(f"Baseline-Fragen aus {before_src}, dieser Lauf aus {now_src}.")
    before, now = meta.get("settings", {}), report.meta.get("settings", {})
    for key in before:
        if key in now and before[key] != now[key]:
            warnings.append(f"Baseline-Einstellung {key}={before[key]!r}, dieser Lauf {key}={now[key]!r}.")
    if changed := changed_packages(meta.get("packages", {}), report.meta.get("packages", {})):
        warnings.append("Baseline unter anderen Paketversionen gemessen: " + ", ".join(changed) + ".")
    return warnings


def changed_questions(report: Report, baseline_json: Path | str | dict) -> list[str]:
    """How many of the questions both runs asked changed from wrong to right and back, with the
    exact sign test's p: whether a difference in the shares is more than chance (a baseline
    without rows, or with no question in common, gives nothing)."""
    rows = load_baseline(baseline_json).get("rows") or []
    changed = flips(rows, [r.to_json() for r in report.rows])
    return [f.describe() for f in changed if f.shared] if rows else []
