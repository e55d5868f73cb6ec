"""The rating form under the citizens' chat: 👍/👎 with an optional comment and "wrong source",
stored in the ``FeedbackStore`` (one row per rated answer; a second click corrects it), comments
bounded in length and ratings limited per client.
"""
from __future__ import annotations

import logging

from assistant.app.web.chat import ChatSession
from assistant.app.web.render import GENERIC_ERROR
from assistant.feedback import FeedbackStore
from assistant.security import RateLimiter, too_many_message
from assistant.settings import Settings

log = logging.getLogger(__name__)

NOTHING_TO_RATE = "Es gibt noch keine Antwort, die Sie bewerten können."
THANKS = "Danke! Ihre Rückmeldung wurde gespeichert."
# after a 👎 without a comment: what was missing is what staff can act on
ASK_WHAT_WAS_MISSING = (
    " Wenn Sie mögen, schreiben Sie kurz, was gefehlt hat, und klicken Sie dann "
    "noch einmal auf „👎 Nicht hilfreich“."
)


def comment_too_long(length: int, limit: int) -> str:
    """The status line for a comment over ``limit`` characters (German thousands separators)."""
    return (
        f"Ihr Kommentar ist zu lang ({length:,} Zeichen; höchstens {limit:,}). "
        "Bitte kürzen Sie ihn und senden Sie die Bewertung noch einmal."
    ).replace(",", ".")


class Ratings:
    """Stores the ratings of one app's citizens, at most ``settings.feedback_per_minute`` a client."""

    def __init__(self, settings: Settings, store: FeedbackStore | None = None):
        self.settings = settings
        self.store = store or FeedbackStore.from_settings(settings)
        self.limiter = RateLimiter(settings.feedback_per_minute)

    def rate(self, rating: str, comment: str, wrong_source: bool, session: ChatSession, client: str) -> str:
        """Store (or correct) the rating of the session's current answer; returns the status line."""
        index = session.feedback_turn
        if index is None or index >= len(session.turns) or session.turns[index].answer is None:
            return NOTHING_TO_RATE
        comment = comment or ""
        if len(comment) > self.settings.max_comment_chars:
            # nothing stored, and the comment stays in its box to be shortened
            return comment_too_long(len(comment), self.settings.max_comment_chars)
        wait = self.limiter.hit(client)
        if wait:
            return too_many_message("feedback", wait)
        try:
            self._store(rating, comment, bool(wrong_source), session, index)
        except Exception:
            log.exception("storing feedback failed")
            return GENERIC_ERROR
        if rating == "down" and not comment.strip():
            return THANKS + ASK_WHAT_WAS_MISSING
        return THANKS

    def _store(self, rating: str, comment: str, wrong_source: bool, session: ChatSession, index: int) -> None:
        turn = session.turns[index]
        if turn.feedback_id is not None:  # one row per rated answer: a second click corrects the first
            self.store.update(turn.feedback_id, rating=rating, comment=comment, wrong_source=wrong_source)
            return
        answer = turn.answer
        history_turns = self.settings.history_turns
        turn.feedback_id = self.store.add(
            rating=rating,
            question=turn.question,
            answer=answer.answer,
            citations=answer.citations,
            comment=comment,
            wrong_source=wrong_source,
            history=session.history(upto=index)[-history_turns:] if history_turns else [],
            abstained=answer.abstained,
            language=answer.language,
        )
