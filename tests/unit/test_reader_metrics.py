"""The reader's sentence-choice metrics (training.reader_score.evaluate) on hand-made scores."""
import numpy as np

from training.reader_data import Example
from training.reader_score import evaluate


def _example(qid, positive, n=4):
    return Example(qid, "p", "Frage?", "", [f"Satz {i}." for i in range(n)], ["T"] * n, n, positive, None)


def test_answering_sentences_scored_at_the_sets_lowest_logit_count_as_at_the_floor():
    scores = {
        "a": np.array([2.0, -4.0, -4.0, -4.0]),  # the answer on top
        "b": np.array([-4.0, -4.0, -3.95, 1.0]),  # the answer at the floor (within the margin), another on top
        "c": np.array([-4.0, -2.0, -1.0, -4.0]),  # the answer above the floor but not chosen
        "d": np.array([-4.0, -4.0, -3.0, -4.0]),  # not answerable
    }
    data = [_example("a", 0), _example("b", 2), _example("c", 1), _example("d", None)]
    m = evaluate(lambda ex: scores[ex.qid], data)
    assert m["sentence_choice"] == round(1 / 3, 3)
    assert m["gold_at_floor"] == round(1 / 3, 3)
    assert m["auc_answerable_vs_not"] == 1.0  # every answerable best score (2, 1, -1) above the other (-3)


def test_without_answerable_questions_there_is_no_floor_share():
    m = evaluate(lambda ex: np.zeros(4), [_example("d", None)])
    assert m["gold_at_floor"] is None
