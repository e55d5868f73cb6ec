"""Sanity checks for the offline evaluation question sets: evals/seed_questions.jsonl and the blind
hold-out set evals/holdout_questions.jsonl (written from the documents alone, without the code; near
copies of seed questions were reworded afterwards).

This tests the data, not the product: it only uses the standard library and the
seed files in seeds/.
"""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVALSET = ROOT / "evals" / "seed_questions.jsonl"
HOLDOUT = ROOT / "evals" / "holdout_questions.jsonl"
BLIND2 = ROOT / "evals" / "blind2_questions.jsonl"
BLIND3 = ROOT / "evals" / "blind3_questions.jsonl"
BLIND4 = ROOT / "evals" / "blind4_questions.jsonl"
BLIND5 = ROOT / "evals" / "blind5_questions.jsonl"
BLIND6 = ROOT / "evals" / "blind6_questions.jsonl"
SEEDS = ROOT / "seeds"

DOC_IDS = ["000_8ef9517ef47463c3", "002_a130e56f7e492ca9"]

ALLOWED_CATEGORIES = {
    "numbers", "amounts", "dates", "names", "offices", "places", "links",
    "phone", "email", "paraphrase", "cross-doc", "english", "typos",
    "follow-up", "general", "unanswerable-offtopic", "unanswerable-neartopic",
    "false-premise", "injection",
}
UNANSWERABLE_CATEGORIES = {
    "unanswerable-offtopic", "unanswerable-neartopic", "false-premise", "injection",
}

REQUIRED_FIELDS = {
    "id": str,
    "question": str,
    "history": list,
    "answerable": bool,
    "gold_answers": list,
    "gold_doc": str,
    "gold_docs": list,
    "gold_evidence": str,
    "category": str,
    "lang": str,
}

# Website clutter that is not part of the article content (paragraph prefixes).
# Such paragraphs are excluded from the coverage check and must never be evidence.
CLUTTER_PREFIXES = {
    "000_8ef9517ef47463c3": [
        "1st SECURITY SERVICE WERTHEIM ®",  # banner + image credit WorldInMyEyes / Pixabay
        "Bilder: Titel Symbolbilder",  # image credit
        "Faktencheck: Tauben sind keine Ratten der Lüfte!",  # teaser for another article
        "S RAY PreSale Store",
        "Hinterlasse jetzt einen Kommentar",
        "Kommentar hinterlassen",
        "E-Mail Adresse wird nicht veröffentlicht.",
        "*",
    ],
    "002_a130e56f7e492ca9": [],
}
MIN_PARAGRAPH_LEN = 60


def _seed_text(doc_id):
    return (SEEDS / f"{doc_id}.txt").read_text(encoding="utf-8")


def _paragraphs(doc_id):
    return [p.strip() for p in re.split(r"\n\s*\n", _seed_text(doc_id)) if p.strip()]


def _is_clutter(doc_id, paragraph):
    return any(paragraph.startswith(prefix) for prefix in CLUTTER_PREFIXES[doc_id])


def _load(path=EVALSET):
    items = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            assert line.strip(), f"empty line {lineno}"
            items.append(json.loads(line))
    return items


@pytest.fixture(scope="module", params=[EVALSET, HOLDOUT, BLIND2, BLIND3, BLIND4, BLIND5, BLIND6], ids=["seed", "holdout", "blind2", "blind3", "blind4", "blind5", "blind6"])
def items(request):
    """Both sets pass the same data checks; counts and coverage are the seed set's (below)."""
    return _load(request.param)


@pytest.fixture(scope="module")
def seed_items():
    return _load(EVALSET)


def test_lines_parse_and_ids_unique(items):
    assert items
    ids = [it.get("id") for it in items]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"


def test_fields_and_types(items):
    for it in items:
        for field, typ in REQUIRED_FIELDS.items():
            assert field in it, f"{it.get('id')}: missing {field}"
            assert isinstance(it[field], typ), f"{it['id']}: {field} is not {typ.__name__}"
        assert it["question"].strip(), it["id"]
        assert it["category"] in ALLOWED_CATEGORIES, f"{it['id']}: {it['category']}"
        assert it["lang"] in {"de", "en"}, it["id"]
        assert all(isinstance(a, str) and a.strip() for a in it["gold_answers"]), it["id"]
        assert all(isinstance(d, str) for d in it["gold_docs"]), it["id"]
        for turn in it["history"]:
            assert isinstance(turn, dict), it["id"]
            assert set(turn) == {"question", "answer"}, it["id"]
            assert isinstance(turn["question"], str) and turn["question"].strip(), it["id"]
            assert isinstance(turn["answer"], str) and turn["answer"].strip(), it["id"]


