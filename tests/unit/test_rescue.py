"""evals/rescue.py: replaying the lexical scorer's abstentions answered by the reader, and the
threshold it chooses from the replay."""
from evals.rescue import choose, choose_veto, replay


def row(qid, answerable, abstained, correct=False, basis="", confidence=0.0):
    return {"id": qid, "answerable": answerable, "abstained": abstained, "correct": correct, "basis": basis, "confidence": confidence}


LEXICAL = {
    "a": row("a", True, False, correct=True, basis="coverage", confidence=0.9),
    "b": row("b", True, True, basis="low confidence"),  # the reader answers it right, sure
    "c": row("c", False, True, basis="low confidence"),  # the reader answers it, less sure: invented
    "d": row("d", True, True, basis="kind"),  # abstained by a check, not for low confidence
    "e": row("e", False, True, basis="low confidence"),  # the reader abstains too
}
READER = {
    "a": row("a", True, False, correct=False, basis="reader", confidence=0.95),
    "b": row("b", True, False, correct=True, basis="reader", confidence=0.9),
    "c": row("c", False, False, basis="reader", confidence=0.7),
    "d": row("d", True, False, correct=True, basis="reader", confidence=0.99),
    "e": row("e", False, True, basis="low confidence", confidence=0.2),
}


def test_only_low_confidence_abstentions_are_replayed_and_only_at_the_threshold():
    low = replay(LEXICAL, READER, 0.6)
    assert (low.rescued, low.right) == (2, 1)  # b right, c invented; a and d stay the lexical scorer's
    assert low.correct == 2 / 3 and low.false_abstention == 1 / 3 and low.abstention_recall == 1 / 2
    high = replay(LEXICAL, READER, 0.8)
    assert (high.rescued, high.right) == (1, 1) and high.abstention_recall == 1.0
    none = replay(LEXICAL, READER, 0.95)
    assert none.rescued == 0 and none.correct == 1 / 3


def test_the_lowest_threshold_whose_rescues_are_right_at_least_half_the_time_is_chosen():
    replays = [replay(LEXICAL, READER, t) for t in (0.5, 0.6, 0.8, 0.95)]
    assert choose(replays).threshold == 0.5  # 1 of 2 rescues right: half
    worse = {**READER, "f": row("f", False, False, confidence=0.75)}
    replays = [replay({**LEXICAL, "f": row("f", False, True, basis="low confidence")}, worse, t) for t in (0.5, 0.8)]
    assert choose(replays).threshold == 0.8  # at 0.5: 1 of 3 right
    assert choose([replay(LEXICAL, READER, 0.95)]) is None


def test_the_choice_is_recorded_where_the_reader_reads_it(tmp_path):
    import json

    from assistant.read.model import read_info
    from evals.rescue import write

    card = {"sha256": "0" * 64, "max_len": 128, "calibration": {"a": 1.0, "b": 0.0, "threshold": 0.4}}
    (tmp_path / "reader.json").write_text(json.dumps(card))
    assert read_info(tmp_path).rescue_threshold is None  # no rescue until one is chosen
    best = choose([replay(LEXICAL, READER, t) for t in (0.5, 0.8)])
    write(tmp_path, best, (tmp_path / "lex.json", tmp_path / "reader-run.json"))
    assert read_info(tmp_path).rescue_threshold == 0.5
    assert "1 of 2" in json.loads((tmp_path / "reader.json").read_text())["rescue"]["chosen_by"]
    write(tmp_path, None, (tmp_path / "lex.json", tmp_path / "reader-run.json"))
    assert read_info(tmp_path).rescue_threshold is None


def test_answers_are_withdrawn_below_the_veto_and_the_highest_veto_that_rarely_withdraws_a_right_one_is_chosen():
    lexical = {
        "a": row("a", True, False, correct=True, basis="coverage", confidence=0.9),  # the reader doubts it a little
        "b": row("b", False, False, basis="coverage", confidence=0.6),  # invented: the reader finds nothing
        "c": row("c", True, False, correct=False, basis="coverage", confidence=0.6),  # wrong sentence
        "d": row("d", False, True, basis="low confidence"),
    }
    reader = {
        "a": row("a", True, False, correct=True, basis="reader", confidence=0.5),
        "b": row("b", False, True, basis="low confidence", confidence=0.2),
        "c": row("c", True, True, basis="low confidence", confidence=0.3),
        "d": row("d", False, True, basis="low confidence", confidence=0.1),
    }
    none = replay(lexical, reader, float("inf"), veto=0.0)
    assert none.vetoed == 0 and none.abstention_recall == 1 / 2 and none.correct == 1 / 2
    low = replay(lexical, reader, float("inf"), veto=0.4)
    assert (low.vetoed, low.vetoed_right) == (2, 0)  # b and c withdrawn; a stays (0.5 ≥ 0.4)
    assert low.abstention_recall == 1.0 and low.false_abstention == 1 / 2 and low.correct == 1 / 2
    high = replay(lexical, reader, float("inf"), veto=0.6)
    assert (high.vetoed, high.vetoed_right) == (3, 1)
    assert choose_veto([replay(lexical, reader, float("inf"), v) for v in (0.1, 0.4, 0.6)]).veto == 0.4
    assert choose_veto([replay(lexical, reader, float("inf"), 0.1)]) is None  # nothing withdrawn: no veto


def test_an_answer_from_a_documents_metadata_is_never_vetoed():
    # the answerer gives it before any scorer decides; the reader's run has no probability for it
    lexical = {"a": row("a", True, False, correct=True, basis="document: title"),
               "b": row("b", False, False, basis="coverage", confidence=0.6)}  # fmt: skip
    reader = {"a": row("a", True, False, correct=True, basis="document: title", confidence=0.0),
              "b": row("b", False, True, basis="low confidence", confidence=0.1)}  # fmt: skip
    vetoed = replay(lexical, reader, float("inf"), veto=0.3)
    assert (vetoed.vetoed, vetoed.vetoed_right) == (1, 0) and vetoed.correct == 1.0 and vetoed.abstention_recall == 1.0


def test_the_veto_is_recorded_where_the_reader_reads_it(tmp_path):
    import json

    from assistant.read.model import read_info
    from evals.rescue import write

    card = {"sha256": "0" * 64, "max_len": 128, "calibration": {"a": 1.0, "b": 0.0, "threshold": 0.4}}
    (tmp_path / "reader.json").write_text(json.dumps(card))
    assert read_info(tmp_path).veto_threshold is None
    veto = replay(LEXICAL, READER, float("inf"), veto=0.96)
    write(tmp_path, None, (tmp_path / "lex.json", tmp_path / "reader-run.json"), veto)
    assert read_info(tmp_path).veto_threshold == 0.96 and read_info(tmp_path).rescue_threshold is None
    assert "1 of 1" in json.loads((tmp_path / "reader.json").read_text())["veto"]["chosen_by"]
