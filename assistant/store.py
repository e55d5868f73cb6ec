"""Access to Chroma: the embedded store under the data directory, or a Chroma server.

Three collections per embedder: the chunks (vectors, texts, provenance), the LangChain record
manager's records, and a small document registry (one entry per document plus the corpus version
that tells every app instance when its derived BM25 index is stale). Keeping all three in Chroma
means two app instances on one Chroma server see the same corpus and the same ingest state.
Chroma never gets an embedding function: we always pass vectors, so its default (which downloads a
model) can never be used.
"""
from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from .errors import AssistantError, DataDirError, StoreUnavailable
from .settings import Settings, offline_env

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

CORPUS_KEY = "__corpus__"
INGEST_KEY = "__ingest__"  # present while an ingest runs; left behind by one that died
LOST_KEY = "__lost__"  # chunks vector search does not find (make_findable), scored exactly instead

_UNAVAILABLE_DE = (
    "Die Wissensdatenbank ist vorübergehend nicht erreichbar. Bitte versuchen Sie es in einigen "
    "Minuten noch einmal."
)
_UNAVAILABLE_EN = "The knowledge base is temporarily unavailable. Please try again in a few minutes."


def unavailable(exc: BaseException | None = None) -> StoreUnavailable:
    err = StoreUnavailable(_UNAVAILABLE_DE, _UNAVAILABLE_EN)
    if exc is not None:
        err.__cause__ = exc
    return err


def _is_connection_error(exc: BaseException) -> bool:
    text = f"{exc.__class__.__name__} {exc}".lower()
    return any(w in text for w in ("connect", "connection", "timeout", "timed out", "unreachable", "refused", "could not"))


_DISK_FULL_WORDS = ("disk is full", "no space left", "database or disk is full", "quota exceeded")
_READ_ONLY_WORDS = ("readonly database", "read-only file system", "read only file system", "permission denied")


def _disk_problem(exc: BaseException) -> str | None:
    """'full' / 'read-only' when ``exc`` (from sqlite, Chroma's Rust core or the OS) says so."""
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "full"
    if isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "read-only"
    text = str(exc).lower()
    if any(w in text for w in _DISK_FULL_WORDS):
        return "full"
    if any(w in text for w in _READ_ONLY_WORDS):
        return "read-only"
    return None


def _space_problem(path, probe_bytes: int = 1 << 20) -> str | None:
    """Can ``path`` take another MiB right now? Chroma's core sometimes reports a full disk only
    as "Error in compaction: Failed to apply logs", so after an unexplained store error we ask
    the file system directly."""
    probe = path / f".space-probe-{uuid.uuid4().hex}"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"\0" * probe_bytes)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        return _disk_problem(exc)
    finally:
        try:
            probe.unlink()
        except OSError:
            pass
    return None


def data_dir_error(path, problem: str, exc: BaseException | None = None) -> DataDirError:
    """The one-line error naming the data directory (and what to do about it)."""
    detail = f" ({getattr(exc, 'strerror', None) or exc})" if exc is not None else ""
    if problem == "full":
        err = DataDirError(
            f"Das Datenverzeichnis {path} ist voll{detail}. Schaffen Sie Platz oder setzen Sie "
            "ASSISTANT_DATA_DIR auf ein anderes Verzeichnis; der bisherige Index bleibt erhalten.",
            f"The data directory {path} is full{detail}. Free some space or set ASSISTANT_DATA_DIR "
            "to another directory; the previous index is kept.",
        )
    else:
        err = DataDirError(
            f"Das Datenverzeichnis {path} ist nicht beschreibbar{detail}. "
            "Setzen Sie ASSISTANT_DATA_DIR auf ein beschreibbares Verzeichnis.",
            f"The data directory {path} is not writable{detail}. "
            "Set ASSISTANT_DATA_DIR to a writable directory.",
        )
    if exc is not None:
        err.__cause__ = exc
    return err


