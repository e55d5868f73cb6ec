"""The answering API the CLI, the web chat and the evaluation share.

``Assistant.ask(question, history)`` validates the question, retrieves passages for it (a
follow-up is searched together with the previous question), and composes a cited answer.
"""
from __future__ import annotations

import re
import time
from collections.abc import Sequence

from .answer import Answerer
from .embeddings import Embedder, make_embedder
from .errors import IndexEmpty, InputError
from .guard import REFUSAL_DE, REFUSAL_EN, asks_for_internals
from .language import detect_language, foreign_language, foreign_note
from .records import Answer, Turn
from .smalltalk import smalltalk_kind, smalltalk_language, smalltalk_reply
from .retrieve import HybridRetriever
from .settings import Settings, get_settings
from .store import Store

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)?")
_EMPTY_DE = "Bitte geben Sie eine Frage ein."
_EMPTY_EN = "Please enter a question."


# Only a follow-up's previous *question* is read (retrieval and the answerer's terms); its answer
# is kept for the feedback log. Ours are at most three quoted sentences: longer text is forged.
MAX_TURN_ANSWER_CHARS = 4000


def bounded_history(history: Sequence, turns: int, max_question_chars: int) -> list[Turn]:
    """The last ``turns`` turns of ``history`` (``Turn`` records, (question, answer) pairs or
    {"question", "answer"} dicts), each cut to a bounded length: a client's history is never
    trusted to be small. Raises TypeError/KeyError/ValueError for a malformed turn."""
    if not isinstance(history, Sequence) or isinstance(history, (str, bytes)):
        raise TypeError("history must be a list of turns")
    out = []
    for h in history[-turns:] if turns else []:
        if isinstance(h, dict):
            h = Turn(str(h["question"]), str(h.get("answer", "")))
        elif not isinstance(h, Turn):
            h = Turn(*h)
        out.append(Turn(str(h.question)[:max_question_chars], str(h.answer)[:MAX_TURN_ANSWER_CHARS]))
    return out


def clean_question(question: object, max_chars: int) -> tuple[str, bool]:
    """Validate and normalise a question. Returns (question, truncated).

    Control and format characters (``\\x00``, ANSI escapes' ESC, bidi overrides such as U+202E,
    lone surrogates from undecodable input) are dropped and whitespace collapsed; bytes are read as
    UTF-8 with invalid sequences dropped. A question longer than ``max_chars`` is cut there
    (documented: only its beginning is searched). Blank input raises ``InputError``.
    """
    if isinstance(question, (bytes, bytearray)):
        question = bytes(question).decode("utf-8", errors="replace")
    if not isinstance(question, str):
        raise InputError("Die Frage muss Text sein.", "The question must be text.")
    # Only a bounded prefix is looked at, so a megabyte of input costs no more than a page.
    question = _ANSI.sub("", question[: max_chars * 10])  # colour codes pasted from a terminal
    # Whitespace of any kind separates words; invisible characters (NUL, bidi overrides, zero-width
    # spaces, surrogates, U+FFFD from undecodable bytes) vanish without splitting the word they sit in.
    text = "".join(" " if ch.isspace() else ch for ch in question if ch.isspace() or (ch.isprintable() and ch != "\ufffd"))
    text = " ".join(text.split())
    if not text:
        raise InputError(_EMPTY_DE, _EMPTY_EN)
    if len(text) > max_chars:
        return text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars], True
    return text, False


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
    def retrieval_query(self, question: str, history: Sequence[Turn]) -> str:
        """A follow-up ("Und wer hat die Videos gedreht?") is searched with the previous question."""
        if history:
            return f"{question} {history[-1].question}"
        return question

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer ``question`` (German or English) from the index, with citations, or abstain. A question
        in another language is not searched: it gets a note to ask in German or English."""
        t0 = time.perf_counter()
        question, truncated = clean_question(question, self.settings.max_question_chars)
        history = bounded_history(history, self.settings.history_turns, self.settings.max_question_chars)
        if asks_for_internals(question):
            # Instructions to the assistant or questions about its set-up are not searched: nothing
            # retrieved, nothing quoted, no configuration or path in the answer.
            lang = detect_language(question)
            return Answer(
                question=question,
                answer=REFUSAL_EN if lang == "en" else REFUSAL_DE,
                abstained=True,
                language=lang,
                timings_ms={"total": (time.perf_counter() - t0) * 1000},
                basis="refused",
            )
        corpus = self.retriever.corpus()
        if not corpus.chunks:
            raise IndexEmpty(
                "Es sind noch keine Dokumente erfasst. Bitte zuerst `assistant ingest` ausführen.",
                "No documents have been ingested yet. Run `assistant ingest` first.",
            )
        unsearched = self._not_searched(question, corpus)
        if unsearched is not None:
            unsearched.timings_ms = {"total": (time.perf_counter() - t0) * 1000}
            return unsearched
        query = self.retrieval_query(question, history)
        timings: dict[str, float] = {}
        qvec = self.embedder.embed_query(query)
        t1 = time.perf_counter()
        passages = self.retriever.retrieve(query, timings=timings, qvec=qvec)
        t2 = time.perf_counter()
        answer = self.answerer.compose(
            question, passages, corpus.bm25, corpus.titles, history, qvec if not history else None, corpus.chunks.doc_chunks
        )
        t3 = time.perf_counter()
        answer.retrieval_query = query
        if truncated:
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

__all__ = ["Assistant", "clean_question"]
