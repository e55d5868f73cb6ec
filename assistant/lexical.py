"""BM25 over the chunk texts stored in Chroma (bm25s + German Snowball stemming).

The index is derived from the collection, never from local files, so the same code serves the
embedded store and a Chroma server. It is cached on disk per corpus version, so a restart does not
re-tokenise a large corpus.

bm25s builds the index (it precomputes every term's BM25 weight per chunk, "eager" scoring). What
it builds — three posting arrays and the vocabulary — is then kept, saved and searched here as
plain numpy arrays, with the same summation bm25s uses, so a start loads the cache without
importing bm25s: bm25s pulls in scipy, ~0.2 s of a cold ``assistant ask`` (measured with
``python -X importtime``), while the postings of 100,000 chunks load in ~0.03 s.
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .text import MAX_CACHED_WORD, analyze, stem, stopword_stems


RECIPE = "v3-title-k0.9-b0.4"  # part of the cache key: change it when tokenising, parameters or files change
_ARRAYS = ("data", "indices", "indptr")


_LETTERS = "abcdefghijklmnopqrstuvwxyzäöüß"


def _edits(word: str) -> set[str]:
    """Every string one typing error from ``word``: a letter dropped, two swapped, one changed or
    one added (Norvig's spelling corrector)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return {
        *(a + b[1:] for a, b in splits if b),
        *(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1),
        *(a + c + b[1:] for a, b in splits if b for c in _LETTERS),
        *(a + c + b for a, b in splits for c in _LETTERS),
    }


