"""The UI's rendering and its error boundary, with hand-made records and a fake assistant.

Fast tier: no model, no Chroma. What the real Assistant answers is tested in test_ui_client.py and
test_ui_browser.py; here only how the UI shows records and what it does when ask() fails.
"""
from __future__ import annotations

import html
import re
import time
from collections.abc import Sequence

import pytest

from assistant.app.web import render, staff_render
from assistant.app.web.chat import (
    STREAM_MAX_BUSY,
    STREAM_STEPS,
    ChatSession,
    ChatTurn,
    chat_messages,
    pieces_to_stream,
    stream_pieces,
)

from assistant.errors import InputError, StoreUnavailable
from assistant.feedback import FeedbackEntry
from assistant.records import Answer, Chunk, Citation, DocMeta, Passage, Turn, Weighed
from assistant.text import format_date
from ui_fixtures import asked

pytest_plugins = ["ui_fixtures"]

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
DOC_TEXT = (
    "Die Videokampagne wurde gemeinsam ermöglicht. Dazu stellte das Sozialministerium Mittel "
    "bereit. Aus diesem Grund haben wir insgesamt 95.000 Euro zur Verfügung gestellt. "
    "Für alle Maßnahmen stehen 300.000 Euro bereit."
)


def _citation(n: int, quote: str, *, passage: str = DOC_TEXT, passage_start: int = 0, **kw) -> Citation:
    start = passage_start + passage.index(quote)
    fields = dict(
        n=n,
        doc_id="doc-a",
        title="Vielfalt als Stärke",
        source="a.txt",
        url="https://www.niedersachsen.de/kampagne",
        date="2023-09-06",
        publisher="Land Niedersachsen",
        quote=quote,
        start=start,
        end=start + len(quote),
        score=0.8,
        chunk_id="doc-a#0",
        passage=passage,
        passage_start=passage_start,
    )
    fields.update(kw)
    return Citation(**fields)


def _answer(citations: Sequence[Citation], text: str = "95.000 Euro [1].", **kw) -> Answer:
    doc = DocMeta("doc-a", "Vielfalt als Stärke", "a.txt")
    chunk = Chunk("doc-a#0", doc, 0, DOC_TEXT, 0, len(DOC_TEXT))
    other = Chunk("doc-a#1", doc, 1, XSS, 500, 500 + len(XSS))
    passages = [
        Passage(chunk, 1, 0.032, dense_rank=1, dense_score=0.71, bm25_rank=2, bm25_score=4.2),
        Passage(other, 2, 0.016, bm25_rank=1, bm25_score=6.0),
    ]
    fields = dict(
        question="Wie viel Geld?",
        answer=text,
        abstained=False,
        citations=list(citations),
        passages=passages,
        timings_ms={"retrieve": 12.0, "answer": 3.0, "total": 15.0},
    )
    fields.update(kw)
    return Answer(**fields)


def _visible_text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


# -- escaping ----------------------------------------------------------------------------------


def test_question_is_escaped_and_keeps_its_characters():
    rendered = render.render_question(XSS)
    assert "<" not in rendered and ">" not in rendered
    assert html.unescape(rendered) == XSS


def test_document_text_in_every_renderer_is_escaped():
    evil = _citation(1, "Mittel", title=XSS, publisher=XSS, url="https://x.example/?q=<b>")
    evil_doc = {"doc_id": XSS, "title": XSS, "publisher": XSS, "date": XSS, "url": "javascript:alert(1)",
                "source": XSS, "chunks": 1, "ingested_at": XSS}  # fmt: skip
    entry = FeedbackEntry(1, "2024-01-01T00:00:00+00:00", "down", XSS, XSS, [{"title": XSS}], XSS)
    answer = _answer([evil], text=XSS + " [1]")
    outputs = [
        render.render_answer(answer),
        render.render_answer(_answer([], text=XSS, abstained=True)),
        render.render_partial(XSS),
        render.render_error(XSS),
        staff_render.render_staff_answer(_answer([evil], question=XSS, retrieval_query=XSS)),
        staff_render.render_documents_table([evil_doc]),
        render.render_document_list([evil_doc]),
        staff_render.render_feedback_table([entry]),
        render.render_banner([], error=XSS),
    ]
    for fragment in outputs:
        assert "<script" not in fragment and "<img" not in fragment and "<b>" not in fragment
        assert "javascript:" not in fragment
    assert XSS in _visible_text(outputs[0])


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://www.nrw.de/a?b=1", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example/x", False),
        ("https://", False),
        ("https://exa mple.org", False),
        ("https://example.org/\nx", False),
        ("", False),
    ],
)
def test_only_http_links_are_allowed(url, ok):
    assert (render.safe_url(url) is not None) is ok


