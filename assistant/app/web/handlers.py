"""What the citizens' page does on each event, without Gradio: ask (streamed), answer as JSON,
start a new chat, rate an answer. ``citizens.py`` connects these to the page's components.

Each handler takes the client's id (``security.client_id`` of the request) for the per-client
limits and says what changes on the page as a dict by name (the names of ``CHANGES``); a name
left out stays as it is.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from assistant.language import detect_language
from assistant.app.web.chat import (
    STREAM_DELAY_S,
    AnswersQuestions,
    ChatSession,
    ChatTurn,
    chat_messages,
    citizen_copy,
    feedback_target_text,
    pieces_to_stream,
    under_load,
)
from assistant.app.web.feedback import Ratings
from assistant.app.web.render import GENERIC_ERROR, generic_error, render_banner, render_document_list
from assistant.errors import AssistantError, InputError
from assistant.question import Question, bounded_history
from assistant.records import Answer
from assistant.security import RateLimiter, too_many_message
from assistant.settings import Settings

log = logging.getLogger(__name__)

# The parts of the page an ask-like event may change: the chat, the question box, the notice
# under it, and the rating form (its target line, comment, "wrong source" box and status).
CHANGES = ("chat", "box", "notice", "target", "comment", "wrong", "status")
BAD_HISTORY = "Der Verlauf muss eine Liste von Objekten mit „question“ und „answer“ sein."


class CitizenChat:
    """The citizens' event handlers and what they share: the loaded assistant, the per-client
    question limit, the ratings, and the number of answers being worked on (``in_progress``)."""

    def __init__(self, assistant: AnswersQuestions, settings: Settings):
        self.assistant = assistant
        self.settings = settings
        self.ratings = Ratings(settings)
        self.question_limit = RateLimiter(settings.questions_per_minute)
        self._in_progress = 0
        self._lock = threading.Lock()

    @property
    def in_progress(self) -> int:
        """Answers being worked on now, over all clients."""
        return self._in_progress

    def page(self) -> tuple[str, str]:
        """The banner and the list of documents; the page renders even if the store is down."""
        try:
            documents, error = self.assistant.documents(), ""
        except AssistantError as exc:
            documents, error = [], exc.message("de")
        except Exception:
            log.exception("listing the documents failed")
            documents, error = [], GENERIC_ERROR
        return render_banner(documents, error), render_document_list(documents)

    def respond(self, question: str, session: ChatSession, client: str) -> Iterator[dict[str, Any]]:
        """Ask, then stream the answer in a few growing pieces; errors become messages in the user's language."""
        with self._lock:
            self._in_progress += 1
        try:
            yield from self._respond(question or "", session, client)
        finally:
            with self._lock:
                self._in_progress -= 1

    def _respond(self, raw: str, session: ChatSession, client: str) -> Iterator[dict[str, Any]]:
        try:
            # Read once: the chat shows the question as it is searched, without control/bidi
            # characters, cut at the configured length (ask() adds the note that it was cut).
            q = Question.parse(raw, session.history(), self.settings)
        except InputError as exc:
            yield {"notice": exc.message("de")}
            return
        lang = q.language
        wait = self.question_limit.hit(client)
        if wait:
            # the question stays in the box, to be sent again later
            yield {"notice": too_many_message("question", wait, lang)}
            return
        turn = ChatTurn(q.text)
        session.turns.append(turn)
        if not under_load(self._in_progress):
            # the question shows at once, with the typing indicator; under load the question stays
            # in the box (Gradio shows its progress timer) until the answer comes with it
            yield {"chat": chat_messages(session, partial=""), "box": "", "notice": ""}
        answer, failed = self._ask(q, session, turn)
        if answer is None:
            yield failed
            return
        yield from self._stream(answer, session, turn)

    def _ask(self, q: Question, session: ChatSession, turn: ChatTurn) -> tuple[Answer | None, dict[str, Any]]:
        """``ask()`` for ``turn``, the session's newest: (answer, {}), or (None, the changes that show why not)."""
        lang = q.language
        try:
            return self.assistant.ask(q), {}
        except InputError as exc:
            # The question goes back into the box to be fixed; it is not a turn of the chat.
            session.turns.pop()
            return None, {"chat": chat_messages(session), "box": turn.question, "notice": exc.message(lang)}
        except AssistantError as exc:
            turn.error = exc.message(lang)
        except Exception:
            log.exception("answering failed for a question of %d characters", len(q.text))
            turn.error = generic_error(lang)
        return None, {"chat": chat_messages(session), "box": "", "notice": ""}

    def _stream(self, answer: Answer, session: ChatSession, turn: ChatTurn) -> Iterator[dict[str, Any]]:
        # While it streams, every output but the question box (the user may type the next
        # question) gets a value, the same each time: Gradio rebuilds the component of every
        # skipped output on every update, which under load cost more CPU than ask() itself.
        form = {"notice": "", "target": feedback_target_text(session), "comment": "", "wrong": False, "status": ""}
        for piece in pieces_to_stream(answer.answer, self._in_progress):
            yield {"chat": chat_messages(session, partial=piece), **form}
            time.sleep(STREAM_DELAY_S)
        turn.answer = citizen_copy(answer)
        session.feedback_turn = len(session.turns) - 1
        # The feedback form now refers to this answer, so it starts empty.
        yield {"chat": chat_messages(session), "box": "", **form, "target": feedback_target_text(session)}

    def answer_json(self, question: str, history: list[dict[str, str]], client: str) -> dict[str, Any]:
        """One answer as JSON, not streamed (the shape of ``assistant ask --json``).

        ``history``: the earlier turns, oldest first, as ``{"question": ..., "answer": ...}``;
        the caller keeps the conversation, so this endpoint holds no session state. Only the last
        ``settings.history_turns`` turns are read, each cut to a bounded length: a client's
        history is never trusted to be small.
        """
        settings = self.settings
        lang = detect_language(question[: settings.max_question_chars]) if isinstance(question, str) else "de"
        wait = self.question_limit.hit(client)
        if wait:
            return {"question": question, "error": too_many_message("question", wait, lang), "retry_after": wait}
        try:
            turns = bounded_history(history or [], settings.history_turns, settings.max_question_chars)
        except (TypeError, KeyError, AttributeError, ValueError):
            return {"question": question, "error": BAD_HISTORY}
        try:
            return self.assistant.ask(question, history=turns).to_json()
        except AssistantError as exc:
            return {"question": question, "error": exc.message(lang)}
        except Exception:
            log.exception("answering failed for a question of %d characters", len(question or ""))
            return {"question": question, "error": generic_error(lang)}

    def new_chat(self) -> tuple[ChatSession, dict[str, Any]]:
        """A fresh session, and the page emptied for it."""
        session = ChatSession()
        target = feedback_target_text(session)
        return session, {"chat": [], "box": "", "notice": "", "target": target, "comment": "", "wrong": False, "status": ""}

    def rate(self, rating: str, comment: str, wrong_source: bool, session: ChatSession, client: str) -> str:
        """The rating form's 👍/👎: rate the session's current answer; returns the status line."""
        return self.ratings.rate(rating, comment, wrong_source, session, client)

    def rate_message(
        self, index: Any, liked: Any, comment: str, wrong_source: bool, session: ChatSession, client: str
    ) -> tuple[str, str] | None:
        """👍/👎 under chat message ``index`` (message i belongs to turn i // 2): rate that answer;
        returns (the form's target line, status), or None for an event that names no message."""
        if not isinstance(index, int) or not isinstance(liked, bool):
            return None
        session.feedback_turn = index // 2
        status = self.rate("up" if liked else "down", comment, wrong_source, session, client)
        return feedback_target_text(session), status
