"""How sure a measured share is, and whether two runs over the same questions really differ.

The blind sets hold 42–43 answerable questions: one question moves a share by 2.3 points, and a
95% interval around 0.43 spans ±15. A report that gives the share alone invites reading noise as
progress; these give the interval (Wilson's, which behaves at 0 and 1 and on small samples) and,
for two runs over the same questions, the exact sign test on the questions that changed
(McNemar's test in its exact form: only the discordant pairs carry information).

    python -m evals.stats OLD/report.json NEW/report.json [--ids]

prints (in the reports' German), for the answerable questions (answered right) and the
unanswerable ones (abstained), how many changed each way and the two-sided p; ``--ids`` names
them (never on a blind set whose answers must stay unread).
"""
from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Z95 = 1.959964  # the normal quantile of a two-sided 95% interval


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson's score interval for ``k`` successes in ``n`` trials; None for n = 0."""
    if n <= 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def sign_test(gained: int, lost: int) -> float:
    """Exact two-sided p of ``gained`` against ``lost`` changes when either way were equally likely
    (binomial with p = 1/2 over the changed questions); 1.0 when nothing changed."""
    n = gained + lost
    if n == 0:
        return 1.0
    k = min(gained, lost)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


@dataclass(frozen=True)
class Flips:
    """What changed between two runs on one kind of question, counted over the questions both have."""

    what: str  # in the reports' language: the answerable answered right, or the unanswerable abstained on
    shared: int
    gained: list[str]  # ids: wrong before, right now
    lost: list[str]  # ids: right before, wrong now

    @property
    def p(self) -> float:
        return sign_test(len(self.gained), len(self.lost))

    def describe(self) -> str:
        return (f"{self.what}: +{len(self.gained)} / −{len(self.lost)} von {self.shared} "
                f"(netto {len(self.gained) - len(self.lost):+d}, exakter Vorzeichentest p = {self.p:.2f})")


def flips(old_rows: Iterable[Mapping[str, Any]], new_rows: Iterable[Mapping[str, Any]]) -> tuple[Flips, Flips]:
    """The answerable questions answered right and the unanswerable ones abstained on, before and
    after: rows as ``report.json`` holds them, matched by id (and question text, so that a
    reworded question of the same id is not compared)."""
    old = {str(r["id"]): r for r in old_rows}
    counts = {True: 0, False: 0}
    lists: dict[bool, tuple[list[str], list[str]]] = {True: ([], []), False: ([], [])}
    for r in new_rows:
        before = old.get(str(r["id"]))
        answerable = bool(r["answerable"])
        if before is None or before["question"] != r["question"] or bool(before["answerable"]) != answerable:
            continue
        counts[answerable] += 1
        was, now = bool(before["correct"]), bool(r["correct"])
        if now and not was:
            lists[answerable][0].append(str(r["id"]))
        elif was and not now:
            lists[answerable][1].append(str(r["id"]))
    return (
        Flips("Beantwortbare richtig beantwortet", counts[True], *lists[True]),
        Flips("Nicht beantwortbare enthalten", counts[False], *lists[False]),
    )


def main(argv: Sequence[str] | None = None) -> int:
    from .baseline import load_baseline  # imports this module
    from .run import EvalError
    args = list(sys.argv[1:] if argv is None else argv)
    show_ids = "--ids" in args
    paths = [a for a in args if a != "--ids"]
    if len(paths) != 2:
        raise SystemExit(__doc__)
    try:
        old, new = (load_baseline(p).get("rows") for p in paths)
    except EvalError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    if old is None or new is None:
        print("Fehler: beide Dateien müssen report.json-Berichte mit ihren Zeilen (rows) sein.", file=sys.stderr)
        return 2
    for f in flips(old, new):
        print(f.describe())
        if show_ids and (f.gained or f.lost):
            print(f"  neu richtig: {', '.join(f.gained) or '–'}\n  neu falsch: {', '.join(f.lost) or '–'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
