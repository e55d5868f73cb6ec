"""The reader's training set (training/readerset/): its invariants and the shares its datasheet promises.

This tests the data, not a model. The same checks that built the set are applied to the committed
files, so a hand edit that breaks a span, an id or the split fails here.
"""

import json
from collections import Counter

import pytest

from training.readerset import (
    EVAL_SIMILARITY,
    STATS,
    TRAPS,
    UNLIKE_OVERLAP,
    content_overlap,
    dev_pids,
    eval_question_files,
    eval_questions,
    load,
    near_eval,
    problems,
    statistics,
)
from training.spans import locate


@pytest.fixture(scope="module")
def readerset():
    return load()


def test_every_span_sits_at_its_offset_and_ids_are_unique(readerset):
    passages, items = readerset
    assert problems(passages, items) == []


def test_the_checks_catch_a_broken_record(readerset):
    passages, items = readerset
    good = next(it for it in items if it["answerable"])
    shifted = {**good, "answer_start": good["answer_start"] + 1}
    twin = {**good}
    unknown = {**good, "id": "x", "pid": "no-such-passage"}
    found = problems(passages, [shifted, twin, unknown])
    assert any("answer not at answer_start" in p for p in found)
    assert any("used 2 times" in p for p in found)
    assert any("unknown passage" in p for p in found)


def test_sizes_meet_what_the_set_is_for(readerset):
    passages, items = readerset
    answerable = sum(it["answerable"] for it in items)
    assert len(passages) >= 1500
    assert answerable >= 6000
    assert len(items) - answerable >= 2000
    sources = Counter(p["source"] for p in passages.values())
    # written passages imitate the product's genre but may be at most half of the set
    assert sources["written"] <= len(passages) / 2
    assert sources["law"] > 0


def test_dev_split_is_a_tenth_of_each_source_and_disjoint(readerset):
    passages, items = readerset
    dev = {pid for pid, p in passages.items() if p["split"] == "dev"}
    assert dev == dev_pids(list(passages.values()))
    for source in ("law", "written"):
        of_source = [p for p in passages.values() if p["source"] == source]
        share = sum(p["split"] == "dev" for p in of_source) / len(of_source)
        assert 0.09 <= share <= 0.11, (source, share)
    for it in items:
        assert it["split"] == passages[it["pid"]]["split"]


def test_no_question_is_a_near_copy_of_an_eval_question(readerset):
    _, items = readerset
    files = eval_question_files()
    assert any(f.name == "holdout_questions.jsonl" for f in files)
    assert any(f.name == "seed_questions.jsonl" for f in files)
    evals = eval_questions(files)
    hits = near_eval([it["question"] for it in items], evals)
    assert hits == {}, list(hits.items())[:5]


def test_near_copy_detection_flags_a_reworded_eval_question():
    evals = eval_questions()
    probe = evals[0].rstrip("?") + " eigentlich?"
    hits = near_eval([probe, "Bis wann muss der Arbeitgeber einen neuen Minijobber melden?"], evals, EVAL_SIMILARITY)
    assert 0 in hits and 1 not in hits


def test_questions_are_worded_as_citizens_ask(readerset):
    passages, items = readerset
    stats = statistics(list(passages.values()), items)
    # at least 40 % share at most half of their content words with the passage
    assert stats["share_worded_unlike_passage"] >= 0.40
    # about a tenth in English on German passages
    assert 0.07 <= stats["share_english_detected"] <= 0.2
    styles = Counter(it["style"] for it in items)
    assert styles["typo"] >= 0.05 * len(items)
    assert styles["followup"] >= 0.04 * len(items)
    traps = Counter(it["trap"] for it in items if not it["answerable"])
    unanswerable = sum(traps.values())
    for trap in TRAPS:
        assert traps[trap] >= 0.1 * unanswerable, (trap, traps)


