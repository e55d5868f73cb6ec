"""The citizens' web UI: a thin Gradio adapter around ``Assistant.ask()``.

A chat whose answers stream in and carry their sources (title, publisher, date, link, and the
passage with the cited sentence marked), a feedback form, and the list of documents searched.
Staff data (retrieval internals, the feedback log, exports) is in the staff app (``staff.py``,
behind a login) and never shipped to this page. ``server.py`` serves both and bounds each client.

This module holds the page's components and which event calls which handler; what a handler
does is in ``handlers.py``, the HTML in ``render.py``. Annotations here are evaluated (no
``from __future__ import annotations``): Gradio finds the Request and LikeData parameters of a
handler by their types, and ``gradio`` is imported late, inside ``build_app``.
"""
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.app.web.chat import AnswersQuestions, ChatSession, feedback_target_text
from assistant.app.web.handlers import CHANGES, CitizenChat
from assistant.app.web.page import EXAMPLE_QUESTIONS, HEADER_HTML, NOTICE_HTML
from assistant.security import client_id
from assistant.settings import Settings, offline_env

if TYPE_CHECKING:
    import gradio as gr


@dataclass
class Page:
    """The components the events read and write."""

    state: Any
    banner: Any
    chatbot: Any
    question: Any
    notice: Any
    ask: Any
    new: Any
    examples: list[Any]
    target: Any
    comment: Any
    wrong: Any
    up: Any
    down: Any
    status: Any
    documents: Any


