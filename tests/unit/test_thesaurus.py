"""German synonyms (OpenThesaurus): parsing, the on-disk cache, and their place in the answerer —
they rank sentences but never make an answer more confident."""
import json
import logging
from pathlib import Path

import pytest

from assistant import wordtable
from assistant.answer import Answerer
from assistant.question import Question
from assistant.lexical import BM25Index
from assistant.settings import Settings
from assistant.text import stem
from assistant.thesaurus import Thesaurus, load_thesaurus
from test_answer_unit import make_passages

LINES = [
    "# OpenThesaurus - German Thesaurus in text format\n",
    "Fortbildung;Schulung;Weiterbildung;Training\n",
    "Unternehmen;Laden (ugs., salopp);Fa. (Abkürzung);Firma;Betrieb\n",
    "Pressearbeit;PR-Arbeit;Public Relations;PR;Öffentlichkeitsarbeit\n",
    "Anfang;Herkunft;Ursprung\n",
]


pytestmark = pytest.mark.usefixtures("fresh_word_tables")  # each test loads as a new process would


def syn(t: Thesaurus, word: str) -> set[str]:
    return set(t.synonyms(stem(word.lower())))


def test_lines_become_sets_of_stemmed_single_words():
    t = Thesaurus.from_lines(LINES)
    assert len(t) == 13  # the words of the four sets; the comment line is none
    # stemmed on both sides: the plural in a question meets the singular in the thesaurus
    assert syn(t, "Schulungen") == {stem("fortbildung"), stem("weiterbildung"), stem("training")}
    # usage notes are dropped, phrases and hyphenated forms (never one stemmed term) and
    # abbreviations shorter than three letters are left out; a term is not its own synonym
    assert syn(t, "Pressearbeit") == {stem("öffentlichkeitsarbeit")}
    assert syn(t, "Verkehr") == set()
    # a colloquial word is understood in a question but not looked for in the documents
    assert syn(t, "Firma") == {stem("unternehmen"), stem("betrieb")}
    assert syn(t, "Laden") == {stem("unternehmen"), stem("firma"), stem("betrieb")}


def test_a_word_in_several_sets_gets_all_of_them():
    t = Thesaurus.from_lines(LINES + ["Herkunft;Abstammung;Wurzeln (ugs.)\n"])
    assert syn(t, "Herkunft") == {stem("anfang"), stem("ursprung"), stem("abstammung")}
    assert syn(t, "Wurzeln") == {stem("herkunft"), stem("abstammung")}


def test_loaded_once_and_cached_as_json_next_to_the_index(tmp_path, monkeypatch):
    src = tmp_path / "openthesaurus.txt"
    src.write_text("".join(LINES), encoding="utf-8")
    cache_dir = tmp_path / "data"
    first = load_thesaurus(src, cache_dir)
    assert load_thesaurus(src, cache_dir) is first  # parsed once per process
    (cache,) = (cache_dir / "thesaurus").glob("*.json")
    assert len(json.loads(cache.read_text(encoding="utf-8"))) == 13

    # a new process reads the cache instead of parsing the text again
    wordtable.forget_loaded()

    def no_parse(lines):
        raise AssertionError("parsed although the cache is valid")

    monkeypatch.setattr(Thesaurus, "from_lines", staticmethod(no_parse))
    assert syn(load_thesaurus(src, cache_dir), "Firma") == syn(first, "Firma")

    # a changed thesaurus file is parsed anew, and the old cache is removed
    monkeypatch.undo()
    wordtable.forget_loaded()
    src.write_text("".join(LINES[:2]), encoding="utf-8")
    assert len(load_thesaurus(src, cache_dir)) == 4
    assert len(list((cache_dir / "thesaurus").glob("*.json"))) == 1


def test_a_damaged_cache_is_parsed_again_and_rewritten(tmp_path):
    src = tmp_path / "openthesaurus.txt"
    src.write_text("".join(LINES), encoding="utf-8")
    load_thesaurus(src, tmp_path / "data")
    (cache,) = (tmp_path / "data" / "thesaurus").glob("*.json")
    cache.write_text("{not json", encoding="utf-8")
    wordtable.forget_loaded()
    t = load_thesaurus(src, tmp_path / "data")
    assert syn(t, "Firma") == {stem("unternehmen"), stem("betrieb")}
    assert len(json.loads(cache.read_text(encoding="utf-8"))) == 13


def test_a_read_only_cache_folder_only_costs_the_parse(tmp_path):
    src = tmp_path / "openthesaurus.txt"
    src.write_text("".join(LINES), encoding="utf-8")
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder would be")
    assert len(load_thesaurus(src, blocker)) == 13