def test_link_attribute_is_escaped():
    card = render.render_source([_citation(1, "Mittel", url='https://a.example/"onmouseover="x')])
    assert 'href="https://a.example/&quot;onmouseover=&quot;x"' in card


# -- answers and sources -----------------------------------------------------------------------


def test_answer_shows_markers_title_publisher_date_link_and_marked_quote():
    quote = "Aus diesem Grund haben wir insgesamt 95.000 Euro zur Verfügung gestellt."
    rendered = render.render_answer(_answer([_citation(1, quote)]))
    assert '<span class="cite-ref" title="Quelle 1">[1]</span>' in rendered
    assert "Vielfalt als Stärke" in rendered and "Land Niedersachsen" in rendered
    assert "6. September 2023" in rendered
    assert 'href="https://www.niedersachsen.de/kampagne"' in rendered
    assert 'rel="noopener noreferrer"' in rendered
    marks = re.findall(r"<mark[^>]*>(.*?)</mark>", rendered)
    assert marks == [html.escape(quote)]


def test_a_short_answer_stands_above_the_quotes_escaped_with_its_marker():
    from assistant.records import ShortAnswer

    quote = "Aus diesem Grund haben wir insgesamt 95.000 Euro zur Verfügung gestellt."
    short = ShortAnswer("95.000 <Euro>", 1, 40, 53, 0.8)
    rendered = render.render_answer(_answer([_citation(1, quote)], short=short))
    assert '<p class="answer-short">' in rendered and "<strong>95.000 &lt;Euro&gt;</strong>" in rendered
    assert rendered.index("answer-short") < rendered.index('class="answer-text"')
    assert "Kurz:" in _visible_text(rendered)
    english = render.render_answer(_answer([_citation(1, quote)], short=short, language="en"))
    assert "In short:" in _visible_text(english)
    assert "answer-short" not in render.render_answer(_answer([_citation(1, quote)]))
    staff = staff_render.render_staff_answer(_answer([_citation(1, quote)], short=short))
    assert "Kurzantwort" in staff and "95.000 &lt;Euro&gt; [1] (Zeichen 40–53" in staff


def test_quote_is_cut_by_offsets_not_found_by_search():
    """The passage contains the quoted words twice; the offsets decide which one is marked."""
    passage = "Es gab 5 Euro. Dann: Es gab 5 Euro."
    second = passage.rindex("Es gab 5 Euro.")
    citation = _citation(1, "Es gab 5 Euro.", passage=passage, passage_start=100)
    citation = Citation(**{**citation.__dict__, "start": 100 + second, "end": 100 + len(passage)})
    marked = render.highlight_quotes([citation])
    assert marked == "Es gab 5 Euro. Dann: <mark title=\"Zitat [1]\">Es gab 5 Euro.</mark>"


def test_offsets_that_disagree_show_the_quote_alone():
    bad = Citation(**{**_citation(1, "Mittel").__dict__, "start": 0, "end": 6})
    assert render.highlight_quotes([bad]) == '<mark title="Zitat [1]">Mittel</mark>'