def test_overlap_measure_tells_a_copy_from_a_paraphrase():
    passage = "Der Anspruch auf Teilnahme erlischt ein Jahr nach Erteilung des Aufenthaltstitels."
    assert content_overlap("Wann erlischt der Anspruch auf Teilnahme?", passage) > UNLIKE_OVERLAP
    assert content_overlap("Wie lange habe ich Zeit, mich für den Kurs anzumelden?", passage) <= UNLIKE_OVERLAP


def test_locate_repairs_typography_but_not_words():
    text = "Sie sagte: „Wir fördern 18 Städte“ – mit  1,4 Millionen Euro."
    at = locate('"Wir fördern 18 Städte"', text)
    assert at == text.index("„")
    assert locate("mit 1,4 Millionen Euro", text) == text.index("mit")
    assert locate("mit 1,5 Millionen Euro", text) is None


def test_committed_statistics_match_the_data(readerset):
    passages, items = readerset
    committed = json.loads(STATS.read_text(encoding="utf-8"))
    fresh = statistics(list(passages.values()), items)
    for key in ("passages", "questions", "answerable", "unanswerable", "splits", "style", "trap", "share_worded_unlike_passage"):
        assert committed[key] == fresh[key], key


def test_the_second_reading_judges_items_of_the_set(readerset):
    _, items = readerset
    by_id = {it["id"]: it for it in items}
    path = STATS.parent / "second_reading.jsonl"
    verdicts = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(verdicts) >= 250 and len({v["id"] for v in verdicts}) == len(verdicts)
    for v in verdicts:
        item = by_id[v["id"]]
        allowed = {"correct", "partial", "wrong"} if item["answerable"] else {"unanswerable_ok", "answerable"}
        assert v["verdict"] in allowed, v
    # both sources and both kinds are in the sample
    kinds = Counter((it["batch"].split("_")[0], it["answerable"]) for it in (by_id[v["id"]] for v in verdicts))
    assert min(kinds.values()) >= 30 and len(kinds) == 4


def test_every_question_has_its_nearest_other_passages_of_its_own_split(readerset):
    """The committed neighbours (training's hard negatives) cover the set as it is: a rebuilt set
    without rebuilt neighbours would train on stale or missing ones."""
    from training.neighbours import KEEP, neighbours

    passages, items = readerset
    near = neighbours()
    assert set(near) == {it["id"] for it in items}
    for it in items:
        got = near[it["id"]]
        assert len(got) == len(set(got)) == KEEP and it["pid"] not in got
        assert all(passages[p]["split"] == it["split"] for p in got)


def test_dev_split_reads_back_as_a_squad_benchmark_with_its_unanswerable_and_follow_up_questions(readerset, tmp_path):
    """training.devset writes the dev split for the product's eval; evals.squad reads it back with
    the unanswerable questions as such, each follow-up with its previous turn, English as English."""
    from evals.squad import load_squad
    from training.devset import squad

    passages, items = readerset
    dev = [it for it in items if it["split"] == "dev"]
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(squad("dev"), ensure_ascii=False), encoding="utf-8")
    paragraphs, read = load_squad(path)
    assert len(paragraphs) == len({it["pid"] for it in dev})
    assert [r["id"] for r in read] == [it["id"] for it in dev]
    context = {p.doc_id: p.context for p in paragraphs}
    for it, r in zip(dev, read):
        assert r["answerable"] == it["answerable"]
        assert context[r["gold_doc"]] == passages[it["pid"]]["text"]
        if it["answerable"]:
            assert it["answer"] in r["gold_evidence"] and r["gold_answers"] == [it["answer"]]
        else:
            assert r["category"] == "impossible" and "gold_answers" not in r
        assert [h["question"] for h in r["history"]] == ([it["prev_q"]] if it.get("prev_q") else [])
        assert r["lang"] == ("en" if it["style"] == "english" else "de")
    assert sum(not r["answerable"] for r in read) > 100 and sum(bool(r["history"]) for r in read) > 30
