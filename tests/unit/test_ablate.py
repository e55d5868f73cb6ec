"""evals/ablate.py: one eval set asked once, answered by the shipped answerer and by variants
with one rule taken out, each scored apart."""
from assistant.answer import Answerer
from assistant.lexical import BM25Index
from assistant.settings import Settings
from evals.ablate import VARIANTS, SharedReader, runner, table
from evals.scoring import EvalItem

from fake_scorer import FakeScorer
from test_answer_unit import DOC, OTHER, make_passages


class RetrievedOnce:
    """An assistant whose retrieval is done: every question composes from the same passages."""

    def __init__(self, settings):
        self.settings, self.embedder = settings, None
        self.answerer = Answerer(settings)
        self.passages = make_passages([("prog", DOC), ("park", OTHER)])
        self.bm25 = BM25Index.build([p.chunk.text for p in self.passages] + ["Ein ganz anderer Text über Verkehr."] * 5)
        self.asked = 0

    def ask(self, question, history=()):
        self.asked += 1
        return self.answerer.compose(question, self.passages, self.bm25, ["Titel prog", "Titel park"], history)


ITEMS = [
    EvalItem(id="money", question="Wie viel Geld steht für das Programm bereit?", answerable=True,
             gold_answers=("40.000 Euro",), gold_docs=("prog",), gold_evidence="Für das Programm stehen 40.000 Euro bereit."),
    EvalItem(id="2019", question="Wie viel Geld stand 2019 für das Programm bereit?", answerable=False),
]  # fmt: skip


def test_each_question_is_asked_once_and_every_variant_is_scored_apart():
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader="off")
    assistant, reports = RetrievedOnce(settings), {}
    shipped_answerer = assistant.answerer
    shipped = runner(["no_checks", "window", "check_detail", "check_name"], reports)(ITEMS, assistant, False, {"dataset": "test"})
    assert assistant.asked == len(ITEMS) and assistant.answerer is shipped_answerer  # put back
    assert list(reports) == ["shipped", "no_checks", "window", "check_detail", "check_name"] and reports["shipped"] is shipped
    assert all(len(r.rows) == len(ITEMS) for r in reports.values())
    # as shipped, the year the sources never mention makes it abstain; without the checks it answers
    assert [r.abstained for r in reports["shipped"].rows] == [False, True]
    assert [r.abstained for r in reports["no_checks"].rows] == [False, False]
    assert [r.abstained for r in reports["check_detail"].rows] == [False, False]  # the check that caught it
    assert [r.abstained for r in reports["check_name"].rows] == [False, True]  # another one
    lines = table(reports).splitlines()
    assert lines[1].split()[:4] == ["shipped", "1.000", "0.000", "1.000"]
    assert lines[2].split()[0] == "no_checks" and lines[2].split()[3] == "0.000" and lines[2].split()[-1] == "1"


def test_the_reader_reads_a_list_of_sentences_once_for_all_variants():
    fake = FakeScorer({"Blumenbeete": 0.9})
    shared = SharedReader(fake)
    cands = make_passages([("park", OTHER)])
    from assistant.read.candidates import sentence_candidates

    sents = sentence_candidates(cands, "de")
    a = shared.probabilities("Was wird gepflanzt?", "", sents)
    b = shared.probabilities("Was wird gepflanzt?", "", sents)
    assert (a == b).all() and len(fake.calls) == 1
    shared.probabilities("Was wird gebaut?", "", sents)
    assert len(fake.calls) == 2


def test_every_variant_names_what_the_answerer_has():
    from dataclasses import fields

    from assistant.read.lexical import Weights

    names = {f.name for f in fields(Weights)}
    settings = set(Settings.model_fields)
    for changed, weights in VARIANTS.values():
        assert set(weights) <= names and set(changed) <= settings


def test_a_pattern_switched_off_changes_its_variants_answers_and_no_others():
    """--patterns: the variant named after the digits pattern of the detail check no longer sees
    the year 2019 that no source holds, and answers; the shipped answerer, composing from the same
    passages, still abstains, and afterwards every pattern matches again."""
    from evals.patterns import Switchable, install

    names = install()
    assert "premise._DIGITS" in names and "kinds.QTYPES[amount]" in names and len(names) > 50
    assert install() == names  # installing again finds the same patterns, wrapped once
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader="off")
    assistant, reports = RetrievedOnce(settings), {}
    runner(["premise._DIGITS"], reports, patterns=True)(ITEMS, assistant, False, {"dataset": "test"})
    shipped, off = reports["shipped"].rows, reports["premise._DIGITS"].rows
    assert shipped[1].abstained and shipped[1].basis.startswith("detail")
    assert not off[1].abstained
    assert shipped[0].answer == off[0].answer  # a question without a number: the same answer
    assert Switchable.off is None and assistant.ask(ITEMS[1].question).abstained