def test_citations_of_one_chunk_share_one_card_with_both_quotes_marked():
    first = _citation(1, "Dazu stellte das Sozialministerium Mittel bereit.")
    second = _citation(2, "Für alle Maßnahmen stehen 300.000 Euro bereit.")
    other = _citation(
        3, "Anderes.", passage="Anderes.", passage_start=900, chunk_id="doc-b#0", doc_id="doc-b"
    )
    rendered = render.render_answer(_answer([first, second, other], text="A [1] B [2] C [3]."))
    assert rendered.count('<li class="source">') == 2
    assert '<span class="source-n">[1] [2]</span>' in rendered
    assert len(re.findall(r"<mark", rendered)) == 3


def test_long_passage_is_trimmed_around_the_quote_at_word_boundaries():
    filler = "Wort " * 200
    passage = filler + "Der zitierte Satz. " + filler
    rendered = render.highlight_quotes([_citation(1, "Der zitierte Satz.", passage=passage)], context=30)
    assert rendered.startswith("… Wort") and rendered.endswith("Wort …")
    assert len(_visible_text(rendered)) < 100


def test_abstention_is_visibly_different_and_keeps_the_hint():
    hint = "Dazu finde ich nichts. Die Dokumente behandeln die Videokampagne."
    rendered = render.render_answer(_answer([], text=hint, abstained=True))
    assert 'class="answer abstained"' in rendered
    assert "Keine gesicherte Antwort" in rendered
    assert "behandeln die Videokampagne" in rendered
    assert "source" not in rendered


def test_an_abstention_links_its_nearest_documents_in_the_askers_language():
    """The assistant found no answer, which is not to say the documents hold none: the citizen gets
    the nearest documents' originals to read, escaped, and only http(s) links."""
    docs = [
        DocMeta("a", XSS, "a.txt", url="https://www.niedersachsen.de/kampagne?x=<b>"),
        DocMeta("b", "Ohne Link", "b.txt"),
        DocMeta("c", "Gefährlich", "c.txt", url="javascript:alert(1)"),
    ]
    rendered = render.render_answer(_answer([], text="Dazu habe ich nichts gefunden.", abstained=True, documents=docs))
    assert "Zum Nachlesen" in rendered and rendered.count("<li>") == 1
    assert 'href="https://www.niedersachsen.de/kampagne?x=&lt;b&gt;"' in rendered and "(niedersachsen.de)" in rendered
    assert "<script>" not in rendered and html.escape(XSS) in rendered
    assert "javascript:" not in rendered and "Ohne Link" not in rendered
    english = render.render_answer(_answer([], text="Nothing.", abstained=True, language="en", documents=docs[:1]))
    assert "To read for yourself" in english and "Zum Nachlesen" not in english
    none_linked = render.render_answer(_answer([], text="Nichts.", abstained=True, documents=docs[1:]))
    assert "Zum Nachlesen" not in none_linked and "sources" not in none_linked
    # an answer lists its sources, not documents to read
    assert "Zum Nachlesen" not in render.render_answer(_answer([_citation(1, "Mittel")], documents=docs))


def test_english_answer_is_marked_as_english():
    rendered = render.render_answer(_answer([_citation(1, "Mittel")], language="en"))
    assert 'lang="en"' in rendered


def test_english_question_gets_the_bubble_in_english():
    """A citizen who asks in English reads sources, dates and links in English, not in German."""
    cited = _visible_text(render.render_answer(_answer([_citation(1, "Mittel", page=3)], language="en")))
    assert "Sources" in cited and "Open the original (niedersachsen.de)" in cited
    assert "6 September 2023" in cited and "Page 3" in cited
    for german in ("Quellen", "Original öffnen", "Seite", "6. September"):
        assert german not in cited
    abstained = _visible_text(render.render_answer(_answer([], text="The documents do not say.", abstained=True, language="en")))
    assert "No reliable answer in the documents" in abstained and "Keine gesicherte" not in abstained
    session = ChatSession([ChatTurn("How much money did the ministry give?"), ChatTurn("Wie viel Geld gab es?")])
    pending = [_visible_text(m["content"]) for m in chat_messages(session)[1::2]]
    assert pending == ["Searching the documents …", "Ich suche in den Dokumenten …"]


