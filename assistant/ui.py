"""The citizens' web UI: a thin Gradio adapter around ``Assistant.ask()``.

A chat whose answers stream in and carry their sources (title, publisher, date, link, and the
passage with the cited sentence marked), a feedback form, and the list of documents searched.
Staff data (retrieval internals, the feedback log, exports) is in the staff app (``staff.py``,
behind a login) and never shipped to this page. ``web.py`` serves both and bounds each client.

The UI holds no retrieval logic. All HTML is built here by the ``render_*`` functions from typed
records, and every piece of document or user text goes through ``html.escape`` first: the chat
sanitises HTML, but ``gr.HTML`` (staff tab, banners) does not, so escaping is the one defence that
covers both.
"""
from __future__ import annotations

import dataclasses
import html
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from assistant.answer import detect_language
from assistant.errors import AssistantError, InputError
from assistant.feedback import FeedbackEntry, FeedbackStore
from assistant.records import Answer, Citation, Turn
from assistant.security import RateLimiter, client_id, too_many_message
from assistant.settings import Settings, offline_env
from assistant.text import format_date

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger(__name__)

GENERIC_ERROR = (
    "Es ist ein Fehler aufgetreten. Bitte versuchen Sie es später noch einmal. "
    "Wenn das Problem bleibt, wenden Sie sich bitte an die Verwaltung."
)
GENERIC_ERROR_EN = (
    "Something went wrong. Please try again later. If the problem persists, please contact the administration."
)
EMPTY_INDEX_HINT = (
    "Es sind noch keine Dokumente erfasst, deshalb kann der Assistent noch keine Fragen "
    "beantworten."
)
# What the answer bubble says around the quotes, in the question's language: the page is German,
# but a citizen who asks in English gets the answer, its sources and their labels in English.
BUBBLE_LABELS = {
    "de": {
        "abstained": "Keine gesicherte Antwort in den Dokumenten",
        "sources": "Quellen",
        "open": "Original öffnen",
        "page": "Seite",
        "pending": "Ich suche in den Dokumenten …",
    },
    "en": {
        "abstained": "No reliable answer in the documents",
        "sources": "Sources",
        "open": "Open the original",
        "page": "Page",
        "pending": "Searching the documents …",
    },
}
EXAMPLE_QUESTIONS = (
    "Wie viel Geld hat das Sozialministerium für die Videokampagne bereitgestellt?",
    "Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?",
    "Unter welcher Telefonnummer erreichen Bürger das Ministerium?",
)
# Streaming: the answer appears in at most STREAM_STEPS growing pieces, STREAM_DELAY_S apart.
# Not word by word: every streamed update costs the server a full Gradio postprocess (the chat
# HTML, the diff, and a rebuild of each skipped output component), which under load cost more CPU
# than ask() itself (measured with `assistant bench load`). A few steps still read as streaming and
# bound the added latency to about STREAM_STEPS * STREAM_DELAY_S.
STREAM_STEPS = 6
STREAM_DELAY_S = 0.05
# When more answers than this are being worked on at once, an answer is sent whole: under load the
# streamed updates cost the queue more than they give (measured: `assistant bench load`, 32 chats).
STREAM_MAX_BUSY = 4
FEEDBACK_ROWS_SHOWN = 200
PASSAGE_CONTEXT = 220  # characters of the passage shown before and after the cited sentences

_CITE_MARK = re.compile(r"\[(\d+)\]")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")


class AnswersQuestions(Protocol):
    """What the UI needs from ``assistant.pipeline.Assistant``."""

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer: ...

    def documents(self) -> list[dict[str, Any]]: ...

    def is_empty(self) -> bool: ...


# --------------------------------------------------------------------------------------------
# Session state


@dataclass
class ChatTurn:
    """One question of a chat and what came back: an answer or a German error message."""

    question: str
    answer: Answer | None = None
    error: str = ""
    feedback_id: int | None = None  # row in the FeedbackStore once the user rated this turn


@dataclass
class ChatSession:
    """Per-browser-tab state (a ``gr.State``): the turns and the turn the feedback form rates."""

    turns: list[ChatTurn] = field(default_factory=list)
    feedback_turn: int | None = None

    def history(self, upto: int | None = None) -> list[Turn]:
        """Answered turns before ``upto`` as ``Turn`` records for ``ask(history=...)``."""
        turns = self.turns if upto is None else self.turns[:upto]
        return [Turn(t.question, t.answer.answer) for t in turns if t.answer is not None]


def citizen_copy(answer: Answer) -> Answer:
    """What a chat session keeps of an answer: its text and citations, not the retrieved passages
    (staff data, and most of an answer's memory)."""
    return dataclasses.replace(answer, passages=[])


# --------------------------------------------------------------------------------------------
# Rendering: records -> escaped HTML. Pure functions, unit-tested without a browser.


def esc(text: Any) -> str:
    """HTML-escape any value, quotes included (safe in text and in attribute values)."""
    return html.escape("" if text is None else str(text), quote=True)


def safe_url(url: str) -> str | None:
    """The URL if it is an absolute http(s) link, else None: no ``javascript:`` or ``data:``."""
    url = (url or "").strip()
    if not url or _CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


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


