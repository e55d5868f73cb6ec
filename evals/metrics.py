"""Scoring of one evaluation run: text matching, per-question rows and aggregate metrics.

Everything here is a pure function over typed records (``EvalItem`` in, ``EvalRow`` and a metrics
dict out), so it is unit-tested with hand-made ``Answer`` objects and no model.

Matching is done on *normalised* text (see ``normalize``): the gold data was written by people
from the raw files, the assistant quotes the cleaned text, and the two differ in typography
(„…“ vs "…", – vs -), number formatting (95.000 vs 95 000) and case.

The metric keys below are a contract: the lead's threshold tests and ``compare`` read them.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from typing import Any

from assistant.records import Answer, Citation, Passage

# --------------------------------------------------------------------------------------------
# Typed records
# --------------------------------------------------------------------------------------------


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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


FAILURE_RETRIEVAL = "retrieval miss"
FAILURE_SENTENCE = "wrong sentence"
FAILURE_FALSE_ABSTENTION = "false abstention"
FAILURE_ANSWERED_UNANSWERABLE = "answered unanswerable"
FAILURE_CITATION = "citation off-evidence"

# --------------------------------------------------------------------------------------------
# Normalisation and matching
# --------------------------------------------------------------------------------------------

_QUOTES = str.maketrans(
    {
        **{c: '"' for c in "„“”‟«»〞〟＂″"},
        **{c: "'" for c in "‚‘’‛‹›′`´"},
        **{c: "-" for c in "‐‑‒–—―−﹘﹣－"},
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)
# A thousands separator: one of . , ' or a space between a digit and exactly three digits.
_THOUSANDS = re.compile(r"(?<=\d)[.,' ](?=\d{3}(?!\d))")
# A phone number: starts with 0 or +, digits with spaces, hyphens, slashes or brackets between.
_PHONE = re.compile(r"(?<![\w+])(?:\+|\(?0)[\d ()/-]*\d")
_SPACE = re.compile(r"\s+")


def _join_phone(m: re.Match[str]) -> str:
    digits = re.sub(r"[^\d+]", "", m.group(0))
    # Fewer than 6 digits is a count or a date part ("0 bis 5"), not a phone number.
    return digits if sum(ch.isdigit() for ch in digits) >= 6 else m.group(0)


def normalize(text: str) -> str:
    """Text reduced to what matters for matching answers against gold strings.

    Case-folded (so ß = ss), NFKC (non-breaking and narrow spaces become spaces), typographic
    quotes and dashes mapped to ASCII, whitespace collapsed, thousands separators removed
    (95.000 = 95 000 = 95,000 = 95000) and phone numbers written as bare digits
    ("0211 837-2000" = "0211 8372000"). A decimal comma ("3,5") is left alone.
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    text = _SPACE.sub(" ", text).strip()
    text = _PHONE.sub(_join_phone, text)  # first, so a phone number's groups are not read as thousands
    text = _THOUSANDS.sub("", text)
    return text


def _strip_edges(text: str) -> str:
    # Gold strings sometimes end with a full stop or sit in quotes; the match should not depend on it.
    return text.strip(" .,;:!?\"'()")


def contains(haystack: str, needle: str) -> bool:
    """Whether normalised ``needle`` occurs in normalised ``haystack`` as whole words.

    Whole words, so that gold "5" is not found in "15" and "Rat" not in "Ratten"; an empty
    needle is never contained.
    """
    n = _strip_edges(normalize(needle))
    if not n:
        return False
    h = normalize(haystack)
    left = r"(?<!\w)" if n[0].isalnum() else ""
    right = r"(?!\w)" if n[-1].isalnum() else ""
    return re.search(left + re.escape(n) + right, h) is not None


