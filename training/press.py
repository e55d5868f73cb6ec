"""The press sets: long press releases of state administrations, the seed documents' genre.

The reader set's passages are short (110–230 words); the seed documents are real press releases of
400+ words with long sentences, quotations whose speaker is named a sentence later, offices and
titles — where the reader, trained on the short ones alone, abstains most. Two sets of passages of
that kind (fictional, written for the project from ``pressdev/instructions/PRESS_WRITER.md``, CC0)
with questions written like the reader set's (answer spans, unanswerable traps, follow-ups,
English, typing errors), by different writers who saw nothing but the instructions:

- ``dev`` (``training/pressdev/``): never trained on; it measures and chooses, asked through the
  assistant like the reader set's dev split (``training/devset.py``).
- ``train`` (``training/presstrain/``): trained on beside the reader set's train split; its
  questions are checked against the dev set's too (no near-copies).

Their questions were written by the writer of the passage, with the passage in view and a list
of traps to fill; the blind eval sets' questions by writers who read a document as a citizen would
and ask in their own words. The **citizen** sets ask the same passages again that way
(``citizendev/instructions/CITIZEN_WRITER.md``: other writers, who saw the passages and nothing else,
wrote the questions before looking for the answer; off-topic questions and prompt injections
among the unanswerable ones):

- ``citizen-dev`` (``training/citizendev/``): over the press dev passages; never trained on, and no
  near-copy of a training question.
- ``citizen-train`` (``training/citizentrain/``): over the press training passages; no near-copy of a
  question of either dev set.

The **news** set is real text: 80 German Wikinews articles on politics and administration (CC BY
2.5, each passage names its article and licence), asked the citizens' way
(``newstrain/instructions/NEWS_WRITER.md``). The seed documents are real press releases whose
sentences refer back and carry facts in appositions; fictional releases rarely do, real reporting does.

- ``news-train`` (``training/newstrain/``): trained on only; no near-copy of a question of either dev set.

A second and a third round of training passages (``train2``, ``training/presstrain2/``; ``train3``,
``training/presstrain3/``), written and asked as ``train`` and ``citizen-train`` were, each by other
writers (``citizen-train2``: ``training/citizentrain2/``; ``citizen-train3``: ``training/citizentrain3/``).

The same checks as the reader set's hold (spans verbatim, no near-copy of an eval question).
Each set's neighbours (the reader's hard negatives, ``training.neighbours``) are its own nearest
passages. Run:

    python -m training.press build dev RAW_DIR     # written_p*.jsonl + q_p*.jsonl -> training/pressdev/
    python -m training.press build train RAW_DIR   # written_t*.jsonl + q_t*.jsonl -> training/presstrain/
    python -m training.press build citizen-dev RAW_DIR    # q_c*.jsonl -> training/citizendev/
    python -m training.press build citizen-train RAW_DIR  # q_u*.jsonl -> training/citizentrain/
    python -m training.press build news-train RAW_DIR     # written_w*.jsonl + q_w*.jsonl -> training/newstrain/
    python -m training.press build train2 RAW_DIR         # written_s*.jsonl + q_s*.jsonl -> training/presstrain2/
    python -m training.press build citizen-train2 RAW_DIR # q_v*.jsonl -> training/citizentrain2/
    python -m training.press build train3 RAW_DIR         # written_r*.jsonl + q_r*.jsonl -> training/presstrain3/
    python -m training.press build citizen-train3 RAW_DIR # q_x*.jsonl -> training/citizentrain3/
    python -m training.devset --set press --out eval-out/press-dev.json
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from .readerset import BuildLog, _read_jsonl, _write_jsonl, read_questions, statistics, written_passages
from .readerset import load as read_reader_set

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PressSet:
    split: str  # "dev" or "train": every record's split
    dir: Path
    id_prefix: str  # question ids, distinct from the reader set's "rs" and from each other
    raw_batches: str  # the writers' batch letters in the raw file names
    asks: str | None = None  # the set whose passages its questions ask (then it keeps none of its own)
    apart_from: tuple[str, ...] = ()  # the sets none of its questions may come close to
    source: str = "press"  # the passages' kind: fictional press releases, or real news articles

    @property
    def passages(self) -> Path:
        return SETS[self.asks].passages if self.asks else self.dir / "passages.jsonl"

    @property
    def questions(self) -> Path:
        return self.dir / "questions.jsonl"

    @property
    def stats(self) -> Path:
        return self.dir / "stats.json"

    @property
    def neighbours(self) -> Path:
        return self.dir / "neighbours.json"


SETS = {
    "dev": PressSet("dev", HERE / "pressdev", "pd", "p"),
    "train": PressSet("train", HERE / "presstrain", "pt", "t", apart_from=("dev",)),
    # a set that measures must not be a copy of training questions, and the other way round
    "citizen-dev": PressSet("dev", HERE / "citizendev", "cd", "c", asks="dev", apart_from=("train", "readerset")),
    "citizen-train": PressSet("train", HERE / "citizentrain", "ct", "u", asks="train", apart_from=("dev", "citizen-dev")),
    "news-train": PressSet("train", HERE / "newstrain", "nt", "w", apart_from=("dev", "citizen-dev"), source="wikinews"),
    # a second round of press releases by other writers, each asked both ways (the press writers'
    # questions and citizens'), for more of the seed documents' genre in training
    "train2": PressSet("train", HERE / "presstrain2", "ps", "s", apart_from=("dev", "citizen-dev")),
    "citizen-train2": PressSet("train", HERE / "citizentrain2", "cs", "v", asks="train2", apart_from=("dev", "citizen-dev")),
    # a third round, written and asked the same way by other writers again
    "train3": PressSet("train", HERE / "presstrain3", "pr", "r", apart_from=("dev", "citizen-dev")),
    "citizen-train3": PressSet("train", HERE / "citizentrain3", "cr", "x", asks="train3", apart_from=("dev", "citizen-dev")),
}


def _questions_of(name: str) -> list[str]:
    if name == "readerset":
        return [it["question"] for it in read_reader_set("train")[1]]
    return [it["question"] for it in load(name)[1]]


def build(raw_dir: Path, which: str = "dev") -> dict:
    ps = SETS[which]
    if ps.asks:
        passages = list(load(ps.asks)[0].values())
    else:
        passages = [{**p, "split": ps.split} for p in written_passages(raw_dir, f"written_{ps.raw_batches}*.jsonl", ps.source)]
    by_pid = {p["pid"]: p for p in passages}
    if len(by_pid) != len(passages):
        raise SystemExit("duplicate passage ids")
    log = BuildLog()
    apart = {f"a question of {name}": _questions_of(name) for name in ps.apart_from}
    items = read_questions(sorted(Path(raw_dir).glob(f"q_{ps.raw_batches}*.jsonl")), by_pid, log, apart)
    used = {it["pid"] for it in items}
    passages = [p for p in passages if p["pid"] in used]
    for n, it in enumerate(items):
        it["id"], it["split"] = f"{ps.id_prefix}{n:05d}", ps.split
    ps.dir.mkdir(parents=True, exist_ok=True)
    if not ps.asks:
        _write_jsonl(ps.passages, passages)
    _write_jsonl(ps.questions, [{"id": it.pop("id"), **it} for it in items])
    stats = statistics(passages, items)
    stats["build"] = {"raw_questions": log.read, "kept": len(items), "dropped": dict(sorted((log.dropped or {}).items()))}
    ps.stats.write_text(json.dumps(stats, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return stats


def load(which: str = "dev") -> tuple[dict[str, dict], list[dict]]:
    """(passages by pid, questions) of the committed set ``which`` (a citizen set: the passages it asks)."""
    ps = SETS[which]
    return {p["pid"]: p for p in _read_jsonl(ps.passages)}, _read_jsonl(ps.questions)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] != ["build"] or len(argv) != 3 or argv[1] not in SETS:
        raise SystemExit(__doc__)
    print(json.dumps(build(Path(argv[2]), argv[1]), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
