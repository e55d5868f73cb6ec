"""Candidates: the sentences of the top passages, with their offsets, that an answer may quote.

Two kinds of sentence never are: text addressed to an AI (``guard.is_instruction``; indexed
before the ingest filter existed, or slipped past it) and a bare heading ("Kontakt",
"Bürgeranfragen": fewer than two content words and no digit), which answers nothing by itself.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..guard import is_instruction
from ..records import Passage
from ..text import content_terms
from .kinds import CONTACT, header_context

# Passages whose sentences the reader reads: the answer's passage is among the top four for 95% of
# the seed set's answerable questions (retrieval recall@5 0.93–0.95 on the eval sets); each more
# passage adds ~6 sentences, i.e. a quarter more reading time.
READ_PASSAGES = 4


@lru_cache(maxsize=4096)
def _sentence_terms(text: str, sentences: tuple[tuple[int, int], ...]) -> tuple[frozenset[str], ...]:
    """Content terms of each sentence of a chunk; cached, since top passages recur across questions."""
    return tuple(frozenset(content_terms(text[a:b])) for a, b in sentences)


@lru_cache(maxsize=4096)
def _instructions(text: str, sentences: tuple[tuple[int, int], ...]) -> tuple[bool, ...]:
    """Which sentences of a chunk speak to an AI (``guard.is_instruction``); cached like the terms:
    the check (16 patterns, ~140 µs a sentence) was a third of our time per question at 100k."""
    return tuple(is_instruction(text[a:b]) for a, b in sentences)


@dataclass
class Candidate:
    """A sentence of a retrieved passage; the lexical scorer fills its scores, the reader its
    probability (as ``score``)."""

    passage: Passage
    idx: int  # sentence index within the chunk
    a: int  # offsets within the chunk text
    b: int
    coverage: float = 0.0
    score: float = 0.0
    typed: bool = False  # holds the kind of answer the question asks for
    narrow: bool = False  # ... and that kind is a phone number, an e-mail address or a link
    window: float = 0.0  # coverage of the sentence with its neighbours
    # (question term, sentence term) pairs matched only as thesaurus synonyms, shown to staff
    synonyms: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        return self.passage.chunk.text[self.a : self.b]

    @property
    def before(self) -> str:
        """The sentence before this one in its passage ("" for the first)."""
        if self.idx == 0:
            return ""
        a, b = self.passage.chunk.sentences[self.idx - 1]
        return self.passage.chunk.text[a:b]

    @property
    def headings(self) -> list[str]:
        """The heading lines a contact entry stands under, in reading order ("Bürgeranfragen",
        "Kinder, Jugend, …" above "Telefon: 0211 837-2000"); none for any other sentence."""
        if not CONTACT.search(self.text):
            return []
        text, spans = self.passage.chunk.text, self.passage.chunk.sentences
        return [text[slice(*spans[j])] for j in reversed(header_context(text, spans, self.idx))]

    @property
    def key(self) -> tuple[str, int]:
        return (self.passage.chunk.id, self.idx)

    @property
    def terms(self) -> frozenset[str]:
        """The sentence's own content terms (cached per chunk)."""
        return _sentence_terms(self.passage.chunk.text, self.passage.chunk.sentences)[self.idx]


def quotable(p: Passage) -> list[int]:
    """Indices of the sentences of ``p`` that may be quoted (see the module doc)."""
    text, spans = p.chunk.text, p.chunk.sentences
    terms, instruction = _sentence_terms(text, spans), _instructions(text, spans)
    return [
        i for i, (a, b) in enumerate(spans)
        if not instruction[i] and (len(terms[i]) >= 2 or any(ch.isdigit() for ch in text[a:b]))
    ]  # fmt: skip


def reading_order(chosen: Sequence[Candidate]) -> list[int]:
    """Positions in ``chosen`` in the order a quote reads: passages by first appearance (so the
    best sentence's passage, chosen first, leads), sentences in document order, so that adjacent
    sentences form one quote. Both the lexical and the reader's selection end with it."""
    order: dict[str, int] = {}
    for c in chosen:
        order.setdefault(c.passage.chunk.id, len(order))
    return sorted(range(len(chosen)), key=lambda k: (order[chosen[k].passage.chunk.id], chosen[k].idx))


def by_meaning(passages: Sequence[Passage]) -> list[Passage]:
    """Passages by dense rank (those the dense search did not find last): the order English
    questions read, since BM25 of English words over German text is noise."""
    return sorted(passages, key=lambda p: p.dense_rank or len(passages) + 1)


def sentence_candidates(passages: Sequence[Passage], lang: str, reach: int = READ_PASSAGES) -> list[Candidate]:
    """The quotable sentences of the top ``reach`` passages (by meaning for English questions)."""
    top = (by_meaning(passages) if lang == "en" else list(passages))[:reach]
    return [Candidate(p, i, *p.chunk.sentences[i]) for p in top for i in quotable(p)]