def _answer_text_html(text: str) -> str:
    """Escaped answer text with the [n] markers styled (they stay readable as "[n]")."""
    return _CITE_MARK.sub(
        lambda m: f'<span class="cite-ref" title="Quelle {m.group(1)}">[{m.group(1)}]</span>',
        esc(text),
    )


def _quote_span(citation: Citation) -> tuple[int, int] | None:
    """The quote's span inside ``citation.passage``, from the stored offsets; None if they lie."""
    start = citation.start - citation.passage_start
    end = citation.end - citation.passage_start
    if 0 <= start <= end <= len(citation.passage) and citation.passage[start:end] == citation.quote:
        return start, end
    # Offsets are the contract (the quote is never searched for); if they disagree, the card
    # shows the quote alone rather than marking the wrong words.
    log.warning("citation %s: offsets do not match its passage", citation.chunk_id)
    return None


def _snap_left(text: str, pos: int) -> int:
    """Move ``pos`` forward to the start of a word (so a cut never splits one)."""
    if pos <= 0:
        return 0
    space = text.find(" ", pos)
    return len(text) if space == -1 else space + 1


def _snap_right(text: str, pos: int) -> int:
    if pos >= len(text):
        return len(text)
    space = text.rfind(" ", 0, pos)
    return pos if space == -1 else space


def highlight_quotes(citations: Sequence[Citation], context: int = PASSAGE_CONTEXT) -> str:
    """The shared passage of ``citations`` (one chunk) with each quote in ``<mark>``.

    Only ``context`` characters around the quotes are shown, cut at word boundaries, so that a
    source card stays short; "…" says where the passage goes on.
    """
    passage = citations[0].passage
    spans = []
    for c in citations:
        span = _quote_span(c)
        if span is None:
            return " ".join(f'<mark title="Zitat [{int(c.n)}]">{esc(c.quote)}</mark>' for c in citations)
        spans.append((*span, c.n))
    spans.sort()
    left = _snap_left(passage, spans[0][0] - context) if spans[0][0] > context else 0
    left = min(left, spans[0][0])
    last_end = max(end for _, end, _ in spans)
    right = len(passage)
    if last_end + context < len(passage):
        right = max(_snap_right(passage, last_end + context), last_end)
    out = ["… " if left > 0 else ""]
    pos = left
    for start, end, n in spans:
        if start < pos:  # overlapping quotes: mark the part not yet marked
            start = pos
        out.append(esc(passage[pos:start]))
        out.append(f'<mark title="Zitat [{int(n)}]">{esc(passage[start:end])}</mark>')
        pos = max(pos, end)
    out.append(esc(passage[pos:right]))
    out.append(" …" if right < len(passage) else "")
    # Blank lines between paragraphs become single breaks: the card stays compact.
    return _BLANK_LINES.sub("\n", "".join(out)).strip()


def render_source(citations: Sequence[Citation], lang: str = "de") -> str:
    """One source card for the citations of one chunk: numbers, title, publisher, date, link to
    the original, and the passage with the quoted sentences marked."""
    labels = BUBBLE_LABELS[lang]
    first = citations[0]
    meta = [esc(first.publisher)] if first.publisher else []
    if first.date:
        meta.append(esc(format_date(first.date, lang)))
    if first.page:
        meta.append(f"{labels['page']} {int(first.page)}")
    url = safe_url(first.url)
    if url:
        host = urlsplit(url).hostname or ""
        meta.append(
            f'<a class="source-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
            f"{labels['open']} ({esc(host.removeprefix('www.'))})</a>"
        )
    numbers = " ".join(f"[{int(c.n)}]" for c in citations)
    return (
        f'<li class="source">'
        f'<div class="source-head"><span class="source-n">{numbers}</span> '
        f'<span class="source-title">{esc(first.title or first.doc_id)}</span></div>'
        f'<div class="source-meta">{" · ".join(meta)}</div>'
        f'<blockquote class="source-passage">{highlight_quotes(citations)}</blockquote>'
        "</li>"
    )


def group_by_chunk(citations: Sequence[Citation]) -> list[list[Citation]]:
    """Citations grouped by the chunk they quote, in order of first citation number."""
    groups: dict[str, list[Citation]] = {}
    for c in sorted(citations, key=lambda c: c.n):
        groups.setdefault(c.chunk_id, []).append(c)
    return list(groups.values())


def render_answer(answer: Answer) -> str:
    """The complete answer bubble: text with [n] markers, then its sources, or an abstention."""
    lang = "en" if answer.language == "en" else "de"
    labels = BUBBLE_LABELS[lang]
    if answer.basis == "language":
        # the note in the asker's language, then German and English: each paragraph with its own
        # language and direction (Arabic and Persian run right to left)
        langs = [answer.language, "de", "en"][-len(answer.answer.split("\n\n")) :]
        paras = "".join(
            f'<p class="answer-text" lang="{esc(code)}" dir="auto">{esc(para)}</p>'
            for code, para in zip(langs, answer.answer.split("\n\n"))
        )
        return f'<div class="answer abstained foreign" lang="de">{paras}</div>'
    if answer.basis == "smalltalk":
        # a greeting or the help text: no verdict on the documents, so no "no answer" badge
        return f'<div class="answer abstained smalltalk" lang="{lang}"><p class="answer-text">{esc(answer.answer)}</p></div>'
    if answer.abstained:
        return (
            f'<div class="answer abstained" lang="{lang}">'
            f'<p class="answer-badge">{labels["abstained"]}</p>'
            f'<p class="answer-text">{_answer_text_html(answer.answer)}</p>'
            "</div>"
        )
    sources = "".join(render_source(group, lang) for group in group_by_chunk(answer.citations))
    sources_html = (
        f'<div class="sources"><p class="sources-title">{labels["sources"]}</p>'
        f'<ol class="source-list">{sources}</ol></div>'
        if sources
        else ""
    )
    return (
        f'<div class="answer" lang="{lang}">'
        f'<p class="answer-text">{_answer_text_html(answer.answer)}</p>{sources_html}</div>'
    )


