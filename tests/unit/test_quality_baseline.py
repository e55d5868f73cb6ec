"""Eval metrics against their measured baselines: the bound, its direction and what a failure says."""
import json

import pytest
from quality_baseline import BASELINES, assert_meets_baselines, load_baselines

ENTRY = {"tolerance": 0.02, "note": "a made-up set", "command": "make eval-made-up"}


@pytest.fixture
def baselines(tmp_path):
    path = tmp_path / "quality.json"
    path.write_text(json.dumps({"made-up": {
        "answer_correctness": {**ENTRY, "baseline": 0.80, "better": "higher"},
        "abstention.false_abstention_rate": {**ENTRY, "baseline": 0.10, "better": "lower"},
    }}), encoding="utf-8")  # fmt: skip
    return path


def metrics(correct, false_abstention):
    return {"answer_correctness": correct, "abstention": {"false_abstention_rate": false_abstention}}


def test_a_measure_passes_down_to_its_tolerance_and_better_values_always_pass(baselines):
    assert_meets_baselines("made-up", metrics(0.80, 0.10), baselines)
    assert_meets_baselines("made-up", metrics(0.785, 0.115), baselines)  # within 0.02 either way
    assert_meets_baselines("made-up", metrics(0.99, 0.0), baselines)  # an improvement never fails


def test_a_measure_beyond_its_tolerance_fails_and_the_message_names_it(baselines):
    with pytest.raises(AssertionError) as caught:
        assert_meets_baselines("made-up", metrics(0.77, 0.10), baselines)
    message = str(caught.value)
    assert "made-up answer_correctness" in message and "higher is better" in message
    assert "measured 0.7700" in message and "baseline 0.800" in message and "tolerance 0.020" in message
    assert "make eval-made-up" in message
    assert "false_abstention_rate" not in message  # the measure that passed is not named


def test_lower_is_better_fails_above_its_tolerance(baselines):
    with pytest.raises(AssertionError) as caught:
        assert_meets_baselines("made-up", metrics(0.80, 0.13), baselines)
    message = str(caught.value)
    assert "made-up abstention.false_abstention_rate (lower is better): measured 0.1300" in message
    assert "baseline 0.100 + tolerance 0.020 = 0.120" in message


def test_a_measure_missing_from_the_report_fails(baselines):
    with pytest.raises(AssertionError, match="answer_correctness.*missing from the report"):
        assert_meets_baselines("made-up", {"abstention": {"false_abstention_rate": 0.1}}, baselines)


def test_an_unknown_set_or_direction_is_an_error(baselines, tmp_path):
    with pytest.raises(KeyError, match="other"):
        assert_meets_baselines("other", metrics(0.8, 0.1), baselines)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"s": {"m": {**ENTRY, "baseline": 0.5, "better": "more"}}}), encoding="utf-8")
    with pytest.raises(ValueError, match="'more'"):
        load_baselines(broken)


def test_the_shipped_baselines_are_complete():
    shipped = load_baselines(BASELINES)
    assert set(shipped) >= {"xquad-en", "xquad-typos", "xquad-reworded"}
    for entries in shipped.values():
        for b in entries:
            assert 0.0 <= b.value <= 1.0 and 0.0 < b.tolerance < 0.1, b
            assert b.note and b.command.startswith("make eval-"), b
