"""English questions over German documents with the German-English dictionary (Ding, Debian's
trans-de-en): parsing, the on-disk cache, and how the answerer scores an English question with it."""
from __future__ import annotations

import json
import logging
from dataclasses import replace

import pytest

from assistant import wordtable
from assistant.answer import Answerer
from assistant.question import Question
from assistant.bilingual import Dictionary, english_forms, load_dictionary
from assistant.embeddings import WordHashEmbedder
from assistant.lexical import BM25Index
from assistant.settings import Settings
from assistant.text import stem
from test_answer_unit import make_passages

LINES = [
    "# Version :: devel 2023-01-30\n",
    "Agentur {f} [econ.] | Agenturen {pl} :: agency | agencies\n",
    "Bürger {m}; Bürgerin {f} | Bürger {pl}; Bürgerinnen {pl} :: citizen | citizens\n",
    "drehen {vt} (Film) | drehend | gedreht :: to shoot (film) | shooting | shot\n",
    "Landrat {m} (Kreis) :: district administrator\n",
    "Kampagne {f} | Kampagnen {pl} :: campaign | campaigns\n",
    "Amt {n} | Ämter {pl} :: office; agency | offices; agencies\n",
    "Hund {m} | Hunde :: dog\n",  # the forms do not pair up: skipped
]


pytestmark = pytest.mark.usefixtures("fresh_word_tables")  # each test loads as a new process would


def tr(d: Dictionary, word: str) -> set[str]:
    return set(d.translations(word))


def test_lines_become_english_words_with_stemmed_german_translations():
    d = Dictionary.from_lines(LINES)
    # every synonym of a form, stemmed; a word in several entries gets all of them
    assert tr(d, "agency") == {stem("agentur"), stem("amt")}
    assert tr(d, "agencies") == {stem("agenturen"), stem("ämter")}
    assert tr(d, "citizen") == {stem("bürger"), stem("bürgerin")}
    # a verb's "to " is dropped, the note in parentheses too
    assert tr(d, "shoot") == {stem("drehen")} and tr(d, "shot") == {stem("gedreht")}
    # phrases (never one term), comment lines and entries whose forms do not pair up are left out
    assert tr(d, "district") == set() and tr(d, "administrator") == set()
    assert tr(d, "dog") == set() and tr(d, "version") == set()


def test_inflections_the_dictionary_does_not_list_are_looked_up_by_their_base_form():
    d = Dictionary.from_lines(LINES)
    assert stem("kampagne") in tr(d, "campaigns")  # listed
    assert "large" in english_forms("largest") and "produce" in english_forms("produced")
    assert "citizen" in english_forms("citizens") and "study" in english_forms("studies")
    assert tr(d, "shooting") >= {stem("drehen")}  # listed form "shooting" -> drehend; base "shoot" -> drehen
    assert tr(d, "xyz") == set()


def test_loaded_once_and_cached_as_json(tmp_path, monkeypatch):
    src = tmp_path / "de-en"
    src.write_text("".join(LINES), encoding="utf-8")
    first = load_dictionary(src, tmp_path / "cache")
    assert load_dictionary(src, tmp_path / "cache") is first  # parsed once per process
    (cache,) = (tmp_path / "cache" / "dictionary").glob("*.json")
    assert json.loads(cache.read_text(encoding="utf-8"))["agency"] == " ".join(sorted(tr(first, "agency")))

    wordtable.forget_loaded()  # a new process reads the cache instead of parsing the file

    def no_parse(lines):
        raise AssertionError("parsed although the cache is valid")

    monkeypatch.setattr(Dictionary, "from_lines", staticmethod(no_parse))
    assert tr(load_dictionary(src, tmp_path / "cache"), "agency") == tr(first, "agency")


def test_missing_or_switched_off_dictionary_means_none(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="assistant.wordtable"):
        assert load_dictionary(tmp_path / "nowhere", tmp_path) is None
    assert "trans-de-en" in caplog.text
    assert load_dictionary(None) is None
    assert load_dictionary(Settings(dictionary_path="").dictionary_path) is None  # ASSISTANT_DICTIONARY_PATH=""


# -- in the answerer -------------------------------------------------------------------------------
TEXT = (
    "Die Videos der Kampagne zeigen fünf Beschäftigte bei ihrer Arbeit in Berlin.\n\n"
    "Gedreht hat die Videos die Agentur Boheifilm aus Berlin."
)
OTHER = "Der Stadtpark wird im Sommer neu bepflanzt. Dort entstehen Blumenbeete."


def _ask(question: str, dictionary: Dictionary | None, texts=None, best_only: bool = False):
    passages = [replace(p, dense_rank=p.fused_rank) for p in make_passages(texts or [("kampagne", TEXT), ("park", OTHER)])]
    bm25 = BM25Index.build([p.chunk.text for p in passages] + ["Ein ganz anderer Text über Verkehr."] * 5)
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader="off")
    answerer = Answerer(settings, WordHashEmbedder(), dictionary=dictionary or Dictionary({}))
    if best_only:
        return answerer.lexical.candidates(Question(question, "en"), passages, bm25)[0]
    return answerer.compose(question, passages, bm25)


def test_english_question_is_scored_by_the_german_translations_of_its_words():
    d = Dictionary.from_lines(LINES)
    question = "Which agency shot the campaign videos?"
    best = _ask(question, d, best_only=True)
    assert best.text == "Gedreht hat die Videos die Agentur Boheifilm aus Berlin."
    # agency, shot and videos are in the sentence, campaign in the one before it (its window)
    assert 0.5 < best.coverage < best.window == pytest.approx(1.0)
    ans = _ask(question, d)
    assert not ans.abstained and ans.basis == "translation" and "Agentur Boheifilm" in ans.answer
    # staff see which German words stood in for the question's English ones
    assert ("agency", "Agentur") in ans.synonyms and ("shot", "Gedreht") in ans.synonyms
    # without a dictionary the question's words meet nothing German but "videos": the cosine (of the
    # fake embedder here) decides, and is not confident enough to answer
    plain = _ask(question, None, best_only=True)
    assert plain.coverage < best.coverage
    assert _ask(question, None).basis == "low confidence"


def test_english_question_whose_words_the_documents_lack_abstains():
    d = Dictionary.from_lines(LINES)
    ans = _ask("Which dog breeds are popular in Australia?", d)
    assert ans.abstained and ans.answer.startswith("I found no answer to this in the documents")


class _AllAlike(WordHashEmbedder):
    """Every text gets the same vector: a cosine of 1.0 between any question and any sentence."""

    def _embed(self, texts, kind):
        out = super()._embed(texts, kind)
        out[:] = 1.0
        return out


def test_no_known_word_means_no_coverage_however_close_the_cosine():
    # "What's the weather like?": no word of it, nor a translation, is in the index. With the
    # dictionary such a question covers nothing, like a German one, and a high cosine alone must not
    # make it confident (it once did: scored by the cosine, trusted as if by translated words).
    passages = [replace(p, dense_rank=p.fused_rank) for p in make_passages([("kampagne", TEXT), ("park", OTHER)])]
    bm25 = BM25Index.build([p.chunk.text for p in passages] + ["Ein ganz anderer Text über Verkehr."] * 5)
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader="off")
    answerer = Answerer(settings, _AllAlike(), dictionary=Dictionary.from_lines(LINES))
    ans = answerer.compose("What's the weather like tomorrow?", passages, bm25)
    assert ans.abstained and ans.basis == "low confidence" and ans.confidence == 0.0
