"""The benchmark's synthetic corpora: records readable like ingested chunks, quotes cut exactly,
realistic (non-random) vectors, and a corpus the real retriever and answerer work on.

Fast tier: the hash embedder makes the pool vectors; the code under test (generation, record
layout, the Chroma write) is real. Timing lives in ``assistant bench perf``, never here.
"""
from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from assistant.embeddings import WordHashEmbedder
from assistant.pipeline import Assistant
from assistant.records import chunk_from_record
from evals.bench.corpus import Pool, build_corpus, filler_sentences, generate_chunks

PARAGRAPHS = [
    "Das Land Niedersachsen startet eine Videokampagne. Sie soll Fachkräfte mit Migrationsgeschichte gewinnen. "
    "Die Clips laufen auf YouTube und Instagram.",
    "Der Integrationskurs besteht aus einem Sprachkurs und einem Orientierungskurs. Der Orientierungskurs "
    "umfasst 100 Unterrichtsstunden.",
]


@pytest.fixture
def pool() -> Pool:
    emb = WordHashEmbedder()
    sentences, groups = [], []
    # like the bench: the queried paragraph (0) is real, the pool comes from another one (1)
    for s in PARAGRAPHS[1].split(". "):
        sentences.append(s if s.endswith(".") else s + ".")
        groups.append(0)
    fill = filler_sentences(20)
    sentences += fill
    groups += [-1] * len(fill)
    real_texts = [PARAGRAPHS[0]]
    meta = {"doc_id": "p0000", "title": "Kampagne", "source": "p0000.txt", "url": "", "date": "", "publisher": "",
            "chunk_index": 0, "start": 0, "end": len(PARAGRAPHS[0]), "sentences": "0-50;51-105;106-149", "page": -1}
    return Pool(["real-0"], real_texts, [meta], emb.embed(real_texts), sentences, groups, emb.embed(sentences))


def test_filler_is_distinct_german_and_deterministic():
    a, b = filler_sentences(50), filler_sentences(50)
    assert a == b and len(set(a)) == 50
    assert all(s.endswith(".") and s[0].isupper() for s in a)


def test_generated_chunks_read_back_like_ingested_ones(pool):
    ids, texts, metas, vecs = generate_chunks(pool, 40)
    assert len(set(ids)) == 40
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)
    by_doc: dict[str, list] = {}
    for cid, text, meta in zip(ids, texts, metas):
        chunk = chunk_from_record(cid, text, meta)
        assert len(text) <= 700 and chunk.end - chunk.start == len(text)
        # every sentence span cuts exactly one pool sentence out of the chunk
        for a, b in chunk.sentences:
            assert text[a:b] in pool.sentences
        by_doc.setdefault(chunk.doc.doc_id, []).append(chunk)
    assert len(by_doc) == 8
    for chunks in by_doc.values():  # offsets within a generated document do not overlap
        chunks.sort(key=lambda c: c.index)
        assert all(x.end < y.start for x, y in zip(chunks, chunks[1:]))
        # one document record per document, as ingest writes it (same date on every chunk)
        assert len({c.doc for c in chunks}) == 1


def test_generated_vector_is_the_mean_of_its_sentences(pool):
    ids, texts, metas, vecs = generate_chunks(pool, 5)
    chunk = chunk_from_record(ids[0], texts[0], metas[0])
    parts = [pool.sentence_vectors[pool.sentences.index(texts[0][a:b])] for a, b in chunk.sentences]
    mean = np.mean(parts, axis=0)
    np.testing.assert_allclose(vecs[0], mean / np.linalg.norm(mean), atol=1e-5)


def test_built_corpus_is_searched_by_the_real_retriever(tmp_path, hash_settings, pool):
    emb = WordHashEmbedder()
    s = build_corpus(tmp_path / "cache", pool, 60, emb, hash_settings)
    assert s.data_dir != hash_settings.data_dir  # never the user's index
    assistant = Assistant(s, emb)
    corpus = assistant.retriever.corpus()
    assert len(corpus.chunks) == 60 and corpus.version
    ans = assistant.ask("Wo laufen die Clips der Videokampagne?")
    real = [p for p in ans.passages if p.chunk.doc.doc_id == "p0000"]
    # the hash fake ranks by word hashes, so only BM25's verdict is certain here
    assert real and real[0].bm25_rank == 1 and real[0].dense_rank is not None
    # cached: a second build reuses the data dir instead of writing again
    assert build_corpus(tmp_path / "cache", pool, 60, emb, hash_settings).data_dir == s.data_dir
    assert len(Assistant(s, emb).retriever.corpus().chunks) == 60


def test_cli_rejects_unknown_section_and_bad_sizes(tmp_path):
    from assistant.app.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["bench", "perf", "--out", str(tmp_path), "--skip", "everything"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["bench", "perf", "--out", str(tmp_path), "--sizes", "1k"])
    assert res.exit_code == 2 and "--sizes" in res.output
