"""Writing a run to disk: ``report.json`` (for machines and baselines), ``report.md`` (for the
terminal and pull requests) and ``report.html`` (for QA: one self-contained file, no network).

The HTML draws its charts as inline SVG with the few lines below rather than a plotting library:
the page must open offline, and the eval should not add a dependency for three charts.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from .metrics import metric_at
from .scoring import EvalRow
from .run import SEED_ITEMS, Regression, Report

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
MD_FAILURES_SHOWN = 25


def _f(x: Any, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _ms(x: Any) -> str:
    return "–" if x is None else f"{x:.0f} ms"


def _one_line(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _md_cell(text: str) -> str:
    # A pipe would end the table cell.
    return text.replace("|", "\\|")


def _title(report: Report) -> str:
    m = report.meta
    source = Path(str(m.get("source", ""))).name
    if m.get("dataset") != "seed":
        what = f"SQuAD {source}"
    else:
        what = "Seed-Fragen" if source in ("", SEED_ITEMS.name) else f"{source} (Seed-Dokumente)"
    hold = f", Hold-out {m['holdout']}" if m.get("holdout") else ""
    return f"Evaluation: {what}{hold}"


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def render_markdown(
    report: Report, regressions: Sequence[Regression] | None = None, warnings: Sequence[str] = ()
) -> str:
    """The summary for the terminal: metrics, per category, and the first failed questions."""
    m, meta = report.metrics, report.meta
    r, lat = m["retrieval"], m["latency_ms"]
    out = [
        f"# {_title(report)}",
        "",
        f"{m['n']} Fragen ({m['answerable']} beantwortbar, {m['unanswerable']} nicht beantwortbar) · "
        f"{meta.get('documents', '?')} Dokumente · Index: {meta.get('index', '?')} · "
        f"Embedder {meta.get('settings', {}).get('embedder', '?')} · "
        f"Thesaurus: {meta.get('settings', {}).get('thesaurus', '?')} · "
        f"Wörterbuch: {meta.get('settings', {}).get('dictionary', '?')} · "
        f"Lesemodell: {meta.get('settings', {}).get('reader', '?')} · {meta.get('duration_s', '?')} s",
        "",
        "| Kennzahl | Wert |",
        "|---|---|",
        f"| Antwort korrekt (`answer_correctness`) | {_f(m['answer_correctness'])} |",
        f"| Zitat-Präzision / -Recall | {_f(m['citation_precision'])} / {_f(m['citation_recall'])} |",
        f"| Zitat aus dem Gold-Dokument (`citation_doc_recall`) | {_f(m.get('citation_doc_recall'))} |",
        f"| Retrieval recall@1 / @5 / MRR@10 (Abschnitt mit Beleg) | "
        f"{_f(r['recall@1'])} / {_f(r['recall@5'])} / {_f(r['mrr@10'])} |",
        f"| Retrieval recall@1 / @5 / MRR@10 (Dokument) | "
        f"{_f(r['doc_recall@1'])} / {_f(r['doc_recall@5'])} / {_f(r['doc_mrr@10'])} |",
        f"| Enthaltung Präzision / Recall | {_f(m['abstention']['precision'])} / {_f(m['abstention']['recall'])} |",
        f"| Falsche Enthaltungen (`false_abstention_rate`) | {_f(m['abstention']['false_abstention_rate'])} |",
        f"| Gesamt richtig (inkl. Enthaltungen) / bestanden | {_f(m['accuracy'])} / {_f(m['passed'])} |",
        f"| Latenz p50 / p95 | {_ms(lat['p50'])} / {_ms(lat['p95'])} |",
        "",
    ]
    if meta.get("missing_gold_docs"):
        out += [f"**Achtung:** Gold-Dokumente fehlen im Index: {', '.join(meta['missing_gold_docs'])}", ""]
    if m.get("errors"):
        out += [f"**Achtung:** {m['errors']} Fragen endeten mit einer Fehlermeldung (siehe `error` in report.json).", ""]
    if m["failures"]:
        out += ["Fehlerursachen: " + ", ".join(f"{k} {v}" for k, v in m["failures"].items()), ""]
    if m["abstention"].get("by_basis"):
        out += ["Enthaltungen nach Grund: " + _bases(m), ""]
    if regressions is not None:
        if regressions:
            out += ["## Regressionen gegenüber der Baseline", ""] + [f"- {x.describe()}" for x in regressions] + [""]
        else:
            out += ["Keine Regression gegenüber der Baseline.", ""]
    if warnings:
        out += ["**Vergleich mit Vorsicht lesen:**", ""] + [f"- {w}" for w in warnings] + [""]
    out += [
        "## Nach Kategorie",
        "",
        "| Kategorie | n | richtig | Antwort korrekt | recall@5 | Zitat-Recall | Enthaltung Recall | falsche Enth. |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for cat, g in m["per_category"].items():
        out.append(
            f"| {_md_cell(cat)} | {g['n']} | {_f(g['accuracy'], 2)} | {_f(g['answer_correctness'], 2)} | "
            f"{_f(g['recall@5'], 2)} | {_f(g['citation_recall'], 2)} | {_f(g['abstention_recall'], 2)} | "
            f"{_f(g['false_abstention_rate'], 2)} |"
        )
    failed = report.failed
    if failed:
        shown = failed[:MD_FAILURES_SHOWN]
        out += [
            "",
            f"## Fehlgeschlagene Fragen ({len(shown)} von {len(failed)}; alle in report.html)",
            "",
            "| id | Kategorie | Ursache | Rang | Frage | Antwort |",
            "|---|---|---|---:|---|---|",
        ]
        for row in shown:
            answer = f"(enthalten: {row.basis})" if row.abstained else _one_line(row.answer, 90)
            out.append(
                f"| {_md_cell(row.id)} | {_md_cell(row.category)} | {row.failure} | {row.retrieval_rank or '–'} | "
                f"{_md_cell(_one_line(row.question, 80))} | {_md_cell(answer)} |"
            )
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# SVG charts (small, dependency-free)
# --------------------------------------------------------------------------------------------

_BLUE, _GREEN, _RED, _GREY = "#2b6cb0", "#2f855a", "#c53030", "#a0aec0"


def svg_bars(
    items: Sequence[tuple[str, float | None]], title: str, width: int = 640, lower_is_better: frozenset[str] = frozenset()
) -> str:
    """Horizontal bars of shares in [0, 1], one per label; None is drawn as an empty row ("–").

    Bars are coloured by value (green ≥ 0.8, blue ≥ 0.5, red below); a label in
    ``lower_is_better`` is drawn grey, since a high value there is bad, not good.
    """
    label_w, bar_h, gap, top = 210, 18, 6, 28
    plot_w = width - label_w - 60
    height = top + len(items) * (bar_h + gap) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif" font-size="12">',
        f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + tick * plot_w
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 20}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" fill="#4a5568">{tick:g}</text>')
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h - 5}" text-anchor="end">{escape(_one_line(label, 32))}</text>'
        )
        if value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + bar_h - 5}" fill="#718096">–</text>')
            continue
        w = max(0.0, min(1.0, value)) * plot_w
        color = _GREY if label in lower_is_better else _GREEN if value >= 0.8 else _BLUE if value >= 0.5 else _RED
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 5}">{value:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def svg_histogram(values: Sequence[float], title: str, marks: dict[str, float | None], bins: int = 20,
                  width: int = 640, height: int = 220) -> str:
    """A histogram of ``values`` (ms) with vertical lines at ``marks`` (e.g. p50, p95)."""
    left, right, top, bottom = 40, 20, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif" font-size="12">',
        f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>',
    ]
    if not values:
        parts.append(f'<text x="{left}" y="{top + 20}">keine Werte</text></svg>')
        return "".join(parts)
    hi = max(values) or 1.0
    step = hi / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / step))] += 1
    peak = max(counts)
    bw = plot_w / bins
    for i, c in enumerate(counts):
        h = plot_h * c / peak
        x, y = left + i * bw, top + plot_h - h
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" height="{h:.1f}" fill="{_BLUE}">'
            f"<title>{i * step:.0f}–{(i + 1) * step:.0f} ms: {c}</title></rect>"
        )
    base = top + plot_h
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#4a5568"/>')
    for frac in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + frac * plot_w
        parts.append(f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle" fill="#4a5568">{frac * hi:.0f}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">ms</text>')
    parts.append(f'<text x="{left - 6}" y="{top + 10}" text-anchor="end" fill="#4a5568">{peak}</text>')
    for i, (name, v) in enumerate(marks.items()):
        if v is None:
            continue
        x = left + plot_w * v / hi
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{base}" stroke="{_RED}" stroke-dasharray="4 3"/>')
        # staggered and haloed, so close marks and a tall bar do not hide the labels
        parts.append(
            f'<text x="{x + 3:.1f}" y="{top + 12 + 14 * i}" fill="{_RED}" stroke="white" stroke-width="3" '
            f'paint-order="stroke">{escape(name)} {v:.0f} ms</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

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

    scored = [r for r in rows if r.scorer == "reader" and r.basis.split(":")[0] in ("reader", "low confidence", "kind", "name")]
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


# how the answerer decided to abstain (Answer.basis), in the report's language
_BASES = {
    "refused": "Frage nach dem Assistenten selbst",
    "low confidence": "zu geringe Übereinstimmung",
    "detail": "Angabe in keiner Quelle",
    "name": "Name nicht im zitierten Dokument",
    "kind": "gesuchte Angabe fehlt im Zitat",
}


def _bases(m: dict) -> str:
    return ", ".join(f"{_BASES.get(k, k)} {v}" for k, v in m["abstention"].get("by_basis", {}).items())


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
    report: Report, regressions: Sequence[Regression] | None = None, warnings: Sequence[str] = ()
) -> str:
    """One self-contained page: metrics, charts, failed questions first, then every question."""
    m, meta = report.metrics, report.meta
    title = _title(report)
    metric_rows = "".join(
        f'<tr><td>{escape(label)}</td><td><code>{escape(key)}</code></td><td class="num">{_f(metric_at(m, key))}</td></tr>'
        for key, label in MAIN_METRICS
    )
    lat = m["latency_ms"]
    metric_rows += (
        f'<tr><td>Latenz p50 / p95</td><td><code>latency_ms</code></td>'
        f'<td class="num">{_ms(lat["p50"])} / {_ms(lat["p95"])}</td></tr>'
    )
    r = m["retrieval"]
    metric_rows += (
        f'<tr><td>Retrieval (Dokument) recall@1 / @5</td><td><code>retrieval.doc_recall@*</code></td>'
        f'<td class="num">{_f(r["doc_recall@1"])} / {_f(r["doc_recall@5"])}</td></tr>'
    )
    cats = [(f"{c} (n={g['n']})", g["accuracy"]) for c, g in m["per_category"].items()]
    overall = [(label, metric_at(m, key)) for key, label in MAIN_METRICS]
    cat_rows = "".join(
        f"<tr><td>{escape(c)}</td><td class='num'>{g['n']}</td><td class='num'>{_f(g['accuracy'], 2)}</td>"
        f"<td class='num'>{_f(g['answer_correctness'], 2)}</td><td class='num'>{_f(g['recall@5'], 2)}</td>"
        f"<td class='num'>{_f(g['citation_precision'], 2)}</td><td class='num'>{_f(g['citation_recall'], 2)}</td>"
        f"<td class='num'>{_f(g['abstention_recall'], 2)}</td><td class='num'>{_f(g['false_abstention_rate'], 2)}</td></tr>"
        for c, g in m["per_category"].items()
    )
    reg_html = ""
    if regressions is not None:
        reg_html = (
            "<h2>Regressionen gegenüber der Baseline</h2><ul>"
            + "".join(f'<li class="bad">{escape(x.describe())}</li>' for x in regressions)
            + "</ul>"
            if regressions
            else '<p class="ok">Keine Regression gegenüber der Baseline.</p>'
        )
    if warnings:
        reg_html += "<p><strong>Vergleich mit Vorsicht lesen:</strong></p><ul>" + "".join(
            f'<li class="bad">{escape(w)}</li>' for w in warnings
        ) + "</ul>"
    failures = ", ".join(f"{escape(k)}: {v}" for k, v in m["failures"].items()) or "keine"
    failed = report.failed
    reliability = reliability_rows(report.rows)
    settings = ", ".join(f"{escape(str(k))}={escape(str(v))}" for k, v in meta.get("settings", {}).items())
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{escape(title)}</h1>
<p>{m['n']} Fragen ({m['answerable']} beantwortbar, {m['unanswerable']} nicht beantwortbar) ·
{escape(str(meta.get('documents', '?')))} Dokumente · Index: {escape(str(meta.get('index', '?')))} ·
gestartet {escape(str(meta.get('started_at', '')))} · Dauer {escape(str(meta.get('duration_s', '?')))} s<br>
<span class="muted">{settings}</span></p>
{reg_html}
<h2>Kennzahlen</h2>
<table><tr><th>Kennzahl</th><th>Schlüssel</th><th>Wert</th></tr>{metric_rows}</table>
<p>Fehlerursachen: {failures}</p>
<p>Enthaltungen nach Grund: {escape(_bases(m)) or "keine"}</p>
<div class="charts">
{svg_bars(overall, "Kennzahlen", lower_is_better=frozenset({"Falsche Enthaltungen"}))}
{svg_bars(cats, "Richtig je Kategorie (Antwort korrekt bzw. enthalten)")}
{svg_histogram([row.latency_ms for row in report.rows], "Latenz je Frage", {"p50": lat["p50"], "p95": lat["p95"]})}
<div><h3>Enthaltung</h3>{_confusion_html(m["abstention"]["confusion"])}</div>
{svg_bars(reliability, "Lesemodell: Anteil beantwortbarer Fragen je Wahrscheinlichkeit") if reliability else ""}
</div>
<h2>Nach Kategorie</h2>
<table><tr><th>Kategorie</th><th>n</th><th>richtig</th><th>Antwort korrekt</th><th>recall@5</th>
<th>Zitat-Präzision</th><th>Zitat-Recall</th><th>Enthaltung Recall</th><th>falsche Enthaltungen</th></tr>{cat_rows}</table>
<h2>Fehlgeschlagene Fragen ({len(failed)})</h2>
{_rows_table(failed) if failed else '<p class="ok">Keine.</p>'}
<h2>Alle Fragen ({len(report.rows)})</h2>
{_rows_table(report.rows)}
</body></html>
"""


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def write_report(
    report: Report, out: Path, regressions: Sequence[Regression] | None = None, warnings: Sequence[str] = ()
) -> str:
    """Write report.json, report.md and report.html into ``out`` (created); returns the Markdown.
    ``warnings`` say why a comparison with the baseline may be unfair (``run.baseline_warnings``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = report.to_json()
    if regressions is not None:
        data["regressions"] = [
            {"metric": x.metric, "baseline": x.baseline, "current": x.current, "delta": x.delta} for x in regressions
        ]
    if warnings:
        data["baseline_warnings"] = list(warnings)
    (out / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    md = render_markdown(report, regressions, warnings)
    (out / "report.md").write_text(md, encoding="utf-8")
    (out / "report.html").write_text(render_html(report, regressions, warnings), encoding="utf-8")
    return md
