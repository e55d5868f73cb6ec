"""The metrics of one evaluation run: aggregates over its scored rows (``scoring.EvalRow``).

Pure functions, unit-tested with hand-made rows and no model. The metric keys below are a
contract: the lead's threshold tests and ``compare`` read them.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .matching import word_f1
from .scoring import EvalRow, basis_kind
from .stats import wilson


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
        "by_basis": _count(basis_kind(r.basis) or "?" for r in abstained),
        # answerable questions abstained on whose best-rated sentence held the answer: a threshold
        # let them go (the rest the scorer did not find, or retrieval did not bring)
        "near_misses": sum(1 for r in ans if r.abstained and r.best_sentence_right),
    }


def intervals(rows: Sequence[EvalRow]) -> dict[str, list[float] | None]:
    """95% intervals (Wilson) of the shares the product's targets are set on, by their dotted keys:
    on a set of 43 answerable questions one question is 2.3 points, and the interval says how far
    the share may be from the one a larger set of the same kind would give."""
    ans = [r for r in rows if r.answerable]
    unans = [r for r in rows if not r.answerable]
    counts = {
        "answer_correctness": (sum(1 for r in ans if r.correct), len(ans)),
        "abstention.recall": (sum(1 for r in unans if r.abstained), len(unans)),
        "abstention.false_abstention_rate": (sum(1 for r in ans if r.abstained), len(ans)),
    }
    return {key: (list(ci) if (ci := wilson(k, n)) else None) for key, (k, n) in counts.items()}


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


def short_metrics(rows: Sequence[EvalRow]) -> dict[str, float | None]:
    """Short answers: the share of right answers that show one, and how well those agree with the
    gold answers (mean of the best word F1; 1.0 = word for word a gold answer)."""
    right = [r for r in rows if r.answerable and r.correct]
    shown = [r for r in right if r.short]
    f1 = [max((word_f1(r.short, g) for g in r.gold.get("answers", ())), default=0.0) for r in shown]
    return {"shown": _share(len(shown), len(right)), "f1": (sum(f1) / len(f1)) if f1 else None}


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
    abstention.{precision, recall, false_abstention_rate}, latency_ms.{p50, p95}, per_category,
    intervals (95% intervals of correctness, abstention recall and false abstentions).
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
        "short_answers": short_metrics(rows),
        "failures": _count(r.failure for r in rows if r.failure),
        "errors": sum(1 for r in rows if r.error),
        "per_category": {g: _group_metrics(rs) for g, rs in sorted(groups.items())},
        "intervals": intervals(rows),
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
