"""The span model's examples: each answer with the sentence holding it (the product's splitter),
sentences that do not answer, and xquad-de's (measurement only); as token inputs with their labels."""
from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.read.candidates import READ_PASSAGES

from .reader_data import EXTRA_TRAINING, _split_data, holds_answer, kept_pids, passage_sentences

# the training splits (``reader_data.SPLITS``) and the ``SpanConfig`` option that puts each in training
TRAINING_SPLITS = {"train": "readerset", **EXTRA_TRAINING}


@dataclass
class SpanExample:
    qid: str
    question: str
    previous: str
    title: str
    sentence: str
    start: int  # the answer's characters in ``sentence``; -1: the sentence does not answer
    end: int
    answer: str
    context: str = ""  # the sentence before in its passage (read by a model trained ``--context``)


def span_examples(split: str, fraction: float = 1.0) -> list[SpanExample]:
    """The answerable questions of a split (``training.reader_data.SPLITS``) with the sentence
    holding their answer's start."""
    passages, items, _ = _split_data(split)
    keep = kept_pids((it["pid"] for it in items), fraction)
    out = []
    for it in items:
        if not it["answerable"] or not it.get("answer") or it["pid"] not in keep:
            continue
        p = passages[it["pid"]]
        a, (sp, _, before) = it["answer_start"], passage_sentences(p["text"])
        for k, (s, e) in enumerate(sp):
            if s <= a < e:
                end = min(a + len(it["answer"]), e)
                out.append(SpanExample(it["id"], it["question"], it["prev_q"] or "", p["title"], p["text"][s:e], a - s, end - s,
                                       it["answer"], before[k]))  # fmt: skip
                break
    return out


def no_answer_examples(split: str, fraction: float, share: float, seed: int) -> list[SpanExample]:
    """``share`` × (answers) sentences that do not answer: every unanswerable question's tempting
    sentence first, then for answerable questions other sentences of their passage (not holding
    the answer's text; one each, or ``ceil(share)`` where ``share`` is above 1), drawn with ``seed``."""
    import math
    import random

    passages, items, _ = _split_data(split)
    keep = kept_pids((it["pid"] for it in items), fraction)
    items = [it for it in items if it["pid"] in keep]
    want = round(share * sum(1 for it in items if it["answerable"] and it.get("answer")))
    per = max(1, math.ceil(share))
    rng = random.Random(seed)
    tempting, others = [], []
    for it in items:
        p = passages[it["pid"]]
        sp, _, before = passage_sentences(p["text"])
        if not it["answerable"] and it.get("tempting_start") is not None:
            at = it["tempting_start"]
            tempting += [SpanExample(it["id"], it["question"], it["prev_q"] or "", p["title"], p["text"][s:e], -1, -1, "",
                                     before[k]) for k, (s, e) in enumerate(sp) if s <= at < e]  # fmt: skip
        elif it["answerable"] and it.get("answer"):
            answer = it["answer"].casefold()
            rest = [k for k, (s, e) in enumerate(sp) if not s <= it["answer_start"] < e and answer not in p["text"][s:e].casefold()]
            # one drawn sentence per answer (as the shipped weights were trained), or as many as
            # ``share`` asks for: more of the same passage's sentences to rank below the answer
            for k in [rng.choice(rest)] if rest and per == 1 else rng.sample(rest, min(per, len(rest))):
                s, e = sp[k]
                others.append(SpanExample(it["id"], it["question"], it["prev_q"] or "", p["title"], p["text"][s:e], -1, -1, "",
                                          before[k]))  # fmt: skip
    rng.shuffle(others)
    return (tempting + others)[:want]


def neighbour_examples(split: str, fraction: float, per: int, read: int = READ_PASSAGES - 1) -> list[SpanExample]:
    """For every question, the ``per`` sentences of its ``read`` nearest other passages
    (``training.neighbours``: the product's dense retrieval) that share most content words with it,
    as sentences that do not answer; none holding the answer's text. In the product the span model
    reads those passages beside the question's own (``READ_PASSAGES`` in all) and, taught on its
    own passage only, most often quoted a sentence from one of them. Deterministic: ties go to the
    nearer passage, then the earlier sentence."""
    from assistant.text import content_terms

    from .neighbours import neighbours as nearest

    passages, items, near_file = _split_data(split)
    keep = kept_pids((it["pid"] for it in items), fraction)
    near = nearest(near_file)
    out = []
    for it in items:
        if it["pid"] not in keep:
            continue
        terms = set(content_terms(it["question"]))
        answer = (it.get("answer") or "").casefold() if it["answerable"] else ""
        ranked = []
        for r, pid in enumerate(near.get(it["id"], [])[:read]):
            text = passages[pid]["text"]
            (_, sents, before), words = passage_sentences(text), _sentence_terms(text)
            for k, sent in enumerate(sents):
                if holds_answer(answer, sent):
                    continue
                ranked.append((-len(terms & words[k]), r, k, pid, sent, before[k]))
        ranked.sort(key=lambda x: x[:3])
        out += [SpanExample(it["id"], it["question"], it["prev_q"] or "", passages[pid]["title"], sent, -1, -1, "", ctx)
                for *_, pid, sent, ctx in ranked[:per]]  # fmt: skip
    return out


def xquad_span_examples(path: Path | None = None) -> list[SpanExample]:
    """xquad-de's questions with the sentence holding the first answer's start (measurement only)."""
    path = path or Path(__file__).resolve().parents[2] / "shared" / "bench" / "xquad-de" / "xquad.de.json"
    out = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for para in article["paragraphs"]:
            sp, _, before = passage_sentences(para["context"])
            for qa in para["qas"]:
                ans = qa["answers"][0]
                a = ans["answer_start"]
                for k, (s, e) in enumerate(sp):
                    if s <= a < e:
                        out.append(SpanExample(qa["id"], qa["question"], "", article["title"], para["context"][s:e], a - s,
                                               min(a + len(ans["text"]), e) - s, ans["text"], before[k]))  # fmt: skip
                        break
    return out


@functools.lru_cache(maxsize=4096)
def _sentence_terms(text: str) -> tuple[frozenset[str], ...]:
    """The content words of each of a passage's sentences (``passage_sentences``): a neighbour passage is
    read for every question it is near, its words found once."""
    from assistant.text import content_terms

    return tuple(frozenset(content_terms(sentence)) for sentence in passage_sentences(text)[1])


def pair(ex: SpanExample, context: bool = True):
    """What the model reads for an example; ``context=False``: without the sentence before."""
    from assistant.read.reader import Pair

    return Pair(ex.question, ex.sentence, ex.title, ex.previous, ex.context if context else "")


def labelled(tok, data: Sequence[SpanExample], max_len: int, context: bool = False) -> list[tuple]:
    """(input, first token, last token) of each example whose answer survives the cut to ``max_len``
    (``context``: the input with the sentence before)."""
    from assistant.read.span import span_input

    out = []
    for ex in data:
        x = span_input(tok, pair(ex, context), max_len)
        if ex.start < 0:
            out.append((x, -1, -1))  # no answer: the <s> token
            continue
        first = next((k for k, (_, b) in enumerate(x.offsets) if b > ex.start), None)
        last = max((k for k, (a, _) in enumerate(x.offsets) if a < ex.end), default=None)
        if first is not None and last is not None and last >= first:
            out.append((x, first, last))
    return out
