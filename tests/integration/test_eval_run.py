"""End-to-end evaluation with the real embedder and real Chroma on temporary indexes.

Checks the machinery (files, shapes, ranges, hold-out, isolation from the user's index), and holds
the quality measures of each eval set against its measured baseline: the seed and hold-out sets
against ``evals/baseline_*.json``, the xquad-de variants against ``tests/baselines/quality.json``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.settings import Settings
from evals.cli import EXIT_REGRESSION, eval_command
from evals.metrics import COMPARED_METRICS, metric_at
from evals.report import write_report
from evals.run import SEED_ITEMS, run_seed_eval
from quality_baseline import assert_meets_baselines

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]

# Three paragraphs, six questions; with hold-out 0.34 every 3rd paragraph (the last) is left out.
SMALL_SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Integrationskurs",
            "paragraphs": [
                {
                    "context": "Der Integrationskurs besteht aus einem Sprachkurs und einem Orientierungskurs. "
                    "Der Orientierungskurs umfasst 100 Unterrichtsstunden. Die Anmeldung erfolgt bei "
                    "einer Kursträgerin in Wohnortnähe.",
                    "qas": [
                        {"id": "s1", "question": "Wie viele Unterrichtsstunden umfasst der Orientierungskurs?",
                         "answers": [{"text": "100 Unterrichtsstunden", "answer_start": -1}]},
                        {"id": "s2", "question": "Woraus besteht der Integrationskurs?",
                         "answers": [{"text": "einem Sprachkurs und einem Orientierungskurs", "answer_start": -1}]},
                    ],
                },
                {
                    "context": "Die Einbürgerung kann beantragt werden, wer seit fünf Jahren rechtmäßig in "
                    "Deutschland lebt. Der Antrag wird bei der Einbürgerungsbehörde des Wohnorts gestellt.",
                    "qas": [
                        {"id": "s3", "question": "Seit wie vielen Jahren muss man in Deutschland leben?",
                         "answers": [{"text": "fünf Jahren", "answer_start": -1}]},
                        {"id": "s4", "question": "Wo wird der Antrag auf Einbürgerung gestellt?",
                         "answers": [{"text": "bei der Einbürgerungsbehörde des Wohnorts", "answer_start": -1}]},
                    ],
                },
            ],
        },
        {
            "title": "Leuchttürme",
            "paragraphs": [
                {
                    "context": "Der Leuchtturm Roter Sand steht in der Wesermündung. Er wurde im Jahr 1885 "
                    "in Betrieb genommen und ist heute ein Kulturdenkmal.",
                    "qas": [
                        {"id": "s5", "question": "Wann wurde der Leuchtturm Roter Sand in Betrieb genommen?",
                         "answers": [{"text": "1885", "answer_start": -1}]},
                        {"id": "s6", "question": "Wo steht der Leuchtturm Roter Sand?",
                         "answers": [{"text": "in der Wesermündung", "answer_start": -1}]},
                    ],
                },
            ],
        },
    ],
}


def _with_offsets(squad: dict) -> dict:
    """Fill in each answer's ``answer_start`` from its context, so the data above stays readable."""
    for article in squad["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                for a in qa["answers"]:
                    a["answer_start"] = para["context"].index(a["text"])
    return squad


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


def _in_unit_range(value) -> bool:
    return value is None or 0.0 <= value <= 1.0


@pytest.fixture(scope="module")
def user_settings(tmp_path_factory) -> Settings:
    """Settings whose data dir stands for the user's index: the eval must not touch it."""
    data = tmp_path_factory.mktemp("user-data")
    (data / "marker.txt").write_text("the user's data", encoding="utf-8")
    return Settings(data_dir=data, seeds_dir=ROOT / "seeds", chroma_url="")


@pytest.fixture(scope="module")
def embedder(user_settings):
    from assistant.embeddings import make_embedder

    return make_embedder(user_settings)


def test_seed_eval_end_to_end(user_settings, embedder, tmp_path):
    before = _snapshot(user_settings.data_dir)
    report = run_seed_eval(user_settings, progress=False, embedder=embedder)
    n_items = sum(1 for line in SEED_ITEMS.read_text(encoding="utf-8").splitlines() if line.strip())
    assert len(report.rows) == n_items == report.metrics["n"]
    assert report.meta["missing_gold_docs"] == []
    assert _snapshot(user_settings.data_dir) == before

    md = write_report(report, tmp_path)
    for name in ("report.json", "report.md", "report.html"):
        assert (tmp_path / name).stat().st_size > 0
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert md.startswith("# Evaluation")
    assert "</html>" in (tmp_path / "report.html").read_text(encoding="utf-8")
    # QA see whether the run had the German synonyms: without them the numbers are not comparable
    assert re.search(r"Thesaurus: \d+ Wörter mit Synonymen", md.splitlines()[2]), md.splitlines()[2]
    assert len(data["rows"]) == n_items
    assert {r["answerable"] for r in data["rows"]} == {True, False}

    m = data["metrics"]
    for key in COMPARED_METRICS:
        assert metric_at(m, key) is not None, key
        assert _in_unit_range(metric_at(m, key)), key
    assert _in_unit_range(m["answer_correctness"])
    for group in m["per_category"].values():
        assert all(_in_unit_range(v) for k, v in group.items() if k not in ("n", "answerable"))
    assert "english" in m["per_category"]
    assert 0 < m["latency_ms"]["p50"] <= m["latency_ms"]["p95"]

    # the assistant must not fall below the measured baseline kept in the repository (updated on
    # purpose with `assistant eval --out DIR` and a copy of DIR/report.json, never automatically)
    from evals.baseline import compare

    baseline = Path(__file__).resolve().parents[2] / "evals" / "baseline_seed.json"
    assert compare(report, baseline, tolerance=0.02) == []


def test_holdout_eval_does_not_fall_below_its_baseline(user_settings, embedder):
    """The blind hold-out set (evals/holdout_questions.jsonl, written from the documents alone,
    without the code or the seed set's failures) guards against tuning to the seed questions: a
    change may not cost it more than the tolerance either. Its baseline is updated on purpose, like
    the seed set's; the set itself is not tuned on (docs/measurements.md, "Blind hold-out set")."""
    from evals.baseline import compare

    report = run_seed_eval(user_settings, items_path=ROOT / "evals" / "holdout_questions.jsonl", progress=False, embedder=embedder)
    assert report.meta["missing_gold_docs"] == []
    assert len(report.rows) == 60
    # a change may cost it one question, not two: with 42 answerable questions one is 0.024, more
    # than the 0.02 of the larger sets, and a single passage ranked second instead of first, by a
    # cosine 4e-5 lower on another machine, failed it (retrieval.recall@1 0.500 -> 0.476)
    one_and_a_half = 1.5 / sum(r.answerable for r in report.rows)
    assert compare(report, ROOT / "evals" / "baseline_holdout.json", tolerance=max(0.02, one_and_a_half)) == []


def test_eval_command_runs_another_question_set_over_the_seeds(user_settings, tmp_path):
    """``--questions FILE`` without ``--squad``: that JSONL set (the blind hold-out set) over the
    seed documents, named in the report, and a comparison with the seed baseline warns that the
    question sets differ."""
    items = [json.loads(line) for line in SEED_ITEMS.read_text(encoding="utf-8").splitlines() if line.strip()]
    chosen = [next(i for i in items if i["answerable"]), next(i for i in items if not i["answerable"])]
    questions = tmp_path / "other_questions.jsonl"
    questions.write_text(
        "".join(json.dumps({**i, "id": f"x{n}"}, ensure_ascii=False) + "\n" for n, i in enumerate(chosen)),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    before = _snapshot(user_settings.data_dir)

    code = eval_command(
        None, 0.0, out, ROOT / "evals" / "baseline_seed.json", 0.02, None, False,
        settings=user_settings, progress=False, questions=questions,
    )

    assert code in (0, EXIT_REGRESSION)
    assert _snapshot(user_settings.data_dir) == before
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in data["rows"]] == ["x0", "x1"]
    assert [r["question"] for r in data["rows"]] == [i["question"] for i in chosen]
    md = (out / "report.md").read_text(encoding="utf-8")
    assert md.splitlines()[0] == "# Evaluation: other_questions.jsonl (Seed-Dokumente)"
    assert "Baseline-Fragen aus seed_questions.jsonl, dieser Lauf aus other_questions.jsonl." in data["baseline_warnings"]


def test_squad_eval_holds_out_paragraphs_and_leaves_the_user_index_alone(user_settings, tmp_path):
    squad = tmp_path / "small.json"
    squad.write_text(json.dumps(_with_offsets(SMALL_SQUAD), ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    baseline = tmp_path / "baseline.json"
    # An unreachable baseline: the run must report a regression through its exit code.
    baseline.write_text(json.dumps({"metrics": {"answer_correctness": 1.5}}), encoding="utf-8")
    before = _snapshot(user_settings.data_dir)

    code = eval_command(squad, 0.34, out, baseline, 0.02, None, False, settings=user_settings, progress=False)

    assert code == EXIT_REGRESSION
    assert _snapshot(user_settings.data_dir) == before
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in data["rows"]}
    assert len(rows) == 6
    assert data["meta"]["paragraphs"] == 3 and data["meta"]["held_out_paragraphs"] == 1
    assert data["meta"]["documents"] == 2
    held = {i for i, r in rows.items() if r["category"] == "held-out"}
    assert held == {"s5", "s6"}
    assert all(not rows[i]["answerable"] for i in held)
    assert all(r["answerable"] for i, r in rows.items() if i not in held)
    assert data["regressions"][0]["metric"] == "answer_correctness"
    # nothing retrieved can come from the held-out paragraph: it is not in the index
    assert all(c["doc_id"] != "p0002" for r in rows.values() for c in r["citations"])


XQUAD = ROOT.parent / "shared" / "bench" / "xquad-de" / "xquad.de.json"
EN_QUESTIONS = ROOT / "evals" / "xquad_en_questions.tsv"
TYPO_QUESTIONS = ROOT / "evals" / "xquad_typo_questions.tsv"
PARAPHRASE_QUESTIONS = ROOT / "evals" / "xquad_paraphrase_questions.tsv"


@pytest.mark.skipif(not XQUAD.exists(), reason="needs ../shared/bench/xquad-de beside the project (CI has it)")
def test_english_questions_over_german_documents(user_settings, embedder):
    """120 xquad-de questions asked in English (evals/xquad_en_questions.tsv), with every fifth
    paragraph held out. Bounds: tests/baselines/quality.json, "xquad-en" (measured at the defaults;
    without the German-English dictionary 0.66 / 0.18 / 0.65, docs/measurements.md)."""
    from evals.run import run_squad_eval

    report = run_squad_eval(XQUAD, 0.2, user_settings, progress=False, embedder=embedder, questions=EN_QUESTIONS)
    m = report.metrics
    assert m["n"] == 120 and m["answerable"] == 100 and report.meta["questions"] == str(EN_QUESTIONS)
    assert set(m["per_category"]) >= {"english", "held-out"}  # asked in English: the English group
    assert_meets_baselines("xquad-en", m)
    assert report.meta["settings"]["dictionary"] != "aus"


@pytest.mark.skipif(not XQUAD.exists(), reason="needs ../shared/bench/xquad-de beside the project (CI has it)")
def test_typo_questions_are_what_the_generator_makes():
    import io
    from contextlib import redirect_stdout

    from evals.typos import main

    out = io.StringIO()
    with redirect_stdout(out):
        main(str(XQUAD))
    assert out.getvalue() == TYPO_QUESTIONS.read_text(encoding="utf-8")


@pytest.mark.skipif(not XQUAD.exists(), reason="needs ../shared/bench/xquad-de beside the project (CI has it)")
def test_questions_with_typing_errors(user_settings, embedder):
    """All 1,190 xquad-de questions with typing errors, half in lower case
    (evals/xquad_typo_questions.tsv), every fifth paragraph held out. Bounds: tests/baselines/
    quality.json, "xquad-typos" (measured at the defaults; the lexical scorer alone 0.859 / 0.057 /
    0.779, the same questions without typos 0.890 / 0.022 / 0.719, README "Numbers")."""
    from evals.run import run_squad_eval

    report = run_squad_eval(XQUAD, 0.2, user_settings, progress=False, embedder=embedder, questions=TYPO_QUESTIONS)
    m = report.metrics
    assert m["n"] == 1190
    assert_meets_baselines("xquad-typos", m)


@pytest.mark.skipif(not XQUAD.exists(), reason="needs ../shared/bench/xquad-de beside the project (CI has it)")
def test_questions_worded_unlike_the_text(user_settings, embedder):
    """The first question of each of the 240 xquad-de paragraphs reworded in everyday German
    (evals/xquad_paraphrase_questions.tsv), every fifth paragraph held out. Bounds: tests/baselines/
    quality.json, "xquad-reworded" (measured at the defaults; the lexical scorer alone 0.776 / 0.109
    / 0.646, the same 240 questions as written 0.917 / 0.016 / 0.542). A tolerance of 0.02 is about
    four of the 192 answerable questions, one of the 48 held out."""
    from evals.run import read_question_file, run_squad_eval

    reworded = read_question_file(PARAPHRASE_QUESTIONS)
    squad = json.loads(XQUAD.read_text(encoding="utf-8"))
    first = {p["qas"][0]["id"]: p["qas"][0]["question"] for a in squad["data"] for p in a["paragraphs"]}
    assert reworded.keys() == first.keys()  # one per paragraph, the first
    assert all(reworded[i].strip().lower() != first[i].strip().lower() for i in first)

    report = run_squad_eval(XQUAD, 0.2, user_settings, progress=False, embedder=embedder, questions=PARAPHRASE_QUESTIONS)
    m = report.metrics
    assert m["n"] == 240 and m["answerable"] == 192
    assert_meets_baselines("xquad-reworded", m)
