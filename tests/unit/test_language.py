"""Questions in languages other than German and English (assistant/language.py).

The real identifier (py3langid) throughout: what is tested is whether it, with our guards, tells a
Turkish question from a German one. The pipeline tests use the hash embedder: the question is
answered before any search, so the model plays no part.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.app.web.render import render_answer
from assistant.app.web.staff_render import render_staff_answer
from assistant.language import NOTES, UNKNOWN, foreign_language, foreign_note
from assistant.settings import PROJECT_ROOT

XQUAD = PROJECT_ROOT.parent / "shared" / "bench" / "xquad-de" / "xquad.de.json"

# Citizens' questions about the seeds' topics, one or two per language (inputs, not answers)
FOREIGN = [
    ("tr", "Göçmen kökenli çalışanlar için hangi kampanya var?"),
    ("tr", "Kampanyanın amacı nedir?"),
    ("ar", "كيف يمكنني التقدم لوظيفة في الإدارة؟"),
    ("fa", "چگونه می‌توانم برای کار در اداره درخواست بدهم؟"),
    ("ru", "Как устроиться на работу в администрацию?"),
    ("uk", "Як знайти роботу в державній адміністрації?"),
    ("pl", "Jak mogę ubiegać się o pracę w administracji?"),
    ("ro", "Care este scopul campaniei?"),
    ("it", "Qual è l'obiettivo della campagna?"),
    ("fr", "Quel est l'objectif de la campagne?"),
    ("fr", "Qui a produit les vidéos?"),  # "a" is also an English word
    ("es", "¿Cuál es el objetivo de la campaña?"),
    ("el", "Ποιος είναι ο στόχος της εκστρατείας;"),
    ("vi", "Mục tiêu của chiến dịch là gì?"),
    ("hu", "Hogyan jelentkezhetek állásra a közigazgatásban?"),
    ("nl", "Hoe kan ik solliciteren voor een baan bij de overheid?"),
    ("cs", "Jak se mohu ucházet o práci ve státní správě?"),
    ("hr", "Gdje mogu pogledati videozapise kampanje?"),
    (UNKNOWN, "你好，视频在哪里？"),
    (UNKNOWN, "איפה אפשר לראות את הסרטונים?"),
]


@pytest.mark.parametrize("lang,question", FOREIGN, ids=[f"{i}-{lang}" for i, (lang, _) in enumerate(FOREIGN)])
def test_questions_in_other_languages_are_recognised(lang, question):
    assert foreign_language(question) == lang


def _seed_questions() -> list[str]:
    path = PROJECT_ROOT / "evals" / "seed_questions.jsonl"
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _english_questions() -> list[str]:
    path = PROJECT_ROOT / "evals" / "xquad_en_questions.tsv"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines if "\t" in line and not line.startswith("#")]


def test_no_german_or_english_question_of_the_eval_sets_is_taken_for_another_language():
    # Real data invariant: typos, lower case, names ("Ali Doğan"), single words.
    questions = _seed_questions() + _english_questions()
    questions += ["Hallo", "Danke!", "wer hat die fime gemacht", "Ali Doğan", "Telefon", "help", "ok"]
    assert [q for q in questions if foreign_language(q)] == []


@pytest.mark.skipif(not XQUAD.exists(), reason="needs ../shared/bench/xquad-de")
def test_no_question_of_xquad_de_is_taken_for_another_language():
    # 1,190 German questions, many about foreign names and places ("Wer war Ayurparibhadras Sohn?")
    data = json.loads(XQUAD.read_text(encoding="utf-8"))
    questions = [qa["question"] for art in data["data"] for p in art["paragraphs"] for qa in p["qas"]]
    assert len(questions) == 1190
    assert [q for q in questions if foreign_language(q)] == []


def test_search_words_the_documents_use_are_german_whatever_they_sound_like():
    # Without the documents' words the identifier takes this string of search words for Romanian;
    # with them, three of its four words are the documents' own.
    query = "ali dogan landrat zitat"
    vocab = {"dogan", "landrat", "zitat"}
    assert foreign_language(query) is not None
    assert foreign_language(query, known=vocab.__contains__) is None
    # ... while a Polish question naming the district is still Polish
    polish = "Kto jest starostą powiatu Minden-Lübbecke?"
    assert foreign_language(polish, known={"mind", "minden", "lubbeck", "lubbecke"}.__contains__) == "pl"


def test_the_note_is_in_the_askers_language_then_german_and_english():
    note = foreign_note("tr").split("\n\n")
    assert note[0] == NOTES["tr"]
    assert "nur Fragen auf Deutsch oder Englisch" in note[1]
    assert "only answer questions in German or English" in note[2]
    assert len(foreign_note(UNKNOWN).split("\n\n")) == 2  # no note of its own: German and English


def test_a_turkish_question_gets_the_note_not_a_search(hash_seed_assistant):
    answer = hash_seed_assistant.ask("Göçmen kökenli çalışanlar için hangi kampanya var?")
    assert answer.abstained and answer.basis == "language" and answer.language == "tr"
    assert not answer.citations and not answer.passages  # nothing searched, nothing quoted
    assert answer.answer == foreign_note("tr")
    # the staff see why
    assert "weder auf Deutsch noch auf Englisch (erkannt: tr)" in render_staff_answer(answer)


def test_german_and_english_questions_are_still_searched(hash_seed_assistant):
    for question in ("Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?", "Who produced the videos?"):
        answer = hash_seed_assistant.ask(question)
        assert answer.basis != "language" and answer.passages, question


def test_an_arabic_note_runs_right_to_left_paragraph_by_paragraph(hash_seed_assistant):
    answer = hash_seed_assistant.ask("كيف يمكنني التقدم لوظيفة في الإدارة؟")
    html = render_answer(answer)
    assert '<p class="answer-text" lang="ar" dir="auto">' in html
    assert '<p class="answer-text" lang="de" dir="auto">' in html
    assert '<p class="answer-text" lang="en" dir="auto">' in html
    assert "Keine gesicherte Antwort" not in html  # not a verdict on the documents


def test_identifier_model_ships_in_the_package():
    # offline: the model is read from the installed wheel, never downloaded
    from py3langid import langid

    assert (Path(langid.__file__).parent / langid.MODEL_FILE).is_file()
