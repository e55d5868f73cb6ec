"""A LangChain ``RecordManager`` that keeps its records in a Chroma collection.

LangChain's SQL record manager would keep ingest state in a local SQLite file; with a Chroma server
shared by several app instances that state must live with the vectors, so the records go into a
side collection of the same Chroma (one entry per chunk id: group id and update time).
"""
from __future__ import annotations

import time
from collections.abc import Sequence

from langchain_core.indexing import RecordManager

from assistant.store import Store

_BATCH = 2000


class ChromaRecordManager(RecordManager):
    def __init__(self, store: Store):
        super().__init__(namespace=f"chroma/{store.name}")
        self.store = store

    def create_schema(self) -> None:
        self.store.records()

    async def acreate_schema(self) -> None:
        self.create_schema()

    def get_time(self) -> float:
        # Wall-clock time of this machine; ingest runs are serialised per corpus, so clock skew
        # between instances only matters for concurrent ingests, which we do not support.
        return time.time()

    async def aget_time(self) -> float:
        return self.get_time()

    def update(
        self,
        keys: Sequence[str],
        *,
        group_ids: Sequence[str | None] | None = None,
        time_at_least: float | None = None,
    ) -> None:
        if not keys:
            return
        now = self.get_time()
        if time_at_least and now < time_at_least:
            raise ValueError(f"Clock went backwards: {now} < {time_at_least}")
        groups = list(group_ids) if group_ids is not None else [None] * len(keys)
        coll = self.store.records()
        for i in range(0, len(keys), _BATCH):
            ks = list(keys[i : i + _BATCH])
            metas = [{"group_id": g or "", "updated_at": now} for g in groups[i : i + _BATCH]]
            self.store.call(coll.upsert, ids=ks, embeddings=[[1.0]] * len(ks), metadatas=metas)

    async def aupdate(self, keys, *, group_ids=None, time_at_least=None) -> None:
        self.update(keys, group_ids=group_ids, time_at_least=time_at_least)

    def exists(self, keys: Sequence[str]) -> list[bool]:
        if not keys:
            return []
        coll = self.store.records()
        found: set[str] = set()
        for i in range(0, len(keys), _BATCH):
            found.update(self.store.call(coll.get, ids=list(keys[i : i + _BATCH]), include=[])["ids"])
        return [k in found for k in keys]

    async def aexists(self, keys: Sequence[str]) -> list[bool]:
        return self.exists(keys)

    def list_keys(
        self,
        *,
        before: float | None = None,
        after: float | None = None,
        group_ids: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> list[str]:
        clauses: list[dict] = []
        if before is not None:
            clauses.append({"updated_at": {"$lt": before}})
        if after is not None:
            clauses.append({"updated_at": {"$gt": after}})
        if group_ids is not None:
            clauses.append({"group_id": {"$in": list(group_ids)}})
        where = None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}
        got = self.store.call(self.store.records().get, where=where, limit=limit, include=[])
        return list(got["ids"])

    async def alist_keys(self, *, before=None, after=None, group_ids=None, limit=None) -> list[str]:
        return self.list_keys(before=before, after=after, group_ids=group_ids, limit=limit)

    def delete_keys(self, keys: Sequence[str]) -> None:
        coll = self.store.records()
        for i in range(0, len(keys), _BATCH):
            self.store.call(coll.delete, ids=list(keys[i : i + _BATCH]))

    async def adelete_keys(self, keys: Sequence[str]) -> None:
        self.delete_keys(keys)
