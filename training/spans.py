"""Repairing a writer's span: where the text a writer quoted sits in its passage, tolerating
differences of whitespace, quotes and dashes (and, in law passages, Markdown's escapes) but not of
words."""
from __future__ import annotations

import re

_QUOTES = str.maketrans({"„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "–": "-", "—": "-", "\u00a0": " "})


def locate(span: str, text: str, near: int = 0) -> int | None:
    """Offset of ``span`` in ``text``, tolerating differences of whitespace, quotes and dashes;
    the occurrence closest to ``near`` when there are several. None when it is not there."""
    span = span.strip()
    if not span:
        return None
    hits = [m.start() for m in re.finditer(re.escape(span), text)]
    if hits:
        return min(hits, key=lambda h: abs(h - near))
    # same characters modulo typography: search a pattern that lets each space match any run of
    # whitespace and each quote or dash match its variants, on the original text (offsets kept)
    parts = []
    for ch in span.translate(_QUOTES):
        if ch.isspace():
            if not parts or parts[-1] != r"\s+":
                parts.append(r"\s+")
        elif ch == '"':
            parts.append("[\"„“”»«]")
        elif ch == "'":
            parts.append("['‚‘’]")
        elif ch == "-":
            parts.append("[-–—]")
        else:
            parts.append(re.escape(ch))
    hits = [m.start() for m in re.finditer("".join(parts), text)]
    return min(hits, key=lambda h: abs(h - near)) if hits else None


def span_in(span: str | None, text: str) -> tuple[str, int] | None:
    """(the passage's own characters for ``span``, their offset), or None when it is not there."""
    if not span:
        return None
    at = locate(span, text)
    if at is None:
        # law passages lost Markdown's escapes ("1\\. März") after the writers saw them
        from .lawtext import MD_ESCAPE

        span = MD_ESCAPE.sub(r"\1", span)
        at = locate(span, text)
    if at is None:
        return None
    length = _matched_length(span.strip(), text, at)
    return (text[at : at + length], at) if length else None


def _matched_length(span: str, text: str, at: int) -> int:
    """Length in ``text`` of the typography-tolerant match of ``span`` starting at ``at``."""
    i, j = 0, at
    span = span.translate(_QUOTES)
    while i < len(span) and j < len(text):
        if span[i].isspace():
            while i < len(span) and span[i].isspace():
                i += 1
            while j < len(text) and text[j].isspace():
                j += 1
            continue
        if span[i] != text[j].translate(_QUOTES) and span[i] != text[j]:
            return 0
        i += 1
        j += 1
    return j - at if i == len(span) else 0
