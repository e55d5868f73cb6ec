"""The retriever's view of the chunk collection, kept column by column and cached on disk.

Every question needs the chunk records of its top passages, and BM25 hits arrive as row numbers,
so the retriever holds all chunk records of one corpus version. As Python objects they were the
largest part of a cold start at 100,000 chunks (unpickling 100,000 ``Chunk`` objects: ~2–3 s of
a 5.4 s ``assistant ask``). Here they are columns instead: the texts as one UTF-8 file and the
numbers as numpy arrays, both memory-mapped, so opening a snapshot reads only the ids and the
document table, and a ``Chunk`` is built when a question asks for that row.

The cache is a folder per corpus version under ``data_dir/snapshot``, written by this code only,
complete once ``done.json`` exists; a stale or damaged folder is never read (``load`` returns None
and the retriever reads the collection from Chroma again).
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import overload

import numpy as np

from .records import Chunk, DocMeta

FORMAT = "cols-v1"  # part of the folder name: bump when the columns change
_DOC_FIELDS = ("doc_id", "title", "source", "url", "date", "publisher")


class ChunkTable(Sequence[Chunk]):
    """All chunks of one corpus version; ``table[i]`` builds the ``Chunk`` of row ``i``.

    Rows are in a stable order (document id, chunk index), the order the BM25 rows use.
    """

    def __init__(
        self,
        ids: list[str],
        docs: list[list[str]],  # one row of _DOC_FIELDS per distinct document record
        doc_of: np.ndarray,  # (n,) row -> index into docs
        ints: np.ndarray,  # (n, 4): chunk index, start, end, page (-1: none)
        spans: np.ndarray,  # (m, 2): sentence spans of all rows, row after row
        span_ptr: np.ndarray,  # (n + 1,): row i's spans are spans[span_ptr[i]:span_ptr[i + 1]]
        text: np.ndarray,  # (bytes,) uint8: the UTF-8 texts, row after row
        text_ptr: np.ndarray,  # (n + 1,): byte offsets of each row's text
    ) -> None:
        self.ids = ids
        self._doc_rows = docs
        self._doc_cache: dict[int, DocMeta] = {}
        self._doc_of = doc_of
        self._ints = ints
        self._spans = spans
        self._span_ptr = span_ptr
        self._text = text
        self._text_ptr = text_ptr

    # -- Sequence -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, i: int) -> Chunk: ...
    @overload
    def __getitem__(self, i: slice) -> list[Chunk]: ...
    def __getitem__(self, i: int | slice) -> Chunk | list[Chunk]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        text = self._text_of(i)
        index, start, end, page = self._ints[i].tolist()
        p, q = self._span_ptr[i : i + 2].tolist()
        spans = tuple(map(tuple, self._spans[p:q].tolist()))
        return Chunk(
            id=self.ids[i],
            doc=self._doc(int(self._doc_of[i])),
            index=index,
            text=text,
            start=start,
            end=end,
            sentences=spans or ((0, len(text)),),
            page=page if page > 0 else None,
        )

    def __iter__(self) -> Iterator[Chunk]:
        return (self[i] for i in range(len(self)))

    def _text_of(self, i: int) -> str:
        a, b = self._text_ptr[i : i + 2].tolist()
        return self._text[a:b].tobytes().decode("utf-8")

    def _doc(self, j: int) -> DocMeta:
        # built on first use: a large corpus has tens of thousands of documents, a question needs a few
        doc = self._doc_cache.get(j)
        if doc is None:
            doc = self._doc_cache[j] = DocMeta(*self._doc_rows[j])
        return doc

    @property
    def docs(self) -> list[DocMeta]:
        """The distinct document records, in the order of their first row."""
        return [self._doc(j) for j in range(len(self._doc_rows))]

    def doc_chunks(self, doc_id: str) -> list[Chunk]:
        """All chunks of one document, in order (questions about the document itself, see docinfo.py)."""
        js = [j for j, row in enumerate(self._doc_rows) if row[0] == doc_id]
        rows = np.flatnonzero(np.isin(self._doc_of, js)) if js else []
        return sorted((self[int(i)] for i in rows), key=lambda c: c.index)

    def titles(self) -> list[str]:
        """One title per document id, in row order."""
        seen: dict[str, str] = {}
        for row in self._doc_rows:
            seen.setdefault(row[0], row[1])
        return list(seen.values())

    def texts_for_bm25(self) -> list[str]:
        """Each row's title and text, the text BM25 indexes (the title gives a chunk the context
        of its document: measured +0.8 points recall@1 on xquad-de)."""
        return [f"{self._doc_rows[int(self._doc_of[i])][1]}\n{self._text_of(i)}" for i in range(len(self))]

    # -- building -------------------------------------------------------------------------------
    @classmethod
    def from_chunks(cls, chunks: Sequence[Chunk]) -> ChunkTable:
        docs: dict[DocMeta, int] = {}
        doc_of = np.zeros(len(chunks), dtype=np.int32)
        ints = np.zeros((len(chunks), 4), dtype=np.int64)
        span_ptr = np.zeros(len(chunks) + 1, dtype=np.int64)
        text_ptr = np.zeros(len(chunks) + 1, dtype=np.int64)
        spans: list[tuple[int, int]] = []
        blobs: list[bytes] = []
        for i, c in enumerate(chunks):
            doc_of[i] = docs.setdefault(c.doc, len(docs))
            ints[i] = (c.index, c.start, c.end, c.page or -1)
            spans += c.sentences
            span_ptr[i + 1] = len(spans)
            blobs.append(c.text.encode("utf-8"))
            text_ptr[i + 1] = text_ptr[i] + len(blobs[-1])
        return cls(
            [c.id for c in chunks],
            [[getattr(d, f) for f in _DOC_FIELDS] for d in docs],
            doc_of,
            ints,
            np.asarray(spans, dtype=np.int64).reshape(-1, 2),
            span_ptr,
            np.frombuffer(b"".join(blobs), dtype=np.uint8),
            text_ptr,
        )

    # -- disk cache -----------------------------------------------------------------------------
    _ARRAYS = ("doc_of", "ints", "spans", "span_ptr", "text_ptr")

    def save(self, root: Path, version: str) -> None:
        """Write the table for ``version`` under ``root`` and remove other versions' folders.

        Written into a temporary folder and renamed, so a concurrent start reads a complete
        folder or none. Raises OSError (a read-only or full data dir); the caller carries on.
        """
        final = root / _folder_name(version)
        if (final / "done.json").exists():
            return
        root.mkdir(parents=True, exist_ok=True)
        tmp = root / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir()
            for name in self._ARRAYS:
                np.save(tmp / f"{name}.npy", getattr(self, f"_{name}"))
            (tmp / "text.bin").write_bytes(self._text.tobytes())
            (tmp / "ids.json").write_text(json.dumps(self.ids, ensure_ascii=False), encoding="utf-8")
            (tmp / "docs.json").write_text(json.dumps(self._doc_rows, ensure_ascii=False), encoding="utf-8")
            (tmp / "done.json").write_text(json.dumps({"version": version, "rows": len(self)}))
            try:
                os.replace(tmp, final)
            except OSError:  # another process wrote the same version first
                if not (final / "done.json").exists():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        # earlier versions (and the pickle of the first format, a13dcb9): readers that have them mapped
        # keep working, since an unlinked file stays readable while it is open
        for old in root.iterdir():
            if old == final or old.name.startswith(".tmp-"):
                continue
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
            else:
                old.unlink(missing_ok=True)

    @classmethod
    def load(cls, root: Path, version: str) -> ChunkTable | None:
        """The table saved for ``version``, or None if there is none (or it is damaged)."""
        folder = root / _folder_name(version)
        try:
            info = json.loads((folder / "done.json").read_text())
            if info.get("version") != version:
                return None
            # plain ndarray views of the mappings: indexing np.memmap itself costs ~3 µs a call
            arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r").view(np.ndarray) for name in cls._ARRAYS}
            size = (folder / "text.bin").stat().st_size
            text = np.memmap(folder / "text.bin", dtype=np.uint8, mode="r").view(np.ndarray) if size else np.zeros(0, np.uint8)
            ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
            docs = json.loads((folder / "docs.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            return None
        n = int(info.get("rows", -1))
        if not all(isinstance(r, list) and len(r) == len(_DOC_FIELDS) for r in docs):
            return None
        if len(ids) != n or len(arrays["doc_of"]) != n or len(arrays["text_ptr"]) != n + 1 or int(arrays["text_ptr"][-1]) != len(text):
            return None
        return cls(ids, docs, arrays["doc_of"], arrays["ints"], arrays["spans"], arrays["span_ptr"], text, arrays["text_ptr"])


def _folder_name(version: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in version)
    return f"{FORMAT}-{safe}"


__all__ = ["ChunkTable", "FORMAT"]
