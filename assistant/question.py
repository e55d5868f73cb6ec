"""The question as the assistant reads it, parsed once.

Every app hands the assistant raw text: a web form, a command line, a JSON body, an evaluation
file. ``Question.parse`` validates and normalises it (``clean_question``), bounds the conversation
it follows (``bounded_history``) and decides its language once; retrieval, the scorers, the checks
and the answer's wording all read this record instead of working it out again.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from .errors import InputError
from .language import detect_language
from .read.kinds import question_types
from .records import Turn

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


@dataclass(frozen=True)
class Question:
    """A question as read: its cleaned ``text`` (cut at the configured length when ``truncated``),
    its ``language`` ("de" or "en": how it is scored and which language the answer speaks) and the
    earlier turns it may follow up on."""

    text: str
    language: str
    history: tuple[Turn, ...] = ()
    truncated: bool = False

    @classmethod
    def parse(cls, raw: object, history: Sequence, settings) -> Question:
        """Validate ``raw`` (``clean_question``: raises ``InputError`` for blank or non-text input)
        and bound ``history`` (``bounded_history``: raises TypeError/KeyError/ValueError for a
        malformed turn), by ``settings.max_question_chars`` and ``settings.history_turns``."""
        max_chars = settings.max_question_chars
        text, truncated = clean_question(raw, max_chars)
        return cls(text, detect_language(text), tuple(bounded_history(history, settings.history_turns, max_chars)), truncated)

    @classmethod
    def of(cls, text: str, history: Sequence[Turn] = ()) -> Question:
        """A question whose text is taken as given (no cleaning): for callers that have it clean."""
        return cls(text, detect_language(text), tuple(history))

    @property
    def previous(self) -> str:
        """The previous question of the conversation, "" for a first question."""
        return self.history[-1].question if self.history else ""

    @property
    def search_text(self) -> str:
        """What retrieval searches: a follow-up ("Und wer hat die Videos gedreht?") together with
        the previous question."""
        return f"{self.text} {self.previous}" if self.history else self.text

    @cached_property
    def kinds(self) -> tuple[str, ...]:
        """The kinds of answer it asks for (``read.kinds.question_types``)."""
        return tuple(question_types(self.text))


__all__ = ["MAX_TURN_ANSWER_CHARS", "Question", "bounded_history", "clean_question"]