def test_staff_see_synonyms_or_translations_the_answer_rests_on():
    german = staff_render.render_staff_answer(_answer([_citation(1, "Mittel")], synonyms=[("Geld", "Mittel")]))
    assert "Synonyme" in german and "Geld → Mittel" in german
    english = staff_render.render_staff_answer(
        _answer([_citation(1, "Mittel")], language="en", basis="translation", synonyms=[("funds", "Mittel")])
    )
    assert "Übersetzungen (Wörterbuch)" in english and "funds → Mittel" in english
    assert "übersetzten Begriffe der (englischen) Frage" in english  # the basis, in words


def test_german_question_keeps_the_bubble_in_german():
    cited = _visible_text(render.render_answer(_answer([_citation(1, "Mittel", page=3)])))
    assert "Quellen" in cited and "Original öffnen (niedersachsen.de)" in cited
    assert "6. September 2023" in cited and "Seite 3" in cited
    assert "Sources" not in cited


def test_staff_view_lists_every_passage_with_ranks_and_citations():
    rendered = staff_render.render_staff_answer(_answer([_citation(1, "Mittel")]))
    rows = re.findall(r"<tr class=\"(cited)?\">(.*?)</tr>", rendered, flags=re.S)
    assert len(rows) == 2
    cited_row = next(cells for cls, cells in rows if cls == "cited")
    assert "<td>1</td><td>0.0320</td><td>1</td><td>0.7100</td><td>2</td><td>4.20</td>" in cited_row
    assert "[1]" in cited_row
    uncited = next(cells for cls, cells in rows if not cls)
    assert "<td>2</td><td>0.0160</td><td>–</td><td>–</td><td>1</td><td>6.00</td>" in uncited
    assert "retrieve: 12 ms" in rendered and "total: 15 ms" in rendered


def test_staff_view_shows_the_sentences_the_scorer_rated_best_escaped():
    quote = "Dazu stellte das Sozialministerium Mittel bereit."
    at = DOC_TEXT.index(quote)
    weighed = [Weighed(XSS, "doc-a", "Vielfalt als Stärke", "doc-a#1", 500, 500 + len(XSS), 0.62, "reader"),
               Weighed(quote, "doc-a", "Vielfalt als Stärke", "doc-a#0", at, at + len(quote), 0.31, "reader")]  # fmt: skip
    rendered = staff_render.render_staff_answer(_answer([], abstained=True, basis="low confidence", weighed=weighed))
    assert "Am höchsten bewertete Sätze (keiner reichte für eine Antwort)" in rendered
    assert "<td>0.620</td><td>Lesemodell</td>" in rendered and "<script>" not in rendered and html.escape(XSS) in rendered
    answered = staff_render.render_staff_answer(_answer([_citation(1, quote)], weighed=weighed[1:]))
    assert "Am höchsten bewertete Sätze</caption>" in answered and '<tr class="cited"><td>0.310</td>' in answered
    # a citation quoting two sentences marks the second one too
    second = "Aus diesem Grund haben wir insgesamt 95.000 Euro zur Verfügung gestellt."
    at2 = DOC_TEXT.index(second)
    both = staff_render.render_staff_answer(_answer(
        [_citation(1, f"{quote} {second}")],
        weighed=[Weighed(second, "doc-a", "Vielfalt als Stärke", "doc-a#0", at2, at2 + len(second), 0.5, "reader")],
    ))  # fmt: skip
    assert '<tr class="cited"><td>0.500</td>' in both
    assert "bewertete Sätze" not in staff_render.render_staff_answer(_answer([], abstained=True))


