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

The same checks as the reader set's hold (spans verbatim, no near-copy of an eval question).
Each set's neighbours (the reader's hard negatives, ``training.neighbours``) are its own nearest
passages. Run:

    python -m training.press build dev RAW_DIR     # written_p*.jsonl + q_p*.jsonl -> training/pressdev/
    python -m training.press build train RAW_DIR   # written_t*.jsonl + q_t*.jsonl -> training/presstrain/
    python -m training.devset --set press --out eval-out/press-dev.json
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from .readerset import BuildLog, _read_jsonl, _write_jsonl, read_questions, statistics, written_passages

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PressSet:
    name: str  # "dev" or "train": also every record's split
    dir: Path
    id_prefix: str  # question ids, distinct from the reader set's "rs" and from each other
    raw_batches: str  # the writers' batch letters in the raw file names

    @property
    def passages(self) -> Path:
        return self.dir / "passages.jsonl"

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
    "train": PressSet("train", HERE / "presstrain", "pt", "t"),
}


def build(raw_dir: Path, which: str = "dev") -> dict:
    ps = SETS[which]
    passages = [{**p, "split": ps.name} for p in written_passages(raw_dir, f"written_{ps.raw_batches}*.jsonl", "press")]
    by_pid = {p["pid"]: p for p in passages}
    if len(by_pid) != len(passages):
        raise SystemExit("duplicate passage ids")
    log = BuildLog()
    # a training question must not copy a question of the set that measures
    measuring = {"a press dev question": [it["question"] for it in load("dev")[1]]} if which != "dev" else None
    items = read_questions(sorted(Path(raw_dir).glob(f"q_{ps.raw_batches}*.jsonl")), by_pid, log, measuring)
    used = {it["pid"] for it in items}
    passages = [p for p in passages if p["pid"] in used]
    for n, it in enumerate(items):
        it["id"], it["split"] = f"{ps.id_prefix}{n:05d}", ps.name
    ps.dir.mkdir(parents=True, exist_ok=True)
    _write_jsonl(ps.passages, passages)
    _write_jsonl(ps.questions, [{"id": it.pop("id"), **it} for it in items])
    stats = statistics(passages, items)
    stats["build"] = {"raw_questions": log.read, "kept": len(items), "dropped": dict(sorted((log.dropped or {}).items()))}
    ps.stats.write_text(json.dumps(stats, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return stats


def load(which: str = "dev") -> tuple[dict[str, dict], list[dict]]:
    """(passages by pid, questions) of the committed set ``which``."""
    ps = SETS[which]
    return {p["pid"]: p for p in _read_jsonl(ps.passages)}, _read_jsonl(ps.questions)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] != ["build"] or len(argv) != 3 or argv[1] not in SETS:
        raise SystemExit(__doc__)
    print(json.dumps(build(Path(argv[2]), argv[1]), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