def render_partial(text: str) -> str:
    """The answer while it streams in: text so far, no sources yet."""
    return (
        '<div class="answer streaming">'
        f'<p class="answer-text">{_answer_text_html(text)}<span class="cursor">▍</span></p></div>'
    )


def render_pending(lang: str = "de") -> str:
    return f'<div class="answer pending"><p class="answer-text">{BUBBLE_LABELS[lang]["pending"]}</p></div>'


def render_error(message: str) -> str:
    return f'<div class="answer error" role="alert"><p class="answer-text">{esc(message)}</p></div>'


def render_question(question: str) -> str:
    # The chat shows text as is (render_markdown=False), so escaping leaves the user's characters
    # visible exactly as typed, including "<script>".
    return esc(question)


def under_load(in_progress: int) -> bool:
    """More answers in progress (this one included) than STREAM_MAX_BUSY: the chat then sends each
    answer in one update, without echoing the question first or streaming pieces."""
    return in_progress > STREAM_MAX_BUSY


def pieces_to_stream(text: str, in_progress: int) -> list[str]:
    """The pieces to stream for an answer while ``in_progress`` answers are being worked on
    (this one included): none under load, where the answer is sent whole."""
    return [] if under_load(in_progress) else stream_pieces(text)


def stream_pieces(text: str, steps: int = STREAM_STEPS, min_words: int = 3) -> list[str]:
    """The growing prefixes of ``text`` shown while it streams (the full text not included).

    At most ``steps`` prefixes, each at least ``min_words`` words longer than the one before, cut
    after whole words.
    """
    words = re.findall(r"\S+\s*", text)
    size = max(min_words, -(-len(words) // steps))
    return ["".join(words[:i]) for i in range(size, len(words), size)]


def chat_messages(session: ChatSession, partial: str | None = None) -> list[dict[str, str]]:
    """The Chatbot value: two messages per turn (question, answer), so message i is turn i // 2."""
    messages: list[dict[str, str]] = []
    for i, turn in enumerate(session.turns):
        messages.append({"role": "user", "content": render_question(turn.question)})
        if turn.answer is not None:
            content = render_answer(turn.answer)
        elif turn.error:
            content = render_error(turn.error)
        elif partial is not None and i == len(session.turns) - 1:
            content = render_partial(partial) if partial else render_pending(detect_language(turn.question))
        else:
            content = render_pending(detect_language(turn.question))
        messages.append({"role": "assistant", "content": content})
    return messages


def _num(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _rank(value: int | None) -> str:
    return "–" if value is None else str(int(value))


_KIND_TEXT = {
    "amount": "gefragt ist eine Zahl; die Zitate nennen keine",
    "date": "gefragt ist ein Zeitpunkt; die Zitate nennen keinen",
    "duration": "gefragt ist eine Dauer; die Zitate nennen keine",
    "party": "gefragt ist eine Partei; die Zitate nennen keine",
    "money": "gefragt ist ein Geldbetrag; die Zitate nennen keinen",
    "weekday": "gefragt ist ein Wochentag; die Zitate nennen keinen",
    "phone": "gefragt ist eine Telefonnummer; die Zitate nennen keine",
    "email": "gefragt ist eine E-Mail-Adresse; die Zitate nennen keine",
    "link": "gefragt ist eine Internetadresse; die Zitate nennen keine",
    "language": "gefragt ist eine Sprache; die Zitate nennen keine",
    "which": "gefragt ist, welche genau; die Zitate nennen sie nicht einzeln",
}


_SMALLTALK_TEXT = {"greeting": "Begrüßung", "thanks": "Dank", "bye": "Verabschiedung", "help": "Frage, was der Assistent kann"}
_DOC_FIELD = {"title": "Überschrift", "publisher": "Herausgeber", "date": "Datum"}


def _basis_text(answer: Answer) -> str:
    """How the answerer decided (``Answer.basis``), in words for staff."""
    detail = answer.basis_detail
    return {
        "reader": "Lesemodell: der Satz beantwortet die Frage (Wahrscheinlichkeit über der Schwelle)",
        "coverage": "Satz deckt die Begriffe der Frage ab",
        "meaning": "Satz liegt der (englischen) Frage inhaltlich am nächsten",
        "translation": "Satz enthält die übersetzten Begriffe der (englischen) Frage und liegt ihr inhaltlich nahe",
        "low confidence": "Übereinstimmung unter der Schwelle",
        "refused": "Frage nach Anweisungen oder Einrichtung des Assistenten: nicht gesucht",
        "smalltalk": f"{_SMALLTALK_TEXT.get(detail, detail)}: feste Antwort, nicht gesucht",
        "language": f"Frage weder auf Deutsch noch auf Englisch (erkannt: {'unbekannte Schrift' if detail == 'und' else detail}): nicht gesucht, Bitte um eine deutsche oder englische Frage",
        "detail": f"„{detail}“ steht in keiner abgerufenen Quelle (Zahl oder Ort der Frage)",
        "name": f"„{detail}“ (Name in der Frage) steht in keinem der Dokumente, aus denen zitiert würde",
        "kind": _KIND_TEXT.get(detail, detail),
        "document": f"Frage nach dem Dokument selbst: {_DOC_FIELD.get(detail, detail)} aus den Dokumentangaben",
    }.get(answer.basis, answer.basis or "–")


# A passage row of the staff table shows this many characters, cut at a word, as the summary of a
# <details> that holds the whole passage (chunks run to ~700 characters): it bounds a row's height.
PASSAGE_PREVIEW_CHARS = 160


def render_staff_answer(answer: Answer | None) -> str:
    """Staff view of one answer: summary, timings and every retrieved passage with its ranks."""
    if answer is None:
        return '<p class="staff-empty">Noch keine Antwort in dieser Sitzung.</p>'
    timings = " · ".join(
        f"{esc(name)}: {value:.0f} ms" for name, value in answer.timings_ms.items()
    )
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
    summary = [
        ("Frage", esc(answer.question)),
        ("Suchanfrage", esc(answer.retrieval_query or answer.question)),
        ("Ergebnis", "Enthaltung (keine Antwort)" if answer.abstained else "beantwortet"),
        ("Grund", esc(_basis_text(answer))),
    ]
    if answer.synonyms:
        # the quoted sentence says it in other words (or, for an English question, in German):
        # staff see which words stood in for the question's
        label = "Übersetzungen (Wörterbuch)" if answer.language == "en" else "Synonyme"
        summary.append((label, esc(" · ".join(f"{q} → {s}" for q, s in answer.synonyms))))
    if answer.scorer:
        # which scorer chose the sentences: the reader, or the word-matching fallback and why
        scorer = "Lesemodell" if answer.scorer == "reader" else "Wortabgleich" if answer.scorer == "lexical" else answer.scorer
        summary.append(("Bewertet von", esc(scorer + (f" ({answer.scorer_note})" if answer.scorer_note else ""))))
    summary += [
        ("Konfidenz", _num(answer.confidence, 3)),
        ("Sprache", esc(answer.language)),
        ("Zeiten", timings or "–"),
    ]
    summary_html = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in summary)
    headers = ("Rang fus.", "Score fus.", "Rang dense", "Score dense", "Rang BM25", "Score BM25", "zitiert",
               "Dokument / Abschnitt", "Text")  # fmt: skip
    table = _staff_table("Alle abgerufenen Passagen (Ränge 1-basiert)", headers, "".join(rows))
    return f'<dl class="staff-summary">{summary_html}</dl>{table}'


def _staff_table(caption: str, headers: Sequence[str], body: str) -> str:
    """A staff table: ``caption`` and ``headers`` are trusted HTML, ``body`` the escaped rows."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    return (
        '<div class="table-wrap"><table class="staff-table">'
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


def render_document_list(documents: Sequence[dict[str, Any]]) -> str:
    """Citizen-facing list of the documents the answers come from."""
    if not documents:
        return f'<p class="muted">{esc(EMPTY_INDEX_HINT)}</p>'
    items = []
    for d in documents:
        meta = [esc(x) for x in (d.get("publisher"), format_date(str(d.get("date") or ""))) if x]
        url = safe_url(str(d.get("url") or ""))
        if url:
            meta.append(
                f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">Original öffnen</a>'
            )
        items.append(
            f"<li><span class=\"doc-title\">{esc(d.get('title') or d.get('doc_id'))}</span>"
            f'<span class="muted"> {" · ".join(meta)}</span></li>'
        )
    return f'<ul class="doc-list">{"".join(items)}</ul>'


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
    return (
        '<div class="table-wrap"><table class="staff-table feedback-table">'
        f"<caption>Rückmeldungen (neueste zuerst, höchstens {FEEDBACK_ROWS_SHOWN})</caption>"
        "<thead><tr><th>Nr.</th><th>Zeit</th><th>Wertung</th><th>falsche Quelle</th>"
        "<th>Frage</th><th>Antwort</th><th>Kommentar</th><th>Quellen</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def render_banner(documents: Sequence[dict[str, Any]] | None, error: str = "") -> str:
    """The notice above the chat: empty index (with the ingest command), store down, or nothing."""
    if error:
        return f'<div class="banner banner-error" role="alert">{esc(error)}</div>'
    if documents:
        return ""
    return (
        '<div class="banner banner-empty" role="status">'
        f"<p><strong>{esc(EMPTY_INDEX_HINT)}</strong></p>"
        "<p>Für die Administration: Dokumente mit <code>assistant ingest &lt;Ordner&gt;</code> "
        "einlesen (zum Beispiel <code>assistant ingest seeds/</code>) und danach diese Seite "
        "neu laden.</p></div>"
    )


# The line above the rating form names the question it rates; a longer question (up to
# ASSISTANT_MAX_QUESTION_CHARS) is cut here: it bounds that line's length.
FEEDBACK_QUESTION_CHARS = 90


def _feedback_target_text(session: ChatSession) -> str:
    index = session.feedback_turn
    if index is None or index >= len(session.turns):
        return "Sobald eine Antwort da ist, können Sie sie hier bewerten."
    question = session.turns[index].question
    short = question if len(question) <= FEEDBACK_QUESTION_CHARS else question[:FEEDBACK_QUESTION_CHARS].rstrip() + " …"
    return f"Ihre Bewertung bezieht sich auf die Antwort zu: „{short}“"


# --------------------------------------------------------------------------------------------
# The app


HEADER_HTML = """
<header class="site-header">
  <p class="kicker">Bürgerservice · Digitale Auskunft</p>
  <h1>Fragen Sie unsere Veröffentlichungen</h1>
  <p class="lead">Stellen Sie eine Frage in eigenen Worten. Der Assistent antwortet nur mit
  Sätzen aus den veröffentlichten Dokumenten und nennt zu jeder Antwort die Quelle.</p>
</header>
"""

NOTICE_HTML = """
<div class="notice" role="note">
  <p><strong>Hinweis:</strong> Die Antworten stammen ausschließlich aus den unten aufgeführten
  Dokumenten und ersetzen keine Beratung. Bitte geben Sie <strong>keine persönlichen Daten</strong>
  ein (zum Beispiel Name, Anschrift, Geburtsdatum oder Aktenzeichen).</p>
</div>
"""

CSS = """
.gradio-container { max-width: 1040px !important; margin: 0 auto !important; }
.site-header { padding: 8px 4px 4px; border-bottom: 4px solid var(--color-accent); margin-bottom: 4px; }
.site-header .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .8rem;
  color: var(--body-text-color-subdued); margin: 0 0 4px; }
.site-header h1 { font-size: 1.75rem; margin: 0 0 6px; font-weight: 700; }
.site-header .lead { margin: 0 0 10px; max-width: 60ch; color: var(--body-text-color); }
.notice { background: var(--color-accent-soft); border-left: 4px solid var(--color-accent);
  padding: 8px 14px; border-radius: 4px; font-size: .92rem; }
.notice p { margin: 0; }
.banner { padding: 12px 16px; border-radius: 4px; margin: 4px 0; }
.banner p { margin: 4px 0; }
.banner-empty { background: #fff8e1; border-left: 4px solid #b26a00; }
.banner-error { background: #fdecea; border-left: 4px solid #b3261e; }
#chat .message-content { font-size: 1rem; line-height: 1.55; }
#chat .bot .message-content, #chat .bot { max-width: 100%; }
.answer .answer-text { margin: 0; white-space: pre-wrap; }
.answer .cite-ref { color: var(--color-accent); font-weight: 600; font-size: .85em; }
.answer .cursor { animation: blink 1s steps(2) infinite; color: var(--color-accent); }
@keyframes blink { 50% { opacity: 0; } }
.answer.pending .answer-text { color: var(--body-text-color-subdued); font-style: italic; }
.answer.abstained { border-left: 4px solid #b26a00; padding: 2px 0 2px 12px; }
.answer.abstained .answer-badge { margin: 0 0 6px; font-weight: 600; color: #8a4b00; font-size: .9rem; }
.answer.abstained .answer-badge::before { content: "ℹ "; }
.answer.error { border-left: 4px solid #b3261e; padding: 2px 0 2px 12px; color: #8c1d18; }
.sources { margin-top: 14px; border-top: 1px solid var(--border-color-primary); padding-top: 8px; }
.sources .sources-title { font-weight: 600; font-size: .9rem; margin: 0 0 6px;
  color: var(--body-text-color-subdued); text-transform: uppercase; letter-spacing: .05em; }
.source-list { list-style: none; padding: 0; margin: 0; }
.source { margin: 0 0 12px; padding: 10px 12px; background: var(--background-fill-secondary);
  border-radius: 6px; border: 1px solid var(--border-color-primary); }
.source-head { font-weight: 600; }
.source-n { color: var(--color-accent); }
.source-meta { font-size: .85rem; color: var(--body-text-color-subdued); margin: 2px 0 6px; }
.source-meta a, .doc-list a { color: var(--link-text-color); text-decoration: underline; }
.source-passage { margin: 0; padding: 0 0 0 10px; border-left: 3px solid var(--border-color-primary);
  font-size: .9rem; white-space: pre-line; color: var(--body-text-color);
  max-height: 14em; overflow-y: auto; }
mark { background: #ffe58a; color: inherit; padding: 0 2px; border-radius: 2px; }
.doc-list { padding-left: 1.2em; margin: 4px 0; }
.doc-list li { margin: 4px 0; }
.doc-title { font-weight: 600; }
.muted { color: var(--body-text-color-subdued); font-size: .85rem; }
.feedback-box .fb-target { font-size: .9rem; color: var(--body-text-color-subdued); }
.fb-status { min-height: 1.5em; }
.staff-summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 10px; }
.staff-summary dt { font-weight: 600; }
.staff-summary dd { margin: 0; }
.table-wrap { overflow-x: auto; }
.staff-table { border-collapse: collapse; width: 100%; font-size: .85rem; }
.staff-table caption { text-align: left; font-weight: 600; padding: 4px 0; }
.staff-table th, .staff-table td { border: 1px solid var(--border-color-primary); padding: 4px 6px;
  vertical-align: top; text-align: left; }
.staff-table th { background: var(--background-fill-secondary); }
.staff-table tr.cited { background: #eef6ee; }
.staff-table .passage-full { white-space: pre-wrap; margin-top: 4px; }
.staff-table td:last-child { min-width: 18em; }
.staff-table td:nth-child(-n+7) { white-space: nowrap; }
.feedback-table td:nth-child(-n+7) { white-space: normal; }
.staff-table .fb-answer { max-height: 6em; overflow-y: auto; }
.staff-empty { color: var(--body-text-color-subdued); }
.example-row button { text-align: left; }
.examples-label p { margin: 6px 0 0; font-size: .9rem; color: var(--body-text-color-subdued); }
*:focus-visible { outline: 3px solid #1a56a8 !important; outline-offset: 2px; }
footer { display: none !important; }
"""

# German page language for screen readers and hyphenation (Gradio's page says "en").
JS = "() => { document.documentElement.lang = 'de'; }"


def make_theme() -> gr.themes.Base:
    """A calm, high-contrast theme with local fonts only: no Google Fonts request (GDPR)."""
    import gradio as gr

    return gr.themes.Default(
        primary_hue=gr.themes.colors.blue,
        secondary_hue=gr.themes.colors.slate,
        neutral_hue=gr.themes.colors.slate,
        radius_size=gr.themes.sizes.radius_sm,
        # No 600: Gradio ships that weight as a tiny subset, so semibold text fell back glyph by
        # glyph to another font; the browser now uses the full bold face for 600.
        font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "system-ui", "Arial", "sans-serif"),
        font_mono=("ui-monospace", "Consolas", "monospace"),
    ).set(
        body_background_fill="#f6f7f9",
        block_background_fill="#ffffff",
        color_accent="#1a56a8",
        color_accent_soft="#e8f0fb",
        link_text_color="#1a56a8",
        button_primary_background_fill="#1a56a8",
        button_primary_background_fill_hover="#144486",
        button_primary_text_color="#ffffff",
    )


def build_app(assistant: AnswersQuestions, settings: Settings) -> gr.Blocks:
    """The citizens' Gradio app around one loaded ``assistant``; ``web.py`` serves it."""
    offline_env(settings.allow_downloads)
    import gradio as gr

    from assistant.pipeline import bounded_history, clean_question

    store = FeedbackStore.from_settings(settings)
    question_limit = RateLimiter(settings.questions_per_minute)
    feedback_limit = RateLimiter(settings.feedback_per_minute)

    def load_documents() -> tuple[list[dict[str, Any]], str]:
        """(documents, German error message) — the page must render even if the store is down."""
        try:
            return assistant.documents(), ""
        except AssistantError as exc:
            return [], exc.message("de")
        except Exception:
            log.exception("listing the documents failed")
            return [], GENERIC_ERROR

    def refresh_page():
        documents, error = load_documents()
        return render_banner(documents, error), render_document_list(documents)

    def ask_update(session: ChatSession, **changes: Any) -> tuple[Any, ...]:
        """One update of ``ask_outputs``; components not named in ``changes`` stay as they are."""
        names = ("chat", "box", "notice", "target", "comment", "wrong", "status")
        return (session, *(changes.get(name, gr.skip()) for name in names))

    busy = {"n": 0}
    busy_lock = threading.Lock()

    def respond(question: str, session: ChatSession, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        with busy_lock:
            busy["n"] += 1
        try:
            yield from _respond(question, session, request)
        finally:
            with busy_lock:
                busy["n"] -= 1

    def _respond(question: str, session: ChatSession, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        """Ask, then stream the answer in a few growing pieces; errors become messages in the user's language."""
        raw = question or ""
        try:
            # The chat shows the question as it is searched: without control/bidi characters,
            # cut at the configured length (ask() adds the note that it was cut).
            question, _cut = clean_question(raw, settings.max_question_chars)
        except InputError as exc:
            yield ask_update(session, notice=exc.message("de"))
            return
        lang = detect_language(question)
        wait = question_limit.hit(client_id(request))
        if wait:
            # the question stays in the box, to be sent again later
            yield ask_update(session, notice=too_many_message("question", wait, lang))
            return
        turn = ChatTurn(question)
        history = session.history()
        session.turns.append(turn)
        if not under_load(busy["n"]):
            # the question shows at once, with the typing indicator; under load the question stays
            # in the box (Gradio shows its progress timer) until the answer comes with it
            yield ask_update(session, chat=chat_messages(session, partial=""), box="", notice="")
        try:
            answer = assistant.ask(raw, history=history)
        except InputError as exc:
            # The question goes back into the box to be fixed; it is not a turn of the chat.
            session.turns.pop()
            yield ask_update(
                session, chat=chat_messages(session), box=question, notice=exc.message(lang)
            )
            return
        except AssistantError as exc:
            turn.error = exc.message(lang)
        except Exception:
            log.exception("answering failed for a question of %d characters", len(raw))
            turn.error = GENERIC_ERROR_EN if lang == "en" else GENERIC_ERROR
        if turn.error:
            yield ask_update(session, chat=chat_messages(session), box="", notice="")
            return
        # While it streams, every output but the question box (the user may type the next
        # question) gets a value, the same each time: Gradio rebuilds the component of every
        # gr.skip() on every update, which under load cost more CPU than ask() itself.
        form = dict(notice="", target=_feedback_target_text(session), comment="", wrong=False, status="")
        for piece in pieces_to_stream(answer.answer, busy["n"]):
            yield ask_update(session, chat=chat_messages(session, partial=piece), **form)
            time.sleep(STREAM_DELAY_S)
        turn.answer = citizen_copy(answer)
        session.feedback_turn = len(session.turns) - 1
        # The feedback form now refers to this answer, so it starts empty.
        yield ask_update(
            session, chat=chat_messages(session), box="", **{**form, "target": _feedback_target_text(session)}
        )

    def answer_json(question: str, history: list[dict[str, str]], request: gr.Request) -> dict[str, Any]:
        """One answer as JSON, not streamed (the shape of ``assistant ask --json``).

        ``history``: the earlier turns, oldest first, as ``{"question": ..., "answer": ...}``;
        the caller keeps the conversation, so this endpoint holds no session state. Only the last
        ``settings.history_turns`` turns are read, each cut to a bounded length: a client's
        history is never trusted to be small.
        """
        lang = detect_language(question[: settings.max_question_chars]) if isinstance(question, str) else "de"
        wait = question_limit.hit(client_id(request))
        if wait:
            return {"question": question, "error": too_many_message("question", wait, lang), "retry_after": wait}
        try:
            turns = bounded_history(history or [], settings.history_turns, settings.max_question_chars)
        except (TypeError, KeyError, AttributeError, ValueError):
            return {"question": question, "error": "Der Verlauf muss eine Liste von Objekten mit "
                    "„question“ und „answer“ sein."}  # fmt: skip
        try:
            return assistant.ask(question, history=turns).to_json()
        except AssistantError as exc:
            return {"question": question, "error": exc.message(lang)}
        except Exception:
            log.exception("answering failed for a question of %d characters", len(question or ""))
            return {"question": question, "error": GENERIC_ERROR_EN if lang == "en" else GENERIC_ERROR}

    def new_chat():
        session = ChatSession()
        return ask_update(
            session, chat=[], box="", notice="", target=_feedback_target_text(session),
            comment="", wrong=False, status="",
        )  # fmt: skip

    def save_feedback(rating: str, comment: str, wrong_source: bool, session: ChatSession, request: gr.Request):
        """Store (or correct) the rating of the session's current answer; returns (session, status)."""
        index = session.feedback_turn
        if index is None or index >= len(session.turns) or session.turns[index].answer is None:
            return session, "Es gibt noch keine Antwort, die Sie bewerten können."
        comment = comment or ""
        if len(comment) > settings.max_comment_chars:
            # nothing stored, and the comment stays in its box to be shortened
            return session, (
                f"Ihr Kommentar ist zu lang ({len(comment):,} Zeichen; höchstens {settings.max_comment_chars:,}). "
                "Bitte kürzen Sie ihn und senden Sie die Bewertung noch einmal."
            ).replace(",", ".")
        wait = feedback_limit.hit(client_id(request))
        if wait:
            return session, too_many_message("feedback", wait)
        turn = session.turns[index]
        answer = turn.answer
        try:
            if turn.feedback_id is None:
                turn.feedback_id = store.add(
                    rating=rating,
                    question=turn.question,
                    answer=answer.answer,
                    citations=answer.citations,
                    comment=comment,
                    wrong_source=bool(wrong_source),
                    history=session.history(upto=index)[-settings.history_turns :] if settings.history_turns else [],
                    abstained=answer.abstained,
                    language=answer.language,
                )
            else:  # one row per rated answer: a second click corrects the first
                store.update(turn.feedback_id, rating=rating, comment=comment, wrong_source=bool(wrong_source))
        except Exception:
            log.exception("storing feedback failed")
            return session, GENERIC_ERROR
        thanks = "Danke! Ihre Rückmeldung wurde gespeichert."
        if rating == "down" and not comment.strip():
            thanks += (
                " Wenn Sie mögen, schreiben Sie kurz, was gefehlt hat, und klicken Sie dann "
                "noch einmal auf „👎 Nicht hilfreich“."
            )
        return session, thanks

    def on_like(comment: str, wrong_source: bool, session: ChatSession, data: gr.LikeData, request: gr.Request):
        """👍/👎 under a chat message: rate that answer (message i belongs to turn i // 2)."""
        if not isinstance(data.index, int) or not isinstance(data.liked, bool):
            return session, gr.skip(), gr.skip()
        session.feedback_turn = data.index // 2
        session, status = save_feedback("up" if data.liked else "down", comment, wrong_source, session, request)
        return session, _feedback_target_text(session), status

    def rate(rating: str):
        def handler(comment: str, wrong_source: bool, session: ChatSession, request: gr.Request):
            return save_feedback(rating, comment, wrong_source, session, request)

        handler.__annotations__ = {"request": gr.Request}
        return handler

    # Gradio finds the Request and LikeData parameters by their type hints; this module's
    # annotations are strings naming a ``gr`` that is imported late, so hand it the classes.
    respond.__annotations__ = {"request": gr.Request}
    on_like.__annotations__ = {"data": gr.LikeData, "request": gr.Request}
    # gr.api derives the endpoint's schema from the type hints too
    answer_json.__annotations__ = {
        "question": str, "history": list[dict[str, str]], "request": gr.Request, "return": dict[str, Any]
    }  # fmt: skip

    with gr.Blocks(title="Digitale Auskunft", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        session_state = gr.State(ChatSession())
        gr.HTML(HEADER_HTML, padding=False)
        banner = gr.HTML("", padding=False, elem_id="banner")
        chatbot = gr.Chatbot(
            elem_id="chat",
            label="Unterhaltung",
            show_label=False,
            height=680,
            render_markdown=False,  # text is shown as typed; our HTML is sanitised again
            sanitize_html=True,
            buttons=["copy"],
            placeholder=(
                "**Willkommen!** Stellen Sie unten Ihre Frage oder wählen Sie "
                "eine Beispielfrage."
            ),
            layout="panel",
        )
        notice_box = gr.Markdown("", elem_id="notice-box", elem_classes=["fb-status"])
        with gr.Row(equal_height=True, elem_classes=["ask-row"]):
            question = gr.Textbox(
                label="Ihre Frage",
                placeholder="z. B. Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?",
                lines=1,
                max_lines=4,
                scale=5,
                min_width=300,  # on phones the buttons wrap below the box
                elem_id="question",
                autofocus=True,
                submit_btn=False,
            )
            with gr.Column(scale=1, min_width=150):
                ask_btn = gr.Button("Fragen", variant="primary", elem_id="ask")
                new_btn = gr.Button(
                    "Neues Gespräch", variant="secondary", size="sm", elem_id="new-chat"
                )
        gr.Markdown("Beispielfragen:", elem_classes=["examples-label"])
        with gr.Row(elem_classes=["example-row"]):
            example_btns = [
                gr.Button(text, size="sm", variant="secondary") for text in EXAMPLE_QUESTIONS
            ]
        gr.HTML(NOTICE_HTML, padding=False)
        with gr.Accordion("Rückmeldung zur Antwort", open=True, elem_classes=["feedback-box"]):
            fb_target = gr.Markdown(
                _feedback_target_text(ChatSession()), elem_classes=["fb-target"]
            )
            fb_comment = gr.Textbox(
                label="Kommentar (optional)",
                placeholder="Was hat gefehlt oder war falsch? Bitte keine persönlichen Daten.",
                lines=2,
                max_lines=6,
                max_length=settings.max_comment_chars,
                elem_id="fb-comment",
            )
            fb_wrong = gr.Checkbox(label="Falsche Quelle angegeben", elem_id="fb-wrong")
            with gr.Row():
                fb_up = gr.Button("👍 Hilfreich", size="sm", elem_id="fb-up")
                fb_down = gr.Button("👎 Nicht hilfreich", size="sm", elem_id="fb-down")
            fb_status = gr.Markdown("", elem_id="fb-status", elem_classes=["fb-status"])
        with gr.Accordion("Welche Dokumente durchsucht werden", open=False):
            doc_list = gr.HTML("", padding=False)

        # public: the banner and the list of documents are what every visitor sees anyway
        app.load(refresh_page, None, [banner, doc_list], api_name="refresh")

        # In the order of ask_update(); the API returns them without the state.
        ask_outputs = [session_state, chatbot, question, notice_box, fb_target, fb_comment, fb_wrong, fb_status]
        question.submit(respond, [question, session_state], ask_outputs, api_visibility="private")
        ask_btn.click(respond, [question, session_state], ask_outputs, api_name="ask")
        for button, text in zip(example_btns, EXAMPLE_QUESTIONS, strict=True):
            button.click(lambda t=text: t, None, question, api_visibility="private").then(
                respond, [question, session_state], ask_outputs, api_visibility="private"
            )
        # Not queued: it computes nothing, and through the queue it cost as much server CPU as
        # the HTTP part of an answer (measured: `assistant bench load`, which starts every
        # conversation with it).
        new_btn.click(new_chat, None, ask_outputs, api_name="new_chat", queue=False)
        # For integrators and the load benchmark: the same ask() without the chat around it.
        gr.api(answer_json, api_name="answer")
        # The chat's own bin icon must forget the turns too, or follow-ups would use them.
        chatbot.clear(new_chat, None, ask_outputs, api_visibility="private")

        fb_inputs = [fb_comment, fb_wrong, session_state]
        fb_outputs = [session_state, fb_status]
        fb_up.click(rate("up"), fb_inputs, fb_outputs, api_name="feedback_up")
        fb_down.click(rate("down"), fb_inputs, fb_outputs, api_name="feedback_down")
        chatbot.like(on_like, fb_inputs, [session_state, fb_target, fb_status], api_visibility="private")
    return app
