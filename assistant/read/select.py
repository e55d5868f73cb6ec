"""Selection: which scored sentences an answer quotes, and as which citations.

The best sentence; the one before it when it starts with a pronoun; the neighbour that holds the
question words the confidence counted; a sentence with the kind of answer asked for when the best
one lacks it; a close runner-up. Adjacent quoted sentences form one citation with exact offsets.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from .. import wordlist
from ..records import Citation, Weighed
from ..text import stem, words
from .candidates import Candidate, reading_order
from .lexical import Weights

# ``select`` only needs a sentence's first word (is it a pronoun of ``ANAPHORA``?): these first
# characters hold it (the longest such word, "außerdem", has 8) without splitting the whole sentence.
FIRST_WORD_CHARS = 30
# A sentence starting with one of these leans on the sentence before it.
ANAPHORA = wordlist.words("anaphora")


def select(cands: list[Candidate], w: Weights, max_sentences: int) -> list[Candidate]:
    """The best sentence, the one before it when it starts with a pronoun, and a close runner-up."""
    if not cands:
        return []
    best = cands[0]
    chosen = [best]
    first = words(best.text[:FIRST_WORD_CHARS])
    if first and first[0] in ANAPHORA and best.idx > 0:
        a, b = best.passage.chunk.sentences[best.idx - 1]
        chosen.append(Candidate(best.passage, best.idx - 1, a, b, best.coverage, best.score))
    if best.window - best.coverage > w.neighbour_gap and len(chosen) < max_sentences:
        # the confidence counted the neighbours' words (see ``confidence``): quote the neighbour
        # that holds them, so the reader sees what the answer rests on
        near = [
            c for c in cands[1:]
            if c.passage.chunk.id == best.passage.chunk.id and abs(c.idx - best.idx) == 1 and c.coverage > 0
        ]
        if near and near[0].key not in {x.key for x in chosen}:
            chosen.append(near[0])
    if not best.typed and len(chosen) < max_sentences:
        # "Wann …?" answered by a sentence without a date: add the best one that has it, if it
        # is reasonably on topic (it usually stands right next to the best sentence)
        typed = [c for c in cands[1:] if c.typed and c.score >= w.typed_ratio * best.score]
        if typed and typed[0].key not in {x.key for x in chosen}:
            chosen.append(typed[0])
    repeats = 0
    for c in cands[1:]:
        if len(chosen) + repeats >= max_sentences:
            break
        if c.score < w.second_ratio * best.score:
            break
        if c.key in {x.key for x in chosen}:
            continue
        if any(c.terms <= x.terms for x in chosen):
            # the same sentence again (a teaser repeats the body), or a shorter version of one:
            # not quoted twice, and it takes its place rather than letting a weaker sentence in
            repeats += 1
            continue
        if best.narrow and c.narrow and c.coverage < best.coverage:
            continue  # a second, less fitting phone number or address would only confuse
        if best.narrow and not c.narrow:
            # the question wants a number or address and the best sentence is that entry: a
            # sentence around it adds nothing to check (seed citation precision 0.595 -> 0.606)
            continue
        chosen.append(c)
    return [chosen[k] for k in reading_order(chosen)]


def citations(chosen: list[Candidate]) -> list[Citation]:
    """One citation per run of adjacent sentences: a pronoun sentence and its antecedent, or a
    best sentence and its typed neighbour, are one quote that a reader checks in one place."""
    runs: list[list[Candidate]] = []
    for c in chosen:
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and last.passage.chunk.id == c.passage.chunk.id
            and c.idx == last.idx + 1
        ):
            runs[-1].append(c)
        else:
            runs.append([c])
    out = []
    for n, run in enumerate(runs, start=1):
        ch = run[0].passage.chunk
        a, b = run[0].a, run[-1].b
        out.append(
            Citation(
                n=n,
                doc_id=ch.doc.doc_id,
                title=ch.doc.title,
                source=ch.doc.source,
                url=ch.doc.url,
                date=ch.doc.date,
                publisher=ch.doc.publisher,
                quote=ch.text[a:b],
                start=ch.start + a,
                end=ch.start + b,
                score=max(c.score for c in run),
                chunk_id=ch.id,
                passage=ch.text,
                passage_start=ch.start,
                page=ch.page,
            )
        )
    return out


def synonym_words(question: str, chosen: Sequence[Candidate]) -> list[tuple[str, str]]:
    """The synonym matches of the quoted sentences as the words staff read: ("Pressearbeit",
    "Öffentlichkeitsarbeit") rather than the stems ("pressearbeit", "offentlichkeitsarbeit")."""

    def surface(text: str, term: str) -> str:
        return next((w for w in _WORD_CASED.findall(text) if stem(w.lower()) == term), term)

    out: list[tuple[str, str]] = []
    for c in chosen:
        for t, s in c.synonyms:
            pair = (surface(question, t), surface(c.text, s))
            if pair not in out:
                out.append(pair)
    return out


_WORD_CASED = re.compile(r"\w+")


def weighed(cands: Sequence[Candidate], scorer: str, n: int = 3) -> list[Weighed]:
    """The ``n`` best of ``cands`` by score, as staff see them (``Answer.weighed``)."""
    best = sorted(cands, key=lambda c: -c.score)[:n]
    return [
        Weighed(c.text, c.passage.chunk.doc.doc_id, c.passage.chunk.doc.title, c.passage.chunk.id,
                c.passage.chunk.start + c.a, c.passage.chunk.start + c.b, float(c.score), scorer)
        for c in best
    ]  # fmt: skip
