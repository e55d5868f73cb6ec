"""Quotations in a chunk and who speaks them.

A press release quotes its speakers over several sentences and names them once („A. B. C“, sagt
Landrat Doğan.): the sentences inside such a quotation count with the words around it.
"""
from __future__ import annotations

from functools import lru_cache

from ..text import content_terms

# Quotation marks: German „…“ and »…«, English “…”. A straight " toggles.
_OPEN = {"„": "“", "»": "«", '"': '"'}


def quotations(text: str) -> list[tuple[int, int]]:
    """(opening mark, closing mark) offsets of the quotations in ``text``. A chunk may begin or end
    inside one: -1 stands for an opening before the text, ``len(text)`` for a closing after it.
    German „…“ and English “…” share the mark “: it closes when a „ is open or no ” follows."""
    spans: list[tuple[int, int]] = []
    opened, closer = -1, ""
    for j, ch in enumerate(text):
        if closer:
            if ch == closer:
                spans.append((opened, j))
                closer = ""
        elif ch in _OPEN:
            opened, closer = j, _OPEN[ch]
        elif ch == "“":
            if "”" in text[j + 1 :]:
                opened, closer = j, "”"
            else:
                spans.append((-1, j))  # opened in the text before this chunk
    if closer:
        spans.append((opened, len(text)))  # closed in the text after it
    return spans


@lru_cache(maxsize=4096)
def attributions(text: str, sentences: tuple[tuple[int, int], ...]) -> tuple[frozenset[str], ...]:
    """For each sentence of a quotation spanning several sentences, the content terms of the words
    around the quotation: „A. B. C“, sagt Landrat Doğan. — B is what the Landrat says, though
    its own words never name him. Other sentences get an empty set."""
    out = [frozenset()] * len(sentences)
    for qa, qb in quotations(text):
        inside = [k for k, (a, b) in enumerate(sentences) if a < qb and b > qa + 1]
        if len(inside) < 2:
            continue  # a title or a short quote within one sentence
        first, last = sentences[inside[0]], sentences[inside[-1]]
        around = text[first[0] : max(qa, first[0])] + " " + text[qb + 1 : last[1]]
        terms = frozenset(content_terms(around))
        for k in inside:
            out[k] = out[k] | terms
    return tuple(out)