def test_counts(seed_items):
    items = seed_items
    answerable = [it for it in items if it["answerable"]]
    unanswerable = [it for it in items if not it["answerable"]]
    assert len(answerable) >= 80
    assert len(unanswerable) >= 20
    cats = Counter(it["category"] for it in items)
    assert cats["english"] >= 8
    assert cats["typos"] >= 8
    assert cats["follow-up"] >= 6


def test_answerable_items(items):
    texts = {d: _seed_text(d) for d in DOC_IDS}
    for it in items:
        if not it["answerable"]:
            continue
        qid = it["id"]
        assert it["category"] not in UNANSWERABLE_CATEGORIES, qid
        assert it["gold_doc"] in DOC_IDS, qid
        assert it["gold_doc"] in it["gold_docs"], qid
        assert set(it["gold_docs"]) <= set(DOC_IDS), qid
        if it["category"] == "cross-doc":
            assert set(it["gold_docs"]) == set(DOC_IDS), qid
        assert it["gold_answers"], qid
        evidence = it["gold_evidence"]
        assert evidence, qid
        assert evidence in texts[it["gold_doc"]], f"{qid}: evidence not in {it['gold_doc']}"
        for answer in it["gold_answers"]:
            assert answer.lower() in evidence.lower(), f"{qid}: {answer!r} not in evidence"


def test_evidence_is_not_clutter(items):
    for it in items:
        if not it["answerable"]:
            continue
        doc = it["gold_doc"]
        for paragraph in _paragraphs(doc):
            if _is_clutter(doc, paragraph):
                assert it["gold_evidence"] not in paragraph, f"{it['id']}: evidence from clutter"


def test_unanswerable_items_have_empty_gold(items):
    for it in items:
        if it["answerable"]:
            continue
        qid = it["id"]
        assert it["category"] in UNANSWERABLE_CATEGORIES, qid
        assert it["gold_answers"] == [], qid
        assert it["gold_doc"] == "", qid
        assert it["gold_docs"] == [], qid
        assert it["gold_evidence"] == "", qid


def test_follow_ups_have_history(items):
    for it in items:
        if it["category"] == "follow-up":
            assert it["history"], it["id"]


def test_clutter_list_matches_seed():
    # Every clutter prefix must really start a paragraph, otherwise the list is stale.
    for doc in DOC_IDS:
        paragraphs = _paragraphs(doc)
        for prefix in CLUTTER_PREFIXES[doc]:
            assert any(p.startswith(prefix) for p in paragraphs), f"{doc}: {prefix!r}"


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_every_content_paragraph_is_covered(seed_items, doc_id):
    evidences = [it["gold_evidence"] for it in seed_items
                 if it["answerable"] and it["gold_doc"] == doc_id]
    uncovered = []
    for paragraph in _paragraphs(doc_id):
        if len(paragraph) < MIN_PARAGRAPH_LEN or _is_clutter(doc_id, paragraph):
            continue
        if not any(ev in paragraph for ev in evidences):
            uncovered.append(paragraph[:80])
    assert not uncovered, f"paragraphs without a question: {uncovered}"


@pytest.mark.parametrize(
    "path,earlier",
    [
        (HOLDOUT, [EVALSET]),
        (BLIND2, [EVALSET, HOLDOUT]),
        (BLIND3, [EVALSET, HOLDOUT, BLIND2]),
        (BLIND4, [EVALSET, HOLDOUT, BLIND2, BLIND3]),
        (BLIND5, [EVALSET, HOLDOUT, BLIND2, BLIND3, BLIND4]),
        (BLIND6, [EVALSET, HOLDOUT, BLIND2, BLIND3, BLIND4, BLIND5]),
    ],
    ids=["holdout", "blind2", "blind3", "blind4", "blind5", "blind6"],
)
def test_blind_sets_ask_what_earlier_sets_do_not_in_their_words(path, earlier):
    """A blind question that repeats an earlier set's question measures the tuning, not the
    assistant: none may come closer than 0.75 (difflib ratio, lowercase) to one of them."""
    from difflib import SequenceMatcher

    seed = [it["question"].lower() for p in earlier for it in _load(p)]
    holdout = _load(path)
    assert len(holdout) >= 60 and sum(not it["answerable"] for it in holdout) >= 15
    close = []
    for it in holdout:
        q = it["question"].lower()
        best = max(seed, key=lambda s: SequenceMatcher(None, s, q).ratio())
        if SequenceMatcher(None, best, q).ratio() > 0.75:
            close.append((it["id"], it["question"], best))
    assert not close, close
