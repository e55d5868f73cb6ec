"""The answering API the CLI, the web chat and the evaluation share.

``Assistant.ask(question, history)`` reads the question once (``question.Question``: validated,
its language decided), retrieves passages for it (a follow-up is searched together with the
previous question), and composes a cited answer.
"""
from __future__ import annotations

import time
from collections.abc import Sequence

from .answer import Answerer
from .embeddings import Embedder, make_embedder
from .errors import IndexEmpty
from .guard import REFUSAL_DE, REFUSAL_EN, asks_for_internals
from .language import foreign_language, foreign_note
from .question import Question
from .records import Answer
from .retrieve import HybridRetriever
from .smalltalk import smalltalk_kind, smalltalk_language, smalltalk_reply
from .settings import Settings, get_settings
from .store import Store


class Assistant:
    """Retrieval plus extractive answering over one index. Thread-safe for concurrent ``ask`` calls."""

    def __init__(self, settings: Settings, embedder: Embedder, store: Store | None = None):
        self.settings = settings
        self.embedder = embedder
        self.store = store or Store(settings, embedder.slug)
        self.retriever = HybridRetriever(self.store, embedder, settings)
        self.answerer = Answerer(settings, embedder)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Assistant:
        """Load the configured embedder once and open the store."""
        settings = settings or get_settings()
        return cls(settings, make_embedder(settings))

    # -- index information ---------------------------------------------------------------------
    def is_empty(self) -> bool:
        return not self.retriever.corpus().chunks

    def documents(self) -> list[dict]:
        """The ingested documents: doc_id, title, date, publisher, url, source, chunks, ingested_at."""
        keep = ("doc_id", "title", "date", "publisher", "url", "source", "chunks", "ingested_at")
        return [{k: d.get(k, "") for k in keep} for d in self.store.documents()]

    # -- answering ------------------------------------------------------------------------------
    def ask(self, question: object, history: Sequence = ()) -> Answer:
        """Answer ``question`` (German or English) from the index, with citations, or abstain. A question
        in another language is not searched: it gets a note to ask in German or English. ``question``
        is raw text, read here (``Question.parse``: raises ``InputError`` for blank or non-text input,
        TypeError/KeyError/ValueError for a malformed turn), or a ``Question`` an app has read already
        (it carries its own history)."""
        t0 = time.perf_counter()
        q = question if isinstance(question, Question) else Question.parse(question, history, self.settings)
        if asks_for_internals(q.text):
            # Instructions to the assistant or questions about its set-up are not searched: nothing
            # retrieved, nothing quoted, no configuration or path in the answer.
            return Answer(
                question=q.text,
                answer=REFUSAL_EN if q.language == "en" else REFUSAL_DE,
                abstained=True,
                language=q.language,
                timings_ms={"total": (time.perf_counter() - t0) * 1000},
                basis="refused",
            )
        corpus = self.retriever.corpus()
        if not corpus.chunks:
            raise IndexEmpty(
                "Es sind noch keine Dokumente erfasst. Bitte zuerst `assistant ingest` ausführen.",
                "No documents have been ingested yet. Run `assistant ingest` first.",
            )
        unsearched = self._not_searched(q.text, corpus)
        if unsearched is not None:
            unsearched.timings_ms = {"total": (time.perf_counter() - t0) * 1000}
            return unsearched
        query = q.search_text
        timings: dict[str, float] = {}
        qvec = self.embedder.embed_query(query)
        t1 = time.perf_counter()
        passages = self.retriever.retrieve(query, timings=timings, qvec=qvec)
        t2 = time.perf_counter()
        answer = self.answerer.compose(
            q, passages, corpus.bm25, corpus.titles, qvec=qvec if not q.history else None, doc_chunks=corpus.chunks.doc_chunks
        )
        t3 = time.perf_counter()
        answer.retrieval_query = query
        if q.truncated:
            answer.answer += self._truncation_note(answer.language)
        answer.timings_ms = {
            "retrieve": (t2 - t0) * 1000,
            "answer": (t3 - t2) * 1000,
            "total": (t3 - t0) * 1000,
            "embed": (t1 - t0) * 1000,
            "dense": timings.get("dense", 0.0),
            "bm25": timings.get("bm25", 0.0),
        }
        return answer

    def _not_searched(self, question: str, corpus) -> Answer | None:
        """The reply to small talk or to a question in a language the answerer cannot read; None
        for a question to search."""
        kind = smalltalk_kind(question)
        if kind:
            # "Hallo", "Danke", "Was kannst du?": a greeting or the help text, not "the documents
            # don't say" (smalltalk.py)
            lang = smalltalk_language(question)
            return Answer(
                question=question,
                answer=smalltalk_reply(kind, lang, corpus.titles),
                abstained=True,
                language=lang,
                basis="smalltalk",
                basis_detail=kind,
            )
        bm25 = corpus.bm25
        foreign = foreign_language(question, known=(lambda t: bm25.doc_freq(t) > 0) if bm25 is not None else None)
        if foreign:
            # The answerer reads German (and English through a dictionary): a Turkish or Arabic
            # question matches no word of the documents, and "the documents don't say" would be
            # false. Say so in the asker's language, German and English instead (language.py).
            return Answer(
                question=question,
                answer=foreign_note(foreign),
                abstained=True,
                language=foreign,
                basis="language",
                basis_detail=foreign,
            )
        return None

    def _truncation_note(self, lang: str) -> str:
        """Said after the answer to a question cut at ``max_question_chars``."""
        n = self.settings.max_question_chars
        if lang == "en":
            return f" (Only the first {n} characters of the question were used.)"
        return f" (Es wurden nur die ersten {n} Zeichen der Frage berücksichtigt.)"

__all__ = ["Assistant"]