def test_staff_view_says_why_the_assistant_abstained():
    rendered = staff_render.render_staff_answer(_answer([], abstained=True, basis="detail", basis_detail="40."))
    assert "<dt>Grund</dt><dd>„40.“ steht in keiner abgerufenen Quelle" in rendered
    kind = staff_render.render_staff_answer(_answer([], abstained=True, basis="kind", basis_detail="amount"))
    assert "gefragt ist eine Zahl; die Zitate nennen keine" in kind
    answered = staff_render.render_staff_answer(_answer([_citation(1, "Mittel")], basis="coverage"))
    assert "<dt>Grund</dt><dd>Satz deckt die Begriffe der Frage ab</dd>" in answered
    about = staff_render.render_staff_answer(_answer([_citation(1, "Mittel")], basis="document", basis_detail="publisher"))
    assert "<dt>Grund</dt><dd>Frage nach dem Dokument selbst: Herausgeber aus den Dokumentangaben</dd>" in about


def test_dates_are_german():
    assert format_date("2023-09-06") == "6. September 2023"
    assert format_date("2023-03-01T10:00:00") == "1. März 2023"
    assert format_date("ohne Datum") == "ohne Datum"
    assert format_date("2023-03-01", "en") == "1 March 2023"
    assert staff_render.format_timestamp("2023-09-06T14:05:00+00:00") == "06.09.2023, 14:05 UTC"


def test_empty_index_banner_names_the_ingest_command():
    assert "assistant ingest" in render.render_banner([])
    assert render.render_banner([{"doc_id": "a"}]) == ""


# -- session -----------------------------------------------------------------------------------


def test_history_holds_only_answered_turns_before_the_target():
    session = ChatSession(
        [
            ChatTurn("Erste?", _answer([], text="Eins.")),
            ChatTurn("Kaputt?", error="Die Datenbank ist nicht erreichbar."),
            ChatTurn("Dritte?", _answer([], text="Drei.")),
        ]
    )
    assert session.history() == [Turn("Erste?", "Eins."), Turn("Dritte?", "Drei.")]
    assert session.history(upto=2) == [Turn("Erste?", "Eins.")]


def test_chat_messages_are_two_per_turn():
    session = ChatSession([ChatTurn("Q1", _answer([])), ChatTurn("Q2")])
    messages = chat_messages(session, partial="Teil")
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert "Teil" in messages[3]["content"] and "streaming" in messages[3]["content"]


# -- the error boundary, through the running app -----------------------------------------------


class FakeAssistant:
    """Records what ask() received; fails on request. Stands in for the UI's boundary only."""

    def __init__(self):
        self.calls: list[tuple[str, list[Turn]]] = []

    def ask(self, question, history: Sequence[Turn] = ()) -> Answer:
        question, turns = asked(question, history)
        self.calls.append((question, turns))
        if "kaputt" in question:
            raise RuntimeError("secret internal detail /srv/data")
        if "offline" in question:
            raise StoreUnavailable("Die Wissensdatenbank ist vorübergehend nicht erreichbar.")
        if "lang" in question:
            raise InputError("Die Frage ist zu lang.")
        if "warte" in question:
            # an answer that takes a while, so several are in progress at once (1 s was too short to
            # overlap seven submissions on a machine busy with a benchmark)
            time.sleep(2.5)
        quote = "Dazu stellte das Sozialministerium Mittel bereit."
        return _answer([_citation(1, quote)], text=f"{quote} [1]", question=question)

    def documents(self) -> list[dict]:
        return [{"doc_id": "doc-a", "title": "Vielfalt als Stärke", "chunks": 1}]

    def is_empty(self) -> bool:
        return False


@pytest.fixture(scope="module")
def fake_app(tmp_path_factory):
    pytest.importorskip("gradio_client", reason="pip install gradio_client")
    from gradio_client import Client

    from assistant.settings import Settings
    from assistant.app.web.server import start
    from ui_fixtures import serving_settings

    fake = FakeAssistant()
    running = start(fake, serving_settings(Settings(data_dir=tmp_path_factory.mktemp("fake-ui"))))
    fake.app = running.app.state.blocks[0]  # the citizens' Blocks, for the test that looks at Gradio's queue
    yield fake, lambda: Client(running.url, verbose=False)
    running.close()


