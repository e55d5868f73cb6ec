"""Read corpus files into raw text plus metadata. Unreadable files raise ``SkipFile`` with a reason.

Formats: ``.txt``/``.md`` (encoding detected), ``.html``/``.htm`` (main text via trafilatura,
scripts/styles dropped), ``.pdf`` (text per page via pypdf). Metadata comes from a sidecar
``<file>.meta.json`` (title, publisher, date, url) and, where absent, from the text itself.
"""
from __future__ import annotations

import errno
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}
MAX_BYTES = 20 * 1024 * 1024  # a document larger than this is almost surely not one press text

_MAGIC = {
    b"PK\x03\x04": "ZIP-Archiv",
    b"\x89PNG": "PNG-Bild",
    b"\xff\xd8\xff": "JPEG-Bild",
    b"GIF8": "GIF-Bild",
    b"%PDF": "PDF",
    b"\x1f\x8b": "gzip-Archiv",
    b"\x7fELF": "Programmdatei",
    b"Rar!": "RAR-Archiv",
    b"7z\xbc\xaf": "7z-Archiv",
}


class SkipFile(Exception):
    """The file cannot be ingested; ``str(exc)`` is the reason, in German, for the ingest log."""


@dataclass
class RawDocument:
    doc_id: str
    path: Path  # resolved path, for ingest bookkeeping only (never shown to users)
    source: str  # display name relative to the ingest root
    pages: list[str]  # one entry for text formats, one per page for PDFs
    meta: dict[str, str] = field(default_factory=dict)
    raw_bytes: bytes = b""


def iter_files(root: Path) -> Iterator[Path]:
    """Files below ``root`` (or ``root`` itself), sorted, following directory symlinks without looping."""
    if root.is_file():
        yield root
        return
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        st = os.stat(dirpath)
        if (st.st_dev, st.st_ino) in seen:  # a symlink loop brought us back here
            dirnames[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith(".meta.json"):
                continue
            path = Path(dirpath) / name
            if path.suffix.lower() in SUFFIXES:
                yield path


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise SkipFile("Zeichenkodierung nicht erkennbar")
    return str(best)


def _check_binary(data: bytes, suffix: str) -> None:
    for magic, kind in _MAGIC.items():
        if data.startswith(magic) and not (kind == "PDF" and suffix == ".pdf"):
            raise SkipFile(f"keine Textdatei, sondern {kind}")
    if suffix == ".pdf" and data.startswith(b"%PDF"):
        return  # PDFs carry binary streams (images, compressed text); pypdf judges them
    head = data[:8192]
    if b"\x00" in head:
        raise SkipFile("Binärdatei (enthält Nullbytes)")


def _load_text(data: bytes) -> list[str]:
    text = _decode(data)
    controls = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * max(1, min(len(text), 8192)):
        raise SkipFile("Binärdatei (zu viele Steuerzeichen)")
    return [text]


def _load_markdown(data: bytes) -> list[str]:
    text = _load_text(data)[0]
    text = re.sub(r"^\s{0,3}#{1,6}\s*", "", text, flags=re.M)  # heading marks
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"\1 (\2)", text)  # links keep their target
    text = re.sub(r"(\*\*|__|`)", "", text)
    return [text]


def _load_html(data: bytes) -> tuple[list[str], dict[str, str]]:
    import trafilatura

    html = _decode(data)
    meta: dict[str, str] = {}
    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    found = trafilatura.extract_metadata(html)
    if found is not None:
        for key in ("title", "date", "url"):
            value = getattr(found, key, None)
            if value:
                meta[key] = str(value)
        if getattr(found, "sitename", None):
            meta["publisher"] = str(found.sitename)
    if not text:
        # trafilatura found no main text (e.g. a bare fragment): fall back to all visible text
        from lxml import html as lxml_html

        try:
            tree = lxml_html.document_fromstring(html)
        except Exception as exc:  # lxml raises several types for broken markup
            raise SkipFile(f"HTML nicht lesbar ({exc.__class__.__name__})") from exc
        # the <head> (title, meta) is not body text: a page of nothing but scripts must come out empty
        for bad in tree.xpath("//head|//script|//style|//noscript|//template|//iframe|//svg|//object"):
            bad.drop_tree()
        text = "\n".join(t.strip() for t in tree.itertext() if t.strip())
    return [text], meta


def _load_pdf(path: Path) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise SkipFile(f"PDF defekt oder verschlüsselt ({exc.__class__.__name__})") from exc
    if not any(p.strip() for p in pages):
        raise SkipFile("PDF ohne Textebene (gescanntes Bild?); bitte vorher per OCR erschließen")
    return pages


def read_sidecar(path: Path) -> dict[str, str]:
    side = path.with_name(path.name + ".meta.json")
    if not side.exists():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SkipFile(f"Metadatei {side.name} ist kein gültiges JSON ({exc})") from exc
    return {k: str(v) for k, v in data.items() if isinstance(v, (str, int, float))}


def display_name(path: Path | str) -> str:
    """A file name as people read it: NFC, and bytes that are not UTF-8 (a Windows-1252 name from
    an old share) decoded as Windows-1252 instead of ending up as lone surrogates, which cannot be
    stored or shown."""
    raw = os.fsencode(str(path))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return unicodedata.normalize("NFC", text)


def resolved(path: Path) -> Path:
    """``path.resolve()``, or the absolute path where a symlink loop makes resolving impossible."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # Python < 3.13 raises RuntimeError("Symlink loop ...")
        return path.absolute()


_OS_REASONS = {
    errno.ELOOP: "Symlink-Schleife (die Verknüpfung zeigt im Kreis)",
    errno.ENOENT: "Verknüpfung ins Leere (Ziel existiert nicht)",
    errno.EACCES: "keine Leseberechtigung",
    errno.EPERM: "keine Leseberechtigung",
    errno.EISDIR: "ist ein Ordner",
}


def load(path: Path, root: Path, max_mb: float = MAX_BYTES / 2**20) -> RawDocument:
    """Read one file. Raises ``SkipFile`` with a German reason when it cannot be used.

    The size is checked with ``stat`` before reading, so an oversized file is never loaded."""
    try:
        size = path.stat().st_size
        if size == 0:
            raise SkipFile("leere Datei")
        if size > max_mb * 2**20:
            raise SkipFile(
                f"zu groß ({size / 2**20:.3g} MB, Grenze {max_mb:g} MB; "
                "die Grenze lässt sich mit ASSISTANT_MAX_FILE_MB anheben)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise SkipFile(f"nicht lesbar: {_OS_REASONS.get(exc.errno, exc.strerror or exc.__class__.__name__)}") from exc
    suffix = path.suffix.lower()
    _check_binary(data, suffix)
    meta: dict[str, str] = {}
    if suffix == ".pdf":
        pages = _load_pdf(path)
    elif suffix in {".html", ".htm"}:
        pages, meta = _load_html(data)
    elif suffix in {".md", ".markdown"}:
        pages = _load_markdown(data)
    else:
        pages = _load_text(data)
    if not any(p.strip() for p in pages):
        raise SkipFile("enthält keinen Text")
    meta.update(read_sidecar(path))
    base = root if root.is_dir() else root.parent
    try:
        rel = path.relative_to(base)
    except ValueError:
        rel = Path(path.name)
    doc_id = display_name(rel.with_suffix("").as_posix())
    return RawDocument(
        doc_id=doc_id, path=resolved(path), source=display_name(rel.as_posix()), pages=pages, meta=meta, raw_bytes=data
    )