def build_app(assistant: AnswersQuestions, settings: Settings) -> "gr.Blocks":
    """The citizens' Gradio app around one loaded ``assistant``; ``server.py`` serves it."""
    offline_env(settings.allow_downloads)
    import gradio as gr

    chat = CitizenChat(assistant, settings)
    with gr.Blocks(title="Digitale Auskunft", analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        page = _layout(gr, settings)
        _connect(gr, app, page, chat)
    return app


def _layout(gr, settings: Settings) -> Page:
    """The page from top to bottom: header, chat, question box, examples, notice, rating form, documents."""
    state = gr.State(ChatSession())
    gr.HTML(HEADER_HTML, padding=False)
    banner = gr.HTML("", padding=False, elem_id="banner")
    chatbot = gr.Chatbot(
        elem_id="chat",
        label="Unterhaltung",
        show_label=False,
        height=680,
        render_markdown=False,  # text is shown as typed; our HTML is sanitised again
        sanitize_html=True,
        buttons=["copy"],
        placeholder=(
            "**Willkommen!** Stellen Sie unten Ihre Frage oder wählen Sie "
            "eine Beispielfrage."
        ),
        layout="panel",
    )
    notice = gr.Markdown("", elem_id="notice-box", elem_classes=["fb-status"])
    question, ask, new = _question_row(gr)
    gr.Markdown("Beispielfragen:", elem_classes=["examples-label"])
    with gr.Row(elem_classes=["example-row"]):
        examples = [gr.Button(text, size="sm", variant="secondary") for text in EXAMPLE_QUESTIONS]
    gr.HTML(NOTICE_HTML, padding=False)
    target, comment, wrong, up, down, status = _rating_form(gr, settings)
    with gr.Accordion("Welche Dokumente durchsucht werden", open=False):
        documents = gr.HTML("", padding=False)
    return Page(state, banner, chatbot, question, notice, ask, new, examples, target, comment, wrong, up, down,
                status, documents)  # fmt: skip


def _question_row(gr) -> tuple[Any, Any, Any]:
    """The question box with its "Fragen" and "Neues Gespräch" buttons."""
    with gr.Row(equal_height=True, elem_classes=["ask-row"]):
        question = gr.Textbox(
            label="Ihre Frage",
            placeholder="z. B. Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?",
            lines=1,
            max_lines=4,
            scale=5,
            min_width=300,  # on phones the buttons wrap below the box
            elem_id="question",
            autofocus=True,
            submit_btn=False,
        )
        with gr.Column(scale=1, min_width=150):
            ask = gr.Button("Fragen", variant="primary", elem_id="ask")
            new = gr.Button("Neues Gespräch", variant="secondary", size="sm", elem_id="new-chat")
    return question, ask, new


def _rating_form(gr, settings: Settings) -> tuple[Any, ...]:
    """The rating form: target line, comment, "wrong source", 👍 and 👎, status line."""
    with gr.Accordion("Rückmeldung zur Antwort", open=True, elem_classes=["feedback-box"]):
        target = gr.Markdown(feedback_target_text(ChatSession()), elem_classes=["fb-target"])
        comment = gr.Textbox(
            label="Kommentar (optional)",
            placeholder="Was hat gefehlt oder war falsch? Bitte keine persönlichen Daten.",
            lines=2,
            max_lines=6,
            max_length=settings.max_comment_chars,
            elem_id="fb-comment",
        )
        wrong = gr.Checkbox(label="Falsche Quelle angegeben", elem_id="fb-wrong")
        with gr.Row():
            up = gr.Button("👍 Hilfreich", size="sm", elem_id="fb-up")
            down = gr.Button("👎 Nicht hilfreich", size="sm", elem_id="fb-down")
        status = gr.Markdown("", elem_id="fb-status", elem_classes=["fb-status"])
    return target, comment, wrong, up, down, status


def _connect(gr, app: "gr.Blocks", page: Page, chat: CitizenChat) -> None:
    """Which event calls which handler, and the API names they are served under."""
    on = _Events(gr, chat)
    # public: the banner and the list of documents are what every visitor sees anyway
    app.load(chat.page, None, [page.banner, page.documents], api_name="refresh")

    # In the order of CHANGES; the API returns them without the state.
    ask_outputs = [page.state, page.chatbot, page.question, page.notice, page.target, page.comment, page.wrong,
                   page.status]  # fmt: skip
    ask_inputs = [page.question, page.state]
    page.question.submit(on.respond, ask_inputs, ask_outputs, api_visibility="private")
    page.ask.click(on.respond, ask_inputs, ask_outputs, api_name="ask")
    for button, text in zip(page.examples, EXAMPLE_QUESTIONS, strict=True):
        button.click(lambda t=text: t, None, page.question, api_visibility="private").then(
            on.respond, ask_inputs, ask_outputs, api_visibility="private"
        )
    # Not queued: it computes nothing, and through the queue it cost as much server CPU as
    # the HTTP part of an answer (measured: `assistant bench load`, which starts every
    # conversation with it).
    page.new.click(on.new_chat, None, ask_outputs, api_name="new_chat", queue=False)
    # For integrators and the load benchmark: the same ask() without the chat around it.
    gr.api(on.answer_json, api_name="answer")
    # The chat's own bin icon must forget the turns too, or follow-ups would use them.
    page.chatbot.clear(on.new_chat, None, ask_outputs, api_visibility="private")

    fb_inputs = [page.comment, page.wrong, page.state]
    fb_outputs = [page.state, page.status]
    page.up.click(on.rate_up, fb_inputs, fb_outputs, api_name="feedback_up")
    page.down.click(on.rate_down, fb_inputs, fb_outputs, api_name="feedback_down")
    page.chatbot.like(on.on_like, fb_inputs, [page.state, page.target, page.status], api_visibility="private")


class _Events:
    """Gradio's side of each event: the request becomes the client's id, a handler's changes the
    values of the outputs in the order of ``CHANGES`` (``gr.skip()`` for a name left out)."""

    def __init__(self, gr, chat: CitizenChat):
        self.gr = gr
        self.chat = chat

        # Defined here, where ``gr`` exists: Gradio reads the types from the annotations.
        def respond(question, session, request: gr.Request):
            # closed with this generator (a client that leaves), so the count of answers in
            # progress goes down at once
            with closing(chat.respond(question, session, client_id(request))) as updates:
                for changes in updates:
                    yield self.outputs(session, changes)

        def answer_json(question: str, history: list[dict[str, str]], request: gr.Request) -> dict[str, Any]:
            return chat.answer_json(question, history, client_id(request))

        def rate_up(comment, wrong_source, session, request: gr.Request):
            return session, chat.rate("up", comment, wrong_source, session, client_id(request))

        def rate_down(comment, wrong_source, session, request: gr.Request):
            return session, chat.rate("down", comment, wrong_source, session, client_id(request))

        def on_like(comment, wrong_source, session, data: gr.LikeData, request: gr.Request):
            rated = chat.rate_message(data.index, data.liked, comment, wrong_source, session, client_id(request))
            return (session, gr.skip(), gr.skip()) if rated is None else (session, *rated)

        answer_json.__doc__ = CitizenChat.answer_json.__doc__  # gr.api describes the endpoint with it
        self.respond, self.answer_json, self.on_like = respond, answer_json, on_like
        self.rate_up, self.rate_down = rate_up, rate_down

    def outputs(self, session: ChatSession, changes: dict[str, Any]) -> tuple[Any, ...]:
        """The state, then one value per name of ``CHANGES``."""
        return (session, *(changes.get(name, self.gr.skip()) for name in CHANGES))

    def new_chat(self) -> tuple[Any, ...]:
        return self.outputs(*self.chat.new_chat())
