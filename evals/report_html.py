"""``report.html``, for QA: one self-contained page (no network) with the metrics, the charts, the
failed questions first and then every question."""
from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .baseline import Regression
from .charts import svg_bars, svg_histogram
from .metrics import metric_at
from .report_format import abstention_bases, fmt, fmt_ci, fmt_ms, report_title
from .run import Report
from .scoring import EvalRow, basis_kind

# Labels shown to people (German, as the rest of the product); the keys stay English and stable.
MAIN_METRICS: list[tuple[str, str]] = [
    ("answer_correctness", "Antwort korrekt"),
    ("citation_precision", "Zitat-Präzision"),
    ("citation_recall", "Zitat-Recall"),
    ("citation_doc_recall", "Zitat aus Gold-Dokument"),
    ("retrieval.recall@1", "Retrieval recall@1"),
    ("retrieval.recall@5", "Retrieval recall@5"),
    ("retrieval.mrr@10", "Retrieval MRR@10"),
    ("abstention.precision", "Enthaltung Präzision"),
    ("abstention.recall", "Enthaltung Recall"),
    ("abstention.false_abstention_rate", "Falsche Enthaltungen"),  # lower is better
]

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1300px;color:#1a202c}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem}
th,td{border:1px solid #cbd5e0;padding:4px 8px;vertical-align:top;text-align:left;font-size:13px}
th{background:#edf2f7}
td.num{text-align:right}
tr.fail td{background:#fff5f5}
table.rows{width:100%;table-layout:fixed}
table.rows td{overflow-wrap:anywhere}
details summary{cursor:pointer}
.ok{color:#2f855a}.bad{color:#c53030}.muted{color:#718096}
.charts{display:flex;flex-wrap:wrap;gap:2rem}
.cm td{width:9rem;text-align:center;font-size:15px}
q{font-style:italic;quotes:none}
"""


def reliability_rows(rows: Sequence[EvalRow], bins: int = 5) -> list[tuple[str, float | None]]:
    """The reader's calibration on this set: per band of its probability (rows it scored, not
    refused or small talk), the share of questions that the documents answer. Bars near the band's
    middle mean the probability can be read as one."""
    from assistant.read.calibration import reliability

    scored = [r for r in rows if r.scorer == "reader" and basis_kind(r.basis) in ("reader", "low confidence", "kind", "name")]
    table = reliability([r.confidence for r in scored], [int(r.answerable) for r in scored], bins)
    return [(f"{t['bin']}: n={t['n']}, Ø {t['predicted']:.2f}", t["observed"]) for t in table]


def _confusion_html(conf: dict[str, int]) -> str:
    cells = [
        ("beantwortbar", conf["answerable_answered"], conf["answerable_abstained"], True),
        ("nicht beantwortbar", conf["unanswerable_answered"], conf["unanswerable_abstained"], False),
    ]
    total = max(1, sum(conf.values()))

    def cell(n: int, good: bool) -> str:
        alpha = 0.15 + 0.6 * n / total
        rgb = "47,133,90" if good else "197,48,48"
        return f'<td style="background:rgba({rgb},{alpha:.2f})">{n}</td>'

    rows = "".join(
        f"<tr><th>{label}</th>{cell(answered, is_ans)}{cell(abst, not is_ans)}</tr>"
        for label, answered, abst, is_ans in cells
    )
    return (
        '<table class="cm"><tr><th>Gold \\ Assistent</th><th>beantwortet</th><th>enthalten</th></tr>'
        f"{rows}</table>"
    )


def _citations_html(row: EvalRow) -> str:
    if not row.citations:
        return '<span class="muted">–</span>'
    items = []
    for c in row.citations:
        mark = '<span class="ok">✓</span>' if c.on_evidence else '<span class="bad">✗</span>'
        items.append(f"{mark} [{c.n}] <code>{escape(c.doc_id)}</code>: <q>{escape(c.quote)}</q>")
    return "<br>".join(items)


def _row_html(row: EvalRow) -> str:
    status = f'<span class="bad">{escape(row.failure)}</span>' if row.failure else '<span class="ok">ok</span>'
    history = "".join(f'<div class="muted">vorher: {escape(q)}</div>' for q, _ in row.history)
    if row.abstained:  # the abstention text is long and alike for every row: folded away
        answer = f'<details><summary class="muted">(enthalten: {escape(row.basis)})</summary>{escape(row.answer)}</details>'
    else:
        answer = escape(row.answer)
    if row.error:
        answer += f'<div class="bad">{escape(row.error)}</div>'
    gold = "; ".join(escape(a) for a in row.gold["answers"]) if row.answerable else '<span class="muted">nicht beantwortbar</span>'
    evidence = f'<div class="muted">{escape(row.gold["evidence"])}</div>' if row.gold.get("evidence") else ""
    rank = "–" if row.retrieval_rank is None else str(row.retrieval_rank)
    return (
        f'<tr class="{"fail" if row.failure else "pass"}"><td>{escape(row.id)}</td><td>{escape(row.category)}</td>'
        f"<td>{status}</td><td>{history}{escape(row.question)}</td><td>{answer}</td>"
        f"<td>{_citations_html(row)}</td><td>{gold}{evidence}</td>"
        f'<td class="num">{rank}</td><td class="num">{row.latency_ms:.0f}</td></tr>'
    )


def _rows_table(rows: Sequence[EvalRow]) -> str:
    widths = (5, 8, 8, 17, 22, 20, 12, 4, 4)  # percent; fixed, so long quotes wrap instead of widening the page
    cols = "".join(f'<col style="width:{w}%">' for w in widths)
    head = (
        "<tr><th>id</th><th>Kategorie</th><th>Ergebnis</th><th>Frage</th><th>Antwort</th>"
        "<th>Zitate (✓ = auf dem Beleg)</th><th>Gold (Antworten, Beleg)</th><th>Rang</th><th>ms</th></tr>"
    )
    return f'<table class="rows">{cols}{head}{"".join(_row_html(r) for r in rows)}</table>'


def render_html(
    report: Report,
    regressions: Sequence[Regression] | None = None,
    warnings: Sequence[str] = (),
    changes: Sequence[str] = (),
) -> str:
    """One self-contained page: metrics, charts, failed questions first, then every question."""
    m, meta = report.metrics, report.meta
    title = report_title(report)
    failures = ", ".join(f"{escape(k)}: {v}" for k, v in m["failures"].items()) or "keine"
    failed = report.failed
    settings = ", ".join(f"{escape(str(k))}={escape(str(v))}" for k, v in meta.get("settings", {}).items())
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{escape(title)}</h1>
<p>{m['n']} Fragen ({m['answerable']} beantwortbar, {m['unanswerable']} nicht beantwortbar) ·
{escape(str(meta.get('documents', '?')))} Dokumente · Index: {escape(str(meta.get('index', '?')))} ·
gestartet {escape(str(meta.get('started_at', '')))} · Dauer {escape(str(meta.get('duration_s', '?')))} s<br>
<span class="muted">{settings}</span></p>
{_comparison_html(regressions, warnings, changes)}
<h2>Kennzahlen</h2>
<table><tr><th>Kennzahl</th><th>Schlüssel</th><th>Wert (95-%-Intervall)</th></tr>{_metric_rows(m)}</table>
<p>Fehlerursachen: {failures}</p>
<p>Enthaltungen nach Grund: {escape(abstention_bases(m)) or "keine"}</p>
<p>Falsche Enthaltungen, deren bestbewerteter Satz die Antwort enthielt: {m["abstention"].get("near_misses", 0)} von {m["abstention"]["confusion"]["answerable_abstained"]}</p>
{_charts_html(report)}
<h2>Nach Kategorie</h2>
<table><tr><th>Kategorie</th><th>n</th><th>richtig</th><th>Antwort korrekt</th><th>recall@5</th>
<th>Zitat-Präzision</th><th>Zitat-Recall</th><th>Enthaltung Recall</th><th>falsche Enthaltungen</th></tr>{_category_rows(m)}</table>
<h2>Fehlgeschlagene Fragen ({len(failed)})</h2>
{_rows_table(failed) if failed else '<p class="ok">Keine.</p>'}
<h2>Alle Fragen ({len(report.rows)})</h2>
{_rows_table(report.rows)}
</body></html>
"""


def _metric_rows(m: dict) -> str:
    """The main metrics, latency and document-level retrieval: one table row each."""
    metric_rows = "".join(
        f'<tr><td>{escape(label)}</td><td><code>{escape(key)}</code></td><td class="num">{fmt_ci(m, key)}</td></tr>'
        for key, label in MAIN_METRICS
    )
    lat = m["latency_ms"]
    metric_rows += (
        f'<tr><td>Latenz p50 / p95</td><td><code>latency_ms</code></td>'
        f'<td class="num">{fmt_ms(lat["p50"])} / {fmt_ms(lat["p95"])}</td></tr>'
    )
    r = m["retrieval"]
    metric_rows += (
        f'<tr><td>Retrieval (Dokument) recall@1 / @5</td><td><code>retrieval.doc_recall@*</code></td>'
        f'<td class="num">{fmt(r["doc_recall@1"])} / {fmt(r["doc_recall@5"])}</td></tr>'
    )
    return metric_rows


def _category_rows(m: dict) -> str:
    return "".join(
        f"<tr><td>{escape(c)}</td><td class='num'>{g['n']}</td><td class='num'>{fmt(g['accuracy'], 2)}</td>"
        f"<td class='num'>{fmt(g['answer_correctness'], 2)}</td><td class='num'>{fmt(g['recall@5'], 2)}</td>"
        f"<td class='num'>{fmt(g['citation_precision'], 2)}</td><td class='num'>{fmt(g['citation_recall'], 2)}</td>"
        f"<td class='num'>{fmt(g['abstention_recall'], 2)}</td><td class='num'>{fmt(g['false_abstention_rate'], 2)}</td></tr>"
        for c, g in m["per_category"].items()
    )


def _comparison_html(regressions: Sequence[Regression] | None, warnings: Sequence[str], changes: Sequence[str]) -> str:
    """The regressions against the baseline (none without one), how many questions changed, and
    why the comparison may be unfair."""
    reg_html = ""
    if regressions is not None:
        reg_html = (
            "<h2>Regressionen gegenüber der Baseline</h2><ul>"
            + "".join(f'<li class="bad">{escape(x.describe())}</li>' for x in regressions)
            + "</ul>"
            if regressions
            else '<p class="ok">Keine Regression gegenüber der Baseline.</p>'
        )
    if changes:
        reg_html += "<p>Geänderte Fragen gegenüber der Baseline:</p><ul>" + "".join(
            f"<li>{escape(c)}</li>" for c in changes
        ) + "</ul>"
    if warnings:
        reg_html += "<p><strong>Vergleich mit Vorsicht lesen:</strong></p><ul>" + "".join(
            f'<li class="bad">{escape(w)}</li>' for w in warnings
        ) + "</ul>"
    return reg_html


def _charts_html(report: Report) -> str:
    m = report.metrics
    lat = m["latency_ms"]
    cats = [(f"{c} (n={g['n']})", g["accuracy"]) for c, g in m["per_category"].items()]
    overall = [(label, metric_at(m, key)) for key, label in MAIN_METRICS]
    reliability = reliability_rows(report.rows)
    return f"""<div class="charts">
{svg_bars(overall, "Kennzahlen", lower_is_better=frozenset({"Falsche Enthaltungen"}))}
{svg_bars(cats, "Richtig je Kategorie (Antwort korrekt bzw. enthalten)")}
{svg_histogram([row.latency_ms for row in report.rows], "Latenz je Frage", {"p50": lat["p50"], "p95": lat["p95"]})}
<div><h3>Enthaltung</h3>{_confusion_html(m["abstention"]["confusion"])}</div>
{svg_bars(reliability, "Lesemodell: Anteil beantwortbarer Fragen je Wahrscheinlichkeit") if reliability else ""}
</div>"""
