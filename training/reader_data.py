"""The reader's examples: each question with the sentences it chooses among, as text (``Example``)
and as token ids (``Tokenized``), from the reader set, the press sets and xquad-de.

Each question of a split comes with the sentences of its passage (``ingest.sentences.split_sentences``,
the product's own splitter) and of the ``neighbours`` passages that dense retrieval ranks nearest to
it (``training.neighbours``). The sentence holding the answer's start is the positive; a
neighbour's sentence that contains the answer's text is left out (it would be a false negative);
an unanswerable question has no positive, and its "tempting" sentence is always among its
negatives.
"""
from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .readerset import load


@dataclass
class Example:
    qid: str
    pid: str
    question: str
    previous: str
    sentences: list[str]  # its own passage's sentences first, then its neighbours'
    titles: list[str]  # the title of each sentence's passage
    own: int  # how many of ``sentences`` are its own passage's
    positive: int | None  # index of the answering sentence; None: not answerable here
    tempting: int | None
    contexts: list[str] = field(default_factory=list)  # the sentence before each in its passage ("" first)


def befores(texts: Sequence[str]) -> list[str]:
    """The sentence before each of a passage's sentences ("" for the first)."""
    return ["", *texts[:-1]]


@functools.lru_cache(maxsize=4096)
def passage_sentences(text: str) -> tuple[list[tuple[int, int]], list[str], list[str]]:
    """A passage's sentence spans (the product's splitter), their texts, and the sentence before
    each: cut once per passage, however many questions read it as their own or a neighbour
    (callers only read them)."""
    from ingest.sentences import split_sentences

    spans = split_sentences(text)
    texts = [text[a:b] for a, b in spans]
    return spans, texts, befores(texts)

@dataclass
class Tokenized:
    """An example as token ids: what training and the accelerator pack work on."""

    qid: str
    pid: str
    query: list[int]
    sentences: list[list[int]] = field(repr=False)
    own: int
    positive: int | None
    tempting: int | None


def _sentence_at(spans: Sequence[tuple[int, int]], offset: int) -> int:
    for i, (a, b) in enumerate(spans):
        if a <= offset < b:
            return i
    return min(range(len(spans)), key=lambda i: abs(spans[i][0] - offset))

def kept_pids(pids, fraction: float) -> set[str]:
    """The first ``fraction`` of the passages in a fixed order: nested subsets for the learning curve."""
    order = sorted(set(pids), key=lambda p: hashlib.sha1(("order:" + p).encode()).hexdigest())
    return set(order[: max(1, round(fraction * len(order)))])


# the reader set's splits, and the press and citizen sets' (split → training.press's set)
PRESS_SPLITS = {"press_train": "train", "press_dev": "dev", "citizen_train": "citizen-train", "citizen_dev": "citizen-dev",
                "news_train": "news-train", "press_train2": "train2", "citizen_train2": "citizen-train2",
                "press_train3": "train3", "citizen_train3": "citizen-train3"}
SPLITS = ("train", "dev", *PRESS_SPLITS)
# the training splits read beside the reader set's, in this order, and the stem of the option that
# puts each in training (``training.reader``: ``STEM_repeat``; ``training.span``: ``STEM``)
EXTRA_TRAINING = {"press_train": "press", "citizen_train": "citizen", "news_train": "news",
                  "press_train2": "press2", "citizen_train2": "press2", "press_train3": "press3", "citizen_train3": "press3"}  # fmt: skip


def _split_data(split: str) -> tuple[dict[str, dict], list[dict], Path]:
    """(passages by pid, questions, neighbours file) of one of ``SPLITS``."""
    if split in PRESS_SPLITS:
        from . import press

        which = PRESS_SPLITS[split]
        return (*press.load(which), press.SETS[which].neighbours)
    from .neighbours import FILE

    return (*load(split), FILE)


def holds_answer(answer: str, sentence: str) -> bool:
    """Whether an other passage's sentence holds the answer's text (``answer`` casefolded; one of
    three characters or more): such a sentence is left out of the negatives, it would be a false one."""
    return len(answer) >= 3 and answer in sentence.casefold()


def examples(split: str, fraction: float = 1.0, neighbours: int = 0) -> list[Example]:
    """The split's questions (one of ``SPLITS``) with their passage's sentences and those of their
    ``neighbours`` nearest other passages; ``fraction`` of the passages (nested)."""
    from .neighbours import neighbours as nearest

    passages, items, near_file = _split_data(split)
    keep = kept_pids((it["pid"] for it in items), fraction)
    near = nearest(near_file) if neighbours else {}
    out = []
    for it in items:
        pid = it["pid"]
        spans, own, own_before = passage_sentences(passages[pid]["text"]) if pid in keep else ([], [], [])
        if not own:
            continue
        texts, titles, contexts = list(own), [passages[pid]["title"]] * len(own), list(own_before)
        answer = (it["answer"] or "").casefold() if it["answerable"] else ""
        for other in near.get(it["id"], [])[:neighbours]:
            _, sents, before_each = passage_sentences(passages[other]["text"])
            for sent, before in zip(sents, before_each):
                if holds_answer(answer, sent):
                    continue
                texts.append(sent)
                titles.append(passages[other]["title"])
                contexts.append(before)
        out.append(Example(
            qid=it["id"], pid=pid, question=it["question"], previous=it["prev_q"] or "", sentences=texts,
            titles=titles, own=len(own),
            positive=_sentence_at(spans, it["answer_start"]) if it["answerable"] else None,
            # off-topic questions and injections have no tempting sentence (readerset.OPEN_TRAPS)
            tempting=None if it["tempting_start"] is None else _sentence_at(spans, it["tempting_start"]),
            contexts=contexts,
        ))  # fmt: skip
    return out

