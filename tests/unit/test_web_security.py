"""The web app as an attacker meets it: the real app (real Assistant over the seeds) through
gradio_client and raw HTTP. Staff data stays behind the login, no request is unbounded, nobody can
flood the service, and the page cannot be framed."""
from __future__ import annotations

import json
import uuid

import httpx
import pytest

from assistant.feedback import FeedbackStore
from assistant.security import RateLimiter, hash_password, staff_checker, verify_password
from ui_fixtures import STAFF_PASSWORD, STAFF_USER, serving_settings

pytest_plugins = ["ui_fixtures"]

MINDEN = "Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?"
CITIZEN_ENDPOINTS = {"/ask", "/new_chat", "/answer", "/feedback_up", "/feedback_down", "/refresh"}


# -- units: password and rate limit -----------------------------------------------------------


def test_password_hash_verifies_only_the_right_password():
    stored = hash_password("ein langes Passwort")
    assert verify_password("ein langes Passwort", stored)
    assert not verify_password("ein langes passwort", stored)
    assert not verify_password("ein langes Passwort", "kaputt")
    assert not verify_password("ein langes Passwort", stored.replace("scrypt", "md5"))
    assert hash_password("ein langes Passwort") != stored  # salted
    check = staff_checker("pruefung", stored)
    assert check("pruefung", "ein langes Passwort") and not check("admin", "ein langes Passwort")


def test_rate_limiter_allows_per_minute_then_says_how_long_to_wait():
    limit = RateLimiter(per_minute=3, max_clients=2)
    assert [limit.hit("a", now=t) for t in (0, 1, 2)] == [0, 0, 0]
    assert limit.hit("a", now=10) == 50  # the first event leaves the window at 60 s
    assert limit.hit("b", now=10) == 0  # another client is not affected
    assert limit.hit("a", now=60.5) == 0
    limit.hit("c", now=61)  # a third client: the least recently seen one ("b") is forgotten
    assert set(limit.clients()) == {"a", "c"}


# -- servers ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_server(seeded_assistant, seeded_settings, staff_hash, tmp_path_factory):
    """The real app with small limits, over its own data dir (the seed index is shared read-only)."""
    from assistant.app.web.server import start

    settings = serving_settings(
        seeded_settings, staff_hash, questions_per_minute=3, feedback_per_minute=2, logins_per_minute=3
    )
    running = start(seeded_assistant, settings)
    yield running
    running.close()


@pytest.fixture(scope="module")
def staff_off_server(seeded_assistant, seeded_settings):
    from assistant.app.web.server import start

    running = start(seeded_assistant, serving_settings(seeded_settings, staff_hash=""))
    yield running
    running.close()


def _marker_row(settings) -> str:
    marker = f"Aktenzeichen-{uuid.uuid4().hex[:10]}"
    FeedbackStore.from_settings(settings).add(rating="down", question=f"Frage {marker}", answer="–", comment=marker)
    return marker


# -- 1. staff and citizens apart ------------------------------------------------------------


def test_the_citizen_api_has_no_staff_endpoints(ui_server):
    from gradio_client import Client

    named = set(Client(ui_server.url, verbose=False).view_api(print_info=False, return_format="dict")["named_endpoints"])
    assert named == CITIZEN_ENDPOINTS
    with httpx.Client() as http:  # one connection: an unknown name must not drop it (it did, as a 500)
        for endpoint in ("export", "check"):
            response = http.post(ui_server.url + f"gradio_api/call/{endpoint}", json={"data": []})
            assert response.status_code == 404 and "rating" not in response.text, endpoint
        assert http.post(ui_server.url + "staff/gradio_api/call/export", json={"data": []}).status_code == 401


def test_the_citizen_page_and_config_carry_no_feedback(ui_server):
    marker = _marker_row(ui_server.settings)
    for path in ("", "config", "gradio_api/info"):
        response = httpx.get(ui_server.url + path)
        assert response.status_code == 200 and marker not in response.text, path
    event = httpx.post(ui_server.url + "gradio_api/call/refresh", json={"data": []}).json()
    result = httpx.get(ui_server.url + f"gradio_api/call/refresh/{event['event_id']}").text
    _banner, doc_list = json.loads(result.split("data:", 1)[1])
    assert "Minden-Lübbecke" in doc_list and marker not in result


def test_staff_endpoints_need_a_login(ui_server):
    from gradio_client import Client

    assert "Vertraulich" not in httpx.get(ui_server.url + "staff/").text
    assert httpx.get(ui_server.url + "staff/config").status_code == 401
    assert httpx.post(ui_server.url + "staff/gradio_api/call/export", json={"data": []}).status_code == 401
    with pytest.raises(Exception):
        Client(ui_server.url + "staff/", verbose=False)
    with pytest.raises(Exception):
        Client(ui_server.url + "staff/", auth=(STAFF_USER, "falsch-aber-lang"), verbose=False)
    wrong = httpx.post(ui_server.url + "staff/login", data={"username": STAFF_USER, "password": "falsch-aber-lang"})
    assert wrong.status_code in (400, 401) and "access-token" not in wrong.headers.get("set-cookie", "")


def test_a_logged_in_staff_member_sees_and_exports_the_feedback(ui_server):
    from gradio_client import Client

    marker = _marker_row(ui_server.settings)
    staff = Client(ui_server.url + "staff/", auth=(STAFF_USER, STAFF_PASSWORD), verbose=False, download_files=True)
    _docs, feedback = staff.predict(api_name="/refresh")
    assert marker in feedback
    csv_update, _jsonl, _table = staff.predict(api_name="/export")
    with open(csv_update["value"], encoding="utf-8-sig") as fh:
        assert marker in fh.read()


