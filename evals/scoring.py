"""Scoring one question: the typed records of an evaluation (``EvalItem`` in, ``EvalRow`` out) and
the per-question checks — retrieval rank, answer, citations — with the failure named root cause
first.

Pure functions over typed records, so they are unit-tested with hand-made ``Answer`` objects and
no model; the aggregates over a run are in ``metrics.py``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.records import Answer, Citation, Passage

from .matching import contains_any, overlaps


@dataclass(frozen=True)
class EvalItem:
    """One question of an evaluation set (the format of ``evals/seed_questions.jsonl``)."""

    id: str
    question: str
    answerable: bool
    gold_answers: tuple[str, ...] = ()
    gold_docs: tuple[str, ...] = ()  # gold_doc first, then the rest of gold_docs
    gold_evidence: str = ""
    category: str = "general"
    lang: str = "de"
    history: tuple[tuple[str, str], ...] = ()  # (question, answer) of previous turns

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvalItem:
        """Read an item; a missing required field is named in the error."""
        for key in ("id", "question", "answerable"):
            if key not in data:
                raise ValueError(f"Eval item {data.get('id', '?')!r} has no {key!r} field: {data!r:.200}")
        docs: list[str] = []
        for d in [data.get("gold_doc", ""), *data.get("gold_docs", [])]:
            if d and d not in docs:
                docs.append(d)
        history = tuple((h.get("question", ""), h.get("answer", "")) for h in data.get("history", []))
        return cls(
            id=str(data["id"]),
            question=data["question"],
            answerable=bool(data["answerable"]),
            gold_answers=tuple(a for a in data.get("gold_answers", []) if a.strip()),
            gold_docs=tuple(docs),
            gold_evidence=data.get("gold_evidence", "") or "",
            category=data.get("category", "general") or "general",
            lang=data.get("lang", "de") or "de",
            history=history,
        )

    @property
    def groups(self) -> list[str]:
        """The per-category groups the item counts in: its category, plus "english" for lang en."""
        groups = [self.category]
        if self.lang == "en" and "english" not in groups:
            groups.append("english")
        return groups


@dataclass(frozen=True)
class CitationResult:
    n: int
    doc_id: str
    quote: str
    on_evidence: bool


@dataclass(frozen=True)
class EvalRow:
    """The scored outcome of one question; ``failure`` is "" for a passed question."""

    id: str
    category: str
    lang: str
    question: str
    history: list[list[str]]
    answerable: bool
    abstained: bool
    answer: str
    citations: list[CitationResult]
    gold: dict[str, Any]  # answers, docs, evidence
    retrieval_rank: int | None  # 1-based rank of the first passage holding the evidence (top 10)
    doc_rank: int | None  # 1-based rank of the first passage from a gold document
    correct: bool  # answerable: gold answer in the answer; unanswerable: abstained
    citation_ok: bool  # at least one citation on the gold evidence (answerable only)
    failure: str
    latency_ms: float
    groups: list[str] = field(default_factory=list)
    error: str = ""  # the message of an AssistantError that ask() raised for this question
    basis: str = ""  # how the answerer decided (Answer.basis), with its detail: "detail: 2015"
    scorer: str = ""  # "reader" or "lexical" (Answer.scorer)
    confidence: float = 0.0  # the answerer's confidence; the reader's calibrated probability
    short: str = ""  # the short answer shown above the quotes (Answer.short), "" when none
    # the sentence the deciding scorer rated best (Answer.weighed), and whether it holds a gold
    # answer: for an abstention, whether answering would have been right (threshold replays)
    best_sentence: str = ""
    best_sentence_right: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


FAILURE_RETRIEVAL = "retrieval miss"
FAILURE_SENTENCE = "wrong sentence"
FAILURE_FALSE_ABSTENTION = "false abstention"
FAILURE_ANSWERED_UNANSWERABLE = "answered unanswerable"
FAILURE_CITATION = "citation off-evidence"


def basis_kind(basis: str | None) -> str:
    """How the answerer decided, without its detail: "detail: 2015" → "detail" (``EvalRow.basis``)."""
    return (basis or "").split(":")[0]


def holds_evidence(passage: Passage, item: EvalItem) -> bool:
    """A retrieved passage holds the evidence: it is from a gold document and contains the
    evidence (or a gold answer) or overlaps the evidence."""
    if passage.chunk.doc.doc_id not in item.gold_docs:
        return False
    text = passage.chunk.text
    if item.gold_evidence and overlaps(text, item.gold_evidence):
        return True
    return contains_any(text, item.gold_answers)


def retrieval_rank(passages: Sequence[Passage], item: EvalItem, k: int = 10) -> int | None:
    """1-based rank of the first of the top ``k`` passages holding the evidence, else None."""
    for rank, p in enumerate(passages[:k], start=1):
        if holds_evidence(p, item):
            return rank
    return None


def doc_rank(passages: Sequence[Passage], item: EvalItem, k: int = 10) -> int | None:
    """1-based rank of the first of the top ``k`` passages from a gold document, else None.

    Comparable to paragraph-level benchmark numbers, where a "document" is one paragraph.
    """
    for rank, p in enumerate(passages[:k], start=1):
        if p.chunk.doc.doc_id in item.gold_docs:
            return rank
    return None


def answer_correct(answer: Answer, item: EvalItem) -> bool:
    """A gold answer appears (normalised, as whole words) in the answer text, which is not an abstention."""
    return not answer.abstained and contains_any(answer.answer, item.gold_answers)


def citation_on_evidence(citation: Citation, item: EvalItem) -> bool:
    """The cited quote is from a gold document and overlaps the gold evidence or holds a gold answer."""
    if citation.doc_id not in item.gold_docs:
        return False
    if item.gold_evidence and overlaps(citation.quote, item.gold_evidence):
        return True
    return contains_any(citation.quote, item.gold_answers)


def score(item: EvalItem, answer: Answer, error: str = "") -> EvalRow:
    """Score one answer against its item and name the first failure (root cause first)."""
    rank = retrieval_rank(answer.passages, item) if item.answerable else None
    best = answer.weighed[0].text if answer.weighed else ""
    drank = doc_rank(answer.passages, item) if item.answerable else None
    cits = [
        CitationResult(c.n, c.doc_id, c.quote, item.answerable and citation_on_evidence(c, item))
        for c in answer.citations
    ]
    if item.answerable:
        correct = answer_correct(answer, item)
        citation_ok = any(c.on_evidence for c in cits)
        if correct and citation_ok:
            failure = ""
        elif rank is None and not correct:
            failure = FAILURE_RETRIEVAL  # nothing to answer from: the answerer is not to blame
        elif answer.abstained:
            failure = FAILURE_FALSE_ABSTENTION
        elif not correct:
            failure = FAILURE_SENTENCE
        else:
            failure = FAILURE_CITATION
    else:
        correct = answer.abstained
        citation_ok = False
        failure = "" if correct else FAILURE_ANSWERED_UNANSWERABLE
    return EvalRow(
        id=item.id,
        category=item.category,
        lang=item.lang,
        question=item.question,
        history=[list(h) for h in item.history],
        answerable=item.answerable,
        abstained=answer.abstained,
        answer=answer.answer,
        citations=cits,
        gold={"answers": list(item.gold_answers), "docs": list(item.gold_docs), "evidence": item.gold_evidence},
        retrieval_rank=rank,
        doc_rank=drank,
        correct=correct,
        citation_ok=citation_ok,
        failure=failure,
        latency_ms=float(answer.timings_ms.get("total", 0.0)),
        groups=item.groups,
        error=error,
        basis=f"{answer.basis}: {answer.basis_detail}" if answer.basis_detail else answer.basis,
        scorer=answer.scorer,
        confidence=round(float(answer.confidence), 4),
        short=answer.short.text if answer.short is not None else "",
        best_sentence=best,
        best_sentence_right=item.answerable and bool(best) and contains_any(best, item.gold_answers),
    )