class BM25Index:
    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, vocab: dict[str, int], size: int):
        # CSC layout: term t's postings are rows indices[indptr[t]:indptr[t+1]] with weights data[...]
        self._data = data
        self._indices = indices
        self._indptr = indptr
        self._vocab = vocab
        self.size = size
        self._corrections: dict[str, str | None] = {}  # unknown term -> correct(term), per index

    @classmethod
    def empty(cls) -> BM25Index:
        return cls(np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64), {}, 0)

    @classmethod
    def build(cls, texts: Sequence[str]) -> BM25Index:
        import bm25s

        # k1/b measured on xquad-de (fused with dense, doc-level recall@1): 1.2/0.75 0.932,
        # 0.9/0.4 0.940 — short chunks gain less from repeated terms and need less length penalty.
        # The default method ("lucene") has no non-occurrence term, so a score is a sum of postings.
        retriever = bm25s.BM25(k1=0.9, b=0.4, method="lucene")
        corpus = [analyze(t) or ["\u2205"] for t in texts]
        retriever.index(corpus, show_progress=False)
        sc = retriever.scores
        return cls(sc["data"], sc["indices"], sc["indptr"], dict(retriever.vocab_dict), len(texts))

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """Every row's BM25 score for ``tokens``: bm25s's ``get_scores``, the same float32 sums in
        the same order (a repeated token counts again, an unknown one not at all)."""
        out = np.zeros(self.size, dtype=self._data.dtype)
        for t in tokens:
            i = self._vocab.get(t)
            if i is not None:
                a, b = int(self._indptr[i]), int(self._indptr[i + 1])
                np.add.at(out, self._indices[a:b], self._data[a:b])
        return out

    def search(self, query: str, k: int, tokens: list[str] | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (row, score) pairs with a positive score, best first.

        Misspelt query words are searched as written. Searching their corrections (``correct``)
        was measured on xquad-de with typing errors: recall@1 0.892 -> 0.926, but no more correct
        answers (the answerer corrects them itself), and fewer held-out questions abstained."""
        tokens = analyze(query) if tokens is None else tokens
        if not tokens or self.size == 0:
            return []
        scores = self.scores(tokens)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    # -- disk cache ---------------------------------------------------------------------------
    def save(self, folder: Path, version: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, f"_{name}"))
        (folder / "vocab.json").write_text(json.dumps(self._vocab, ensure_ascii=False), encoding="utf-8")
        # written last: a folder without it (or with another version) is never read
        (folder / "version.json").write_text(json.dumps({"version": version, "size": self.size}))
        for old in folder.parent.iterdir():  # caches of earlier recipes are never read again
            if old != folder and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, version: str) -> BM25Index | None:
        try:
            info = json.loads((folder / "version.json").read_text())
            if info.get("version") != version:
                return None
            arrays = [np.load(folder / f"{name}.npy") for name in _ARRAYS]
            vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        index = cls(*arrays, vocab, int(info["size"]))
        if not len(index._indptr) or len(index._data) != len(index._indices) or int(index._indptr[-1]) != len(index._data):
            return None  # damaged
        return index

    # -- term statistics (for the answerer) -----------------------------------------------------
    def doc_freq(self, term: str) -> int:
        """Number of chunks containing the stemmed ``term`` (from the index's CSC column pointers)."""
        i = self._vocab.get(term)
        if i is None:
            return 0
        return int(self._indptr[i + 1] - self._indptr[i])

    def idf(self, term: str) -> float:
        df = self.doc_freq(term)
        return float(np.log(1.0 + (self.size - df + 0.5) / (df + 0.5)))

    @property
    def vocabulary(self) -> list[str]:
        vocab = getattr(self, "_terms", None)
        if vocab is None:
            vocab = self._terms = [t for t in self._vocab if t]
        return vocab

    def corrected(self, term: str) -> str | None:
        """``correct(term)``, remembered: related questions bring the same unknown words back."""
        if len(term) > MAX_CACHED_WORD:
            return None  # not remembered either: the memo holds short keys only
        if term not in self._corrections:
            if len(self._corrections) > 100_000:
                self._corrections.clear()
            self._corrections[term] = self.correct(term)
        return self._corrections[term]

    def correct_word(self, word: str, is_word: Callable[[str], bool] | None = None) -> str | None:
        """The indexed term a misspelt ``word`` (lowercase, as typed) stands for, or None: its
        stem corrected (``correct``), else the stem of a one-edit variant of the word itself —
        unless ``is_word(stem)`` says it is a real word the documents just do not use.

        A typing error can change what the stemmer cuts off: "Bewgung" stems to itself, two edits
        from "beweg" (Bewegung); "ursprüglich" to "ursprug", not "ursprung". The word's variants (a
        letter dropped, swapped, changed or added; ~60 per letter, stemmed in C) find them. But a
        real word has real neighbours ("Rolle" -> "wolle"), hence ``is_word`` (the thesaurus)."""
        if len(word) > MAX_CACHED_WORD:
            return None  # junk, not a typing error: ~60 variants per letter would cost seconds
        fixed = self.corrected(stem(word))
        if fixed is None and not (is_word is not None and is_word(stem(word))):
            key = "\0" + word  # not a stem: its own entry in the cache
            if key not in self._corrections:
                self._corrections[key] = self._variant(word)
            fixed = self._corrections[key]
        return fixed

    def _variant(self, word: str) -> str | None:
        """The indexed stem of a one-edit variant of ``word``; ties go to the more frequent term,
        then the alphabetically first."""
        if len(word) < 5 or word.isdigit():
            return None
        variants = _edits(word)
        # the first letter is rarely the mistyped one: "idien" is "indien" rather than "dien"
        for group in ([v for v in variants if v[:1] == word[:1]], variants):
            # short stems are where nonsense variants land ("geheren" -> "geh", "dasern" -> "das")
            found = {t for t in map(stem, group) if len(t) >= 4 and t in self._vocab and t not in stopword_stems()}
            if found:
                return min(found, key=lambda t: (-self.doc_freq(t), t))
        return None

    def correct(self, term: str) -> str | None:
        """The closest indexed term to an unknown (misspelt) ``term``, or None.

        One edit for words up to eight letters, two for longer ones (two edits turned the stem of
        "gegründet" into "gesund"); ties go to the more frequent term, then to the alphabetically
        first, so the choice never depends on the vocabulary's order. Two swapped letters count as
        one edit ("Lutehrs", "Frnakreich": the commonest typing error, two edits for plain
        Levenshtein).
        """
        if len(term) < 5 or len(term) > MAX_CACHED_WORD or self.doc_freq(term) > 0 or term.isdigit():
            # short words: too many neighbours; implausibly long ones: no typing error, and the
            # edit distance to every indexed term would cost their length times the vocabulary
            return None
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        limit = 1 if len(term) < 9 else 2
        found = process.extract(term, self.vocabulary, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if not found:
            return None
        best = min(d for _, d, _ in found)
        return min((t for t, d, _ in found if d == best), key=lambda t: (-self.doc_freq(t), t))
