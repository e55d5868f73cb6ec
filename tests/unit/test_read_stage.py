"""The read stage with a fake scorer: calibration, selection, abstention, the fallback when the
reader's weights are missing or altered. The real reader is tested in test_reader_model.py."""
import json

import numpy as np
import pytest
from assistant.answer import Answerer
from assistant.lexical import BM25Index
from assistant.messages import basis_for_staff
from assistant.read import calibration
from assistant.read.model import CARD_FILE, WEIGHTS_DIR, WEIGHTS_FILE, ReaderMissing, ReaderModel
from assistant.read.span import SPAN_CARD, SPAN_FILE, SpanModel, SpanScorer, answer_log_odds
from assistant.read.stage import select
from assistant.records import Turn
from assistant.settings import Settings

from fake_scorer import FakeScorer, FakeSpanner
from test_answer_unit import DOC, OTHER, make_passages


def compose(question, scorer, history=(), role="decide", spanner=None, **more):
    passages = make_passages([("prog", DOC), ("park", OTHER)])
    bm25 = BM25Index.build([p.chunk.text for p in passages] + ["Ein ganz anderer Text über Verkehr."] * 5)
    # without a scorer: the lexical scorer alone, not the shipped reader; without a spanner, no short answers
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader="auto" if scorer else "off", reader_role=role,
                        short_answers="auto" if spanner else "off", **more)  # fmt: skip
    answerer = Answerer(settings, scorer=scorer, spanner=spanner)
    return answerer.compose(question, passages, bm25, ["Titel prog", "Titel park"], history)


def test_platt_scaling_recovers_a_known_curve():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 2, 4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-(1.5 * x - 0.5)))).astype(int)
    a, b = calibration.fit_platt(x, y)
    assert abs(a - 1.5) < 0.15 and abs(b + 0.5) < 0.15
    cal = calibration.fit(x, y, target_false_abstention=0.05)
    probs = cal.prob(x)
    false_abstention = np.mean(probs[y == 1] < cal.threshold)
    assert 0.03 <= false_abstention <= 0.05
    assert calibration.expected_calibration_error(probs, y) < 0.03
    rows = calibration.reliability(probs, y)
    assert sum(r["n"] for r in rows) == 4000
    assert all(abs(r["predicted"] - r["observed"]) < 0.1 for r in rows if r["n"] > 200)


def test_platt_scaling_converges_on_confident_logits():
    """A reader trained longer gives best logits of ±15: a plain Newton step from a = 1 overshoots
    and diverged (a ≈ 6e10, every probability 0 or 1); the damped fit finds the curve."""
    rng = np.random.default_rng(1)
    x = rng.normal(0, 2, 4000) * 6
    y = (rng.random(4000) < 1 / (1 + np.exp(-(0.3 * x + 1.0)))).astype(int)
    a, b = calibration.fit_platt(x, y)
    assert abs(a - 0.3) < 0.05 and abs(b - 1.0) < 0.2
    assert 0.0 < calibration.fit(x, y).prob(-15.0) < calibration.fit(x, y).prob(15.0) < 1.0


def test_a_constant_scorer_calibrates_to_the_base_rate():
    cal = calibration.fit([0.0] * 30 + [0.0] * 10, [1] * 30 + [0] * 10)
    assert cal.prob(0.0) == pytest.approx(0.75, abs=0.02)


def test_answers_with_the_sentence_the_scorer_finds_and_exact_offsets():
    scorer = FakeScorer({"40.000 Euro": 0.9})
    ans = compose("Wie viel Geld steht für das Programm bereit?", scorer)
    assert not ans.abstained and ans.scorer == "fake" and ans.basis == "reader"
    assert [c.quote for c in ans.citations] == ["Für das Programm stehen 40.000 Euro bereit."]
    (c,) = ans.citations
    assert DOC[c.start : c.end] == c.quote
    assert ans.confidence == pytest.approx(0.9)