def test_a_full_disk_leaves_no_partial_cache(tmp_path, monkeypatch):
    # a data or cache folder on a small disk: the half-written cache must not keep the space
    src = tmp_path / "openthesaurus.txt"
    src.write_text("".join(LINES), encoding="utf-8")
    write_text = Path.write_text

    def disk_full(self, data, *args, **kwargs):
        write_text(self, data[:100], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    assert len(load_thesaurus(src, tmp_path / "cache")) == 13  # parsed, only not cached
    assert list((tmp_path / "cache" / "thesaurus").iterdir()) == []


def test_missing_or_switched_off_thesaurus_means_none(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="assistant.wordtable"):
        assert load_thesaurus(tmp_path / "nowhere.txt", tmp_path) is None
    assert "openthesaurus-de-text" in caplog.text
    assert load_thesaurus(None) is None
    # ASSISTANT_THESAURUS_PATH="" arrives as Path("")
    assert load_thesaurus(Settings(thesaurus_path="").thesaurus_path) is None


# -- in the answerer -------------------------------------------------------------------------------
TEXT = (
    "Die Beschäftigten besuchen nächste Woche das neue Rathaus.\n\n"
    "Für die Beschäftigten gibt es Fortbildungen über interkulturelle Kompetenz."
)
QUESTION = "Welche Schulungen besuchen die Beschäftigten?"
# "besuchen" is a common word here, "Schulung" a rare one: the synonym outweighs the shared verb
FILLER = [f"Viele Menschen besuchen den Park Nummer {i}." for i in range(6)] + ["Die Schulung im Sportverein beginnt."]


def ranked(thesaurus):
    passages = make_passages([("stadt", TEXT)])
    bm25 = BM25Index.build([TEXT] + FILLER)
    answerer = Answerer(Settings(thesaurus_path=None, reader="off"), thesaurus=thesaurus)
    return answerer, answerer.lexical.candidates(Question.of(QUESTION), passages, bm25), passages


def test_a_synonym_ranks_the_sentence_that_answers_first():
    _, without, _ = ranked(Thesaurus({}))
    _, with_syn, _ = ranked(Thesaurus.from_lines(LINES))
    assert "Rathaus" in without[0].text  # shares "besuchen" with the question
    assert "Fortbildungen" in with_syn[0].text  # "Schulungen" ~ "Fortbildungen"


def test_a_synonym_does_not_raise_the_confidence():
    # counted in the confidence, synonyms answered more unanswerable questions on both eval sets
    answerer, with_syn, passages = ranked(Thesaurus.from_lines(LINES))
    _, without, _ = ranked(Thesaurus({}))
    same = {c.key: c for c in without}
    for c in with_syn:
        assert c.coverage == same[c.key].coverage and c.window == same[c.key].window
    best = with_syn[0]
    assert answerer.lexical.confidence(best, passages, "de") == answerer.lexical.confidence(same[best.key], passages, "de")


def test_staff_see_which_words_stood_in_for_the_question_s():
    from assistant.app.web.staff_render import render_staff_answer

    passages = make_passages([("stadt", TEXT)])
    bm25 = BM25Index.build([TEXT] + FILLER)
    ans = Answerer(Settings(thesaurus_path=None, reader="off"), thesaurus=Thesaurus.from_lines(LINES)).compose(QUESTION, passages, bm25)
    assert not ans.abstained and "Fortbildungen" in ans.answer
    # the words as written in question and quote, not their stems ("schul", "fortbild")
    assert ans.synonyms == [("Schulungen", "Fortbildungen")]
    assert "<dt>Synonyme</dt><dd>Schulungen → Fortbildungen</dd>" in render_staff_answer(ans)
    plain = Answerer(Settings(thesaurus_path=None, reader="off"), thesaurus=Thesaurus({})).compose(QUESTION, passages, bm25)
    assert plain.synonyms == [] and "Synonyme" not in render_staff_answer(plain)


def test_english_questions_are_not_matched_with_german_synonyms():
    passages = make_passages([("stadt", TEXT)])
    bm25 = BM25Index.build([TEXT])
    answerer = Answerer(Settings(thesaurus_path=None, reader="off"), thesaurus=Thesaurus.from_lines(LINES))
    cands = answerer.lexical.candidates(Question("Which training courses do the staff attend?", "en"), passages, bm25)
    plain = Answerer(Settings(thesaurus_path=None, reader="off"), thesaurus=Thesaurus({})).lexical.candidates(
        Question("Which training courses do the staff attend?", "en"), passages, bm25
    )
    assert [(c.key, c.score) for c in cands] == [(c.key, c.score) for c in plain]


# -- the real one ----------------------------------------------------------------------------------
@pytest.mark.integration
def test_the_debian_openthesaurus_is_installed_and_knows_everyday_words(tmp_path):
    # `make setup` installs it; CI must run with it, or the eval numbers are not the product's
    path = Settings().thesaurus_path
    assert path.exists(), f"{path} missing: apt-get install openthesaurus-de-text (make setup does)"
    t = load_thesaurus(path, tmp_path)
    assert len(t) > 50_000
    assert stem("öffentlichkeitsarbeit") in syn(t, "Pressearbeit")
    assert stem("unternehmen") in syn(t, "Firma")
    assert stem("fortbildung") in syn(t, "Schulungen")