def test_without_a_password_the_staff_view_is_off_and_says_how_to_turn_it_on(staff_off_server):
    page = httpx.get(staff_off_server.url + "staff/")
    assert page.status_code == 403 and "assistant staff-password" in page.text
    assert "ASSISTANT_STAFF_PASSWORD_HASH" in page.text
    assert httpx.get(staff_off_server.url + "staff/gradio_api/info").status_code == 403
    assert httpx.post(staff_off_server.url + "staff/login", data={"username": "x", "password": "y"}).status_code in (403, 404, 405)


# -- 2. bounded work ----------------------------------------------------------------------------


def test_a_request_body_over_the_limit_is_refused_unread(ui_server):
    history = [{"question": "x" * 20_000, "answer": "y" * 20_000}] * 100  # ~4 MB
    response = httpx.post(ui_server.url + "gradio_api/call/answer", json={"data": [MINDEN, history]}, timeout=30)
    assert response.status_code == 413
    assert "zu groß" in response.json()["error"]


def test_a_forged_history_is_cut_to_the_last_turns_of_bounded_length(ui_server, seeded_assistant):
    from gradio_client import Client

    from assistant.records import Turn

    follow_up = "Was sagt er dazu, wie gut Menschen mit Migrationsgeschichte beim Land vertreten sind?"
    forged = [{"question": "Wie ist das Wetter? " * 1000, "answer": "z" * 20_000}] * 20
    forged += [{"question": "Wer ist in Niedersachsen Sozialminister?" + " bitte" * 2000, "answer": "a" * 50_000}]
    result = Client(ui_server.url, verbose=False).predict(follow_up, forged, api_name="/answer")
    cut = "Wer ist in Niedersachsen Sozialminister?" + (" bitte" * 2000)[: 2000 - 40]
    expected = seeded_assistant.ask(follow_up, [Turn("Wie ist das Wetter? " * 100, ""), Turn("Wie ist das Wetter? " * 100, ""), Turn(cut, "")])
    assert result["answer"] == expected.answer


def test_a_huge_word_is_not_spelling_corrected_nor_cached(seeded_assistant):
    from assistant import text

    bm25 = seeded_assistant.retriever.corpus().bm25
    word = "videokampagne" * 150  # 1,950 letters
    before = text.stem.cache_info().currsize
    assert bm25.correct_word(word) is None
    assert bm25.corrected(text.stem(word)) is None
    assert text.stem.cache_info().currsize == before
    assert all(len(k) <= text.MAX_CACHED_WORD + 1 for k in bm25._corrections)


# -- 3. no flooding ----------------------------------------------------------------------------


def test_questions_over_the_limit_get_a_german_message_with_when_to_try_again(strict_server):
    from gradio_client import Client

    client = Client(strict_server.url, verbose=False)
    answers = [client.predict(MINDEN, [], api_name="/answer") for _ in range(3)]
    assert all("error" not in a for a in answers)
    refused = client.predict(MINDEN, [], api_name="/answer")
    assert "Bitte versuchen Sie es in" in refused["error"] and refused["retry_after"] > 0
    chat, box, notice, *_ = Client(strict_server.url, verbose=False).predict(MINDEN, api_name="/ask")
    assert "Sekunden noch einmal" in notice
    assert not chat or chat == {"__type__": "update"}  # nothing asked, nothing lost from the chat


def test_feedback_is_capped_and_rate_limited(seeded_assistant, seeded_settings, staff_hash):
    from gradio_client import Client

    from assistant.app.web.server import start

    running = start(seeded_assistant, serving_settings(seeded_settings, staff_hash, feedback_per_minute=2))
    try:
        store = FeedbackStore.from_settings(running.settings)
        before = len(store.list())
        client = Client(running.url, verbose=False)
        client.predict(MINDEN, api_name="/ask")
        too_long = client.predict("x" * 2001, False, api_name="/feedback_down")
        assert "zu lang" in too_long and len(store.list()) == before
        assert "gespeichert" in client.predict("kurz", False, api_name="/feedback_down")
        assert "gespeichert" in client.predict("", False, api_name="/feedback_up")  # corrects the same row
        assert len(store.list()) == before + 1
        refused = client.predict("noch mal", False, api_name="/feedback_down")
        assert "Bitte versuchen Sie es in" in refused
    finally:
        running.close()


def test_uploads_are_refused(ui_server):
    before = set((ui_server.settings.data_dir / "gradio-tmp").rglob("*"))
    for name, body in (("big.bin", b"\0" * (20 * 1024 * 1024)), ("page.html", b"<script>alert(1)</script>")):
        response = httpx.post(ui_server.url + "gradio_api/upload", files={"files": (name, body)}, timeout=60)
        assert response.status_code in (403, 413), name
    assert set((ui_server.settings.data_dir / "gradio-tmp").rglob("*")) == before


def test_login_attempts_are_rate_limited(strict_server):
    codes = [
        httpx.post(strict_server.url + "staff/login", data={"username": STAFF_USER, "password": f"falsch-{i}"}).status_code
        for i in range(4)
    ]
    assert codes[:3] != [429] * 3 and codes[3] == 429


def test_every_response_carries_the_security_headers(ui_server):
    for path, method in (("", "GET"), ("staff/", "GET"), ("gradio_api/upload", "POST")):
        headers = httpx.request(method, ui_server.url + path).headers
        assert headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
