"""Formatting shared by the Markdown and the HTML report: numbers, one-line texts, the title and
the reasons for abstaining, in the report's language (German, as the rest of the product)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .run import SEED_ITEMS, Report

# how the answerer decided to abstain (Answer.basis), in the report's language
_BASES = {
    "refused": "Frage nach dem Assistenten selbst",
    "low confidence": "zu geringe Übereinstimmung",
    "detail": "Angabe in keiner Quelle",
    "name": "Name nicht im zitierten Dokument",
    "kind": "gesuchte Angabe fehlt im Zitat",
}


def fmt(x: Any, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def fmt_ci(metrics: dict, key: str) -> str:
    """The share at ``key`` (dotted) with its 95% interval, "0.429 (0.29–0.58)", where the run
    recorded one (reports written before intervals were kept show the share alone)."""
    from .metrics import metric_at

    value, ci = metric_at(metrics, key), (metrics.get("intervals") or {}).get(key)
    return fmt(value) if value is None or not ci else f"{fmt(value)} ({ci[0]:.2f}–{ci[1]:.2f})"


def fmt_ms(x: Any) -> str:
    return "–" if x is None else f"{x:.0f} ms"


def one_line(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report_title(report: Report) -> str:
    m = report.meta
    source = Path(str(m.get("source", ""))).name
    if m.get("dataset") != "seed":
        what = f"SQuAD {source}"
    else:
        what = "Seed-Fragen" if source in ("", SEED_ITEMS.name) else f"{source} (Seed-Dokumente)"
    hold = f", Hold-out {m['holdout']}" if m.get("holdout") else ""
    return f"Evaluation: {what}{hold}"


def abstention_bases(m: dict) -> str:
    """The abstentions by reason, "reason count" each, most frequent first."""
    return ", ".join(f"{_BASES.get(k, k)} {v}" for k, v in m["abstention"].get("by_basis", {}).items())
