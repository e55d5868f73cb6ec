"""``report.md``, for the terminal and pull requests: the metrics, per category, and the first
failed questions."""
from __future__ import annotations

from collections.abc import Sequence

from .baseline import Regression
from .report_format import abstention_bases, fmt, fmt_ci, fmt_ms, one_line, report_title
from .run import Report

MD_FAILURES_SHOWN = 25


def _md_cell(text: str) -> str:
    # A pipe would end the table cell.
    return text.replace("|", "\\|")


def render_markdown(
    report: Report,
    regressions: Sequence[Regression] | None = None,
    warnings: Sequence[str] = (),
    changes: Sequence[str] = (),
) -> str:
    """The summary for the terminal: metrics, per category, and the first failed questions."""
    out = (
        _summary(report)
        + _notes(report, regressions, warnings, changes)
        + _per_category(report.metrics)
        + _failed(report)
    )
    return "\n".join(out) + "\n"


def _summary(report: Report) -> list[str]:
    """The title, what was run on what, and the metrics table."""
    m, meta = report.metrics, report.meta
    r, lat = m["retrieval"], m["latency_ms"]
    return [
        f"# {report_title(report)}",
        "",
        f"{m['n']} Fragen ({m['answerable']} beantwortbar, {m['unanswerable']} nicht beantwortbar) · "
        f"{meta.get('documents', '?')} Dokumente · Index: {meta.get('index', '?')} · "
        f"Embedder {meta.get('settings', {}).get('embedder', '?')} · "
        f"Thesaurus: {meta.get('settings', {}).get('thesaurus', '?')} · "
        f"Wörterbuch: {meta.get('settings', {}).get('dictionary', '?')} · "
        f"Lesemodell: {meta.get('settings', {}).get('reader', '?')} · {meta.get('duration_s', '?')} s",
        "",
        "| Kennzahl | Wert (95-%-Intervall) |",
        "|---|---|",
        f"| Antwort korrekt (`answer_correctness`) | {fmt_ci(m, 'answer_correctness')} |",
        f"| Zitat-Präzision / -Recall | {fmt(m['citation_precision'])} / {fmt(m['citation_recall'])} |",
        f"| Zitat aus dem Gold-Dokument (`citation_doc_recall`) | {fmt(m.get('citation_doc_recall'))} |",
        f"| Retrieval recall@1 / @5 / MRR@10 (Abschnitt mit Beleg) | "
        f"{fmt(r['recall@1'])} / {fmt(r['recall@5'])} / {fmt(r['mrr@10'])} |",
        f"| Retrieval recall@1 / @5 / MRR@10 (Dokument) | "
        f"{fmt(r['doc_recall@1'])} / {fmt(r['doc_recall@5'])} / {fmt(r['doc_mrr@10'])} |",
        f"| Enthaltung Präzision / Recall | {fmt(m['abstention']['precision'])} / {fmt_ci(m, 'abstention.recall')} |",
        f"| Falsche Enthaltungen (`false_abstention_rate`) | {fmt_ci(m, 'abstention.false_abstention_rate')} |",
        f"| Gesamt richtig (inkl. Enthaltungen) / bestanden | {fmt(m['accuracy'])} / {fmt(m['passed'])} |",
        f"| Kurzantwort bei richtigen Antworten / Wort-F1 zur Gold-Antwort | "
        f"{fmt(m.get('short_answers', {}).get('shown'))} / {fmt(m.get('short_answers', {}).get('f1'))} |",
        f"| Latenz p50 / p95 | {fmt_ms(lat['p50'])} / {fmt_ms(lat['p95'])} |",
        "",
    ]


def _notes(
    report: Report, regressions: Sequence[Regression] | None, warnings: Sequence[str], changes: Sequence[str]
) -> list[str]:
    """What to look at first: missing gold documents, errors, failure causes, abstention reasons,
    and the comparison with the baseline."""
    m, meta = report.metrics, report.meta
    out: list[str] = []
    if meta.get("missing_gold_docs"):
        out += [f"**Achtung:** Gold-Dokumente fehlen im Index: {', '.join(meta['missing_gold_docs'])}", ""]
    if differ := meta.get("packages", {}).get("differ"):
        out += [f"**Achtung:** Paketversionen weichen von constraints.txt ab, die Zahlen sind nicht die der README: "
                f"{', '.join(differ)}", ""]
    if m.get("errors"):
        out += [f"**Achtung:** {m['errors']} Fragen endeten mit einer Fehlermeldung (siehe `error` in report.json).", ""]
    if m["failures"]:
        out += ["Fehlerursachen: " + ", ".join(f"{k} {v}" for k, v in m["failures"].items()), ""]
    if m["abstention"].get("by_basis"):
        out += ["Enthaltungen nach Grund: " + abstention_bases(m), ""]
    if m["abstention"].get("near_misses"):
        out += [f"Falsche Enthaltungen, deren bestbewerteter Satz die Antwort enthielt: {m['abstention']['near_misses']} "
                f"von {m['abstention']['confusion']['answerable_abstained']}", ""]
    if regressions is not None:
        if regressions:
            out += ["## Regressionen gegenüber der Baseline", ""] + [f"- {x.describe()}" for x in regressions] + [""]
        else:
            out += ["Keine Regression gegenüber der Baseline.", ""]
    if changes:
        out += ["Geänderte Fragen gegenüber der Baseline:", ""] + [f"- {c}" for c in changes] + [""]
    if warnings:
        out += ["**Vergleich mit Vorsicht lesen:**", ""] + [f"- {w}" for w in warnings] + [""]
    return out


def _per_category(m: dict) -> list[str]:
    out = [
        "## Nach Kategorie",
        "",
        "| Kategorie | n | richtig | Antwort korrekt | recall@5 | Zitat-Recall | Enthaltung Recall | falsche Enth. |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for cat, g in m["per_category"].items():
        out.append(
            f"| {_md_cell(cat)} | {g['n']} | {fmt(g['accuracy'], 2)} | {fmt(g['answer_correctness'], 2)} | "
            f"{fmt(g['recall@5'], 2)} | {fmt(g['citation_recall'], 2)} | {fmt(g['abstention_recall'], 2)} | "
            f"{fmt(g['false_abstention_rate'], 2)} |"
        )
    return out


def _failed(report: Report) -> list[str]:
    """The first MD_FAILURES_SHOWN failed questions (all of them are in report.html)."""
    failed = report.failed
    if not failed:
        return []
    shown = failed[:MD_FAILURES_SHOWN]
    out = [
        "",
        f"## Fehlgeschlagene Fragen ({len(shown)} von {len(failed)}; alle in report.html)",
        "",
        "| id | Kategorie | Ursache | Rang | Frage | Antwort |",
        "|---|---|---|---:|---|---|",
    ]
    for row in shown:
        answer = f"(enthalten: {row.basis})" if row.abstained else one_line(row.answer, 90)
        out.append(
            f"| {_md_cell(row.id)} | {_md_cell(row.category)} | {row.failure} | {row.retrieval_rank or '–'} | "
            f"{_md_cell(one_line(row.question, 80))} | {_md_cell(answer)} |"
        )
    return out