def overlaps(text: str, evidence: str, min_share: float = 0.5) -> bool:
    """Whether ``text`` holds the gold ``evidence``, allowing for different sentence cuts.

    True when one contains the other (normalised), or when their longest common substring covers
    at least ``min_share`` of the evidence's normalised characters. A text inside the evidence must
    not be a mere fragment ("Euro"): it needs 20 characters or ``min_share`` of the evidence.
    """
    t, e = _strip_edges(normalize(text)), _strip_edges(normalize(evidence))
    if not t or not e:
        return False
    if e in t or (t in e and len(t) >= min(20, min_share * len(e))):
        return True
    m = SequenceMatcher(None, t, e, autojunk=False).find_longest_match(0, len(t), 0, len(e))
    return m.size >= min_share * len(e)


def contains_any(text: str, needles: Iterable[str]) -> bool:
    return any(contains(text, n) for n in needles)


# --------------------------------------------------------------------------------------------
# Per-question scoring
# --------------------------------------------------------------------------------------------


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
    )


# --------------------------------------------------------------------------------------------
# Aggregates
# --------------------------------------------------------------------------------------------


def _share(num: int, den: int) -> float | None:
    # None, not 0 or 1, when there is nothing to measure: a metric of an empty set is undefined.
    return num / den if den else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0–100) with linear interpolation, as numpy's default."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def retrieval_metrics(rows: Sequence[EvalRow]) -> dict[str, Any]:
    """Passage-level recall@1/@5 and MRR@10 over answerable rows, plus document-level recall@1/@5."""
    ans = [r for r in rows if r.answerable]
    ranks = [r.retrieval_rank for r in ans]
    dranks = [r.doc_rank for r in ans]
    n = len(ans)
    return {
        "n": n,
        "recall@1": _share(sum(1 for x in ranks if x is not None and x <= 1), n),
        "recall@5": _share(sum(1 for x in ranks if x is not None and x <= 5), n),
        "recall@10": _share(sum(1 for x in ranks if x is not None), n),
        "mrr@10": (sum(1 / x for x in ranks if x is not None) / n) if n else None,
        "doc_recall@1": _share(sum(1 for x in dranks if x is not None and x <= 1), n),
        "doc_recall@5": _share(sum(1 for x in dranks if x is not None and x <= 5), n),
        "doc_mrr@10": (sum(1 / x for x in dranks if x is not None) / n) if n else None,
    }


def abstention_metrics(rows: Sequence[EvalRow]) -> dict[str, Any]:
    """Abstaining treated as predicting "unanswerable": precision, recall and the false-abstention rate."""
    unans = [r for r in rows if not r.answerable]
    ans = [r for r in rows if r.answerable]
    abstained = [r for r in rows if r.abstained]
    return {
        "precision": _share(sum(1 for r in abstained if not r.answerable), len(abstained)),
        "recall": _share(sum(1 for r in unans if r.abstained), len(unans)),
        "false_abstention_rate": _share(sum(1 for r in ans if r.abstained), len(ans)),
        "confusion": {
            "answerable_answered": sum(1 for r in ans if not r.abstained),
            "answerable_abstained": sum(1 for r in ans if r.abstained),
            "unanswerable_answered": sum(1 for r in unans if not r.abstained),
            "unanswerable_abstained": sum(1 for r in unans if r.abstained),
        },
        # why the answerer abstained ("low confidence", "detail", "kind"), over all abstentions
        "by_basis": _count(r.basis.split(":")[0] or "?" for r in abstained),
    }


def _count(keys) -> dict[str, int]:
    """How often each key occurs, most frequent first (ties in order of first occurrence)."""
    out: dict[str, int] = {}
    for k in keys:
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def citation_metrics(rows: Sequence[EvalRow]) -> dict[str, float | None]:
    """Precision over all citations of answered answerable questions; recall over answerable questions.

    Answered *unanswerable* questions are left out of the precision: answering them at all is
    already counted by the abstention precision, and counting it twice would blur which stage failed.
    """
    ans = [r for r in rows if r.answerable]
    cited = [c for r in ans if not r.abstained for c in r.citations]
    return {
        "citation_precision": _share(sum(1 for c in cited if c.on_evidence), len(cited)),
        "citation_recall": _share(sum(1 for r in ans if r.citation_ok), len(ans)),
        # looser than citation_recall: some citation comes from a gold document at all (on a SQuAD
        # file, the gold paragraph), whether or not it overlaps the evidence sentence
        "citation_doc_recall": _share(
            sum(1 for r in ans if any(c.doc_id in r.gold.get("docs", ()) for c in r.citations)), len(ans)
        ),
    }


