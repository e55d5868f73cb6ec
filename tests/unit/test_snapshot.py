"""The column-wise chunk table (assistant/snapshot.py): every field of every row survives the
round trip through the disk cache, and a damaged or stale cache is never read."""
from __future__ import annotations

import json

import pytest

from assistant.records import Chunk, DocMeta
from assistant.snapshot import ChunkTable

DOC_A = DocMeta("a", "Vielfalt in der Landesverwaltung", "docs/a.txt", "https://example.org/a", "2021-03-04", "Land")
DOC_B = DocMeta("b", "Über uns – Ärztekammer", "docs/b b.pdf")
CHUNKS = [
    Chunk("a-0", DOC_A, 0, "Erster Satz. Zweiter Satz über Öffnung.", 0, 39, ((0, 12), (13, 39))),
    Chunk("a-1", DOC_A, 1, "Dritter Satz mit „Anführungszeichen“ und 95.000 Euro.", 40, 92, ((0, 52),)),
    Chunk("b-0", DOC_B, 0, "Seite zwei: Telefon 0511 120-0 ☎", 0, 33, ((0, 33),), page=2),
    Chunk("b-1", DOC_B, 1, "", 34, 34, ((0, 0),)),
]


def test_rows_round_trip_through_the_disk_cache(tmp_path):
    table = ChunkTable.from_chunks(CHUNKS)
    assert list(table) == CHUNKS and len(table) == 4
    assert table[-1] == CHUNKS[-1] and table[1:3] == CHUNKS[1:3]
    assert table.docs == [DOC_A, DOC_B]
    table.save(tmp_path, "v1.5-x")
    loaded = ChunkTable.load(tmp_path, "v1.5-x")
    assert loaded is not None and list(loaded) == CHUNKS and loaded.ids == ["a-0", "a-1", "b-0", "b-1"]
    assert loaded.texts_for_bm25()[2] == f"{DOC_B.title}\n{CHUNKS[2].text}"
    with pytest.raises(IndexError):
        loaded[4]
    # all chunks of one document, for questions about the document itself
    assert loaded.doc_chunks("a") == CHUNKS[:2] and loaded.doc_chunks("b") == CHUNKS[2:]
    assert loaded.doc_chunks("missing") == []


def test_another_version_or_a_damaged_folder_is_not_read(tmp_path):
    ChunkTable.from_chunks(CHUNKS).save(tmp_path, "v1")
    assert ChunkTable.load(tmp_path, "v2") is None
    (folder,) = tmp_path.iterdir()
    (folder / "text.bin").write_bytes(b"kurz")  # truncated texts
    assert ChunkTable.load(tmp_path, "v1") is None
    (folder / "docs.json").write_text("{nicht json")
    assert ChunkTable.load(tmp_path, "v1") is None


def test_saving_a_new_version_replaces_the_old_one(tmp_path):
    (tmp_path / "chunks-v1.pkl").write_bytes(b"the earlier format")
    ChunkTable.from_chunks(CHUNKS).save(tmp_path, "v1")
    ChunkTable.from_chunks(CHUNKS[:2]).save(tmp_path, "v2")
    assert [p.name for p in tmp_path.iterdir()] == ["cols-v1-v2"]
    assert len(ChunkTable.load(tmp_path, "v2")) == 2
    info = json.loads((tmp_path / "cols-v1-v2" / "done.json").read_text())
    assert info == {"version": "v2", "rows": 2}
