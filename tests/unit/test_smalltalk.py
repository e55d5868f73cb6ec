"""Greetings, thanks and "what can you do?" (assistant/smalltalk.py): answered without a search.

The pipeline tests use the hash embedder: the reply comes before any search, so the model plays no
part; the document titles in it come from the real seed index.
"""
from __future__ import annotations

import json

import pytest

from assistant.app.web.render import render_answer
from assistant.app.web.staff_render import render_staff_answer
from assistant.settings import PROJECT_ROOT
from assistant.smalltalk import smalltalk_kind, smalltalk_language

XQUAD = PROJECT_ROOT.parent / "shared" / "bench" / "xquad-de" / "xquad.de.json"


@pytest.mark.parametrize(
    "message,kind,lang",
    [
        ("Hallo", "greeting", "de"),
        ("Guten Morgen!", "greeting", "de"),
        ("hallo zusammen 👋", "greeting", "de"),
        ("Hi", "greeting", "de"),
        ("Good morning", "greeting", "en"),
        ("Danke!", "thanks", "de"),
        ("ok danke für die Antwort", "thanks", "de"),
        ("Vielen lieben Dank", "thanks", "de"),
        ("thank you very much", "thanks", "en"),
        ("Tschüss", "bye", "de"),
        ("Was kannst du?", "help", "de"),
        ("Wer sind Sie?", "help", "de"),
        ("Hilfe bitte", "help", "de"),
        ("Worüber kann ich dich fragen?", "help", "de"),
        ("What can you do?", "help", "en"),
        ("help", "help", "en"),
    ],
)
def test_whole_messages_of_greeting_thanks_and_help_are_recognised(message, kind, lang):
    assert smalltalk_kind(message) == kind
    assert smalltalk_language(message) == lang


@pytest.mark.parametrize(
    "question",
    [
        "Hallo, wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?",
        "Danke für die Infos – und wer hat die Videos gedreht?",
        "Welche Hilfe gibt es für Bewerberinnen?",
        "Was kann die Kampagne bewirken?",
        "Who are the people in the videos?",
    ],
)
def test_a_question_with_a_greeting_or_a_help_word_in_it_is_still_a_question(question):
    assert smalltalk_kind(question) is None


def test_no_question_of_the_eval_sets_is_taken_for_small_talk():
    lines = (PROJECT_ROOT / "evals" / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    if XQUAD.exists():
        data = json.loads(XQUAD.read_text(encoding="utf-8"))
        questions += [qa["question"] for art in data["data"] for p in art["paragraphs"] for qa in p["qas"]]
    assert [q for q in questions if smalltalk_kind(q)] == []


def test_a_greeting_says_what_the_assistant_knows_without_searching(hash_seed_assistant):
    answer = hash_seed_assistant.ask("Hallo!")
    titles = {d["title"] for d in hash_seed_assistant.documents()}
    assert answer.basis == "smalltalk" and answer.basis_detail == "greeting"
    assert not answer.passages and not answer.citations
    assert len(titles) == 2 and all(f"„{t}“" in answer.answer for t in titles)
    html = render_answer(answer)
    assert "Keine gesicherte Antwort" not in html  # no verdict on the documents
    assert "Begrüßung: feste Antwort, nicht gesucht" in render_staff_answer(answer)


def test_english_thanks_get_an_english_reply(hash_seed_assistant):
    answer = hash_seed_assistant.ask("Thanks a lot!")
    assert answer.language == "en" and answer.answer.startswith("You're welcome")
