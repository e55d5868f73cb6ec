"""The citizens' HTML: records -> escaped HTML strings. Pure functions, unit-tested without a
browser or Gradio.

Every piece of document or user text goes through ``html.escape`` first: the chat sanitises
HTML, but ``gr.HTML`` (staff tab, banners) does not, so escaping is the one defence that covers
both.
"""
from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from assistant.messages import note_languages
from assistant.records import Answer, Citation
from assistant.text import format_date

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
        "short": "Kurz",
        "read": "Zum Nachlesen",
    },
    "en": {
        "abstained": "No reliable answer in the documents",
        "sources": "Sources",
        "open": "Open the original",
        "page": "Page",
        "pending": "Searching the documents …",
        "short": "In short",
        "read": "To read for yourself (in German)",
    },
}
PASSAGE_CONTEXT = 220  # characters of the passage shown before and after the cited sentences

_CITE_MARK = re.compile(r"\[(\d+)\]")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")



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
        # the note in the asker's language, then German and English (language.foreign_note): each
        # paragraph with its own language and direction (Arabic and Persian run right to left);
        # matched from the end, where German and English always are
        paras = answer.answer.split("\n\n")
        paras_html = "".join(
            f'<p class="answer-text" lang="{esc(code)}" dir="auto">{esc(para)}</p>'
            for code, para in zip(note_languages(answer.language)[-len(paras) :], paras)
        )
        return f'<div class="answer abstained foreign" lang="de">{paras_html}</div>'
    if answer.basis == "smalltalk":
        # a greeting or the help text: no verdict on the documents, so no "no answer" badge
        return f'<div class="answer abstained smalltalk" lang="{lang}"><p class="answer-text">{esc(answer.answer)}</p></div>'
    if answer.abstained:
        return (
            f'<div class="answer abstained" lang="{lang}">'
            f'<p class="answer-badge">{labels["abstained"]}</p>'
            f'<p class="answer-text">{_answer_text_html(answer.answer)}</p>{render_documents(answer, lang)}'
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
        f'<div class="answer" lang="{lang}">{render_short(answer, lang)}'
        f'<p class="answer-text">{_answer_text_html(answer.answer)}</p>{sources_html}</div>'
    )


def render_documents(answer: Answer, lang: str) -> str:
    """An abstention's nearest documents as links to their originals ("Zum Nachlesen"): the
    assistant found no answer, which is not to say that the documents hold none. Documents without
    an http(s) link are left out; nothing when none has one."""
    links = []
    for doc in answer.documents:
        url = safe_url(doc.url)
        if url:
            host = (urlsplit(url).hostname or "").removeprefix("www.")
            links.append(
                f'<li><a class="source-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
                f"{esc(doc.title or doc.doc_id)}</a> ({esc(host)})</li>"
            )
    if not links:
        return ""
    return (
        f'<div class="sources"><p class="sources-title">{BUBBLE_LABELS[lang]["read"]}</p>'
        f'<ul class="document-list">{"".join(links)}</ul></div>'
    )


def render_short(answer: Answer, lang: str) -> str:
    """The short answer above the quotes ("Kurz: 95.000 Euro [1]"), or nothing."""
    if answer.short is None:
        return ""
    short = answer.short
    return (
        f'<p class="answer-short"><span class="answer-short-label">{BUBBLE_LABELS[lang]["short"]}:</span> '
        f"<strong>{esc(short.text)}</strong> {_answer_text_html(f'[{int(short.n)}]')}</p>"
    )


def render_partial(text: str) -> str:
    """The answer while it streams in: text so far, no sources yet."""
    return (
        '<div class="answer streaming">'
        f'<p class="answer-text">{_answer_text_html(text)}<span class="cursor">▍</span></p></div>'
    )


def render_pending(lang: str = "de") -> str:
    return f'<div class="answer pending"><p class="answer-text">{BUBBLE_LABELS[lang]["pending"]}</p></div>'


def generic_error(lang: str) -> str:
    """What the user reads when something failed that is not theirs to fix: no details."""
    return GENERIC_ERROR_EN if lang == "en" else GENERIC_ERROR


def render_error(message: str) -> str:
    return f'<div class="answer error" role="alert"><p class="answer-text">{esc(message)}</p></div>'


def render_question(question: str) -> str:
    # The chat shows text as is (render_markdown=False), so escaping leaves the user's characters
    # visible exactly as typed, including "<script>".
    return esc(question)


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
