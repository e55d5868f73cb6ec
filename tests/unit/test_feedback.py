"""FeedbackStore: durable across reopening, exports CSV and eval items."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading

import pytest

from assistant.feedback import CSV_COLUMNS, FeedbackStore
from assistant.records import Citation, Turn

EVAL_KEYS = {
    "id",
    "question",
    "history",
    "answerable",
    "gold_answers",
    "gold_doc",
    "gold_docs",
    "gold_evidence",
    "category",
    "lang",
    "note",
}


def _citation() -> Citation:
    passage = "Dazu stellte das Sozialministerium Fördermittel bereit. Insgesamt 95.000 Euro."
    quote = "Insgesamt 95.000 Euro."
    return Citation(
        n=1,
        doc_id="000_8ef9517ef47463c3",
        title="Vielfalt als Stärke",
        source="seeds/000_8ef9517ef47463c3.txt",
        url="https://www.niedersachsen.de/",
        date="",
        publisher="Niedersachsen.de",
        quote=quote,
        start=1000 + passage.index(quote),
        end=1000 + passage.index(quote) + len(quote),
        score=0.9,
        chunk_id="000#3",
        passage=passage,
        passage_start=1000,
    )


def test_entries_survive_reopening(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    first = FeedbackStore(path)
    entry_id = first.add(
        rating="down",
        question="Wie viel Geld gab es?",
        answer="95.000 Euro [1].",
        citations=[_citation()],
        comment="zu knapp",
        wrong_source=True,
        history=[Turn("Worum geht es?", "Um eine Videokampagne [1].")],
    )
    del first

    reopened = FeedbackStore(path)
    [entry] = reopened.list()
    assert entry.id == entry_id
    assert (entry.rating, entry.question, entry.comment, entry.wrong_source) == (
        "down",
        "Wie viel Geld gab es?",
        "zu knapp",
        True,
    )
    assert entry.citations[0]["quote"] == "Insgesamt 95.000 Euro."
    assert entry.history == [{"question": "Worum geht es?", "answer": "Um eine Videokampagne [1]."}]
    assert entry.created_at.endswith("+00:00")


def test_from_settings_uses_data_dir(tmp_path):
    class _Settings:
        data_dir = tmp_path / "data"

    store = FeedbackStore.from_settings(_Settings())
    assert store.path == tmp_path / "data" / "feedback.sqlite3"
    assert store.path.exists()


def test_list_is_newest_first_and_limited(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    ids = [store.add(rating="up", question=f"Frage {i}", answer="A") for i in range(3)]
    assert [e.id for e in store.list()] == ids[::-1]
    assert [e.id for e in store.list(limit=2)] == ids[:0:-1]


def test_update_changes_only_given_fields(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    entry_id = store.add(rating="up", question="Q", answer="A", comment="gut")
    store.update(entry_id, rating="down", wrong_source=True)
    entry = store.get(entry_id)
    assert (entry.rating, entry.comment, entry.wrong_source) == ("down", "gut", True)
    with pytest.raises(KeyError):
        store.update(entry_id + 99, comment="x")


def test_rejects_unknown_rating(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    with pytest.raises(ValueError, match="'meh'"):
        store.add(rating="meh", question="Q", answer="A")


def test_csv_has_every_entry_and_defuses_formulas(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.add(rating="up", question="Wann trat der Kreis bei?", answer="Am 6. September 2023 [1].")
    store.add(
        rating="down",
        question='=HYPERLINK("http://evil.example","klick")',
        answer="Dazu finde ich nichts.",
        comment="Zeilen\numbruch, mit \"Anführungszeichen\"",
        citations=[_citation()],
    )
    rows = list(csv.reader(io.StringIO(store.to_csv())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 3
    first, second = (dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:])
    assert first["question"] == "Wann trat der Kreis bei?"
    assert first["rating"] == "up"
    # A formula must arrive as text, not be evaluated by a spreadsheet.
    assert second["question"].startswith("'=HYPERLINK")
    assert second["comment"] == 'Zeilen\numbruch, mit "Anführungszeichen"'
    assert json.loads(second["citations"])[0]["doc_id"] == "000_8ef9517ef47463c3"


def test_eval_export_turns_thumbs_down_into_items(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    store.add(rating="up", question="Gute Antwort?", answer="Ja [1].")
    down_id = store.add(
        rating="down",
        question="Und wer hat die Videos gedreht?",
        answer="Dazu finde ich nichts.",
        comment="steht doch im Text",
        wrong_source=True,
        history=[Turn("Was macht Niedersachsen?", "Eine Videokampagne [1].")],
        language="de",
    )
    items = store.export_eval_items()
    assert len(items) == 1
    [item] = items
    assert set(item) == EVAL_KEYS
    assert item["id"] == f"feedback-{down_id}"
    assert item["question"] == "Und wer hat die Videos gedreht?"
    assert item["history"] == [
        {"question": "Was macht Niedersachsen?", "answer": "Eine Videokampagne [1]."}
    ]
    assert item["answerable"] is True
    assert item["gold_answers"] == [] and item["gold_docs"] == [] and item["gold_evidence"] == []
    assert item["gold_doc"] == ""
    assert item["lang"] == "de"
    assert "steht doch im Text" in item["note"] and "falsche Quelle" in item["note"]
    lines = store.eval_jsonl().splitlines()
    assert [json.loads(line) for line in lines] == items


def test_concurrent_adds_from_threads(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")

    def rate(i: int) -> None:
        store.add(rating="up" if i % 2 else "down", question=f"Q{i}", answer="A")

    threads = [threading.Thread(target=rate, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.list()) == 20


def test_file_is_plain_sqlite(tmp_path):
    """Operators can inspect the log with the sqlite3 tool; the table name is part of that."""
    path = tmp_path / "f.sqlite3"
    FeedbackStore(path).add(rating="up", question="Q", answer="A")
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT count(*) FROM feedback").fetchone() == (1,)