def test_reader_top_reads_only_the_lexical_scorers_best_sentences():
    question = "Wie viel Geld steht für das Programm bereit?"
    every, top = FakeScorer({"40.000 Euro": 0.9}), FakeScorer({"40.000 Euro": 0.9})
    compose(question, every, reader_top=0)
    ans = compose(question, top, reader_top=2)
    read_all, read_top = every.calls[-1][2], top.calls[-1][2]
    assert len(read_all) > 2 and len(read_top) == 2 and set(read_top) < set(read_all)
    assert not ans.abstained and ans.scorer == "fake"
    (c,) = ans.citations
    assert c.quote == "Für das Programm stehen 40.000 Euro bereit." and DOC[c.start : c.end] == c.quote
    # a sentence the lexical scorer ranks low is never read, however sure the reader would be
    assert compose(question, FakeScorer({"Korkmaz": 0.9}), reader_top=1).confidence == pytest.approx(0.05)
    assert compose(question, FakeScorer({"Korkmaz": 0.9}), reader_top=0).confidence == pytest.approx(0.9)


def test_reader_top_ranks_once_when_the_lexical_scorer_also_decides():
    """decide_or_lexical with reader_top: the reader is unsure, the lexical scorer decides, from
    the same ranking that chose what the reader read (computed once)."""
    passages = make_passages([("prog", DOC), ("park", OTHER)])
    bm25 = BM25Index.build([p.chunk.text for p in passages] + ["Ein ganz anderer Text über Verkehr."] * 5)
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader_role="decide_or_lexical", reader_top=2)
    answerer = Answerer(settings, scorer=FakeScorer({}, default=0.1))
    ranked, candidates = [], answerer.lexical.candidates
    answerer.lexical.candidates = lambda *a, **k: ranked.append(1) or candidates(*a, **k)
    ans = answerer.compose("Wie viel Geld steht für das Programm bereit?", passages, bm25, ["Titel prog", "Titel park"])
    assert not ans.abstained and ans.scorer == "lexical" and "40.000 Euro" in ans.answer
    assert ranked == [1]


def test_staff_see_the_sentences_the_deciding_scorer_rated_best_and_citizens_do_not():
    from assistant.app.web.chat import citizen_copy

    # the reader rescues nothing (0.6 is below its rescue threshold): the abstention shows how close it came
    unsure = FakeScorer({"40.000 Euro": 0.6, "Korkmaz": 0.4}, default=0.1)
    ans = compose("Wie viel Geld gibt es?", unsure, role="lexical_or_reader")
    assert ans.abstained and ans.scorer == "fake"
    assert [round(w.score, 2) for w in ans.weighed] == [0.6, 0.4, 0.1] and {w.scorer for w in ans.weighed} == {"fake"}
    best = ans.weighed[0]
    assert best.text == "Für das Programm stehen 40.000 Euro bereit." and DOC[best.start : best.end] == best.text
    assert best.doc_id == "prog" and best.title == "Titel prog"
    # the lexical scorer decided: its best sentences, best first, the quoted one among them
    lexical = compose("Wie viel Geld steht für das Programm bereit?", None)
    assert not lexical.abstained and lexical.weighed[0].scorer == "lexical"
    assert lexical.weighed[0].text == lexical.citations[0].quote
    assert [w.score for w in lexical.weighed] == sorted((w.score for w in lexical.weighed), reverse=True)
    assert citizen_copy(ans).weighed == [] and citizen_copy(ans).documents == ans.documents


def test_abstains_below_the_threshold_even_when_words_match():
    # every word of the question is in the document: the lexical scorer would answer
    ans = compose("Wie viel Geld steht für das Programm bereit?", FakeScorer({}, threshold=0.5, default=0.2))
    assert ans.abstained and ans.basis == "low confidence" and ans.scorer == "fake"
    assert ans.answer.startswith("Dazu habe ich in den vorliegenden Dokumenten keine Antwort gefunden.")


def test_a_neighbour_joins_only_where_the_scorer_says_it_answers():
    both = compose("Wer ist die Ansprechpartnerin und wie erreiche ich sie?", FakeScorer({"Korkmaz": 0.8, "Telefon": 0.7}))
    assert [c.quote for c in both.citations] == [
        "Ansprechpartnerin ist Frau Dr. Lena Korkmaz. Sie ist unter Telefon 0301 555-123 erreichbar."
    ]  # adjacent sentences: one quote, in document order
    one = compose("Wer ist die Ansprechpartnerin?", FakeScorer({"Korkmaz": 0.8, "Telefon": 0.3}))
    assert [c.quote for c in one.citations] == ["Ansprechpartnerin ist Frau Dr. Lena Korkmaz."]


