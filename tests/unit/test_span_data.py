"""The span model's sentences that do not answer (``training/span_data.py``), on the press training
set: one per answer, or several of the answer's passage when asked for, never one holding the
answer. It tests the data, not a model."""
from collections import Counter

from training.span_data import no_answer_examples, span_examples

SPLIT = "press_train"


def test_more_negatives_are_distinct_sentences_of_the_answers_passage_that_do_not_hold_it():
    answers = {ex.qid: ex for ex in span_examples(SPLIT)}
    one = no_answer_examples(SPLIT, 1.0, 1.0, 13)
    three = no_answer_examples(SPLIT, 1.0, 3.0, 13)
    assert len(one) == len(answers) and len(three) == 3 * len(answers)
    assert three == no_answer_examples(SPLIT, 1.0, 3.0, 13)  # drawn with the seed
    assert max(Counter(ex.qid for ex in one if ex.qid in answers).values()) == 1
    per = Counter(ex.qid for ex in three if ex.qid in answers)
    assert max(per.values()) == 3 and sum(per.values()) > 2 * len(per)
    assert len({(ex.qid, ex.context, ex.sentence) for ex in three}) == len(three)  # no sentence twice for a question
    for ex in three:
        assert ex.start == ex.end == -1 and ex.answer == ""
        if ex.qid in answers:
            gold = answers[ex.qid]
            assert ex.title == gold.title and ex.sentence != gold.sentence
            assert gold.answer.casefold() not in ex.sentence.casefold()
