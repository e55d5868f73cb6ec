"""A citizen's chat as the page keeps it: the turns of one browser tab, what the chat shows of
them, and how an answer streams in. No Gradio here: the event handlers (``handlers.py``) and the
tests use these directly.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.language import detect_language
from assistant.app.web.render import render_answer, render_error, render_partial, render_pending, render_question
from assistant.records import Answer, Turn

# Streaming: the answer appears in at most STREAM_STEPS growing pieces, STREAM_DELAY_S apart.
# Not word by word: every streamed update costs the server a full Gradio postprocess (the chat
# HTML, the diff, and a rebuild of each skipped output component), which under load cost more CPU
# than ask() itself (measured with `assistant bench load`). A few steps still read as streaming and
# bound the added latency to about STREAM_STEPS * STREAM_DELAY_S.
STREAM_STEPS = 6
STREAM_DELAY_S = 0.05
# When more answers than this are being worked on at once, an answer is sent whole: under load the
# streamed updates cost the queue more than they give (measured: `assistant bench load`, 32 chats).
STREAM_MAX_BUSY = 4


class AnswersQuestions(Protocol):
    """What the UI needs from ``assistant.pipeline.Assistant``."""

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer: ...

    def documents(self) -> list[dict[str, Any]]: ...

    def is_empty(self) -> bool: ...


@dataclass
class ChatTurn:
    """One question of a chat and what came back: an answer or a German error message."""

    question: str
    answer: Answer | None = None
    error: str = ""
    feedback_id: int | None = None  # row in the FeedbackStore once the user rated this turn


@dataclass
class ChatSession:
    """Per-browser-tab state (a ``gr.State``): the turns and the turn the feedback form rates."""

    turns: list[ChatTurn] = field(default_factory=list)
    feedback_turn: int | None = None

    def history(self, upto: int | None = None) -> list[Turn]:
        """Answered turns before ``upto`` as ``Turn`` records for ``ask(history=...)``."""
        turns = self.turns if upto is None else self.turns[:upto]
        return [Turn(t.question, t.answer.answer) for t in turns if t.answer is not None]


def citizen_copy(answer: Answer) -> Answer:
    """What a chat session keeps of an answer: its text and citations, not the retrieved passages
    and the sentences the scorer weighed (staff data, and most of an answer's memory)."""
    return dataclasses.replace(answer, passages=[], weighed=[])


def under_load(in_progress: int) -> bool:
    """More answers in progress (this one included) than STREAM_MAX_BUSY: the chat then sends each
    answer in one update, without echoing the question first or streaming pieces."""
    return in_progress > STREAM_MAX_BUSY


def pieces_to_stream(text: str, in_progress: int) -> list[str]:
    """The pieces to stream for an answer while ``in_progress`` answers are being worked on
    (this one included): none under load, where the answer is sent whole."""
    return [] if under_load(in_progress) else stream_pieces(text)


def stream_pieces(text: str, steps: int = STREAM_STEPS, min_words: int = 3) -> list[str]:
    """The growing prefixes of ``text`` shown while it streams (the full text not included).

    At most ``steps`` prefixes, each at least ``min_words`` words longer than the one before, cut
    after whole words.
    """
    words = re.findall(r"\S+\s*", text)
    size = max(min_words, -(-len(words) // steps))
    return ["".join(words[:i]) for i in range(size, len(words), size)]


def chat_messages(session: ChatSession, partial: str | None = None) -> list[dict[str, str]]:
    """The Chatbot value: two messages per turn (question, answer), so message i is turn i // 2."""
    messages: list[dict[str, str]] = []
    for i, turn in enumerate(session.turns):
        messages.append({"role": "user", "content": render_question(turn.question)})
        if turn.answer is not None:
            content = render_answer(turn.answer)
        elif turn.error:
            content = render_error(turn.error)
        elif partial is not None and i == len(session.turns) - 1:
            content = render_partial(partial) if partial else render_pending(detect_language(turn.question))
        else:
            content = render_pending(detect_language(turn.question))
        messages.append({"role": "assistant", "content": content})
    return messages


# The line above the rating form names the question it rates; a longer question (up to
# ASSISTANT_MAX_QUESTION_CHARS) is cut here: it bounds that line's length.
FEEDBACK_QUESTION_CHARS = 90


def feedback_target_text(session: ChatSession) -> str:
    """The line above the rating form: which answer a rating is for."""
    index = session.feedback_turn
    if index is None or index >= len(session.turns):
        return "Sobald eine Antwort da ist, können Sie sie hier bewerten."
    question = session.turns[index].question
    short = question if len(question) <= FEEDBACK_QUESTION_CHARS else question[:FEEDBACK_QUESTION_CHARS].rstrip() + " …"
    return f"Ihre Bewertung bezieht sich auf die Antwort zu: „{short}“"
