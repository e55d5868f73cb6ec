"""End to end in headless Chromium: ask, read the sources, give feedback, follow up, try XSS.

Uses Debian's ``chromium`` (installed with apt-get if missing) driven by Playwright's sync API;
Playwright's own browser download is never used. Saves ``tests/artifacts/chat.png``.
"""
from __future__ import annotations

import shutil
import subprocess
import uuid
from urllib.parse import urlsplit

import pytest

from ui_fixtures import ARTIFACTS, STAFF_PASSWORD, STAFF_USER

pytest_plugins = ["ui_fixtures"]
pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MINDEN = "Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?"
ANSWER_TIMEOUT_MS = 90_000
# A finished answer bubble (not the placeholder, not the half-streamed text).
DONE = "#chat .answer:not(.streaming):not(.pending)"


def _chromium() -> str:
    path = shutil.which("chromium")
    if path:
        return path
    try:
        subprocess.run(["apt-get", "update"], check=True, capture_output=True, timeout=900)
        subprocess.run(
            ["apt-get", "install", "-y", "chromium"], check=True, capture_output=True, timeout=1800
        )
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"Debian's chromium is not installed and `apt-get install -y chromium` failed: {exc}")
    path = shutil.which("chromium")
    if not path:
        pytest.skip("`apt-get install -y chromium` ran but no `chromium` is on PATH")
    return path


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs the Playwright Python package: pip install playwright"
    )
    executable = _chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, ui_server):
    context = browser.new_context(locale="de-DE", viewport={"width": 1200, "height": 1500})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.foreign_requests = []  # the page must not call out (fonts, analytics, CDNs)
    page.on(
        "request",
        lambda request: urlsplit(request.url).hostname not in ("127.0.0.1", "localhost")
        and not request.url.startswith("data:")
        and page.foreign_requests.append(request.url),
    )
    page.goto(ui_server.url, wait_until="domcontentloaded")
    page.locator("#question textarea").wait_for()
    yield page
    context.close()


def open_staff_page(page, ui_server):
    """Log in to the staff view in the page's browser context (Gradio's login form posts here)."""
    response = page.context.request.post(
        ui_server.url + "staff/login", form={"username": STAFF_USER, "password": STAFF_PASSWORD}
    )
    assert response.ok, response.status
    page.goto(ui_server.url + "staff/", wait_until="domcontentloaded")
    page.locator("#staff-question textarea").wait_for()


def staff_check(page, question: str) -> None:
    """Let the staff view answer ``question`` and wait for its table of retrieved passages."""
    page.locator("#staff-question textarea").fill(question)
    page.locator("#staff-check").click()
    page.locator("#staff-answer .staff-summary").wait_for(timeout=ANSWER_TIMEOUT_MS)


def ask(page, question: str, expect_answers: int) -> None:
    """Type a question, send it, wait until ``expect_answers`` answers are complete."""
    page.locator("#question textarea").fill(question)
    page.locator("#ask").click()
    page.locator(DONE).nth(expect_answers - 1).wait_for(timeout=ANSWER_TIMEOUT_MS)


def test_answer_shows_citation_and_marked_passage(page):
    ask(page, MINDEN, 1)
    answer = page.locator(DONE).last
    assert "[1]" in answer.locator(".answer-text").inner_text()
    source = answer.locator(".source").first
    source.locator("mark").first.wait_for()
    assert source.locator("mark").first.inner_text().strip()
    assert "Minden-Lübbecke" in source.locator(".source-title").inner_text()
    link = source.locator("a.source-link")
    assert link.get_attribute("href").startswith("https://")
    page.locator(DONE).last.scroll_into_view_if_needed()
    page.evaluate("document.fonts.ready.then(() => true)")  # no half-loaded fonts in the picture
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    assert page.foreign_requests == []


def test_english_question_is_answered_with_english_sources(page):
    ask(page, "When did Lower Saxony sign the Diversity Charter?", 1)
    answer = page.locator(DONE).last
    assert answer.get_attribute("lang") == "en"
    assert answer.locator(".answer-text").inner_text().startswith("According to the German source documents")
    assert answer.locator(".sources-title").text_content() == "Sources"  # shown in capitals (CSS)
    assert answer.locator("a.source-link").first.inner_text().startswith("Open the original")


def test_an_abstention_links_the_nearest_documents_to_read(page):
    ask(page, "Wie wird das Wetter morgen in Hannover?", 1)
    answer = page.locator(DONE).last
    assert "keine Antwort gefunden" in answer.locator(".answer-text").inner_text()
    assert answer.locator(".sources-title").text_content() == "Zum Nachlesen"
    links = answer.locator(".document-list a.source-link")
    assert links.count() >= 1
    for i in range(links.count()):
        assert links.nth(i).get_attribute("href").startswith("https://") and links.nth(i).inner_text().strip()
    assert answer.locator(".source").count() == 0  # no quote: it is not an answer


def test_arabic_question_gets_a_right_to_left_note_to_ask_in_german_or_english(page, ui_server):
    ask(page, "كيف يمكنني التقدم لوظيفة في الإدارة؟", 1)
    paras = page.locator(DONE).last.locator(".answer-text")
    assert paras.count() == 3
    direction = "el => getComputedStyle(el).direction"
    assert paras.nth(0).get_attribute("lang") == "ar" and paras.nth(0).evaluate(direction) == "rtl"
    assert paras.nth(1).evaluate(direction) == "ltr" and "Deutsch oder Englisch" in paras.nth(1).inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(DONE).last.screenshot(path=str(ARTIFACTS / "foreign-language.png"))
    open_staff_page(page, ui_server)
    staff_check(page, "كيف يمكنني التقدم لوظيفة في الإدارة؟")
    page.locator("#staff-answer").get_by_text("erkannt: ar").wait_for()


