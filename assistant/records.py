"""Typed records passed between the stages. Every record carries its provenance.

A chunk knows its document and its character offsets into the *cleaned* document text; a citation
is rendered from those fields (never re-found by searching text), so that
``quote == cleaned_document_text[start:end]`` always holds.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class DocMeta:
    """What a source document says about itself (from its sidecar ``.meta.json`` or its text)."""

    doc_id: str
    title: str
    source: str  # path of the file as ingested, relative to the ingest root where possible
    url: str = ""
    date: str = ""  # ISO date where the document states one, else ""
    publisher: str = ""


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned slice ``cleaned_text[start:end]`` of one document."""

    id: str
    doc: DocMeta
    index: int  # position of the chunk in its document
    text: str
    start: int  # offset of text[0] in the cleaned document text
    end: int
    # sentence spans relative to ``text`` (from the ingest splitter, so the answerer never re-splits)
    sentences: tuple[tuple[int, int], ...] = ()
    page: int | None = None  # 1-based PDF page, None for other formats


def chunk_metadata(doc: dict[str, Any], index: int, start: int, end: int, sentences: Sequence[tuple[int, int]],
                   page: int) -> dict[str, Any]:  # fmt: skip
    """The metadata a chunk is stored with (the store takes flat scalars only): its document's
    fields, then its place in the cleaned text, sentence spans as "a-b;c-d", page -1 for none.
    ``chunk_from_record`` reads it back: the one place that knows this format on either side."""
    spans = ";".join(f"{a}-{b}" for a, b in sentences)
    return {**doc, "chunk_index": index, "start": start, "end": end, "sentences": spans, "page": page}


def chunk_from_record(chunk_id: str, text: str, meta: dict) -> Chunk:
    """A stored chunk (id, text, ``chunk_metadata``) as a ``Chunk``; missing fields get defaults."""
    sentences = tuple(
        (int(a), int(b)) for a, b in (part.split("-") for part in str(meta.get("sentences", "")).split(";") if part)
    )
    page = int(meta.get("page", -1))
    return Chunk(
        id=chunk_id,
        doc=DocMeta(
            doc_id=str(meta.get("doc_id", "")),
            title=str(meta.get("title", "")),
            source=str(meta.get("source", "")),
            url=str(meta.get("url", "")),
            date=str(meta.get("date", "")),
            publisher=str(meta.get("publisher", "")),
        ),
        index=int(meta.get("chunk_index", 0)),
        text=text,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", len(text))),
        sentences=sentences or ((0, len(text)),),
        page=page if page > 0 else None,
    )


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the ranks and scores of every retriever that found it (1-based ranks)."""

    chunk: Chunk
    fused_rank: int
    fused_score: float
    dense_rank: int | None = None
    dense_score: float | None = None
    bm25_rank: int | None = None
    bm25_score: float | None = None


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: the exact sentence quoted and where it sits."""

    n: int
    doc_id: str
    title: str
    source: str
    url: str
    date: str
    publisher: str
    quote: str
    start: int  # offsets into the cleaned document text: quote == text[start:end]
    end: int
    score: float
    chunk_id: str
    passage: str  # the whole chunk text, for showing the quote in context
    passage_start: int  # offset of ``passage`` in the cleaned document text
    page: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Turn:
    """A previous exchange of the conversation, used to understand follow-up questions."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class ShortAnswer:
    """The words of a quoted sentence that answer the question ("95.000 Euro"), marked by the
    span model (read/span.py): ``text == document text[start:end]``, inside citation ``n``."""

    text: str
    n: int
    start: int  # offsets into the cleaned document text, as a citation's
    end: int
    probability: float


@dataclass(frozen=True)
class Weighed:
    """A sentence the deciding scorer rated among the best, for staff: how close an abstention
    came, and what an answer's quotes beat. ``text`` is the document's text at ``start:end``."""

    text: str
    doc_id: str
    title: str
    chunk_id: str
    start: int  # offsets into the cleaned document text, as a citation's
    end: int
    score: float  # the lexical scorer's sentence score, or the reader's calibrated probability
    scorer: str  # "lexical", or the reader's name


@dataclass
class Answer:
    """What the answerer returns for one question."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)  # everything retrieved, for staff
    timings_ms: dict[str, float] = field(default_factory=dict)
    language: str = "de"  # language of the question ("de" or "en")
    retrieval_query: str = ""  # the query actually searched (follow-ups include the previous turn)
    confidence: float = 0.0
    # How the answer was decided, for staff: "coverage" (the words of the question), "translation"
    # (the German translations of an English question's words, with the embedder's similarity),
    # "meaning" (the embedder's similarity of question and sentence), or why it abstained: "low confidence",
    # "detail" (a number or place of the question is in no source), "name" (a name of the question
    # is in none of the documents the answer would quote), "kind" (the amount, sum,
    # date, weekday, duration, phone number, e-mail or web address, language or party asked for
    # is in no quoted sentence, or "Welche …?" finds them only as "verschiedene …"),
    # "refused" (a question about the assistant's own set-up, not searched); "document" when a
    # question about a document itself was answered from its metadata (docinfo.py).
    basis: str = ""
    basis_detail: str = ""  # the missing detail or kind, e.g. "40." or "amount"
    # question word -> sentence word pairs that matched only as synonyms (thesaurus.py), or as
    # German translations of an English question's words (bilingual.py), for staff
    synonyms: list[tuple[str, str]] = field(default_factory=list)
    # Which scorer chose the sentences: "reader" (the trained cross-encoder, read/) or "lexical"
    # (word coverage, the fallback); ``scorer_note`` says why the reader was not used, for staff
    scorer: str = ""
    scorer_note: str = ""
    # the short answer above the quotes, where the span model is sure enough (None: none shown)
    short: ShortAnswer | None = None
    # an abstention's nearest documents (those of the best passages, at most three): the citizen
    # can read them for himself where the assistant found no answer, which on questions worded
    # unlike the text is most of its low-confidence abstentions. Their metadata only, no passage
    documents: list[DocMeta] = field(default_factory=list)
    # the sentences the scorer that decided rated best (at most three, best first), for staff:
    # the one an abstention came closest to quoting, the ones an answer's quotes beat
    weighed: list[Weighed] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of ``assistant ask --json``."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "basis": self.basis,
            "citations": [
                {
                    "n": c.n,
                    "doc_id": c.doc_id,
                    "title": c.title,
                    "source": c.source,
                    "url": c.url,
                    "date": c.date,
                    "publisher": c.publisher,
                    "quote": c.quote,
                    "start": c.start,
                    "end": c.end,
                    "score": round(c.score, 4),
                    "page": c.page,
                }
                for c in self.citations
            ],
            "short": None if self.short is None else {
                "text": self.short.text, "citation": self.short.n, "start": self.short.start, "end": self.short.end,
                "probability": round(self.short.probability, 4),
            },  # fmt: skip
            "documents": [
                {"doc_id": d.doc_id, "title": d.title, "url": d.url, "date": d.date, "publisher": d.publisher}
                for d in self.documents
            ],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
