"""The citizens' event handlers without Gradio or a server: what the page shows after each step.

Fast tier: a fake assistant and a feedback store in a temporary data dir.
"""
from __future__ import annotations

from collections.abc import Sequence

import pytest

from assistant.app.web.chat import ChatSession, feedback_target_text
from assistant.app.web.feedback import NOTHING_TO_RATE, THANKS
from assistant.app.web.handlers import CHANGES, CitizenChat
from assistant.errors import InputError
from assistant.records import Answer, Turn
from assistant.settings import Settings
from ui_fixtures import asked


class Echo:
    """Answers every question with a fixed abstention; "lang" in a question is an input error."""

    def __init__(self):
        self.calls: list[tuple[str, list[Turn]]] = []

    def ask(self, question, history: Sequence[Turn] = ()) -> Answer:
        text, turns = asked(question, history)
        self.calls.append((text, turns))
        if "lang" in text:
            raise InputError("Die Frage ist zu lang.")
        return Answer(question=text, answer="Dazu steht nichts in den Dokumenten, leider.", abstained=True)

    def documents(self) -> list[dict]:
        return []

    def is_empty(self) -> bool:
        return True


@pytest.fixture()
def chat(tmp_path) -> CitizenChat:
    return CitizenChat(Echo(), Settings(data_dir=tmp_path, questions_per_minute=2, feedback_per_minute=100))


def test_a_question_shows_at_once_then_streams_then_the_form_rates_it(chat):
    session = ChatSession()
    updates = list(chat.respond("Wie viel Geld?", session, "client-a"))
    assert set(updates[0]) == {"chat", "box", "notice"} and updates[0]["box"] == ""
    assert "pending" in updates[0]["chat"][-1]["content"]
    final = updates[-1]
    assert set(final) == set(CHANGES)
    assert final["target"] == feedback_target_text(session) and "Wie viel Geld?" in final["target"]
    assert session.turns[0].answer is not None and session.feedback_turn == 0
    assert chat.in_progress == 0


def test_the_question_limit_keeps_the_question_in_the_box(chat):
    session = ChatSession()
    for _ in range(2):
        list(chat.respond("Wie viel Geld?", session, "client-a"))
    [refused] = list(chat.respond("Noch eine?", session, "client-a"))
    assert set(refused) == {"notice"} and "Sekunden" in refused["notice"]
    assert len(session.turns) == 2


def test_an_input_error_puts_the_question_back(chat):
    session = ChatSession()
    updates = list(chat.respond("Eine lange Frage", session, "client-a"))
    assert updates[-1] == {"chat": [], "box": "Eine lange Frage", "notice": "Die Frage ist zu lang."}
    assert session.turns == []


def test_ratings_need_an_answer_and_a_second_click_corrects_the_first(chat):
    session = ChatSession()
    assert chat.rate("up", "", False, session, "client-a") == NOTHING_TO_RATE
    list(chat.respond("Wie viel Geld?", session, "client-a"))
    assert chat.rate("up", "", False, session, "client-a") == THANKS
    assert chat.rate("down", "", True, session, "client-a").startswith(THANKS + " Wenn Sie mögen")
    [entry] = chat.ratings.store.list(limit=10)
    assert entry.rating == "down" and entry.wrong_source


def test_a_too_long_comment_is_not_stored(chat):
    session = ChatSession()
    list(chat.respond("Wie viel Geld?", session, "client-a"))
    status = chat.rate("up", "x" * (chat.settings.max_comment_chars + 1), False, session, "client-a")
    assert status.startswith("Ihr Kommentar ist zu lang") and chat.ratings.store.list(limit=10) == []


def test_a_like_event_without_a_message_changes_nothing(chat):
    session = ChatSession()
    assert chat.rate_message(None, True, "", False, session, "client-a") is None
    list(chat.respond("Wie viel Geld?", session, "client-a"))
    target, status = chat.rate_message(1, False, "", False, session, "client-a")
    assert "Wie viel Geld?" in target and status.startswith(THANKS)


def test_a_new_chat_empties_the_page(chat):
    session, changes = chat.new_chat()
    assert session.turns == [] and changes["chat"] == [] and set(changes) == set(CHANGES)


def test_answer_json_refuses_a_malformed_history(chat):
    reply = chat.answer_json("Wie viel Geld?", [{"frage": "x"}], "client-a")
    assert reply["error"].startswith("Der Verlauf muss")