def test_a_greeting_is_answered_with_what_the_assistant_knows(page):
    ask(page, "Hallo!", 1)
    answer = page.locator(DONE).last
    assert answer.locator(".answer-badge").count() == 0  # no "no answer in the documents" verdict
    assert "Minden-Lübbecke" in answer.inner_text()  # a document title


def test_thumbs_down_with_comment_reaches_the_staff_view(page, ui_server):
    ask(page, MINDEN, 1)
    comment = f"Browser-Test {uuid.uuid4().hex[:8]}: Datum fehlt"
    page.locator("#fb-comment textarea").fill(comment)
    page.locator("#fb-wrong input[type=checkbox]").check()
    page.locator("#fb-down").click()
    page.get_by_text("Ihre Rückmeldung wurde gespeichert").wait_for()

    open_staff_page(page, ui_server)
    row = page.locator("#staff-feedback tr", has_text=comment)
    row.wait_for()
    assert "👎" in row.inner_text()
    assert MINDEN in row.inner_text()
    # The question's passages with their ranks, the cited one marked.
    staff_check(page, MINDEN)
    assert page.locator("#staff-answer tr.cited").count() >= 1
    assert page.locator("#staff-docs tbody tr").count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "staff.png"), full_page=True)


def test_staff_see_the_synonyms_an_answer_rests_on(page, ui_server):
    # the citizen's "Pressearbeit" is the documents' "Öffentlichkeitsarbeit" (real thesaurus)
    question = "Was hat der Kreis bei seiner Pressearbeit im Blick?"
    ask(page, question, 1)
    assert "Öffentlichkeitsarbeit" in page.locator(DONE).last.locator(".answer-text").inner_text()
    open_staff_page(page, ui_server)
    staff_check(page, question)
    summary = page.locator("#staff-answer .staff-summary")
    summary.get_by_text("Pressearbeit → Öffentlichkeitsarbeit").wait_for()
    assert "Synonyme" in summary.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "staff-synonyms.png"), full_page=True)


def test_thumbs_under_an_earlier_answer_rate_that_answer(page, ui_server):
    from assistant.feedback import FeedbackStore

    store = FeedbackStore.from_settings(ui_server.settings)
    before = {e.id for e in store.list()}
    first = f"{MINDEN} ({uuid.uuid4().hex[:6]})"
    ask(page, first, 1)
    ask(page, "Was macht Niedersachsen mit der Videokampagne?", 2)
    # Gradio labels its per-message buttons in the browser's language (de-DE here).
    page.locator("#chat button[aria-label='Gefällt mir']").first.click()
    page.get_by_text("Ihre Rückmeldung wurde gespeichert").wait_for()
    [entry] = [e for e in store.list() if e.id not in before]
    assert (entry.rating, entry.question) == ("up", first)


def test_follow_up_is_answered_with_citation(page):
    ask(page, "Was macht Niedersachsen mit der Videokampagne?", 1)
    ask(page, "Und wer hat die Videos gedreht?", 2)
    follow_up = page.locator(DONE).nth(1)
    assert "[1]" in follow_up.locator(".answer-text").inner_text()
    assert follow_up.locator(".source mark").count() >= 1


def test_markup_in_a_question_is_shown_not_run(page):
    payload = '<script>window.__xss=1</script> <img src=x onerror="window.__xss=2"> Videokampagne?'
    ask(page, payload, 1)
    assert page.evaluate("typeof window.__xss") == "undefined"
    chat_text = page.locator("#chat").inner_text()
    assert "<script>window.__xss=1</script>" in chat_text
    assert '<img src=x onerror="window.__xss=2">' in chat_text
    assert page.locator("#chat img[src=x]").count() == 0


def test_new_chat_clears_the_conversation(page):
    ask(page, MINDEN, 1)
    page.locator("#new-chat").click()
    page.locator(DONE).first.wait_for(state="detached")
    assert page.locator("#chat .answer").count() == 0


def test_the_citizen_page_ships_no_feedback_data(browser, ui_server):
    """Every response the citizen page loads (HTML, config, queue data) is free of the feedback
    log; the same log is on the staff page once logged in, so the marker would be seen there."""
    from assistant.feedback import FeedbackStore

    marker = f"Vertraulich-{uuid.uuid4().hex[:10]}"
    FeedbackStore.from_settings(ui_server.settings).add(
        rating="down", question=f"Frage {marker}", answer="–", comment=f"Name und Aktenzeichen {marker}"
    )
    context = browser.new_context(locale="de-DE")
    page = context.new_page()
    bodies: list[bytes] = []

    def keep(response):
        try:
            bodies.append(response.body())
        except Exception:  # a streamed or aborted response has no body to read
            pass

    page.on("response", keep)
    try:
        page.goto(ui_server.url, wait_until="domcontentloaded")
        page.locator("#question textarea").wait_for()
        page.get_by_text("Welche Dokumente durchsucht werden").click()
        page.locator(".doc-list li").first.wait_for()
        ask(page, MINDEN, 1)
        assert bodies and not any(marker.encode() in b for b in bodies)
        bodies.clear()
        open_staff_page(page, ui_server)
        page.locator("#staff-feedback tr", has_text=marker).wait_for()
    finally:
        context.close()
