"""evals/probe.py: the foreign questions that measure how tempting a corpus is, and the reader's best
probability recorded for each."""
import json

import pytest

from evals.probe import SOURCES, best_probabilities, probe_questions, summary
from fake_scorer import FakeScorer


def test_probes_are_first_turns_of_every_training_sets_train_split_and_always_the_same():
    probes = probe_questions(per_source=5)
    assert len(probes) == 5 * len(SOURCES)
    assert all(p["split"] == "train" and not p.get("prev_q") for p in probes)
    assert len({p["id"] for p in probes}) == len(probes)
    assert {p["id"][:2] for p in probes} == {"ct", "pt", "nt", "rs"}
    assert [p["id"] for p in probe_questions(per_source=5)] == [p["id"] for p in probes]
    assert [p["id"] for p in probe_questions(per_source=5, seed=1)] != [p["id"] for p in probes]


def test_a_probe_is_never_a_question_of_an_eval_set():
    from pathlib import Path

    evals = Path(__file__).resolve().parents[2] / "evals"
    asked = set()
    for path in evals.glob("*_questions.jsonl"):
        asked |= {json.loads(line)["question"].casefold() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert not {p["question"].casefold() for p in probe_questions()} & asked


def test_the_summary_counts_unread_probes_apart_and_takes_quantiles_of_the_read_ones():
    s = summary([0.2, None, 0.4, 0.6, None, 0.8], quantiles=(0.5, 1.0))
    assert (s["probes"], s["read"]) == (6, 4)
    assert s["quantiles"]["0.5"] == pytest.approx(0.5) and s["quantiles"]["1.0"] == pytest.approx(0.8)
    assert summary([None])["quantiles"] == {}


class _Cand:
    def __init__(self, text):
        self.text = text


class _Assistant:
    """Reads the sentences a question names, twice when it asks for a second reading (as a reader
    that first decides and then reads again would); reads nothing for a question it stops early."""

    def __init__(self, scorer):
        from assistant.answer import Answerer
        from assistant.settings import Settings

        self.settings = Settings(thesaurus_path=None, dictionary_path=None)
        self.embedder = None
        self.answerer = Answerer(self.settings, scorer=scorer)

    def ask(self, question, history=()):
        if "stop" in question:
            return None
        scorer = self.answerer.scorer
        scorer.probabilities(question, "", [_Cand("amount here"), _Cand("nothing")])
        if "again" in question:
            scorer.probabilities(question, "", [_Cand("date here")])
        return None


def test_the_first_reading_of_each_probe_is_recorded_and_the_answerer_is_put_back():
    scorer = FakeScorer({"amount": 0.7, "date": 0.9}, default=0.1)
    assistant = _Assistant(scorer)
    shipped = assistant.answerer
    best = best_probabilities(assistant, [{"question": "q1"}, {"question": "stop"}, {"question": "q2 again"}])
    assert best == [pytest.approx(0.7), None, pytest.approx(0.7)]
    assert assistant.answerer is shipped and shipped.scorer is scorer
    assert len(scorer.calls) == 3  # every reading reached the reader
