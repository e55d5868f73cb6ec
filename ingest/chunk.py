"""Sentence-aligned chunks with character offsets into the cleaned document text.

A chunk is a run of whole sentences, ``text[start:end]``, of about ``target`` characters. Chunks
prefer to end at a paragraph break once they are half full, so a heading stays with the paragraph
it introduces and a paragraph is rarely cut. A single sentence longer than ``target`` forms its
own chunk (the embedder truncates, BM25 does not).
"""
from __future__ import annotations

from dataclasses import dataclass

from .sentences import Span, split_sentences


@dataclass(frozen=True)
class ChunkSpan:
    index: int
    start: int
    end: int
    sentences: tuple[Span, ...]  # relative to ``start``


def chunk_text(text: str, target: int = 700, sentences: list[Span] | None = None) -> list[ChunkSpan]:
    """Group the sentences of ``text`` into chunks; every sentence lands in exactly one chunk."""
    sents = sentences if sentences is not None else split_sentences(text)
    chunks: list[ChunkSpan] = []
    current: list[Span] = []

    def flush() -> None:
        if current:
            s0 = current[0][0]
            rel = tuple((a - s0, b - s0) for a, b in current)
            chunks.append(ChunkSpan(len(chunks), s0, current[-1][1], rel))
            current.clear()

    for span in sents:
        if current:
            size = current[-1][1] - current[0][0]
            new_paragraph = "\n" in text[current[-1][1] : span[0]]
            if size + (span[1] - current[-1][1]) > target or (new_paragraph and size >= target // 2):
                flush()
        current.append(span)
    flush()
    return chunks
