"""Term weights of the lexical scorer: which question terms a sentence holds, and how much.

A question's content terms weigh by their IDF in the index (typos corrected against its
vocabulary); a sentence holds a term itself, as the head of a compound, as another compound or stem
relative, or (ranking only) as a thesaurus synonym. An English question's words are looked up as
their German translations (``Slot``).
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import wordlist
from ..bilingual import Dictionary
from ..records import Turn
from ..text import STOPWORDS, near_stopword, related, stem, stopword_stems, words
from ..thesaurus import Thesaurus

# Without a BM25 index (``compose`` called without one) every question term weighs the same,
# Weights.unknown times this, so the value only sets the scale of the term weights (about the IDF
# of a term absent from an index of 73 chunks: ln(1 + 73.5 / 0.5) ≈ 5.0).
NO_INDEX_MAX_IDF = 5.0
# English function words: no slot of an English question (see ``slots``)
EN_STOPWORDS = wordlist.words("stopwords-en") | wordlist.words("stopwords-en-slots")

# Everyday short forms in questions for the word the documents write out (stemmed)
SHORT_FORMS = {"info": "information", "infos": "information", "tel": "telefon", "nr": "numm", "email": "mail"}


def question_terms(
    question: str, history: Sequence[Turn], bm25, unknown: float, is_word: Callable[[str], bool]
) -> dict[str, float]:
    """Content terms of the question (typos corrected) with their IDF; earlier turns count half.
    A term the index never saw weighs ``unknown`` times the rarest possible term; ``is_word`` (a
    thesaurus lookup) keeps a real word from being "corrected" into an indexed one."""
    terms: dict[str, float] = {}
    max_idf = float(np.log(1.0 + (bm25.size + 0.5) / 0.5)) if bm25 is not None else NO_INDEX_MAX_IDF

    def add(text: str, factor: float) -> None:
        for w in words(text):
            if w in STOPWORDS:
                continue
            t = SHORT_FORMS.get(stem(w), stem(w))
            if bm25 is not None and bm25.doc_freq(t) == 0:
                fixed = bm25.correct_word(w, is_word) if t == stem(w) else bm25.corrected(t)
                if fixed in stopword_stems() or (fixed is None and near_stopword(w)):
                    # a misspelt function word ("Welhce", "vile") is a function word, not a
                    # rare term the documents lack (which would weigh heaviest of all)
                    continue
                t = fixed or t
            idf = bm25.idf(t) if bm25 is not None and bm25.doc_freq(t) else unknown * max_idf
            terms[t] = max(terms.get(t, 0.0), idf * factor)

    add(question, 1.0)
    if history:
        add(history[-1].question, 0.5)
    return terms


def match(term: str, sent_terms: set[str], relatives: frozenset[str] | None = None) -> float:
    """1.0 for the term itself, 0.85 when it is the head of a compound of the sentence
    ("Prozess" in "Öffnungsprozess": German compounds name their kind last), 0.7 for another
    compound/stem relative (``text.related``: "Partner" in "Partnerschaftsvereinbarung", the
    sentence's "Videos" for the question's "Kampagnenvideos"), else 0.

    ``relatives`` (the relatives of ``term`` among all candidate terms, see ``find_relatives``)
    turns the pairwise scan into a set intersection; the result is the same.

    The head at 0.85 (measured at bc41691, docs/measurements.md): seed +1 answer, xquad-de +1 answer and one
    held-out question answered, typing errors +2; at 1.0 the seed set lost an answer too.
    """
    if term in sent_terms:
        return 1.0
    hits = relatives & sent_terms if relatives is not None else {s for s in sent_terms if related(term, s)}
    if not hits:
        return 0.0
    return 0.85 if any(len(h) > len(term) and h.endswith(term) for h in hits) else 0.7


def find_relatives(terms: dict[str, float], vocab: set[str]) -> dict[str, frozenset[str]]:
    """For each question term, the terms of ``vocab`` it matches as a relative (``text.related``,
    and the term itself) — computed once per question instead of once per sentence and window
    (the answerer's hot loop).

    Longer terms that begin with the term are a run of the sorted vocabulary, those that end
    with it a run of the sorted reversed one; shorter ones are the term's own prefixes and
    suffixes. The pairwise scan this replaces (|terms| x |vocab| string tests) took 0.21 ms of
    the answerer's ~1.3 ms a question on xquad-de; this takes 0.10 ms.
    """
    fwd = sorted(vocab)
    bwd = sorted(s[::-1] for s in vocab)
    out = {}
    for t in terms:
        lt = len(t)
        found = set()
        if lt >= 5:
            i = bisect_left(fwd, t)
            while i < len(fwd) and fwd[i].startswith(t):
                found.add(fwd[i])
                i += 1
            r = t[::-1]
            i = bisect_left(bwd, r)
            while i < len(bwd) and bwd[i].startswith(r):
                found.add(bwd[i][::-1])
                i += 1
        for k in range(5, lt):  # shorter relatives have at least five letters
            if t[:k] in vocab:
                found.add(t[:k])
            if t[-k:] in vocab:
                found.add(t[-k:])
        out[t] = frozenset(found)
    return out


def coverage(terms: dict[str, float], sent_terms: set[str], relatives: dict[str, frozenset[str]] | None = None) -> float:
    """The share of the question terms' weight a sentence's terms hold (``match`` of each)."""
    total = sum(terms.values())
    if total <= 0:
        return 0.0
    rel = relatives or {}
    return sum(w * match(t, sent_terms, rel.get(t)) for t, w in terms.items()) / total


@dataclass(frozen=True)
class Slot:
    """One content word of an English question: its German terms (translations and the word
    itself), their compound relatives among the candidate sentences' terms, and its weight."""

    word: str
    terms: frozenset[str]
    related: frozenset[str]
    weight: float


def translation_hits(slots: Sequence[Slot], sent_terms: frozenset[str]) -> list[tuple[str, str]]:
    """(English word, German term) for each slot a sentence holds by a translation, not by the word
    itself: what staff see as "agency → Marketingagentur"."""
    hits = []
    for s in slots:
        found = (s.terms | s.related) & sent_terms
        if found and stem(s.word) not in sent_terms:
            hits.append((s.word, min(found)))
    return hits


def slots(question: str, bm25, vocab: set[str], dictionary: Dictionary) -> list[Slot]:
    """An English question's content words as German terms: each word with its dictionary
    translations and itself (names, numbers and cognates such as "Tesla", "1901", "video"
    are written alike), weighted like a German term by the rarest of them the index holds.
    Words none of whose terms the index holds are left out."""
    found: list[tuple[str, frozenset[str], float]] = []
    for w in dict.fromkeys(words(question)):
        if w in EN_STOPWORDS:
            continue
        terms = frozenset({t for t in dictionary.translations(w) if len(t) >= 3} | {stem(w)})
        idf = [bm25.idf(t) for t in terms if bm25.doc_freq(t)] if bm25 is not None else [1.0]
        if idf:
            found.append((w, terms, max(idf)))
    # the relatives of every slot's terms in one pass: find_relatives sorts the vocabulary each call
    relatives = find_relatives(dict.fromkeys(t for _, terms, _ in found for t in terms), vocab)
    return [
        Slot(w, terms, frozenset().union(*(relatives[t] for t in terms)) - terms, weight)
        for w, terms, weight in found
    ]


def slot_coverage(slots: Sequence[Slot], sent_terms: set[str]) -> float:
    """The share of the slots' weight a sentence holds: 1.0 for a translation, 0.7 for a
    compound or stem relative of one (as ``match`` for German terms)."""
    total = sum(s.weight for s in slots)
    if total <= 0:
        return 0.0
    got = sum(
        s.weight * (1.0 if not s.terms.isdisjoint(sent_terms) else 0.7 if not s.related.isdisjoint(sent_terms) else 0.0)
        for s in slots
    )
    return got / total


def synonyms(
    terms: dict[str, float], vocab: set[str], relatives: dict[str, frozenset[str]], thesaurus: Thesaurus
) -> dict[str, frozenset[str]]:
    """For each question term, its thesaurus synonyms among the candidate terms (other than the
    term and its compound relatives, which match already); terms without any are left out."""
    out = {}
    for t in terms:
        found = (thesaurus.synonyms(t) & vocab) - relatives.get(t, frozenset()) - {t}
        if found:
            out[t] = found
    return out


def synonym_hits(
    terms: dict[str, float],
    sent_terms: set[str],
    synonyms: dict[str, frozenset[str]],
    relatives: dict[str, frozenset[str]],
) -> list[tuple[str, str]]:
    """(question term, sentence term) for each question term ``sent_terms`` holds only as a synonym."""
    hits = []
    for t, syn in synonyms.items():
        found = syn & sent_terms
        if found and match(t, sent_terms, relatives.get(t)) == 0.0:
            hits.append((t, min(found)))
    return hits


def synonym_share(terms: dict[str, float], hits: list[tuple[str, str]], weight: float) -> float:
    """The score share of the question terms in ``hits`` (``weight`` of their weight: ``Weights.synonym``)."""
    total = sum(terms.values())
    return weight * sum(terms[t] for t, _ in hits) / total if hits and total > 0 else 0.0