def test_with_reader_quotes_answering_a_sentence_away_from_the_best_is_quoted_too():
    asked = "Wie viel Geld gibt es und wer ist die Ansprechpartnerin?"
    scorer = FakeScorer({"40.000 Euro": 0.9, "Korkmaz": 0.8})
    assert [c.quote for c in compose(asked, scorer).citations] == ["Für das Programm stehen 40.000 Euro bereit."]
    both = compose(asked, scorer, reader_quotes="answering")
    assert [c.quote for c in both.citations] == [
        "Für das Programm stehen 40.000 Euro bereit.", "Ansprechpartnerin ist Frau Dr. Lena Korkmaz."
    ]


def test_select_keeps_the_best_and_at_most_max_sentences_of_its_neighbours():
    passages = make_passages([("prog", DOC)])
    from assistant.read.candidates import Candidate

    p = passages[0]
    cands = [Candidate(p, i, a, b, 0.0, 0.0) for i, (a, b) in enumerate(p.chunk.sentences)]
    probs = np.array([0.9, 0.95, 0.2, 0.3, 0.97])  # 4 is best, 3 its only neighbour (too low)
    assert select(cands, probs, 0.5, 3) == [4]
    probs = np.array([0.9, 0.95, 0.99, 0.6, 0.6])
    assert select(cands, probs, 0.5, 3) == [1, 2, 3]  # 2 best, then both neighbours
    assert select(cands, probs, 0.5, 2) == [1, 2]  # the better neighbour
    assert select(cands, probs, 0.5, 1) == [2]


def test_select_quotes_any_sentence_at_the_threshold_where_asked_to():
    passages = make_passages([("prog", DOC)])
    from assistant.read.candidates import Candidate

    p = passages[0]
    cands = [Candidate(p, i, a, b, 0.0, 0.0) for i, (a, b) in enumerate(p.chunk.sentences)]
    probs = np.array([0.9, 0.2, 0.3, 0.4, 0.97])  # 4 is best; 0 answers too but is not its neighbour
    assert select(cands, probs, 0.5, 3) == [4]
    assert select(cands, probs, 0.5, 3, neighbours_only=False) == [0, 4]  # in reading order
    probs = np.array([0.6, 0.7, 0.8, 0.9, 0.97])
    assert select(cands, probs, 0.5, 3, neighbours_only=False) == [2, 3, 4]  # the best three
    assert select(cands, probs, 0.95, 3, neighbours_only=False) == [4]
    other = make_passages([("park", OTHER)])[0]
    cands.append(Candidate(other, 0, *other.chunk.sentences[0], 0.0, 0.0))
    probs = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.97])  # the other passage's sentence is best
    assert select(cands, probs, 0.5, 3, neighbours_only=False) == [5, 3, 4]  # its passage first
    # the best is the phone number asked for: nothing else joins it, however likely
    from dataclasses import replace

    narrow = [replace(c, narrow=True) if i in (3, 4) else c for i, c in enumerate(cands[:5])]
    probs = np.array([0.9, 0.2, 0.3, 0.8, 0.97])
    assert select(narrow, probs, 0.5, 3, neighbours_only=False) == [4]
    assert select(narrow, probs, 0.5, 3) == [3, 4]  # a neighbour still joins where only neighbours may


def test_the_previous_turn_reaches_the_scorer():
    scorer = FakeScorer({"Telefon": 0.9})
    history = [Turn("Wer ist die Ansprechpartnerin?", "Frau Dr. Lena Korkmaz.")]
    ans = compose("Und wie ist sie erreichbar?", scorer, history)
    assert not ans.abstained
    assert scorer.calls[-1][:2] == ("Und wie ist sie erreichbar?", "Wer ist die Ansprechpartnerin?")


