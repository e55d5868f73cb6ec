"""Unit tests of the evaluation's statistics: Wilson intervals, the exact sign test over changed
questions, and how the reports show both (hand-made rows, no model)."""
from __future__ import annotations

import json

import pytest

from test_eval_metrics import EVIDENCE, FILLER, GOLD, answer, citation, item

from evals.baseline import changed_questions
from evals.metrics import summarize
from evals.report import write_report
from evals.run import Report
from evals.scoring import score
from evals.stats import flips, main, sign_test, wilson


def test_wilson_matches_the_published_interval_and_stays_within_0_and_1():
    # Newcombe (1998), example: 81 of 263 → 0.2553–0.3662
    lo, hi = wilson(81, 263)
    assert lo == pytest.approx(0.2553, abs=1e-4) and hi == pytest.approx(0.3662, abs=1e-4)
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)
    assert wilson(0, 0) is None
    # a small set's interval is wide: 18 of 42 (the blind set's share) spans about ±0.15
    lo, hi = wilson(18, 42)
    assert 0.28 < lo < 0.30 and 0.57 < hi < 0.59


def test_sign_test_is_the_exact_binomial_over_the_changed_questions():
    assert sign_test(0, 0) == 1.0
    assert sign_test(5, 0) == pytest.approx(2 / 32)
    assert sign_test(0, 5) == sign_test(5, 0)
    assert sign_test(3, 3) == 1.0
    # 9 against 1: P(X <= 1) = 11 / 1024, two-sided 22 / 1024
    assert sign_test(9, 1) == pytest.approx(22 / 1024)


def _row(qid: str, right: bool, answerable: bool = True, question: str = "Frage?") -> dict:
    return {"id": qid, "question": question, "answerable": answerable, "correct": right}


def test_flips_count_changes_on_the_questions_both_runs_asked_alike():
    old = [_row("a", False), _row("b", True), _row("c", True), _row("u", False, answerable=False),
           _row("r", False, question="Alte Fassung?"), _row("gone", True)]
    new = [_row("a", True), _row("b", False), _row("c", True), _row("u", True, answerable=False),
           _row("r", True, question="Neue Fassung?"), _row("added", True)]
    answered, abstained = flips(old, new)
    assert (answered.gained, answered.lost, answered.shared) == (["a"], ["b"], 3)  # "r" was reworded
    assert (abstained.gained, abstained.lost, abstained.shared) == (["u"], [], 1)
    assert answered.p == 1.0
    assert "+1 / −1 von 3" in answered.describe() and "netto +0" in answered.describe()


def _report(rows) -> Report:
    return Report(meta={"dataset": "seed", "items": len(rows), "documents": 2, "index": "temporary"},
                  metrics=summarize(rows), rows=rows)


def test_reports_show_intervals_and_the_questions_that_changed_against_the_baseline(tmp_path, capsys):
    right = score(item(id="q1"), answer(f"{EVIDENCE} [1]", citations=[citation(EVIDENCE)], passages=[GOLD]))
    wrong = score(item(id="q2"), answer("Nichts [1]", citations=[citation("Nichts")], passages=[FILLER]))
    abstained = score(item(id="q3"), answer("nein", abstained=True, passages=[FILLER]))
    report = _report([right, wrong, abstained])
    assert report.metrics["intervals"]["answer_correctness"] == pytest.approx(list(wilson(1, 3)))
    assert report.metrics["intervals"]["abstention.recall"] is None  # no unanswerable question

    base = json.loads(json.dumps(report.to_json()))
    for row in base["rows"]:
        row["correct"] = row["id"] == "q2"  # before: only q2 right
    changes = changed_questions(report, base)
    assert changes == ["Beantwortbare richtig beantwortet: +1 / −1 von 3 (netto +0, exakter Vorzeichentest p = 1.00)"]
    assert changed_questions(report, {"metrics": base["metrics"]}) == []  # a baseline without rows

    md = write_report(report, tmp_path, [], [], changes)
    lo, hi = wilson(1, 3)
    assert f"0.333 ({lo:.2f}–{hi:.2f})" in md and changes[0] in md
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["baseline_changes"] == changes
    assert changes[0] in (tmp_path / "report.html").read_text(encoding="utf-8")

    # the command line over two report.json files, with the ids only when asked
    (tmp_path / "old.json").write_text(json.dumps(base), encoding="utf-8")
    assert main([str(tmp_path / "old.json"), str(tmp_path / "report.json")]) == 0
    out = capsys.readouterr().out
    assert changes[0] in out and "q1" not in out
    main([str(tmp_path / "old.json"), str(tmp_path / "report.json"), "--ids"])
    assert "neu richtig: q1" in capsys.readouterr().out
    assert main([str(tmp_path / "missing.json"), str(tmp_path / "report.json")]) == 2
    assert "nicht gefunden" in capsys.readouterr().err
