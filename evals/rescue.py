"""Choose the reader's rescue threshold from two eval reports of the same set.

With ``reader_role=lexical_or_reader`` the lexical scorer decides, and where it would abstain for
low confidence the reader answers if its calibrated probability reaches the rescue threshold. Both
runs' answers are in the reports (one with ``ASSISTANT_READER=off``, one with the reader deciding),
so every threshold can be replayed without asking again. The threshold chosen is the lowest at which
at least half of the rescued answers are right: below it a rescue invents more often than it helps.
Run it on the reader set's development split (``training/devset.py``), never on a measuring set:

    ASSISTANT_READER=off make eval-readerdev && mv eval-out/readerdev eval-out/readerdev-lexical
    ASSISTANT_READER_ROLE=decide make eval-readerdev && mv eval-out/readerdev eval-out/readerdev-reader
    python -m evals.rescue eval-out/readerdev-lexical/report.json eval-out/readerdev-reader/report.json

``--write DIR`` puts the chosen threshold into ``DIR/reader.json`` (``{"rescue": {"threshold": …}}``),
where ``assistant/read/model.py`` reads it; without a chosen threshold the reader never rescues.
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

LOW_CONFIDENCE = "low confidence"  # the abstention basis the reader may overrule
MIN_RIGHT_SHARE = 0.5  # rescued answers right at least as often as not
GRID = tuple(round(0.40 + 0.02 * i, 2) for i in range(28))  # 0.40 … 0.94


@dataclass(frozen=True)
class Replay:
    threshold: float
    rescued: int
    right: int  # rescued answerable questions answered correctly
    correct: float  # share of answerable questions answered correctly
    false_abstention: float
    abstention_recall: float | None


def _rows(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(Path(path).read_text(encoding="utf-8"))["rows"]}


def replay(lexical: dict[str, dict], reader: dict[str, dict], threshold: float) -> Replay:
    """The lexical run's answers, with its low-confidence abstentions answered by the reader's run
    where that answered at ``threshold`` or above."""
    rows, rescued, right = [], 0, 0
    for qid, lex in lexical.items():
        read = reader[qid]
        if lex["abstained"] and lex.get("basis") == LOW_CONFIDENCE and not read["abstained"] and read["confidence"] >= threshold:
            rows.append(read)
            rescued += 1
            right += bool(read["answerable"] and read["correct"])
        else:
            rows.append(lex)
    ans = [r for r in rows if r["answerable"]]
    unans = [r for r in rows if not r["answerable"]]
    return Replay(
        threshold,
        rescued,
        right,
        sum(r["correct"] for r in ans) / len(ans),
        sum(r["abstained"] for r in ans) / len(ans),
        sum(r["abstained"] for r in unans) / len(unans) if unans else None,
    )


def choose(replays: Sequence[Replay]) -> Replay | None:
    """The lowest threshold whose rescues are right at least ``MIN_RIGHT_SHARE`` of the time."""
    for r in sorted(replays, key=lambda r: r.threshold):
        if r.rescued and r.right / r.rescued >= MIN_RIGHT_SHARE:
            return r
    return None


def write(directory: Path, best: Replay | None, reports: tuple[Path, Path]) -> None:
    """Record ``best`` (None: remove the rescue) in ``directory/reader.json``, saying how it was chosen."""
    path = Path(directory) / "reader.json"
    card = json.loads(path.read_text(encoding="utf-8"))
    card.pop("rescue", None)
    if best is not None:
        card["rescue"] = {
            "threshold": best.threshold,
            "chosen_by": (
                f"python -m evals.rescue {reports[0]} {reports[1]}: the lowest threshold at which at least "
                f"{MIN_RIGHT_SHARE:.0%} of the rescued answers are right ({best.right} of {best.rescued})"
            ),
        }
    path.write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lexical", type=Path, help="report.json of the run with ASSISTANT_READER=off")
    ap.add_argument("reader", type=Path, help="report.json of the run with the reader deciding")
    ap.add_argument("--write", type=Path, metavar="DIR", help="record the choice in DIR/reader.json")
    args = ap.parse_args(argv)
    lexical, reader = _rows(args.lexical), _rows(args.reader)
    if set(lexical) != set(reader):
        raise SystemExit("the two reports are not of the same questions")
    replays = [replay(lexical, reader, t) for t in GRID]
    print("threshold  rescued  right  correct  false_abst  abst_recall")
    for r in replays:
        rec = "–" if r.abstention_recall is None else f"{r.abstention_recall:.3f}"
        print(f"{r.threshold:9.2f}  {r.rescued:7d}  {r.right:5d}  {r.correct:7.3f}  {r.false_abstention:10.3f}  {rec:>11}")
    best = choose(replays)
    print("chosen:", "none (no threshold rescues well enough)" if best is None else f"{best.threshold:.2f}")
    if args.write is not None:
        write(args.write, best, (args.lexical, args.reader))
        print(f"written to {args.write / 'reader.json'}")


if __name__ == "__main__":
    main()
