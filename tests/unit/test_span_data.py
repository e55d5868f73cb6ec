"""The span model's sentences that do not answer (``training/span_data.py``), on the press training
set: one per answer, or several of the answer's passage when asked for, or those of the question's
nearest other passages most like it; never one holding the answer. It tests the data, not a model."""
from collections import Counter

from training.span_data import neighbour_examples, no_answer_examples, span_examples

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


def test_neighbour_negatives_come_from_the_questions_nearest_other_passages_and_never_hold_the_answer():
    from assistant.text import content_terms
    from ingest.sentences import split_sentences
    from training.neighbours import neighbours
    from training.reader_data import _split_data

    passages, items, near_file = _split_data(SPLIT)
    near = neighbours(near_file)
    answers = {ex.qid: ex for ex in span_examples(SPLIT)}
    two = neighbour_examples(SPLIT, 1.0, 2)
    assert two == neighbour_examples(SPLIT, 1.0, 2)  # no draw: the same every time
    assert max(Counter(ex.qid for ex in two).values()) == 2
    assert len({it["id"] for it in items if near.get(it["id"])}) * 2 >= len(two) > len(items)

    def split_text(text):
        return [text[a:b] for a, b in split_sentences(text)]

    titles = {pid: p["title"] for pid, p in passages.items()}
    for ex in two:
        assert ex.start == ex.end == -1 and ex.answer == ""
        nearest = near[ex.qid][:3]
        assert ex.title in {titles[p] for p in nearest}
        assert any(ex.sentence in passages[p]["text"] for p in nearest)
        if ex.qid in answers:
            assert answers[ex.qid].answer.casefold() not in ex.sentence.casefold()
    # the sentence most like the question comes first: with one per question, it is the first of two
    one = {ex.qid: ex.sentence for ex in neighbour_examples(SPLIT, 1.0, 1)}
    assert all(one[q] == next(ex.sentence for ex in two if ex.qid == q) for q in one)
    question = {it["id"]: it["question"] for it in items}
    for q in sorted(one)[:40]:
        terms = set(content_terms(question[q]))
        shared = [len(terms & set(content_terms(s))) for p in near[q][:3] for s in split_text(passages[p]["text"])
                  if q not in answers or answers[q].answer.casefold() not in s.casefold()]  # fmt: skip
        assert len(terms & set(content_terms(one[q]))) == max(shared)


def test_every_training_split_has_its_option_and_no_dev_split_trains():
    from dataclasses import fields

    from training.reader_data import SPLITS
    from training.span import SpanConfig
    from training.span_data import TRAINING_SPLITS

    options = {f.name for f in fields(SpanConfig)}
    assert set(TRAINING_SPLITS.values()) <= options and set(TRAINING_SPLITS) <= set(SPLITS)
    assert not any("dev" in split for split in TRAINING_SPLITS)