def latency_metrics(rows: Sequence[EvalRow]) -> dict[str, float | None]:
    xs = [r.latency_ms for r in rows]
    return {
        "p50": percentile(xs, 50),
        "p95": percentile(xs, 95),
        "mean": (sum(xs) / len(xs)) if xs else None,
        "max": max(xs) if xs else None,
    }


def _group_metrics(rows: Sequence[EvalRow]) -> dict[str, Any]:
    ans = [r for r in rows if r.answerable]
    retrieval = retrieval_metrics(rows)
    abst = abstention_metrics(rows)
    return {
        "n": len(rows),
        "answerable": len(ans),
        "accuracy": _share(sum(1 for r in rows if r.correct), len(rows)),
        "passed": _share(sum(1 for r in rows if not r.failure), len(rows)),
        "answer_correctness": _share(sum(1 for r in ans if r.correct), len(ans)),
        **citation_metrics(rows),
        "recall@1": retrieval["recall@1"],
        "recall@5": retrieval["recall@5"],
        "mrr@10": retrieval["mrr@10"],
        "abstention_recall": abst["recall"],
        "false_abstention_rate": abst["false_abstention_rate"],
    }


def summarize(rows: Sequence[EvalRow]) -> dict[str, Any]:
    """All metrics of a run. Stable keys (read by tests and ``compare``):

    answer_correctness, citation_precision, citation_recall, citation_doc_recall, retrieval.{recall@1, recall@5, mrr@10},
    abstention.{precision, recall, false_abstention_rate}, latency_ms.{p50, p95}, per_category.
    A metric over an empty set (e.g. abstention recall without unanswerable items) is None.
    """
    ans = [r for r in rows if r.answerable]
    groups: dict[str, list[EvalRow]] = {}
    for r in rows:
        for g in r.groups:
            groups.setdefault(g, []).append(r)
    return {
        "n": len(rows),
        "answerable": len(ans),
        "unanswerable": len(rows) - len(ans),
        "answer_correctness": _share(sum(1 for r in ans if r.correct), len(ans)),
        "accuracy": _share(sum(1 for r in rows if r.correct), len(rows)),
        "passed": _share(sum(1 for r in rows if not r.failure), len(rows)),
        **citation_metrics(rows),
        "retrieval": retrieval_metrics(rows),
        "abstention": abstention_metrics(rows),
        "latency_ms": latency_metrics(rows),
        "failures": _count(r.failure for r in rows if r.failure),
        "errors": sum(1 for r in rows if r.error),
        "per_category": {g: _group_metrics(rs) for g, rs in sorted(groups.items())},
    }


# Metrics ``compare`` checks against a baseline: dotted path -> True when higher is better.
# Latency is left out: it depends on the machine, not on the change under test.
COMPARED_METRICS: dict[str, bool] = {
    "answer_correctness": True,
    "citation_precision": True,
    "citation_recall": True,
    "citation_doc_recall": True,
    "retrieval.recall@1": True,
    "retrieval.recall@5": True,
    "retrieval.mrr@10": True,
    "abstention.precision": True,
    "abstention.recall": True,
    "abstention.false_abstention_rate": False,
}


def metric_at(metrics: dict[str, Any], dotted: str) -> Any:
    """``metric_at(m, "retrieval.recall@1") == m["retrieval"]["recall@1"]``; None when absent."""
    node: Any = metrics
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node
