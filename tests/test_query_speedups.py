"""The query-path speed-ups of issue 6 change no result: the answerer's precomputed compound
relatives give the same matches as the pairwise scan, the snapshot cache gives the same corpus as a
fresh read from Chroma, and the cached collection handle follows a reconnect.

Fast tier (hash embedder, real Chroma on disk). Timings are in ``assistant bench perf``.
"""
from __future__ import annotations

import itertools

import pytest

from assistant.answer import Answerer
from assistant.embeddings import HashEmbedder
from assistant.pipeline import Assistant
from assistant.retrieve import HybridRetriever
from assistant.text import content_terms
from ingest.pipeline import ingest_paths

TEXT = (
    "Die Marketingagentur drehte die Videos. Die Telefonnummer der Hotline steht im Portal. "
    "Das Sozialministerium stellte Fördermittel bereit. Eine Agentur aus Hannover berät die "
    "Landesverwaltung bei der Nachwuchsgewinnung und der Ausbildung von Fachkräften."
)


def test_relatives_match_the_pairwise_scan():
    vocab = set(content_terms(TEXT)) | {"telefon", "agentur", "nummer", "ausbild", "hann", "fachkraft"}
    terms = {t: 1.0 for t in vocab}
    relatives = Answerer._relatives(terms, vocab)
    for t, size in itertools.product(sorted(vocab), (1, 2, 3)):
        for sent in itertools.combinations(sorted(vocab), size):
            s = set(sent)
            assert Answerer._match(t, s, relatives[t]) == Answerer._match(t, s), (t, s)
    assert "marketingagentur" in relatives["agentur"]  # the compound head counts as a relative


@pytest.fixture
def small_index(tmp_path, hash_settings):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(6):
        (docs / f"d{i}.txt").write_text(f"Meldung {i}\n\n{TEXT} Nummer {i} der Reihe.", encoding="utf-8")
    ingest_paths([docs], hash_settings, embedder=HashEmbedder(), progress=False, log=lambda m: None)
    return hash_settings, docs


def test_snapshot_cache_equals_a_fresh_read(small_index):
    settings, docs = small_index
    emb = HashEmbedder()
    first = HybridRetriever(Assistant(settings, emb).store, emb, settings)
    fresh = first.corpus()
    saved = list(first._snapshot_root().iterdir())
    assert len(saved) == 1 and (saved[0] / "done.json").exists()
    rows = list(fresh.chunks)
    assert len(rows) == 6 and all(c.text and c.sentences and c.doc.title for c in rows)
    second = HybridRetriever(first.store, emb, settings)
    assert list(second._read_snapshot(fresh.version)) == rows
    assert list(second.corpus().chunks) == rows
    # the snapshot holds what Chroma holds: the same chunks as a fresh read, row for row
    assert list(second._fetch_chunks()) == rows
    # a changed corpus (new version) is read from Chroma again, never from the stale snapshot
    (docs / "d0.txt").write_text("Meldung 0\n\nEin ganz anderer Text über Sprachkurse.", encoding="utf-8")
    ingest_paths([docs], settings, embedder=emb, progress=False, log=lambda m: None)
    third = HybridRetriever(first.store, emb, settings)
    changed = third.corpus()
    assert changed.version != fresh.version
    assert any("Sprachkurse" in c.text for c in changed.chunks)
    assert [p.name for p in first._snapshot_root().iterdir()] == [saved[0].name.replace(fresh.version, changed.version)]


def test_answers_survive_a_reconnect(small_index):
    settings, _ = small_index
    assistant = Assistant(settings, HashEmbedder())
    before = assistant.ask("Wer drehte die Videos?")
    assistant.store.reset_client()  # as after a server outage: a new client, a new handle
    after = assistant.ask("Wer drehte die Videos?")
    assert [p.chunk.id for p in after.passages] == [p.chunk.id for p in before.passages]
    assert after.answer == before.answer
