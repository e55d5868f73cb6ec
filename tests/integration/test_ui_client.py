"""The app's endpoints through gradio_client, against the real Assistant over the ingested seeds."""
from __future__ import annotations

import csv
import html
import json
from pathlib import Path

import pytest

from assistant.feedback import FeedbackStore

from ui_fixtures import STAFF_PASSWORD, STAFF_USER, message_content, strip_tags

pytest_plugins = ["ui_fixtures"]
pytestmark = pytest.mark.integration

MINDEN = "Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?"


@pytest.fixture()
def client(ui_server):
    """A fresh client = a fresh browser session (its own chat state)."""
    from gradio_client import Client

    return Client(ui_server.url, verbose=False, download_files=True)


@pytest.fixture()
def staff(ui_server):
    """A logged-in staff member's client of the staff app."""
    from gradio_client import Client

    return Client(ui_server.url + "staff/", auth=(STAFF_USER, STAFF_PASSWORD), verbose=False, download_files=True)


def _ask(client, question: str) -> tuple[list[dict], str, str]:
    chat, question_box, notice, *_feedback_form = client.predict(question, api_name="/ask")
    return chat, notice, question_box




def test_seed_question_is_answered_with_a_citation(client):
    chat, notice, question_box = _ask(client, MINDEN)
    assert notice == ""
    assert question_box == ""  # the box is cleared for the next question
    assert [m["role"] for m in chat] == ["user", "assistant"]
    answer_html = message_content(chat[-1])
    assert "[1]" in strip_tags(answer_html)
    assert 'class="source"' in answer_html and "<mark " in answer_html
    assert "Minden-Lübbecke" in answer_html


def test_staff_check_lists_every_retrieved_passage(staff):
    citizen_view, staff_view = staff.predict(MINDEN, api_name="/check")
    assert "Minden-Lübbecke" in citizen_view and "[1]" in strip_tags(citizen_view)
    assert "Rang BM25" in staff_view and 'class="cited"' in staff_view


def test_feedback_endpoint_stores_a_row(client, ui_server):
    store = FeedbackStore.from_settings(ui_server.settings)
    before = {e.id for e in store.list()}
    _ask(client, MINDEN)
    status = client.predict("Test: Quelle passt nicht", True, api_name="/feedback_down")
    assert "gespeichert" in status
    new = [e for e in store.list() if e.id not in before]
    assert len(new) == 1
    entry = new[0]
    assert (entry.rating, entry.question, entry.comment, entry.wrong_source) == (
        "down",
        MINDEN,
        "Test: Quelle passt nicht",
        True,
    )
    assert entry.citations and entry.citations[0]["n"] == 1
    # A second click corrects the same row instead of adding another one.
    client.predict("", False, api_name="/feedback_up")
    assert store.get(entry.id).rating == "up"
    assert len([e for e in store.list() if e.id not in before]) == 1


def test_feedback_without_an_answer_is_refused_politely(client):
    status = client.predict("", False, api_name="/feedback_down")
    assert "noch keine Antwort" in status


def test_empty_question_gives_a_german_message(client):
    _chat, notice, _box = _ask(client, "   ")
    assert notice == "Bitte geben Sie eine Frage ein."


def test_follow_up_uses_the_previous_turn(client, seeded_assistant):
    from assistant.records import Turn

    first, follow_up = "Wer ist in Niedersachsen Sozialminister?", "Was sagt er dazu, wie gut Menschen mit Migrationsgeschichte beim Land vertreten sind?"
    chat, _notice, _box = _ask(client, first)
    expected = seeded_assistant.ask(follow_up, [Turn(first, seeded_assistant.ask(first).answer)])
    assert expected.answer != seeded_assistant.ask(follow_up).answer  # the history matters here
    chat, notice, _box = _ask(client, follow_up)
    assert notice == ""
    assert len(chat) == 4
    # The history reached ask(): the chat shows the answer given with the previous turn.
    shown = html.unescape(strip_tags(message_content(chat[-1])))
    assert expected.citations and " ".join(expected.citations[0].quote.split()) in " ".join(shown.split())


def test_new_chat_forgets_the_turns(client):
    _ask(client, MINDEN)
    chat, *_rest = client.predict(api_name="/new_chat")
    assert chat == []
    chat, *_ = _ask(client, MINDEN)
    assert len(chat) == 2


def test_staff_export_gives_csv_and_eval_jsonl(client, staff):
    _ask(client, MINDEN)
    client.predict("Export-Test", False, api_name="/feedback_down")
    csv_update, jsonl_update, _table = staff.predict(api_name="/export")
    # The file boxes are shown by the export, so the API hands back updates carrying the files.
    csv_path, jsonl_path = csv_update["value"], jsonl_update["value"]
    rows = list(csv.DictReader(Path(csv_path).read_text(encoding="utf-8-sig").splitlines()))
    assert any(r["comment"] == "Export-Test" and r["rating"] == "down" for r in rows)
    items = [json.loads(line) for line in Path(jsonl_path).read_text().splitlines()]
    item = next(i for i in items if i["note"] == "Export-Test")
    assert item["question"] == MINDEN and item["answerable"] is True


def test_markup_in_a_question_comes_back_escaped(client):
    payload = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    chat, *_ = _ask(client, payload)
    question_html = message_content(chat[0])
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in question_html
    assert "<script" not in question_html and "<img" not in question_html


def test_empty_index_page_explains_how_to_ingest(empty_ui_server):
    from gradio_client import Client

    client = Client(empty_ui_server.url, verbose=False)
    banner, doc_list = client.predict(api_name="/refresh")
    assert "assistant ingest" in banner
    assert "noch keine Dokumente" in doc_list


def test_store_down_gives_the_german_message(store_down_server):
    from gradio_client import Client

    client = Client(store_down_server.url, verbose=False)
    banner, *_ = client.predict(api_name="/refresh")
    assert "vorübergehend nicht erreichbar" in banner
    chat, *_ = client.predict(MINDEN, api_name="/ask")
    assert "vorübergehend nicht erreichbar" in message_content(chat[-1])
    assert 'role="alert"' in message_content(chat[-1])


def test_json_endpoint_answers_with_citations(client):
    result = client.predict(MINDEN, [], api_name="/answer")
    assert result["question"] == MINDEN and not result["abstained"]
    assert result["citations"] and "Minden-Lübbecke" in result["answer"]
    assert result["timings_ms"]["total"] > 0


def test_json_endpoint_passes_the_history_to_ask(client, seeded_assistant):
    from assistant.records import Turn

    question = "Was sagt er dazu, wie gut Menschen mit Migrationsgeschichte beim Land vertreten sind?"
    previous = {"question": "Wer ist in Niedersachsen Sozialminister?", "answer": ""}
    with_history = seeded_assistant.ask(question, [Turn(previous["question"])]).answer
    assert with_history != seeded_assistant.ask(question).answer  # the history matters here
    result = client.predict(question, [previous], api_name="/answer")
    assert result["answer"] == with_history


def test_json_endpoint_refuses_bad_input_in_german(client):
    assert client.predict("   ", [], api_name="/answer")["error"] == "Bitte geben Sie eine Frage ein."
    bad = client.predict(MINDEN, [{"frage": "x"}], api_name="/answer")
    assert "Verlauf" in bad["error"]