def test_without_weights_the_lexical_scorer_answers_and_staff_are_told(tmp_path):
    missing = "Das Lesemodell ist nicht installiert; die Antworten beruhen auf dem Wortabgleich."
    passages = make_passages([("prog", DOC), ("park", OTHER)])
    bm25 = BM25Index.build([p.chunk.text for p in passages] + ["Ein ganz anderer Text über Verkehr."] * 5)
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader="auto", reader_dir=tmp_path, reader_role="decide")
    ans = Answerer(settings).compose("Wie viel Geld steht für das Programm bereit?", passages, bm25, [])
    assert not ans.abstained and "40.000 Euro" in ans.answer
    assert ans.scorer == "lexical" and ans.basis == "coverage" and ans.scorer_note == missing
    # with the reader as rescuer it is looked for only where the lexical scorer would abstain, and
    # the abstention then says that it was missing
    answerer = Answerer(settings.model_copy(update={"reader_role": "lexical_or_reader"}))
    sure = answerer.compose("Wie viel Geld steht für das Programm bereit?", passages, bm25, [])
    assert not sure.abstained and sure.scorer == "lexical"
    unsure = answerer.compose("Was wird angepflanzt, wenn es warm ist?", passages, bm25, [])
    assert unsure.abstained and unsure.scorer == "lexical" and unsure.scorer_note == missing


def test_altered_weights_are_refused_by_their_checksum(tmp_path):
    (tmp_path / WEIGHTS_FILE).write_bytes(b"not the trained weights")
    card = {"sha256": "0" * 64, "max_len": 128, "calibration": {"a": 1.0, "b": 0.0, "threshold": 0.5}}
    (tmp_path / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ReaderMissing) as err:
        ReaderModel(tmp_path)
    assert "beschädigt" in err.value.de and "SHA-256" in err.value.en


def test_span_weights_missing_or_altered_are_refused_with_a_message_for_each(tmp_path):
    with pytest.raises(ReaderMissing) as err:
        SpanModel(tmp_path)
    assert err.value.de == "Das Modell für Kurzantworten ist nicht installiert."
    (tmp_path / SPAN_CARD).write_text(json.dumps({"sha256": "0" * 64, "max_len": 128, "threshold": 0.2}))
    with pytest.raises(ReaderMissing) as err:
        SpanModel(tmp_path)
    assert err.value.de == "Das Modell für Kurzantworten ist nicht installiert." and SPAN_FILE in err.value.en
    (tmp_path / SPAN_FILE).write_bytes(b"not the trained weights")
    with pytest.raises(ReaderMissing) as err:
        SpanModel(tmp_path)
    assert err.value.de == "Das Modell für Kurzantworten ist beschädigt." and "SHA-256" in err.value.en