def _heartbeat(base_url: str, headers: dict | None, seconds: float) -> None:
    import httpx

    try:
        httpx.get(f"{base_url}/api/v2/heartbeat", headers=headers, timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)))
    except httpx.HTTPError as exc:
        raise unavailable(exc) from exc


def _limit_wait(client: Any, seconds: float) -> None:
    """chromadb's HttpClient waits forever (httpx ``timeout=None``, no setting for it): a server
    that hangs instead of refusing would hang every chat answer. Its httpx session is private
    API, hence the defensive lookup; without it the client keeps chromadb's default."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))


class Store:
    """Opens the client lazily and re-opens it after a server outage (no restart needed)."""

    def __init__(self, settings: Settings, embedder_slug: str):
        self.settings = settings
        self.name = f"{settings.collection}-{embedder_slug}"[:60]
        self._client: ClientAPI | None = None
        self._lock = threading.Lock()

    # -- client -----------------------------------------------------------------------------
    def _connect(self) -> ClientAPI:
        offline_env()
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        url = self.settings.chroma_url.strip()
        if url:
            parsed = urlparse(url if "://" in url else f"http://{url}")
            headers = {"Authorization": f"Bearer {self.settings.chroma_token}"} if self.settings.chroma_token else None
            host = parsed.hostname or "localhost"
            port = parsed.port or (443 if parsed.scheme == "https" else 8000)
            # chromadb's constructor already talks to the server, without a timeout: a bounded
            # heartbeat first, so a hanging server cannot hang the constructor.
            _heartbeat(f"{'https' if parsed.scheme == 'https' else 'http'}://{host}:{port}", headers, self.settings.chroma_timeout)
            try:
                client = chromadb.HttpClient(
                    host=host,
                    port=port,
                    ssl=parsed.scheme == "https",
                    headers=headers,
                    settings=chroma_settings,
                )
            except Exception as exc:  # chromadb raises ValueError/ConnectError subtypes on a dead server
                raise unavailable(exc) from exc
            _limit_wait(client, self.settings.chroma_timeout)
            return client
        path = self.settings.chroma_dir
        try:
            path.mkdir(parents=True, exist_ok=True)
            probe = path / f".write-probe-{uuid.uuid4().hex}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise data_dir_error(path, _disk_problem(exc) or "read-only", exc) from exc
        try:
            return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        except Exception as exc:
            problem = _disk_problem(exc)
            if problem:
                raise data_dir_error(path, problem, exc) from exc
            raise

    @property
    def client(self) -> ClientAPI:
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def reset_client(self) -> None:
        """Forget the client so the next call reconnects (after a server outage)."""
        with self._lock:
            self._client = None

    def call(self, fn, *args: Any, **kwargs: Any) -> Any:
        """Run a store operation; connection failures become ``StoreUnavailable`` and reset the client."""
        try:
            return fn(*args, **kwargs)
        except StoreUnavailable:
            self.reset_client()
            raise
        except AssistantError:  # already explained by a nested call
            raise
        except Exception as exc:
            if self.settings.chroma_url:
                if _is_connection_error(exc):
                    self.reset_client()
                    raise unavailable(exc) from exc
            elif problem := _disk_problem(exc):
                raise data_dir_error(self.settings.chroma_dir, problem, exc) from exc
            elif problem := _space_problem(self.settings.chroma_dir):
                # Chroma's own message ("Failed to apply logs") would only confuse: name the cause.
                raise data_dir_error(self.settings.chroma_dir, problem) from exc
            raise

    # -- collections --------------------------------------------------------------------------
    def _collection(self, suffix: str, space: str = "cosine") -> Collection:
        return self.call(
            lambda: self.client.get_or_create_collection(
                name=f"{self.name}{suffix}", embedding_function=None, metadata={"hnsw:space": space}
            )
        )

    def chunks(self) -> Collection:
        return self._collection("")

    def records(self) -> Collection:
        return self._collection("-records", "l2")

    def docs(self) -> Collection:
        return self._collection("-docs", "l2")

    def pages(
        self, collection: Collection, include: list[str], where: dict | None = None, page: int = 5000
    ) -> Iterator[dict[str, Any]]:
        """The records of ``collection`` (matching ``where``), one ``get`` of ``page`` records at a
        time: one ``get`` of a 100,000-chunk collection would exceed what Chroma hands back."""
        offset = 0
        while True:
            got = self.call(collection.get, where=where, include=include, limit=page, offset=offset)
            yield got
            if len(got["ids"]) < page:
                return
            offset += page

    def get_all(self, collection: Collection, include: list[str], page: int = 5000) -> dict[str, list]:
        """Every record of ``collection`` (ids plus ``include``), read in pages."""
        out: dict[str, list] = {"ids": [], **{key: [] for key in include}}
        for got in self.pages(collection, include, page=page):
            out["ids"] += got["ids"]
            for key in include:
                out[key] += got[key] or []
        return out

    # -- vector search reaches every chunk -------------------------------------------------------
    def make_findable(
        self,
        doc_ids: Sequence[str] | None = None,
        attempts: int = 3,
        batch: int = 256,
        page: int = 5000,
        progress: Callable[[int], object] | None = None,
    ) -> tuple[int, list[str]]:
        """Check that vector search finds every chunk of ``doc_ids`` (None: of the collection) by
        its own vector; write the ones it does not find again. Returns (chunks written again, ids
        still not found after ``attempts`` rounds). ``progress`` gets the number of chunks checked.

        Chroma 1.5.9's HNSW index sometimes has no link leading to a stored vector: ``get``
        returns the chunk, but no ``query`` ever does, not even with the chunk's own vector and
        ``n_results`` = all, nor through a new client (chroma-core/chroma#7758: nor after a
        restart). Such a chunk is found by BM25 only. Measured: a chunk written right after a
        search was lost in 7 of 80 runs on a Chroma server and 1 of 40 embedded (the seeds plus
        one new document with a question in between); later writes also cut off chunks written
        earlier (1 of 1,000 after an ingest of 1,000 small documents; 30 of 10,000 and 180 of
        100,000 in the benchmark indexes). Writing the same record again links it, but re-links
        its neighbours too: on the 10,000-chunk index 30 -> 2 -> 0 lost in two rounds, on the
        100,000-chunk one 180 -> 212, no better (see docs/operations.md, "Faults"). A whole-collection pass
        costs ~4 s per 10,000 chunks (one batched search per ``batch`` chunks).
        """
        coll = self.chunks()
        if doc_ids is None:
            wheres: list[dict | None] = [None]
        else:  # in groups: SQLite takes ~32,000 variables, an ingest may change 100,000 documents
            ids = list(doc_ids)
            wheres = [{"doc_id": {"$in": ids[i : i + 1000]}} for i in range(0, len(ids), 1000)]
        rewritten = 0
        missing = [cid for where in wheres for cid in self._scan(coll, where, batch, page, progress)]
        for _ in range(attempts):
            if not missing:
                break
            got = self.call(coll.get, ids=missing, include=["embeddings", "documents", "metadatas"])
            self.call(
                coll.upsert,
                ids=got["ids"],
                embeddings=got["embeddings"],
                documents=got["documents"],
                metadatas=got["metadatas"],
            )
            rewritten += len(got["ids"])
            # all of them again: a rewrite re-links its neighbours and can cut off another chunk
            before, missing = len(missing), [cid for where in wheres for cid in self._scan(coll, where, batch, page)]
            if len(missing) >= before:
                break  # no progress (seen at 100,000 chunks: 180 lost, 180 written again, 212 lost)
        return rewritten, missing

    def _scan(self, coll: Collection, where: dict | None, batch: int, page: int, progress=None) -> list[str]:
        missing: list[str] = []
        # page by page: 100,000 vectors as Python lists would take ~1 GB
        for got in self.pages(coll, ["embeddings"], where=where, page=page):
            missing += self._not_found(coll, got["ids"], got["embeddings"], batch)
            if progress is not None:
                progress(len(got["ids"]))
        return missing

    def _not_found(self, coll: Collection, ids: list[str], vectors: Any, batch: int, k: int = 10) -> list[str]:
        """The ids a search with their own vector does not return among the ``k`` nearest."""
        if not len(ids):
            return []
        n = min(k, self.call(coll.count))
        missing = []
        for a in range(0, len(ids), batch):
            res = self.call(coll.query, query_embeddings=vectors[a : a + batch], n_results=n, include=["distances"])
            for cid, found, dist in zip(ids[a : a + batch], res["ids"], res["distances"]):
                # k exact copies of the vector (the same text in k documents) hide the others: the
                # text is found all the same, so that is not a lost chunk
                if cid not in found and not (len(dist) == n and dist[-1] <= 1e-6):
                    missing.append(cid)
        return missing

    def findable_record(self) -> tuple[dict[str, str], int]:
        """What the last findable check left (``ingest._check_findable``), read in one ``get``: the
        chunks it found unreachable by vector search {chunk id: doc id}, and the chunks written
        since every chunk was last checked."""
        got = self.call(lambda: self.docs().get(ids=[LOST_KEY], include=["metadatas"]))
        metas = got.get("metadatas") or []
        meta = dict(metas[0]) if metas and metas[0] else {}
        try:
            lost = dict(json.loads(meta["chunks"]))
        except (KeyError, TypeError, ValueError):
            lost = {}
        try:
            unchecked = int(meta.get("unchecked", 0))
        except (TypeError, ValueError):
            unchecked = 0
        return lost, unchecked

    def lost_chunks(self) -> dict[str, str]:
        return self.findable_record()[0]

    def unchecked_chunks(self) -> int:
        return self.findable_record()[1]

    def save_findable_record(self, lost: dict[str, str], unchecked: int = 0) -> None:
        if lost or unchecked:
            meta = {"chunks": json.dumps(lost, sort_keys=True), "unchecked": int(unchecked)}
            self.call(lambda: self.docs().upsert(ids=[LOST_KEY], embeddings=[[1.0]], metadatas=[meta]))
        else:
            self.call(lambda: self.docs().delete(ids=[LOST_KEY]))

    # -- corpus version -----------------------------------------------------------------------
    def corpus_version(self) -> str:
        got = self.call(lambda: self.docs().get(ids=[CORPUS_KEY], include=["metadatas"]))
        metas = got.get("metadatas") or []
        return str(metas[0].get("version", "")) if metas and metas[0] else ""

    def bump_corpus_version(self) -> str:
        version = f"{time.time():.6f}-{uuid.uuid4().hex[:8]}"
        self.call(
            lambda: self.docs().upsert(ids=[CORPUS_KEY], embeddings=[[1.0]], metadatas=[{"version": version}])
        )
        return version

    def begin_ingest(self) -> bool:
        """Mark an ingest as running. True when an earlier ingest died before finishing."""
        got = self.call(lambda: self.docs().get(ids=[INGEST_KEY], include=[]))
        self.call(
            lambda: self.docs().upsert(ids=[INGEST_KEY], embeddings=[[1.0]], metadatas=[{"started": time.time()}])
        )
        return bool(got["ids"])

    def end_ingest(self) -> None:
        self.call(lambda: self.docs().delete(ids=[INGEST_KEY]))

    def documents(self) -> list[dict[str, Any]]:
        """The document registry: one dict per ingested document."""
        got = self.call(lambda: self.docs().get(include=["metadatas"]))
        out = []
        for doc_id, meta in zip(got["ids"], got["metadatas"] or []):
            if doc_id not in (CORPUS_KEY, INGEST_KEY, LOST_KEY) and meta:
                out.append({"doc_id": doc_id, **meta})
        return sorted(out, key=lambda d: d["doc_id"])
