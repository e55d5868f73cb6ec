"""How tempting a corpus is to the reader: its best probability for questions written about other
documents.

The deciding reader's probabilities do not mean the same on every corpus. On the two seed
documents most questions leave it at its floor, and just above it (0.28) it is mostly right; over
a corpus of a hundred press releases it finds some other release's sentence above 0.28 for most
questions the corpus does not answer (docs/measurements.md, 2026-12-07). This measures that level
without labels: probes — a fixed sample of first-turn questions from the training sets' train
splits (citizen, press, news and reader sets; never an eval or dev question), none written about
the corpus measured — are asked through the assistant as the deciding reader reads (the lexical
scorer's best four sentences), and the reader's best probability of each is recorded. A quantile q
of them is the threshold at which a share 1 − q of such foreign questions would be answered from
this corpus. It does not measure near misses — questions about a part of the corpus's own
documents that is missing — and as a threshold it was too low wherever a corpus holds them
(docs/measurements.md, 2026-12-07 late night): read it as a floor, not as the threshold.

    python -m evals.probe                              # the seed documents
    python -m evals.probe --squad FILE --holdout 0.2   # a SQuAD-format corpus, indexed as `assistant eval` does

Probes that a check stops before the reader reads (a number or place no source mentions) have no
probability and are counted apart.
"""
from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

TRAINING = Path(__file__).resolve().parents[1] / "training"
SOURCES = (  # the train splits of every genre the reader was trained on
    TRAINING / "citizentrain" / "questions.jsonl",
    TRAINING / "presstrain" / "questions.jsonl",
    TRAINING / "newstrain" / "questions.jsonl",
    TRAINING / "readerset" / "readerset.jsonl",
)
QUANTILES = (0.5, 0.75, 0.9, 0.95)
READ_TOP = 4  # as the deciding reader reads (``reader_top``)


def probe_questions(per_source: int = 30, seed: int = 0, sources: Sequence[Path] = SOURCES) -> list[dict[str, Any]]:
    """``per_source`` first-turn questions of each source's train split, drawn with ``seed``."""
    out: list[dict[str, Any]] = []
    for path in sources:
        rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
        rows = [r for r in rows if r.get("split") == "train" and not r.get("prev_q")]
        random.Random(seed).shuffle(rows)
        out += rows[:per_source]
    return out


def summary(best: Sequence[float | None], quantiles: Sequence[float] = QUANTILES) -> dict[str, Any]:
    """How many probes the reader read, and the quantiles of their best probabilities."""
    read = np.array([b for b in best if b is not None], dtype=float)
    return {
        "probes": len(best),
        "read": int(read.size),
        "quantiles": {str(q): float(np.quantile(read, q)) for q in quantiles} if read.size else {},
    }


class Recording:
    """The reader, recording the best probability of each reading (every other attribute is the
    reader's own)."""

    def __init__(self, scorer):
        self.scorer = scorer
        self.seen: list[float] = []

    def __getattr__(self, name: str):
        return getattr(self.scorer, name)

    def probabilities(self, question: str, previous: str, cands: Sequence) -> np.ndarray:
        p = self.scorer.probabilities(question, previous, cands)
        self.seen.append(float(np.max(p)) if len(p) else 0.0)
        return p


def best_probabilities(assistant, probes: Sequence[dict[str, Any]]) -> list[float | None]:
    """The reader's best probability for each probe asked of ``assistant`` (None: it did not read):
    an answerer with the reader recorded (its ``scorer`` seam, as evals/ablate.py shares the reader)
    stands in while the probes are asked; the first reading of a question is the deciding one."""
    from assistant.answer import Answerer

    shipped = assistant.answerer
    recording = Recording(shipped.scorer)
    assistant.answerer = Answerer(assistant.settings, assistant.embedder, scorer=recording)
    out: list[float | None] = []
    try:
        for probe in probes:
            recording.seen.clear()
            assistant.ask(probe["question"], history=[])
            out.append(recording.seen[0] if recording.seen else None)
    finally:
        assistant.answerer = shipped
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from assistant.settings import Settings, offline_env

    offline_env()
    from .run import Report, run_seed_eval, run_squad_eval

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--squad", type=Path, help="a SQuAD-format file; default: the seed documents")
    ap.add_argument("--holdout", type=float, default=0.0, help="with --squad: as assistant eval --holdout")
    ap.add_argument("--per-source", type=int, default=30)
    args = ap.parse_args(argv)
    probes = probe_questions(args.per_source)
    settings = Settings().model_copy(update={"reader_role": "decide_or_lexical", "reader_top": READ_TOP})
    result: dict[str, Any] = {}

    def runner(items, assistant, progress, meta):
        result.update(summary(best_probabilities(assistant, probes)))
        return Report(meta=dict(meta or {}), metrics={}, rows=[])

    if args.squad:
        run_squad_eval(args.squad, args.holdout, settings, runner=runner, progress=False)
    else:
        run_seed_eval(settings, runner=runner, progress=False)
    qs = " / ".join(f"{float(q):.2f}: {v:.3f}" for q, v in result["quantiles"].items())
    print(f"{result['read']} of {result['probes']} probes read; best probability at the quantiles {qs}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