def test_staff_export_is_private_and_removed_after_use_and_at_shutdown(tmp_path, monkeypatch, staff_hash):
    """Exports hold citizens' questions: written 0600 in a 0700 folder of the data dir (made again
    if a cleaner removed it), our copy removed soon after, and everything at shutdown."""
    import stat
    import time
    from pathlib import Path

    pytest.importorskip("gradio_client", reason="pip install gradio_client")
    from gradio_client import Client

    from assistant.app.web import staff
    from assistant.settings import Settings
    from assistant.app.web.server import start
    from ui_fixtures import STAFF_PASSWORD, STAFF_USER, serving_settings

    # long enough that the files are still there when the answer arrives on a loaded machine
    monkeypatch.setattr(staff, "EXPORT_KEEP_S", 2.0)
    data = tmp_path / "data"
    running = start(FakeAssistant(), serving_settings(Settings(data_dir=data), staff_hash))
    try:
        client = Client(running.url + "staff/", auth=(STAFF_USER, STAFF_PASSWORD), verbose=False)
        for _ in range(2):  # the second time the folder is gone, as after a cleaner
            csv_update, jsonl_update, _table = client.predict(api_name="/export")
            header = Path(csv_update["value"]).read_text(encoding="utf-8-sig").splitlines()[0]
            assert "rating" in header and "comment" in header
            assert Path(jsonl_update["value"]).exists()
            ours = sorted((data / "exports").iterdir())
            assert [p.name for p in ours] == ["eval-kandidaten.jsonl", "rueckmeldungen.csv"]
            assert stat.S_IMODE((data / "exports").stat().st_mode) == 0o700
            assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in ours)
            deadline = time.monotonic() + 30
            while list((data / "exports").iterdir()) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not list((data / "exports").iterdir())  # our copies are gone after use
            (data / "exports").rmdir()
    finally:
        running.close()
    assert not (data / "exports").exists() and not (data / "gradio-tmp").exists()


def _last_content(chat) -> str:
    content = chat[-1]["content"]
    return "".join(p.get("text", "") for p in content) if isinstance(content, list) else content


def test_unexpected_error_shows_a_german_message_without_details(fake_app, caplog):
    _fake, client = fake_app
    with caplog.at_level("ERROR", logger="assistant.app.web.handlers"):
        chat, *_ = client().predict("Ist das kaputt?", api_name="/ask")
    shown = _last_content(chat)
    assert "Es ist ein Fehler aufgetreten" in shown
    assert "secret" not in shown and "Traceback" not in shown
    assert "secret internal detail" in caplog.text  # logged server-side for the operators


def test_store_unavailable_is_shown_in_german(fake_app):
    _fake, client = fake_app
    chat, *_ = client().predict("Bist du offline?", api_name="/ask")
    assert "vorübergehend nicht erreichbar" in _last_content(chat)


def test_input_error_keeps_the_question_in_the_box(fake_app):
    _fake, client = fake_app
    chat, box, notice, *_ = client().predict("Eine lange Frage", api_name="/ask")
    assert notice == "Die Frage ist zu lang."
    assert box == "Eine lange Frage"
    assert chat == []


def test_follow_up_passes_previous_turns_as_history(fake_app):
    fake, client = fake_app
    session = client()
    session.predict("Wie viel Geld?", api_name="/ask")
    session.predict("Und wer hat die Videos gedreht?", api_name="/ask")
    question, history = fake.calls[-1]
    assert question == "Und wer hat die Videos gedreht?"
    assert [t.question for t in history] == ["Wie viel Geld?"]
    assert "[1]" in history[0].answer


def test_answers_are_sent_whole_under_load():
    text = " ".join(f"Wort{i}" for i in range(40)) + " [1]"
    assert pieces_to_stream(text, 1) == stream_pieces(text)
    assert pieces_to_stream(text, STREAM_MAX_BUSY) == stream_pieces(text)
    assert pieces_to_stream(text, STREAM_MAX_BUSY + 1) == []


