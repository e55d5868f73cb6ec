"""Questions about a source document itself: its headline, who issued it, when.

"Wie lautet die Überschrift der Meldung …?", "Welches Ministerium hat die Meldung herausgegeben?",
"Von welcher Website stammt die Meldung?" ask for what the document's metadata (sidecar
``.meta.json`` or its first line and date) holds, not for a sentence about the topic; the words of
such a question barely occur in the text, so the sentence scorer abstains or quotes the wrong
sentence. Here the answer states the metadata field and quotes the line of the document that shows
it (the headline, the "Quelle: …" line, the ministry's name above the text); without such a line it
quotes the document's first line, the place a reader checks the source by.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from . import wordlist
from .records import Chunk, DocMeta
from .text import content_terms, format_date

_DOC_WORDS = "(" + wordlist.alternation("document-words") + r")\w*"
_DOC = re.compile(r"\b" + _DOC_WORDS, re.I)
# "… der Artikel, auf dem das Diagramm beruhte" is an article the text talks about, not the document
_DESCRIBED = re.compile(
    r"\b" + _DOC_WORDS + r"[^,?]*,\s*(auf|in|von|mit|an|bei|zu|für|über|aus|on|in|by|of)?\s*"
    r"(dem|der|den|die|das|denen|deren|dessen|welche\w*|which|that|whom)\b",
    re.I,
)
_KINDS = (  # checked in this order: "Wann wurde die Meldung veröffentlicht?" asks for a date
    (
        "date",
        re.compile(
            r"\b(wann|datum|when|date|an\s+welchem\s+tag)\b.*\b(veröffentlicht|erschienen|herausgegeben|datiert|published|issued|dated)\b|"
            r"\b(datum|date)\s+(der|des|dieser|dieses|of\s+the|of\s+this)\s",
            re.I,
        ),
    ),
    (
        "title",
        re.compile(
            r"\b(wie|was)\s+(lautet|heißt|ist|war)\s+(die|der|das)\s+(überschrift|titel|schlagzeile)|"
            r"\bwelche[nrs]?\s+(überschrift|titel|schlagzeile)|\bwhat\s+(is|was)\s+the\s+(headline|title)",
            re.I,
        ),
    ),
    (
        "publisher",
        re.compile(
            r"\b(wer|von\s+wem|who)\b.*\b(herausgegeben|herausgeber\w*|veröffentlicht|verfasst|geschrieben|"
            r"published|publisher|issued|wrote|written)\b|"
            r"\bwelche\w*\s+(ministerium|ressort|behörde|stelle|institution|organisation|website|webseite|"
            r"internetseite|seite|quelle|herausgeber\w*)\b.*\b(herausgegeben|veröffentlicht|verfasst|stammt|stammen)\b|"
            r"\b(von|aus)\s+welche\w*\s+(website|webseite|internetseite|seite|quelle)\b|"
            r"\bwhich\s+(ministry|office|website|site|organi[sz]ation|source|publisher)\b.*\b(published|issued|wrote|from)\b",
            re.I,
        ),
    ),
)


def asks_about_document(question: str) -> str | None:
    """"title", "publisher" or "date" when the question asks for that of a document; else None."""
    if not _DOC.search(question) or _DESCRIBED.search(question):
        return None
    for kind, pattern in _KINDS:
        if pattern.search(question):
            return kind
    return None


def _value(doc: DocMeta, kind: str) -> str:
    return {"title": doc.title, "publisher": doc.publisher, "date": doc.date}[kind]


def _overlap(line: str, value_terms: set[str]) -> float:
    """F1 of the content words of a line and of a metadata value (the line shows the value)."""
    a, b = set(content_terms(line)), value_terms
    common = len(a & b)
    if not common:
        return 0.0
    p, r = common / len(a), common / len(b)
    return 2 * p * r / (p + r)


def find_line(doc: DocMeta, kind: str, chunks: Sequence[Chunk]) -> tuple[Chunk, int] | None:
    """The sentence (chunk, index) of the document that shows its ``kind`` field; the first line
    when none does; None when the document has no such field."""
    value = _value(doc, kind)
    if not value or not chunks:
        return None
    if kind == "date":
        shown = format_date(value)
        for ch in chunks:
            for i, (a, b) in enumerate(ch.sentences):
                if shown and shown in ch.text[a:b]:
                    return ch, i
    else:
        best, where = 0.0, None
        value_terms = set(content_terms(value))
        for ch in chunks:
            for i, (a, b) in enumerate(ch.sentences):
                score = _overlap(ch.text[a:b], value_terms)
                if score > best:
                    best, where = score, (ch, i)
        if where is not None and best >= 0.5:
            return where
    first = min(chunks, key=lambda c: c.index)
    return first, 0


_STATE = {
    ("de", "title"): "Die Überschrift lautet: „{value}“.",
    ("de", "publisher"): "Herausgegeben von: {value}.",
    ("de", "date"): "Veröffentlicht am {value}.",
    ("en", "title"): "The headline is: “{value}”.",
    ("en", "publisher"): "Published by: {value}.",
    ("en", "date"): "Published on {value}.",
}


def statement(doc: DocMeta, kind: str, lang: str) -> str:
    """The metadata field as a sentence in the user's language ("Herausgegeben von: …")."""
    value = _value(doc, kind)
    if kind == "date":
        value = format_date(value) if lang == "de" else value[:10]
    return _STATE[(lang if lang == "en" else "de", kind)].format(value=value)


__all__ = ["asks_about_document", "find_line", "statement"]
