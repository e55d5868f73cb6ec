"""The query-path speed-ups change no result: the answerer's precomputed compound
relatives give the same matches as the pairwise scan, the snapshot cache gives the same corpus as a
fresh read from Chroma, and the cached collection handle follows a reconnect.

Fast tier (hash embedder, real Chroma on disk). Timings are in ``assistant bench perf``.
"""
from __future__ import annotations

import itertools

import pytest

from assistant.read.terms import find_relatives, match
from assistant.embeddings import WordHashEmbedder
from assistant.pipeline import Assistant
from assistant.retrieve import HybridRetriever
from assistant.text import content_terms
from ingest.pipeline import ingest_paths

TEXT = (
    "Die Marketingagentur drehte die Videos. Die Telefonnummer der Hotline steht im Portal. "
    "Das Sozialministerium stellte Fördermittel bereit. Eine Agentur aus Hannover berät die "
    "Landesverwaltung bei der Nachwuchsgewinnung und der Ausbildung von Fachkräften."
)


def test_bm25_postings_score_like_bm25s_and_load_without_it(tmp_path):
    """The saved postings give bm25s's own scores bit for bit (repeated, unknown and misspelt query
    terms included), and loading them does not import bm25s (with scipy: ~0.2 s of a cold start)."""
    import subprocess
    import sys

    import numpy as np

    from assistant.lexical import BM25Index
    from assistant.text import analyze

    rng = np.random.default_rng(5)
    words = sorted(set(TEXT.replace(".", "").split())) + ["Sprachkurse", "Vielfalt", "Landesverwaltung"]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(3, 30)))) for _ in range(300)]
    built = BM25Index.build(texts)
    (tmp_path / "old-recipe").mkdir()
    built.save(tmp_path / "bm25", "v1")
    assert [p.name for p in tmp_path.iterdir()] == ["bm25"]  # an earlier recipe's cache is removed
    loaded = BM25Index.load(tmp_path / "bm25", "v1")
    assert loaded is not None and BM25Index.load(tmp_path / "bm25", "v2") is None

    import bm25s

    reference = bm25s.BM25(k1=0.9, b=0.4)
    reference.index([analyze(t) or ["\u2205"] for t in texts], show_progress=False)
    for query in ("Wer drehte die Videos?", "Agentur Agentur Hannover", "Vielfalt Sprachkurse Xylophon",
                  "Landesverwaltung Fachkräften Ausbildung Telefonnummer"):
        tokens = analyze(query)
        want = np.asarray(reference.get_scores(tokens))
        for index in (built, loaded):
            got = index.scores(tokens)
            assert got.dtype == want.dtype and np.array_equal(got, want), query
        assert want.any() and built.search(query, 10) == loaded.search(query, 10)
    assert loaded.doc_freq(analyze("Agentur")[0]) == built.doc_freq(analyze("Agentur")[0]) > 0

    code = (
        "import sys; from pathlib import Path; from assistant.lexical import BM25Index; "
        f"i = BM25Index.load(Path({str(tmp_path / 'bm25')!r}), 'v1'); "
        "assert i.search('Wer drehte die Videos?', 5); "
        "assert 'bm25s' not in sys.modules and 'scipy' not in sys.modules, 'imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_relatives_match_the_pairwise_scan():
    vocab = set(content_terms(TEXT)) | {"telefon", "agentur", "nummer", "ausbild", "hann", "fachkraft"}
    terms = {t: 1.0 for t in vocab}
    relatives = find_relatives(terms, vocab)
    for t, size in itertools.product(sorted(vocab), (1, 2, 3)):
        for sent in itertools.combinations(sorted(vocab), size):
            s = set(sent)
            assert match(t, s, relatives[t]) == match(t, s), (t, s)
    assert "marketingagentur" in relatives["agentur"]  # the compound head counts as a relative


@pytest.fixture
def small_index(tmp_path, hash_settings):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(6):
        (docs / f"d{i}.txt").write_text(f"Meldung {i}\n\n{TEXT} Nummer {i} der Reihe.", encoding="utf-8")
    ingest_paths([docs], hash_settings, embedder=WordHashEmbedder(), progress=False, log=lambda m: None)
    return hash_settings, docs


def test_snapshot_cache_equals_a_fresh_read(small_index):
    settings, docs = small_index
    emb = WordHashEmbedder()
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
    assistant = Assistant(settings, WordHashEmbedder())
    before = assistant.ask("Wer drehte die Videos?")
    assistant.store.reset_client()  # as after a server outage: a new client, a new handle
    after = assistant.ask("Wer drehte die Videos?")
    assert [p.chunk.id for p in after.passages] == [p.chunk.id for p in before.passages]
    assert after.answer == before.answer


def test_typo_correction_does_not_depend_on_the_vocabulary_order():
    """Two indexed terms one edit from the typo, equally frequent: the choice must not follow the
    order the vocabulary was built or loaded in (it did, and an answer changed with a cache)."""
    from assistant.lexical import BM25Index

    index = BM25Index.build(["Bravox im Amt", "Bravoy im Amt"])
    reordered = BM25Index(index._data, index._indices, index._indptr, dict(reversed(list(index._vocab.items()))), index.size)
    assert list(index._vocab) != list(reordered._vocab)
    assert index.correct("bravoz") == reordered.correct("bravoz") == "bravox"  # one edit from both


def test_typo_correction_allows_two_edits_only_in_long_words():
    from assistant.lexical import BM25Index
    from assistant.text import analyze

    index = BM25Index.build(["Das Ministerium für Gesundheit fördert die Beratung.", "Die Partnerinitiative wächst."])
    gegruendet, gesund = analyze("gegründet Gesundheit")
    assert index.correct(gegruendet) is None  # two edits from "gesund": another word, not a typo
    assert index.correct("partnerinitiatve") == analyze("Partnerinitiative")[0]  # one edit
    assert index.correct("partnerinitativx") == analyze("Partnerinitiative")[0]  # two edits in a long word


def test_the_fused_score_weighs_the_dense_rank_by_its_setting(small_index):
    """``rrf_dense_weight`` reaches the fusion: each passage's fused score is w / (k + dense rank)
    + 1 / (k + BM25 rank), whatever ranks the two retrievers gave it."""
    settings, _ = small_index
    emb = WordHashEmbedder()
    for weight in (1.0, 3.0):
        s = settings.model_copy(update={"rrf_dense_weight": weight})
        passages = HybridRetriever(Assistant(s, emb).store, emb, s).retrieve("Wer drehte die Videos für die Agentur?", k=6)
        assert passages and any(p.dense_rank and p.bm25_rank for p in passages)
        for p in passages:
            expected = (weight / (s.rrf_k + p.dense_rank) if p.dense_rank else 0.0) + (1 / (s.rrf_k + p.bm25_rank) if p.bm25_rank else 0.0)
            assert p.fused_score == pytest.approx(expected)