def test_stream_pieces_are_few_growing_whole_word_prefixes():
    text = " ".join(f"Wort{i}" for i in range(40)) + " [1]"
    pieces = stream_pieces(text)
    assert 1 < len(pieces) <= STREAM_STEPS
    assert all(text.startswith(p) and text[len(p) - 1] == " " for p in pieces)  # cut after a word
    assert [len(p) for p in pieces] == sorted({len(p) for p in pieces})  # strictly growing
    assert text not in pieces  # the full answer comes with the final update, with its sources
    assert stream_pieces("Kurze Antwort.") == []  # nothing to stream for three words or fewer


def test_unexpected_error_on_an_english_question_is_shown_in_english_without_details(fake_app):
    _fake, client = fake_app
    chat, *_ = client().predict("What is kaputt here?", api_name="/ask")
    shown = _last_content(chat)
    assert "Something went wrong" in shown and "Fehler" not in shown
    assert "secret" not in shown and "/srv/data" not in shown and "Traceback" not in shown


def test_the_queue_does_not_rebuild_its_monitoring_summary_per_event(fake_app):
    """Gradio rebuilt a pandas summary of its last 10,000 events after every event (monitoring
    off or not): 3–15 ms of CPU per answer under load. ``server.create_app`` turns that off."""
    fake, client = fake_app
    session = client()
    for q in ("Wie viel Geld?", "Und wer hat die Videos gedreht?", "Wo?"):
        session.predict(q, api_name="/ask")
    queue = fake.app._queue
    assert queue.events_recorded >= 3
    assert queue.event_count_at_last_cache == 0  # never recomputed


def test_under_load_each_answer_comes_in_one_update(fake_app):
    """Alone, the question is echoed at once and the answer streams in pieces; with more than
    STREAM_MAX_BUSY answers in progress, question and answer arrive in one update (each update
    costs the server a full Gradio postprocess)."""
    from concurrent.futures import ThreadPoolExecutor

    _fake, client = fake_app

    def updates(question: str, c=None) -> list:
        job = (c or client()).submit(question, api_name="/ask")
        job.result(timeout=60)
        return job.outputs()

    alone = updates("Wie viel Geld, warte?")
    assert len(alone) >= 3  # echo, piece(s), final
    assert alone[0][0][-1]["role"] == "assistant" and alone[0][1] == ""  # question shown, box emptied
    n = STREAM_MAX_BUSY + 3
    # Connected first: a client's connection takes a while, and made inside the threads it spread
    # the submissions so far apart that none started with more than STREAM_MAX_BUSY in progress
    clients = [client() for _ in range(n)]
    with ThreadPoolExecutor(n) as pool:
        together = list(pool.map(updates, [f"Frage {i}, warte?" for i in range(n)], clients))
    counts = sorted(len(u) for u in together)
    assert counts[0] == 1, counts  # the ones that started under load: one update each
    for u in together:
        chat = u[-1][0]
        assert [m["role"] for m in chat] == ["user", "assistant"] and "[1]" in str(chat[-1]["content"])


def test_staff_see_which_scorer_chose_and_why_the_reader_did_not():
    by_reader = staff_render.render_staff_answer(Answer(question="Wer?", answer="…", abstained=False, basis="reader", scorer="reader"))
    assert "Bewertet von</dt><dd>Lesemodell</dd>" in by_reader and "Lesemodell: der Satz beantwortet die Frage" in by_reader
    note = "Das Lesemodell ist nicht installiert; die Antworten beruhen auf dem Wortabgleich."
    fallback = staff_render.render_staff_answer(Answer(question="Wer?", answer="…", abstained=False, basis="coverage", scorer="lexical", scorer_note=note))
    assert f"Bewertet von</dt><dd>Wortabgleich ({note})</dd>" in fallback
    by_span = staff_render.render_staff_answer(Answer(question="Wer?", answer="…", abstained=False, basis="reader", scorer="span"))
    assert "Bewertet von</dt><dd>Lesemodell (Antwortspannen)</dd>" in by_span
