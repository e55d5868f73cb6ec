"""One document made ready for the index: its file read, cleaned, described (title, date, …) and
split into chunks, with a hash that says whether it changed since the last ingest. A pure function
of the file: no model, no store."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assistant import wordlist
from assistant.records import chunk_metadata
from assistant.settings import Settings

from .chunk import chunk_text
from .clean import clean
from .loaders import RawDocument, SkipFile, display_name, load

if TYPE_CHECKING:
    from langchain_core.documents import Document

# Bump when cleaning/splitting changes, so every document is processed again.
PIPELINE_VERSION = "4"  # 4: instruction sentences filtered, NFC file names

_MONTHS = {m.lower(): i + 1 for i, m in enumerate(wordlist.ordered("months-de"))}
_DATE_WORDS = re.compile(r"\b(\d{1,2})\.\s*(" + "|".join(_MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)
_DATE_NUM = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def find_date(text: str) -> str:
    """The first date stated near the top of a document, as ISO ``YYYY-MM-DD`` (or "")."""
    head = text[:600]
    found = []
    for m in _DATE_WORDS.finditer(head):
        found.append((m.start(), int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))))
    for m in _DATE_NUM.finditer(head):
        found.append((m.start(), int(m.group(3)), int(m.group(2)), int(m.group(1))))
    for m in _DATE_ISO.finditer(head):
        found.append((m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for _, y, mo, d in sorted(found):
        try:
            return datetime(y, mo, d).date().isoformat()
        except ValueError:
            continue
    return ""


@dataclass
class PreparedDocument:
    doc_id: str
    hash: str
    meta: dict[str, str]
    text: str  # the cleaned text all offsets refer to
    chunks: list[Document]
    removed_lines: tuple[str, ...] = ()
    path: str = ""
    instructions: tuple[str, ...] = ()  # sentences addressed to an AI, kept out of the index


def doc_hash(raw: RawDocument, settings: Settings) -> str:
    h = hashlib.sha256()
    h.update(raw.raw_bytes)
    h.update(json.dumps(raw.meta, sort_keys=True).encode())
    h.update(f"{PIPELINE_VERSION}/{settings.chunk_chars}".encode())
    return h.hexdigest()


def prepare(raw: RawDocument, settings: Settings, hash_: str | None = None) -> PreparedDocument:
    """Clean, describe and chunk one document. Pure function of the file: no model, no store."""
    from langchain_core.documents import Document

    texts, page_starts, removed, instructions = [], [], [], []
    offset = 0
    for page in raw.pages:
        result = clean(page)
        removed.extend(result.removed)
        instructions.extend(result.instructions)
        if texts:
            offset += 2  # the "\n\n" joining pages
        page_starts.append(offset)
        texts.append(result.text)
        offset += len(result.text)
    text = "\n\n".join(texts)
    if not text.strip():
        if instructions:
            raise SkipFile(
                f"enthält nur Anweisungen an eine KI ({len(instructions)} Sätze, nicht übernommen), "
                f"z. B. „{instructions[0][:120]}“"
            )
        raise SkipFile("nach der Bereinigung bleibt kein Text übrig")
    first_line = text.strip().split("\n", 1)[0].strip()
    meta = {
        "doc_id": raw.doc_id,
        "title": raw.meta.get("title") or first_line[:200],
        "source": raw.source,
        "url": raw.meta.get("url", ""),
        "date": raw.meta.get("date") or find_date(text),
        "publisher": raw.meta.get("publisher", ""),
    }
    is_pdf = len(raw.pages) > 1 or raw.path.suffix.lower() == ".pdf"
    chunks = []
    for span in chunk_text(text, settings.chunk_chars):
        page = max(i for i, s in enumerate(page_starts) if s <= span.start) + 1 if is_pdf else -1
        chunks.append(
            Document(
                page_content=text[span.start : span.end],
                metadata=chunk_metadata(meta, span.index, span.start, span.end, span.sentences, page),
            )
        )
    return PreparedDocument(
        raw.doc_id, hash_ or "", meta, text, chunks, tuple(removed), display_name(raw.path), tuple(instructions)
    )


def load_document(path: Path, settings: Settings, root: Path | None = None) -> PreparedDocument:
    """Read and prepare one file (used by tests and by staff tools to see the cleaned text)."""
    raw = load(path, root or path.parent, max_mb=settings.max_file_mb)
    return prepare(raw, settings, doc_hash(raw, settings))
