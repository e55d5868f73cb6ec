"""Choose the reader's rescue and veto thresholds from two eval reports of the same set.

With ``reader_role=lexical_or_reader`` the lexical scorer decides, and where it would abstain for
low confidence the reader answers if its calibrated probability reaches the rescue threshold. Both
runs' answers are in the reports (one with ``ASSISTANT_READER=off``, one with the reader deciding),
so every threshold can be replayed without asking again. The threshold chosen is the lowest at which
at least half of the rescued answers are right: below it a rescue invents more often than it helps.
Run it on the reader set's development split (``training/devset.py``), never on a measuring set:

    ASSISTANT_READER=off make eval-readerdev && mv eval-out/readerdev eval-out/readerdev-lexical
    ASSISTANT_READER_ROLE=decide make eval-readerdev && mv eval-out/readerdev eval-out/readerdev-reader
    python -m evals.rescue eval-out/readerdev-lexical/report.json eval-out/readerdev-reader/report.json

The veto is the other side (``--veto``): where the lexical scorer answers but the reader finds no
sentence of the passages likely to answer (its best probability below the veto threshold), the
assistant abstains. The veto threshold chosen is the highest at which at most one in ten of the
answers it overrules was right (``MAX_RIGHT_VETOED``). Measure it on the seed set before shipping
one: chosen so for the shipped weights (0.40), it withdrew 16 right seed answers that the reader,
trained on other genres, scores at its floor (docs/measurements.md), so the shipped card has none.

``--write DIR`` puts the chosen thresholds into ``DIR/reader.json`` (``{"rescue": {"threshold": …},
"veto": {"threshold": …}}``), where ``assistant/read/model.py`` reads them; without a chosen
threshold the reader never rescues (never vetoes).
"""
from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .scoring import basis_kind

LOW_CONFIDENCE = "low confidence"  # the abstention basis the reader may overrule
# an answer from a document's own metadata (docinfo.py) never reaches the veto: the answerer gives it
# before any scorer decides, and the reader's run gives it no probability to compare
DOCUMENT = "document"
MIN_RIGHT_SHARE = 0.5  # rescued answers right at least as often as not
GRID = tuple(round(0.40 + 0.02 * i, 2) for i in range(28))  # 0.40 … 0.94
MAX_RIGHT_VETOED = 0.1  # overruled answers right at most one time in ten
VETO_GRID = tuple(round(0.05 * i, 2) for i in range(1, 15))  # 0.05 … 0.70


@dataclass(frozen=True)
class Replay:
    threshold: float
    rescued: int
    right: int  # rescued answerable questions answered correctly
    correct: float  # share of answerable questions answered correctly
    false_abstention: float
    abstention_recall: float | None
    veto: float = 0.0
    vetoed: int = 0
    vetoed_right: int = 0  # vetoed answers that were correct


def _rows(path: Path) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads(Path(path).read_text(encoding="utf-8"))["rows"]}


def vetoable(lex: dict) -> bool:
    """Whether the answerer would put this lexical answer to the reader's veto."""
    return not lex["abstained"] and basis_kind(lex.get("basis")) != DOCUMENT  # "document: title"


def replay(lexical: dict[str, dict], reader: dict[str, dict], threshold: float, veto: float = 0.0) -> Replay:
    """The lexical run's answers, with its low-confidence abstentions answered by the reader's run
    where that answered at ``threshold`` or above, and its answers withdrawn where the reader's
    best probability is below ``veto``."""
    rows, rescued, right, vetoed, vetoed_right = [], 0, 0, 0, 0
    for qid, lex in lexical.items():
        read = reader[qid]
        if lex["abstained"] and lex.get("basis") == LOW_CONFIDENCE and not read["abstained"] and read["confidence"] >= threshold:
            rows.append(read)
            rescued += 1
            right += bool(read["answerable"] and read["correct"])
        elif vetoable(lex) and read.get("confidence") is not None and read["confidence"] < veto:
            rows.append({**lex, "abstained": True, "correct": not lex["answerable"]})
            vetoed += 1
            vetoed_right += bool(lex["answerable"] and lex["correct"])
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
        veto,
        vetoed,
        vetoed_right,
    )


def choose(replays: Sequence[Replay]) -> Replay | None:
    """The lowest threshold whose rescues are right at least ``MIN_RIGHT_SHARE`` of the time."""
    for r in sorted(replays, key=lambda r: r.threshold):
        if r.rescued and r.right / r.rescued >= MIN_RIGHT_SHARE:
            return r
    return None


def choose_veto(replays: Sequence[Replay]) -> Replay | None:
    """The highest veto below which every veto threshold overrules right answers at most
    ``MAX_RIGHT_VETOED`` of the time (the share grows with the threshold, not always smoothly)."""
    best = None
    for r in sorted(replays, key=lambda r: r.veto):
        if r.vetoed and r.vetoed_right / r.vetoed > MAX_RIGHT_VETOED:
            break
        if r.vetoed:
            best = r
    return best


def write(directory: Path, best: Replay | None, reports: tuple[Path, Path], veto: Replay | None = None, card_file: str = "reader.json") -> None:
    """Record ``best`` and ``veto`` (None: remove the rescue, the veto) in ``directory/card_file``
    (``span.json`` for the span model as scorer), saying how they were chosen."""
    path = Path(directory) / card_file
    card = json.loads(path.read_text(encoding="utf-8"))
    card.pop("rescue", None)
    card.pop("veto", None)
    command = f"python -m evals.rescue {reports[0]} {reports[1]}"
    if best is not None:
        rule = f"the lowest threshold at which at least {MIN_RIGHT_SHARE:.0%} of the rescued answers are right"
        card["rescue"] = {"threshold": best.threshold, "chosen_by": f"{command}: {rule} ({best.right} of {best.rescued})"}
    if veto is not None:
        rule = f"the highest threshold at which at most {MAX_RIGHT_VETOED:.0%} of the answers overruled were right"
        card["veto"] = {"threshold": veto.veto, "chosen_by": f"{command} --veto: {rule} ({veto.vetoed_right} of {veto.vetoed})"}
    path.write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lexical", type=Path, help="report.json of the run with ASSISTANT_READER=off")
    ap.add_argument("reader", type=Path, help="report.json of the run with the reader deciding")
    ap.add_argument("--write", type=Path, metavar="DIR", help="record the choice in DIR/reader.json")
    ap.add_argument("--card", default="reader.json", help="with --write: the card to record in (span.json: the span model as scorer)")
    ap.add_argument("--veto", action="store_true", help="also choose (and with --write record) a veto threshold")
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
    rescue = best.threshold if best is not None else float("inf")
    vetoes = [replay(lexical, reader, rescue, v) for v in VETO_GRID]
    print("\nveto  vetoed  right  correct  false_abst  abst_recall   (with the rescue chosen)")
    for r in vetoes:
        rec = "–" if r.abstention_recall is None else f"{r.abstention_recall:.3f}"
        print(f"{r.veto:4.2f}  {r.vetoed:6d}  {r.vetoed_right:5d}  {r.correct:7.3f}  {r.false_abstention:10.3f}  {rec:>11}")
    veto = choose_veto(vetoes) if args.veto else None
    if args.veto:
        print("chosen:", "none (no threshold vetoes well enough)" if veto is None else f"{veto.veto:.2f}")
    if args.write is not None:
        write(args.write, best, (args.lexical, args.reader), veto, args.card)
        print(f"written to {args.write / args.card}")


if __name__ == "__main__":
    main()