def tokenize(data: Sequence[Example], tok) -> list[Tokenized]:
    """Token ids of each example's query and sentences; a sentence shared by several examples is
    tokenized once (and shares one list)."""
    from assistant.read.reader import Pair, passage_text, query_text

    keys = sorted({(t, s) for ex in data for t, s in zip(ex.titles, ex.sentences)})
    ids = dict(zip(keys, tok.ids([passage_text(Pair("", s, t)) for t, s in keys])))
    queries = tok.ids([query_text(Pair(ex.question, "", "", ex.previous)) for ex in data])
    return [
        Tokenized(ex.qid, ex.pid, q, [ids[(t, s)] for t, s in zip(ex.titles, ex.sentences)], ex.own, ex.positive, ex.tempting)
        for ex, q in zip(data, queries)
    ]

def example_pairs(ex: Example, idx: Sequence[int]):
    """The reader's inputs for the sentences ``idx`` of ``ex``: question, sentence, title, previous
    question, and the sentence before (read only by a model trained with it)."""
    from assistant.read.reader import Pair

    return [Pair(ex.question, ex.sentences[i], ex.titles[i], ex.previous, ex.contexts[i] if ex.contexts else "") for i in idx]

def xquad_examples(path: Path | None = None) -> list[Example]:
    """xquad-de (measurement only, never trained on): each question with its gold paragraph's
    sentences; the positive is the sentence holding the first answer's start."""
    from ingest.sentences import split_sentences

    path = path or Path(__file__).resolve().parents[2] / "shared" / "bench" / "xquad-de" / "xquad.de.json"
    out = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for n, para in enumerate(article["paragraphs"]):
            sp = split_sentences(para["context"])
            sentences = [para["context"][a:b] for a, b in sp]
            for qa in para["qas"]:
                start = qa["answers"][0]["answer_start"]
                out.append(Example(qa["id"], f"{article['title']}#{n}", qa["question"], "", sentences,
                                   [article["title"]] * len(sentences), len(sentences), _sentence_at(sp, start), None,
                                   befores(sentences)))  # fmt: skip
    return out

def corpus_examples(questions: Path, docs: Path | None = None) -> list[Example]:
    """An evaluation question file (``evals/*_questions.jsonl``; measurement only, never trained on)
    over a corpus folder (the seed documents by default): each question with every sentence of the
    corpus, its gold document's first; the positive is the sentence holding the gold evidence's start
    (by its first words where the cleaned text differs). Follow-ups read their previous question."""
    import re

    from assistant.settings import Settings
    from evals.run import load_items
    from ingest.loaders import iter_files
    from ingest.prepare import load_document
    from ingest.sentences import split_sentences

    root = docs or Path(__file__).resolve().parents[1] / "seeds"
    settings = Settings()
    corpus = {}
    for path in iter_files(root):
        doc = load_document(path, settings, root)
        sp = split_sentences(doc.text)
        corpus[doc.doc_id] = (doc.meta.get("title", ""), sp, [doc.text[a:b] for a, b in sp], doc.text)

    def words(s: str) -> set[str]:
        return {w for w in re.findall(r"\w+", s.casefold()) if len(w) > 2}

    out = []
    for item in load_items(questions):
        order = [d for d in item.gold_docs if d in corpus] + [d for d in corpus if d not in item.gold_docs]
        sentences, titles, contexts, positive = [], [], [], None
        for d in order:
            title, sp, texts, text = corpus[d]
            if positive is None and item.answerable and item.gold_evidence and d in item.gold_docs:
                at = text.find(item.gold_evidence[:60])
                if at >= 0:
                    positive = len(sentences) + _sentence_at(sp, at)
                else:  # cleaned differently: the sentence sharing most of its words
                    ev = words(item.gold_evidence)
                    positive = len(sentences) + max(range(len(texts)), key=lambda i: len(ev & words(texts[i])))
            sentences += texts
            titles += [title] * len(texts)
            contexts += befores(texts)
        own = len(corpus[order[0]][2]) if order and order[0] in item.gold_docs else 0
        if item.answerable and positive is None:
            continue  # no evidence to measure sentence choice against
        previous = item.history[-1][0] if item.history else ""
        out.append(Example(item.id, order[0] if own else "", item.question, previous, sentences, titles, own, positive, None, contexts))
    return out