def _logits(null: float, peak: float, n: int = 5, at: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Start and end logits as the span head gives them: "no answer" first, then ``n`` tokens,
    one of which (``at``) is a one-token span of logit ``peak``."""
    start, end = np.zeros(n + 1), np.zeros(n + 1)
    start[0] = end[0] = null
    start[1 + at] = end[1 + at] = peak
    return start, end


def test_answer_log_odds_weighs_every_span_against_no_answer():
    assert answer_log_odds(*_logits(null=8.0, peak=0.0), 5) < -10  # "no answer" takes the mass
    assert answer_log_odds(*_logits(null=0.0, peak=8.0), 5) > 10  # one span takes it
    sure, unsure = answer_log_odds(*_logits(null=2.0, peak=6.0), 5), answer_log_odds(*_logits(null=4.0, peak=4.0), 5)
    assert sure > unsure
    # spans longer than allowed, or ending before they start, count for nothing
    start, end = np.zeros(6), np.zeros(6)
    start[0], end[0], start[1], end[5] = 0.0, 0.0, 9.0, 9.0
    assert answer_log_odds(start, end, 5, max_tokens=2) < answer_log_odds(start, end, 5, max_tokens=5)
    assert answer_log_odds(np.zeros(1), np.zeros(1), 0) == -30.0


class _FakeSpanModel:
    """What ``SpanScorer`` reads of the span model: its card, whether it reads the sentence before,
    and ``answerability``."""

    def __init__(self, info: dict, odds: dict[str, float], context: bool = False):
        self.info, self.odds, self.asked, self.context = info, odds, [], context

    def answerability(self, pairs):
        self.asked.extend(pairs)
        return np.array([next((v for k, v in self.odds.items() if k in p.sentence), -5.0) for p in pairs])


def test_the_span_model_scores_calibrated_and_rescues_only_with_a_recorded_threshold():
    card = {"sha256": "0" * 64, "calibration": {"a": 1.0, "b": 0.0, "threshold": 0.6}}
    model = _FakeSpanModel(card, {"40.000 Euro": 3.0})
    scorer = SpanScorer(model)
    assert scorer.name == "span" and scorer.threshold == 0.6 and scorer.rescue_threshold == float("inf")
    assert SpanScorer(_FakeSpanModel({**card, "rescue": {"threshold": 0.7}}, {})).rescue_threshold == 0.7
    # the sentence before goes into the pairs only where the model reads it
    assert SpanScorer(_FakeSpanModel(card, {}, context=True)).context and not scorer.context
    passages = make_passages([("prog", DOC), ("park", OTHER)])
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader="auto", reader_role="decide")
    bm25 = BM25Index.build([p.chunk.text for p in passages] + ["Ein ganz anderer Text über Verkehr."] * 5)
    ans = Answerer(settings, scorer=scorer).compose("Wie viel Geld steht für das Programm bereit?", passages, bm25, [])
    assert not ans.abstained and "40.000 Euro" in ans.answer and ans.scorer == "span"
    assert model.asked and model.asked[0].question == "Wie viel Geld steht für das Programm bereit?"
    with pytest.raises(ReaderMissing):
        SpanScorer(_FakeSpanModel({"sha256": "0" * 64}, {}))  # a card without a calibration


def test_reader_model_span_without_its_files_falls_back_to_the_lexical_scorer(tmp_path):
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader="auto", reader_dir=tmp_path, reader_model="span")
    answerer = Answerer(settings)
    assert answerer.scorer is None and answerer._scorer_note == "Das Modell für Kurzantworten ist nicht installiert."


def test_reader_off_is_the_lexical_scorer():
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader="off")
    assert Answerer(settings).scorer is None


def test_lexical_or_reader_asks_the_reader_only_where_the_lexical_scorer_would_abstain():
    # the lexical scorer is sure (every word is in the text): it answers, the reader is not asked
    scorer = FakeScorer({"Blumenbeete": 0.9})
    sure = compose("Wie viel Geld steht für das Programm bereit?", scorer, role="lexical_or_reader")
    assert not sure.abstained and sure.scorer == "lexical" and "40.000 Euro" in sure.answer and scorer.calls == []
    # worded unlike the text, the lexical scorer would abstain: the reader answers where it is sure …
    asked = "Was wird angepflanzt, wenn es warm ist?"
    assert compose(asked, None).abstained
    rescued = compose(asked, scorer, role="lexical_or_reader")
    assert not rescued.abstained and rescued.scorer == "fake" and rescued.basis == "reader"
    assert [c.quote for c in rescued.citations] == ["Dort entstehen Blumenbeete."]
    # … and abstains where it is not: below its rescue threshold, even above its answering one
    unsure = compose(asked, FakeScorer({"Blumenbeete": 0.7}, threshold=0.5, rescue_threshold=0.8), role="lexical_or_reader")
    assert unsure.abstained and unsure.basis == "low confidence"


def test_reader_top_bounds_what_the_rescue_reads():
    """Where the lexical scorer would abstain, the rescuing reader reads only its best reader_top
    sentences: what it ranks lower is not rescued, what it ranks among them is, as before."""
    asked = "Was wird angepflanzt, wenn es warm ist?"  # worded unlike the text: the lexical scorer would abstain
    every, top = FakeScorer({"Blumenbeete": 0.9}), FakeScorer({"Blumenbeete": 0.9})
    assert not compose(asked, every, role="lexical_or_reader", reader_top=0).abstained
    missed = compose(asked, top, role="lexical_or_reader", reader_top=2)
    read_all, read_top = every.calls[-1][2], top.calls[-1][2]
    assert len(read_top) == 2 and set(read_top) < set(read_all) and "Dort entstehen Blumenbeete." not in read_top
    assert missed.abstained and missed.scorer == "fake" and missed.basis == "low confidence"
    found = compose(asked, FakeScorer({"40.000 Euro": 0.9}), role="lexical_or_reader", reader_top=2)
    assert not found.abstained and found.scorer == "fake" and found.basis == "reader"
    (c,) = found.citations
    assert c.quote == "Für das Programm stehen 40.000 Euro bereit." and DOC[c.start : c.end] == c.quote


def test_lexical_or_reader_withdraws_an_answer_the_reader_finds_no_sentence_for():
    asked = "Wie viel Geld steht für das Programm bereit?"  # the lexical scorer is sure
    # the reader finds the amount's sentence likely enough: the lexical answer stands
    agrees = FakeScorer({"40.000 Euro": 0.5}, veto_threshold=0.4)
    kept = compose(asked, agrees, role="lexical_or_reader")
    assert not kept.abstained and kept.scorer == "lexical" and "40.000 Euro" in kept.answer and agrees.calls
    # no sentence of the passages is likely to answer: the answer is withdrawn, and staff see why
    doubts = FakeScorer({}, default=0.3, veto_threshold=0.4)
    vetoed = compose(asked, doubts, role="lexical_or_reader")
    assert vetoed.abstained and vetoed.basis == "veto" and vetoed.scorer == "fake" and vetoed.confidence == 0.3
    assert "Lesemodell" in basis_for_staff(vetoed.basis)
    # without a veto threshold the reader is not asked about answers
    silent = FakeScorer({}, default=0.3)
    assert not compose(asked, silent, role="lexical_or_reader").abstained and silent.calls == []


def test_decide_or_lexical_lets_the_lexical_scorer_decide_where_the_reader_is_unsure():
    unsure = FakeScorer({}, default=0.2)
    ans = compose("Wie viel Geld steht für das Programm bereit?", unsure, role="decide_or_lexical")
    assert not ans.abstained and ans.scorer == "lexical" and "40.000 Euro" in ans.answer and unsure.calls
    assert compose("Wie viel Geld steht für das Programm bereit?", unsure).abstained  # role decide


# -- short answers (a fake span model; the shipped one in tests/integration/test_span_model.py) ----


def test_a_short_answer_marks_the_words_inside_the_quote_with_exact_offsets():
    spanner = FakeSpanner(["40.000 Euro"])
    ans = compose("Wie viel Geld steht für das Programm bereit?", FakeScorer({"40.000 Euro": 0.9}), spanner=spanner)
    assert ans.short is not None and ans.short.text == "40.000 Euro"
    assert DOC[ans.short.start : ans.short.end] == ans.short.text
    (c,) = ans.citations
    assert ans.short.n == c.n and c.start <= ans.short.start < ans.short.end <= c.end
    (asked,) = spanner.asked
    assert (asked.question, asked.sentence, asked.title) == (ans.question, c.quote, "Titel prog")
    assert ans.to_json()["short"]["text"] == "40.000 Euro"


def test_no_short_answer_below_the_threshold_or_as_long_as_the_sentence():
    question, scorer = "Wie viel Geld steht für das Programm bereit?", FakeScorer({"40.000 Euro": 0.9})
    unsure = compose(question, scorer, spanner=FakeSpanner(["40.000 Euro"], probability=0.4, threshold=0.5))
    assert not unsure.abstained and unsure.short is None
    whole = compose(question, scorer, spanner=FakeSpanner(["Für das Programm stehen 40.000 Euro bereit"]))
    assert not whole.abstained and whole.short is None


def test_an_abstention_asks_the_span_model_nothing():
    spanner = FakeSpanner(["40.000 Euro"])
    ans = compose("Wie viel Geld steht für das Programm bereit?", FakeScorer({}, default=0.2), spanner=spanner)
    assert ans.abstained and ans.short is None and spanner.asked == []


def test_the_previous_turn_reaches_the_span_model():
    spanner = FakeSpanner(["0301 555-123"])
    history = [Turn("Wer ist die Ansprechpartnerin?", "Frau Dr. Lena Korkmaz.")]
    ans = compose("Und wie ist sie erreichbar?", FakeScorer({"Telefon": 0.9}), history, spanner=spanner)
    assert ans.short is not None and ans.short.text == "0301 555-123"
    assert spanner.asked[-1].previous == "Wer ist die Ansprechpartnerin?"


def test_short_answers_are_off_by_default_and_need_the_reader():
    base = Settings(thesaurus_path=None, dictionary_path=None)
    assert base.short_answers == "off" and Answerer(base).spanner is None
    assert Answerer(base.model_copy(update={"reader": "off", "short_answers": "auto"})).spanner is None


def test_missing_span_weights_mean_no_short_answers(tmp_path):
    from assistant.read.span import SpanModel

    with pytest.raises(ReaderMissing) as err:
        SpanModel(tmp_path)
    assert "Kurzantworten" in err.value.de
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader_dir=tmp_path, short_answers="auto")
    assert Answerer(settings).spanner is None


def test_the_best_span_stays_in_order_within_its_length_and_must_beat_no_answer():
    from assistant.read.span import SpanInput, best_span, to_span

    # logits: "no answer" (<s>) first, then the sentence's tokens
    start = np.array([0.0, 0.0, 5.0, 0.0, 0.0, 9.0])
    end = np.array([0.0, 9.0, 0.0, 5.0, 0.0, 0.0])
    a, b, p = best_span(start, end, 5)  # the best start (token 4) lies after the best end (token 0)
    assert (a, b) == (1, 2) and 0 < p <= 1
    a, b, _ = best_span(np.array([0.0, 9.0, 0.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.0, 0.0, 9.0]), 4, max_tokens=2)
    assert b - a < 2
    assert best_span(np.array([12.0, 5.0, 0.0]), np.array([12.0, 0.0, 5.0]), 2) is None  # "no answer" wins
    x = SpanInput([0, 1, 2], 1, [(0, 3), (3, 10)])
    assert to_span(x, "Das 95.000 Euro", 1, 1, 0.9).start == 4  # the token's leading space trimmed


def test_the_short_answer_may_come_from_any_quoted_sentence():
    spanner = FakeSpanner(["0301 555-123"])
    scorer = FakeScorer({"Korkmaz": 0.9, "Telefon": 0.8})
    ans = compose("Wer ist die Ansprechpartnerin und wie erreiche ich sie?", scorer, spanner=spanner)
    assert len(spanner.asked) == 2  # both quoted sentences read
    assert ans.short is not None and ans.short.text == "0301 555-123"
    assert DOC[ans.short.start : ans.short.end] == "0301 555-123"


def test_kind_reach_lets_the_reader_read_the_sentences_that_hold_the_kind_asked_for():
    """The lexical scorer quotes the park's sentence, which names no amount: the kind check
    abstains. With kind_reach the reader reads the sentences of the retrieved passages that hold an
    amount (the sixth passage's among them) and answers where it reaches its rescue threshold."""
    funds = "Die Stadt plant viele Vorhaben. Für die Bepflanzung stehen 12.000 Euro bereit."
    texts = [("park", OTHER), ("prog", DOC)] + [(f"f{i}", f"Ein Text über Verkehr Nummer {i}. Busse fahren oft.") for i in range(3)]
    passages = make_passages(texts + [("funds", funds)])
    bm25 = BM25Index.build([p.chunk.text for p in passages] + ["Ein ganz anderer Text über Verkehr."] * 5)
    asked = "Wie viel Geld kostet die Bepflanzung im Stadtpark im Sommer?"

    def ask(scorer, kind_reach):
        settings = Settings(thesaurus_path=None, dictionary_path=None, reader_role="lexical_or_reader", kind_reach=kind_reach)
        return Answerer(settings, scorer=scorer).compose(asked, passages, bm25, [f"Titel {d}" for d, _ in texts] + ["Titel funds"])

    off = FakeScorer({"12.000 Euro": 0.9})
    plain = ask(off, 0)
    assert plain.abstained and plain.basis == "kind" and not off.calls
    assert "Die am besten passenden Textstellen nennen dazu keine Zahl." in plain.answer
    reads = FakeScorer({"12.000 Euro": 0.9})
    found = ask(reads, 10)
    # only the sentences with an amount were read, from the second passage and the sixth
    assert reads.calls[-1][2] == ["Für das Programm stehen 40.000 Euro bereit.", "Für die Bepflanzung stehen 12.000 Euro bereit."]
    assert not found.abstained and found.scorer == "fake" and found.basis == "reader"
    (c,) = found.citations
    assert c.quote == "Für die Bepflanzung stehen 12.000 Euro bereit." and funds[c.start : c.end] == c.quote
    # below the rescue threshold the kind check's abstention stands; within a reach of five the
    # sixth passage's sentence is not read
    assert ask(FakeScorer({"12.000 Euro": 0.7}), 10).basis == "kind"
    assert ask(FakeScorer({"12.000 Euro": 0.9}), 5).basis == "kind"


def test_a_lexical_answer_loads_the_reader_only_where_its_card_names_a_veto(tmp_path):
    """Whether the reader may veto a lexical answer is read from its card: without a veto
    threshold there, a confident lexical answer leaves the graph unloaded (~550 MB and ~1.5 s of
    every cold start). The folder holds the shipped card and no graph, so a load would fail and
    tell staff."""
    folder = tmp_path / "reader"
    folder.mkdir()
    card = json.loads((WEIGHTS_DIR / CARD_FILE).read_text(encoding="utf-8"))
    assert not card.get("veto")
    (folder / CARD_FILE).write_text(json.dumps(card), encoding="utf-8")
    passages = make_passages([("prog", DOC), ("park", OTHER)])
    bm25 = BM25Index.build([p.chunk.text for p in passages] + ["Ein ganz anderer Text über Verkehr."] * 5)
    settings = Settings(thesaurus_path=None, dictionary_path=None, reader_role="lexical_or_reader", reader_dir=folder)

    def ask():
        return Answerer(settings).compose("Wie viel Geld steht für das Programm bereit?", passages, bm25, ["Titel prog", "Titel park"])

    plain = ask()
    assert not plain.abstained and plain.scorer == "lexical" and plain.scorer_note == ""
    (folder / CARD_FILE).write_text(json.dumps({**card, "veto": {"threshold": 0.4}}), encoding="utf-8")
    vetoing = ask()  # the reader is asked to check the answer: its graph is missing, the answer stands
    assert not vetoing.abstained and vetoing.scorer == "lexical" and "nicht installiert" in vetoing.scorer_note


def test_the_server_loads_the_reader_while_it_starts(tmp_path):
    """`assistant serve` loads the reader in its warm-up, not on the first question it rescues;
    with the reader off nothing is loaded. The folder holds the card and no graph: the load fails
    and says so, as staff would then see."""
    from types import SimpleNamespace

    from assistant.app.web.server import _warm_up

    folder = tmp_path / "reader"
    folder.mkdir()
    (folder / CARD_FILE).write_text((WEIGHTS_DIR / CARD_FILE).read_text(encoding="utf-8"), encoding="utf-8")
    for reader, loaded in (("auto", True), ("off", False)):
        answerer = Answerer(Settings(thesaurus_path=None, dictionary_path=None, reader=reader, reader_dir=folder))
        _warm_up(SimpleNamespace(is_empty=lambda: True, answerer=answerer))
        assert ("nicht installiert" in answerer._scorer_note) is loaded


def test_reader_threshold_sets_where_the_deciding_reader_answers_and_what_joins_its_best():
    asked = "Wie viel Geld gibt es und wer ist die Ansprechpartnerin?"
    scorer = FakeScorer({"40.000 Euro": 0.3, "Korkmaz": 0.29}, threshold=0.5, default=0.1)
    assert compose(asked, scorer, reader_top=12).abstained  # below the scorer's own threshold
    lower = compose(asked, scorer, reader_top=12, reader_threshold=0.28, reader_quotes="answering")
    assert not lower.abstained and lower.basis == "reader"
    assert [c.quote for c in lower.citations] == [
        "Für das Programm stehen 40.000 Euro bereit.", "Ansprechpartnerin ist Frau Dr. Lena Korkmaz."
    ]
    assert compose(asked, scorer, reader_top=12, reader_threshold=0.295, reader_quotes="answering").citations[-1].quote == (
        "Für das Programm stehen 40.000 Euro bereit."
    )  # the other sentence no longer joins
