"""The press dev set (training/pressdev/): the reader set's invariants, its genre, and that it is
kept apart from training. It tests the data, not a model."""
import json

import pytest

from training import pressdev, readerset


@pytest.fixture(scope="module")
def press():
    return pressdev.load()


def test_every_span_sits_at_its_offset_and_no_question_copies_an_eval_question(press):
    passages, items = press
    assert readerset.problems(passages, items) == []
    assert readerset.near_eval([it["question"] for it in items], readerset.eval_questions()) == {}
    assert all(it["id"].startswith(pressdev.ID_PREFIX) and it["split"] == "dev" for it in items)


def test_it_is_long_press_releases_with_traps_follow_ups_and_english(press):
    passages, items = press
    words = sorted(len(p["text"].split()) for p in passages.values())
    reader_words = sorted(len(p["text"].split()) for p in readerset.load()[0].values() if p["source"] == "written")
    assert words[len(words) // 2] >= 300 > reader_words[len(reader_words) // 2]  # the seed documents' length, not the reader set's
    assert len(items) >= 150 and sum(not it["answerable"] for it in items) >= 40
    assert {"followup", "english", "typo"} <= {it["style"] for it in items}


def test_it_is_never_part_of_the_reader_sets_training_data(press):
    passages, items = press
    reader_passages, reader_items = readerset.load()
    assert not set(passages) & set(reader_passages)
    texts = {p["text"] for p in reader_passages.values()}
    assert not any(p["text"] in texts for p in passages.values())
    assert not {it["id"] for it in items} & {it["id"] for it in reader_items}


def test_committed_statistics_match_the_data(press):
    passages, items = press
    stats = json.loads(pressdev.STATS.read_text(encoding="utf-8"))
    got = readerset.statistics(list(passages.values()), items)
    assert {k: stats[k] for k in got} == got


def test_it_reads_back_as_a_squad_benchmark(press, tmp_path):
    from evals.squad import load_squad
    from training.devset import squad

    passages, items = press
    path = tmp_path / "press.json"
    path.write_text(json.dumps(squad("dev", "press"), ensure_ascii=False), encoding="utf-8")
    paragraphs, read = load_squad(path)
    assert len(paragraphs) == len(passages) and [r["id"] for r in read] == [it["id"] for it in items]
    assert [r["answerable"] for r in read] == [it["answerable"] for it in items]
