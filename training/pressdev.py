"""A development set in the seed documents' genre: long press releases of state administrations.

The reader set's passages are short (110–230 words); the seed documents are real press releases of
400+ words with long sentences, quotations whose speaker is named a sentence later, offices and
titles — where the reader, trained on the short ones, abstains most. This set has passages of that
kind (fictional, written for the project from ``instructions/PRESS_WRITER.md``, CC0) with questions
written like the reader set's (answer spans, unanswerable traps, follow-ups, English, typing errors).
It is never trained on: it measures and chooses, asked through the assistant like the reader set's
dev split (``training/devset.py``). The same checks as the reader set's hold (spans verbatim, no
near-copy of an eval question). Run:

    python -m training.pressdev build RAW_DIR   # written_p*.jsonl + q_p*.jsonl -> training/pressdev/
    python -m training.devset --set press --out eval-out/press-dev.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .readerset import BuildLog, _read_jsonl, _write_jsonl, read_questions, statistics, written_passages

SET_DIR = Path(__file__).resolve().parent / "pressdev"
PASSAGES = SET_DIR / "passages.jsonl"
QUESTIONS = SET_DIR / "questions.jsonl"
STATS = SET_DIR / "stats.json"
ID_PREFIX = "pd"  # question ids, distinct from the reader set's "rs"


def build(raw_dir: Path) -> dict:
    passages = [{**p, "split": "dev"} for p in written_passages(raw_dir, "written_p*.jsonl", "press")]
    by_pid = {p["pid"]: p for p in passages}
    if len(by_pid) != len(passages):
        raise SystemExit("duplicate passage ids")
    log = BuildLog()
    items = read_questions(sorted(Path(raw_dir).glob("q_p*.jsonl")), by_pid, log)
    used = {it["pid"] for it in items}
    passages = [p for p in passages if p["pid"] in used]
    for n, it in enumerate(items):
        it["id"], it["split"] = f"{ID_PREFIX}{n:05d}", "dev"
    SET_DIR.mkdir(parents=True, exist_ok=True)
    _write_jsonl(PASSAGES, passages)
    _write_jsonl(QUESTIONS, [{"id": it.pop("id"), **it} for it in items])
    stats = statistics(passages, items)
    stats["build"] = {"raw_questions": log.read, "kept": len(items), "dropped": dict(sorted((log.dropped or {}).items()))}
    STATS.write_text(json.dumps(stats, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return stats


def load() -> tuple[dict[str, dict], list[dict]]:
    """(passages by pid, questions) of the committed set."""
    return {p["pid"]: p for p in _read_jsonl(PASSAGES)}, _read_jsonl(QUESTIONS)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] != ["build"] or len(argv) != 2:
        raise SystemExit(__doc__)
    print(json.dumps(build(Path(argv[1])), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
