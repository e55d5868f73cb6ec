"""The staff view's HTML: how an answer came about (every retrieved passage with its ranks, the
reason, the timings), the documents in the index and the feedback log. Pure functions over
records, unit-tested without Gradio; all document and user text is escaped (``render.esc``).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from assistant.app.web.render import EMPTY_INDEX_HINT, esc
from assistant.feedback import FeedbackEntry
from assistant.messages import basis_for_staff
from assistant.records import Answer
from assistant.text import format_date

FEEDBACK_ROWS_SHOWN = 200
# which scorer chose the sentences (``Answer.scorer``), in words for staff
SCORERS = {"reader": "Lesemodell", "span": "Lesemodell (Antwortspannen)", "lexical": "Wortabgleich"}

def format_timestamp(value: str) -> str:
    """ISO datetime -> "06.09.2023, 14:05 UTC" (staff tables)."""
    value = (value or "").strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    zone = moment.tzname() or ""
    zone = "UTC" if zone in ("UTC", "UTC+00:00") else zone
    return f"{moment:%d.%m.%Y, %H:%M} {zone}".strip()


def _num(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _rank(value: int | None) -> str:
    return "–" if value is None else str(int(value))


# A passage row of the staff table shows this many characters, cut at a word, as the summary of a
# <details> that holds the whole passage (chunks run to ~700 characters): it bounds a row's height.
PASSAGE_PREVIEW_CHARS = 160


def render_staff_answer(answer: Answer | None) -> str:
    """Staff view of one answer: summary, timings and every retrieved passage with its ranks."""
    if answer is None:
        return '<p class="staff-empty">Noch keine Antwort in dieser Sitzung.</p>'
    summary_html = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in _summary(answer))
    headers = ("Rang fus.", "Score fus.", "Rang dense", "Score dense", "Rang BM25", "Score BM25", "zitiert",
               "Dokument / Abschnitt", "Text")  # fmt: skip
    table = _staff_table("Alle abgerufenen Passagen (Ränge 1-basiert)", headers, _passage_rows(answer))
    return f'<dl class="staff-summary">{summary_html}</dl>{_weighed_table(answer)}{table}'


def _weighed_table(answer: Answer) -> str:
    """The sentences the deciding scorer rated best: for an abstention, how close it came."""
    if not answer.weighed:
        return ""
    def cited(w) -> bool:  # a citation may quote several sentences: any overlap marks it
        return any(c.doc_id == w.doc_id and c.start < w.end and w.start < c.end for c in answer.citations)

    rows = "".join(
        f'<tr class="{"cited" if cited(w) else ""}">'
        f"<td>{_num(w.score, 3)}</td><td>{esc(SCORERS.get(w.scorer, w.scorer))}</td>"
        f"<td>{esc(w.title or w.doc_id)}</td><td>{esc(w.text)}</td></tr>"
        for w in answer.weighed
    )
    caption = "Am höchsten bewertete Sätze" + (" (keiner reichte für eine Antwort)" if answer.abstained else "")
    return _staff_table(caption, ("Wert (Punkte bzw. Wahrscheinlichkeit)", "Verfahren", "Dokument", "Satz"), rows)


def _passage_rows(answer: Answer) -> str:
    """One escaped table row per retrieved passage, by fused rank; the cited ones marked."""
    cited: dict[str, list[int]] = {}
    for c in answer.citations:
        cited.setdefault(c.chunk_id, []).append(c.n)
    rows = []
    for p in sorted(answer.passages, key=lambda p: p.fused_rank):
        marks = cited.get(p.chunk.id, [])
        text = p.chunk.text
        preview = text if len(text) <= PASSAGE_PREVIEW_CHARS else text[:PASSAGE_PREVIEW_CHARS].rsplit(" ", 1)[0] + " …"
        rows.append(
            f'<tr class="{"cited" if marks else ""}">'
            f"<td>{_rank(p.fused_rank)}</td><td>{_num(p.fused_score)}</td>"
            f"<td>{_rank(p.dense_rank)}</td><td>{_num(p.dense_score)}</td>"
            f"<td>{_rank(p.bm25_rank)}</td><td>{_num(p.bm25_score, 2)}</td>"
            f'<td class="cited-cell">{" ".join(f"[{n}]" for n in marks) or "–"}</td>'
            f"<td>{esc(p.chunk.doc.title or p.chunk.doc.doc_id)}"
            f'<div class="muted" title="{esc(p.chunk.id)}">Abschnitt {int(p.chunk.index) + 1}</div></td>'
            f"<td><details><summary>{esc(preview)}</summary>"
            f'<div class="passage-full">{esc(text)}</div></details></td></tr>'
        )
    return "".join(rows)


def _summary(answer: Answer) -> list[tuple[str, str]]:
    """(label, escaped value) pairs above the passages: question, outcome, reason, timings."""
    summary = [
        ("Frage", esc(answer.question)),
        ("Suchanfrage", esc(answer.retrieval_query or answer.question)),
        ("Ergebnis", "Enthaltung (keine Antwort)" if answer.abstained else "beantwortet"),
        ("Grund", esc(basis_for_staff(answer.basis, answer.basis_detail))),
    ]
    if answer.synonyms:
        # the quoted sentence says it in other words (or, for an English question, in German):
        # staff see which words stood in for the question's
        label = "Übersetzungen (Wörterbuch)" if answer.language == "en" else "Synonyme"
        summary.append((label, esc(" · ".join(f"{q} → {s}" for q, s in answer.synonyms))))
    if answer.scorer:
        # which scorer chose the sentences: the reader, or the word-matching fallback and why
        scorer = SCORERS.get(answer.scorer, answer.scorer)
        summary.append(("Bewertet von", esc(scorer + (f" ({answer.scorer_note})" if answer.scorer_note else ""))))
    if answer.short is not None:
        # the span model's words, with where they stand, so that staff can check them in the source
        s = answer.short
        summary.append(("Kurzantwort", esc(f"{s.text} [{s.n}] (Zeichen {s.start}–{s.end}, p = {s.probability:.2f})")))
    timings = " · ".join(f"{esc(name)}: {value:.0f} ms" for name, value in answer.timings_ms.items())
    return summary + [
        ("Konfidenz", _num(answer.confidence, 3)),
        ("Sprache", esc(answer.language)),
        ("Zeiten", timings or "–"),
    ]


def _staff_table(caption: str, headers: Sequence[str], body: str, kind: str = "") -> str:
    """A staff table: ``caption`` and ``headers`` are trusted HTML, ``body`` the escaped rows;
    ``kind`` a second CSS class (the feedback table's columns wrap differently)."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    return (
        f'<div class="table-wrap"><table class="{" ".join(("staff-table", kind)).strip()}">'
        f"<caption>{caption}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def render_documents_table(documents: Sequence[dict[str, Any]]) -> str:
    """Staff table of the index: title, date, publisher, number of chunks, time of ingest."""
    if not documents:
        return f'<p class="staff-empty">{esc(EMPTY_INDEX_HINT)}</p>'
    rows = "".join(
        "<tr>"
        f"<td>{esc(d.get('title') or d.get('doc_id'))}"
        f'<div class="muted">{esc(d.get("source", ""))}</div></td>'
        f"<td>{esc(format_date(str(d.get('date') or '')) or '–')}</td>"
        f"<td>{esc(d.get('publisher') or '–')}</td>"
        f"<td>{esc(d.get('chunks', '–'))}</td>"
        f"<td>{esc(format_timestamp(str(d.get('ingested_at') or '')) or '–')}</td>"
        "</tr>"
        for d in documents
    )
    headers = ("Titel / Datei", "Datum", "Herausgeber", "Abschnitte", "erfasst am")
    return _staff_table(f"{len(documents)} Dokumente im Index", headers, rows)


def _cited_titles(entry: FeedbackEntry) -> list[str]:
    titles: dict[str, None] = {}  # ordered set: several citations often quote one document
    for c in entry.citations:
        titles.setdefault(str(c.get("title") or c.get("doc_id", "")), None)
    return list(titles)


def render_feedback_table(entries: Sequence[FeedbackEntry]) -> str:
    """Staff table of the feedback log, newest first."""
    if not entries:
        return '<p class="staff-empty">Noch keine Rückmeldungen.</p>'
    rows = "".join(
        f'<tr class="fb-{e.rating}">'
        f"<td>{e.id}</td><td>{esc(format_timestamp(e.created_at))}</td>"
        f'<td>{"👍" if e.rating == "up" else "👎"}</td>'
        f'<td>{"ja" if e.wrong_source else "–"}</td>'
        f"<td>{esc(e.question)}</td>"
        f'<td><div class="fb-answer">{esc(e.answer)}</div></td>'
        f"<td>{esc(e.comment) or '–'}</td>"
        f"<td>{esc('; '.join(_cited_titles(e))) or '–'}</td>"
        "</tr>"
        for e in entries
    )
    caption = f"Rückmeldungen (neueste zuerst, höchstens {FEEDBACK_ROWS_SHOWN})"
    headers = ("Nr.", "Zeit", "Wertung", "falsche Quelle", "Frage", "Antwort", "Kommentar", "Quellen")
    return _staff_table(caption, headers, rows, kind="feedback-table")
