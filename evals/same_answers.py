"""Do two eval runs give the same answers? For changes that must not change what honest users get.

Compares the rows of two ``report.json`` files (``assistant eval --out DIR``) question by question:
the answer text, whether it abstained, its basis and its citations (document and exact offsets).
Timings are ignored. Prints the differing questions and exits 1 when there are any.

    python -m evals.same_answers OLD/report.json NEW/report.json [...more pairs]
"""
from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

COMPARED = ("question", "answer", "abstained", "basis", "citations")


def _rows(path: Path) -> dict[str, dict]:
    report = json.loads(path.read_text(encoding="utf-8"))
    return {str(row["id"]): {k: row.get(k) for k in COMPARED} for row in report["rows"]}


def differences(old: Path, new: Path) -> list[str]:
    """One line per question whose answer differs (or that only one run has)."""
    a, b = _rows(old), _rows(new)
    out = [f"{qid}: only in {old}" for qid in sorted(a.keys() - b.keys())]
    out += [f"{qid}: only in {new}" for qid in sorted(b.keys() - a.keys())]
    for qid in sorted(a.keys() & b.keys()):
        changed = [k for k in COMPARED if a[qid][k] != b[qid][k]]
        if changed:
            out.append(f"{qid}: {', '.join(changed)} differ ({a[qid]['question']!r})")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or len(args) % 2:
        raise SystemExit(__doc__)
    failed = 0
    for old, new in zip(args[::2], args[1::2]):
        diff = differences(Path(old), Path(new))
        n = len(_rows(Path(new)))
        print(f"{new}: {n - len(diff)} of {n} answers identical to {old}")
        for line in diff[:20]:
            print("  " + line)
        failed += bool(diff)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
