"""Hybrid retrieval: dense search in Chroma plus BM25, fused by reciprocal rank fusion.

The retriever keeps a snapshot of the collection (a column-wise chunk table, see snapshot.py, plus
the BM25 index). Before a search it asks the store for the corpus version (at most every
``_CHECK_SECONDS``) and reloads the snapshot only when an ingest changed it, so several app
instances on one Chroma server stay current.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .embeddings import Embedder
from .lexical import RECIPE, BM25Index
from .records import Passage, chunk_from_record
from .settings import Settings
from .snapshot import ChunkTable
from .store import Store

_CHECK_SECONDS = 2.0


@dataclass
class Corpus:
    """An in-memory snapshot of the collection at one corpus version."""

    version: str
    chunks: ChunkTable
    bm25: BM25Index
    by_id: dict[str, int] = field(default_factory=dict)
    # chunks Chroma's vector index does not reach (Store.make_findable), with their unit vectors
    lost_ids: list[str] = field(default_factory=list)
    lost_vecs: np.ndarray | None = None

    @cached_property
    def titles(self) -> list[str]:
        """Document titles, once per snapshot (asked for on every question)."""
        return self.chunks.titles()


def rrf(rankings: list[list[str]], k: int = 60, weights: list[float] | None = None) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of ranked id lists: score(id) = Σ w / (k + rank), rank from 1."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


class HybridRetriever:
    def __init__(self, store: Store, embedder: Embedder, settings: Settings):
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self._corpus: Corpus | None = None
        self._checked = 0.0
        self._lock = threading.Lock()
        self._collection: tuple[object, str, object] | None = None  # (client, corpus version, handle)

    # -- snapshot -----------------------------------------------------------------------------
    def _snapshot_root(self) -> Path:
        return self.settings.data_dir / "snapshot" / self.store.name

    def _read_snapshot(self, version: str) -> ChunkTable | None:
        """The chunk table of ``version`` saved by an earlier start, or None (see snapshot.py)."""
        return ChunkTable.load(self._snapshot_root(), version)

    def _write_snapshot(self, version: str, table: ChunkTable) -> None:
        try:
            table.save(self._snapshot_root(), version)
        except OSError:
            pass  # a read-only or full data dir only costs the cache, not the answer

    def _fetch_chunks(self) -> ChunkTable:
        got = self.store.get_all(self.store.chunks(), ["documents", "metadatas"])
        ids, texts, metas = got["ids"], got["documents"], got["metadatas"]
        # a stable order, so the BM25 rows match whatever order Chroma returned
        order = sorted(range(len(ids)), key=lambda i: (str(metas[i].get("doc_id")), int(metas[i].get("chunk_index", 0)), ids[i]))
        return ChunkTable.from_chunks([chunk_from_record(ids[i], texts[i], metas[i]) for i in order])

    def _load(self, version: str) -> Corpus:
        chunks = self._read_snapshot(version) if version else None
        if chunks is None:
            chunks = self._fetch_chunks()
            if version and len(chunks):
                self._write_snapshot(version, chunks)
        if not len(chunks):
            return Corpus(version, chunks, BM25Index.empty(), {})
        cache = self.settings.data_dir / "bm25" / self.store.name / RECIPE
        bm25 = BM25Index.load(cache, version) if version else None
        if bm25 is None or bm25.size != len(chunks):
            bm25 = BM25Index.build(chunks.texts_for_bm25())
            if version:
                try:
                    bm25.save(cache, version)
                except OSError:
                    pass  # a read-only data dir only costs the cache, not the answer
        by_id = {cid: i for i, cid in enumerate(chunks.ids)}
        lost_ids, lost_vecs = self._lost(by_id)
        return Corpus(version, chunks, bm25, by_id, lost_ids, lost_vecs)

    def _lost(self, by_id: dict[str, int]) -> tuple[list[str], np.ndarray | None]:
        """The recorded chunks vector search cannot reach, as unit vectors (usually none)."""
        ids = [cid for cid in self.store.lost_chunks() if cid in by_id]
        if not ids:
            return [], None
        got = self.store.call(self.store.chunks().get, ids=ids, include=["embeddings"])
        vecs = np.asarray(got["embeddings"], dtype=np.float32)
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return list(got["ids"]), vecs

    def corpus(self) -> Corpus:
        """The current snapshot; reloaded when the store's corpus version changed."""
        with self._lock:
            now = time.monotonic()
            if self._corpus is not None and now - self._checked < _CHECK_SECONDS:
                return self._corpus
            version = self.store.corpus_version()
            self._checked = now
            if self._corpus is None or self._corpus.version != version:
                self._corpus = self._load(version)
            return self._corpus

    # -- search -------------------------------------------------------------------------------
    def _chunks_collection(self, corpus: Corpus):
        """The chunk collection's handle, looked up once per client and snapshot: the lookup
        (``get_or_create_collection``) cost as much as the HNSW query itself on every question."""
        client = self.store.client  # a new client after a server outage, see Store.reset_client
        cached = self._collection
        if cached is None or cached[0] is not client or cached[1] != corpus.version:
            cached = self._collection = (client, corpus.version, self.store.chunks())
        return cached[2]

    def dense(self, query_vec: np.ndarray, k: int, corpus: Corpus) -> list[tuple[str, float]]:
        n = min(k, len(corpus.chunks))
        if n == 0:
            return []
        got = self.store.call(
            self._chunks_collection(corpus).query, query_embeddings=[query_vec.tolist()], n_results=n, include=["distances"]
        )
        out = [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0]) if i in corpus.by_id]
        if corpus.lost_vecs is not None:
            # the chunks the index does not reach, scored exactly: cosine, like Chroma's 1 - distance
            q = np.asarray(query_vec, dtype=np.float32)
            sims = corpus.lost_vecs @ (q / max(float(np.linalg.norm(q)), 1e-12))
            found = {i for i, _ in out}
            out += [(cid, float(sim)) for cid, sim in zip(corpus.lost_ids, sims) if cid not in found]
            out = sorted(out, key=lambda item: -item[1])[:n]
        return out

    def retrieve(
        self, query: str, k: int | None = None, timings: dict | None = None, qvec: np.ndarray | None = None
    ) -> list[Passage]:
        """The ``k`` best passages for ``query`` with every retriever's rank and score."""
        k = k or self.settings.top_k
        corpus = self.corpus()
        t0 = time.perf_counter()
        if qvec is None:
            qvec = self.embedder.embed_query(query)
        t1 = time.perf_counter()
        dense = self.dense(qvec, self.settings.dense_k, corpus)
        t2 = time.perf_counter()
        lexical = [(corpus.chunks.ids[i], s) for i, s in corpus.bm25.search(query, self.settings.bm25_k)]
        t3 = time.perf_counter()
        if timings is not None:
            timings.update(embed=(t1 - t0) * 1000, dense=(t2 - t1) * 1000, bm25=(t3 - t2) * 1000)
        d_rank = {cid: (r, s) for r, (cid, s) in enumerate(dense, start=1)}
        b_rank = {cid: (r, s) for r, (cid, s) in enumerate(lexical, start=1)}
        fused = rrf([[c for c, _ in dense], [c for c, _ in lexical]], self.settings.rrf_k, [self.settings.rrf_dense_weight, 1.0])
        passages = []
        for rank, (cid, score) in enumerate(fused[:k], start=1):
            d = d_rank.get(cid)
            b = b_rank.get(cid)
            passages.append(
                Passage(
                    chunk=corpus.chunks[corpus.by_id[cid]],
                    fused_rank=rank,
                    fused_score=score,
                    dense_rank=d[0] if d else None,
                    dense_score=d[1] if d else None,
                    bm25_rank=b[0] if b else None,
                    bm25_score=b[1] if b else None,
                )
            )
        return passages
