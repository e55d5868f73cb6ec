"""The question as the assistant reads it: cleaned, its language decided and its history bounded once."""
from __future__ import annotations

import pytest

from assistant.errors import InputError
from assistant.question import MAX_TURN_ANSWER_CHARS, Question
from assistant.records import Turn
from assistant.settings import Settings


def parse(raw, history=(), max_chars=60, turns=2):
    return Question.parse(raw, history, Settings(max_question_chars=max_chars, history_turns=turns))


def test_parse_cleans_the_text_and_decides_the_language_once():
    q = parse("  Wie viel\x00 Geld\u202e gibt   es?\n")
    assert (q.text, q.language, q.truncated, q.history) == ("Wie viel Geld gibt es?", "de", False, ())
    assert parse("How much money is there for the campaign?").language == "en"


def test_a_long_question_is_cut_at_a_word_and_says_so():
    q = parse("Wie viel Geld " * 20, max_chars=30)
    assert q.truncated and len(q.text) <= 30 and not q.text.endswith(" ")


@pytest.mark.parametrize("raw", ["", "   ", "\x00\u202e", 42])
def test_blank_or_non_text_input_is_an_input_error(raw):
    with pytest.raises(InputError):
        parse(raw)


def test_history_is_bounded_and_accepts_the_shapes_clients_send():
    history = [("erste?", "a"), {"question": "zweite?", "answer": "b"}, Turn("dritte? " * 50, "x" * (MAX_TURN_ANSWER_CHARS + 10))]
    q = parse("Und wer?", history, max_chars=20, turns=2)
    assert [t.question for t in q.history] == ["zweite?", ("dritte? " * 50)[:20]]
    assert len(q.history[-1].answer) == MAX_TURN_ANSWER_CHARS
    with pytest.raises((TypeError, KeyError, ValueError)):
        parse("Und wer?", "not a list of turns")


def test_a_follow_up_is_searched_with_the_previous_question():
    first = Question.of("Wer hat die Videos gedreht?")
    assert (first.previous, first.search_text) == ("", "Wer hat die Videos gedreht?")
    follow = Question.of("Und wann?", [Turn("Wer hat die Videos gedreht?", "…")])
    assert follow.previous == "Wer hat die Videos gedreht?"
    assert follow.search_text == "Und wann? Wer hat die Videos gedreht?"


def test_the_kinds_of_answer_asked_for_are_read_from_the_text():
    assert Question.of("Wann wurde die Vereinbarung unterzeichnet?").kinds == ("date",)
    assert Question.of("Unter welcher Nummer kann man anrufen?").kinds == ("phone",)
    assert Question.of("Was ist das Ziel der Initiative?").kinds == ()
