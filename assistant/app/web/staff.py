"""The staff view ("Prüfansicht"), a Gradio app of its own behind a login (mounted at /staff).

Staff ask a question and see how the answer came about (every retrieved passage with its ranks,
the reason, the timings), the documents in the index, and the feedback log with its exports. The
citizens' app ships none of this. Without a configured password the view is off (``server.py``
serves a page that says how to turn it on); it is never open.

Exports are written with mode 0600 into a private folder (0700) of the data dir, handed to Gradio
(whose own copy lives in the app's private temp folder and is served only to a logged-in user),
removed soon after, and the folder goes at shutdown.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from assistant.app.web.chat import AnswersQuestions
from assistant.app.web.files import exports_dir, private_dir, remove, write_private
from assistant.app.web.render import GENERIC_ERROR, render_answer
from assistant.app.web.staff_render import (
    FEEDBACK_ROWS_SHOWN,
    render_documents_table,
    render_feedback_table,
    render_staff_answer,
)
from assistant.errors import AssistantError
from assistant.feedback import FeedbackStore
from assistant.settings import Settings

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger(__name__)

# Our copy of an export is removed this long after Gradio took its own (Gradio copies the file
# into its cache when the handler returns, so it cannot be removed inside the handler).
EXPORT_KEEP_S = 30.0

STAFF_OFF_HTML = """<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Prüfansicht nicht eingerichtet</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 44em; margin: 3em auto; line-height: 1.5">
<h1>Prüfansicht nicht eingerichtet</h1>
<p>Die Prüfansicht für Mitarbeitende ist ausgeschaltet, weil kein Passwort eingerichtet ist.</p>
<p>Für die Administration: ein Passwort mit <code>assistant staff-password</code> festlegen, den
ausgegebenen Wert als <code>ASSISTANT_STAFF_PASSWORD_HASH</code> in die Umgebung des Dienstes
schreiben (der Benutzername ist <code>ASSISTANT_STAFF_USER</code>, Standard „pruefung“) und den
Dienst neu starten.</p>
</body></html>
"""


class StaffView:
    """The staff app's handlers and what they share: the loaded assistant and the feedback store."""

    def __init__(self, assistant: AnswersQuestions, settings: Settings):
        self.assistant = assistant
        self.settings = settings
        self.store = FeedbackStore.from_settings(settings)

    def documents_html(self) -> str:
        try:
            return render_documents_table(self.assistant.documents())
        except AssistantError as exc:
            return f'<p class="staff-empty">{exc.message("de")}</p>'

    def feedback_html(self) -> str:
        return render_feedback_table(self.store.list(limit=FEEDBACK_ROWS_SHOWN))

    def refresh(self) -> tuple[str, str]:
        """The documents table and the feedback log."""
        return self.documents_html(), self.feedback_html()

    def check(self, question: str) -> tuple[str, str]:
        """The citizen's view of the answer, and the staff view of how it came about."""
        try:
            answer = self.assistant.ask(question or "")
        except AssistantError as exc:  # InputError among them: the message says what to fix
            return f"<p>{exc.message('de')}</p>", ""
        except Exception:
            log.exception("staff check failed")
            return f"<p>{GENERIC_ERROR}</p>", ""
        return render_answer(answer), render_staff_answer(answer)

    def export(self) -> tuple[str, str, str]:
        """The CSV log and the 👎 entries as eval JSONL, for download by this staff member:
        (CSV path, JSONL path, the feedback log); both files are removed EXPORT_KEEP_S later."""
        folder = private_dir(exports_dir(self.settings))
        csv_path = write_private(folder / "rueckmeldungen.csv", self.store.to_csv(), encoding="utf-8-sig")  # BOM: Excel reads umlauts
        jsonl_path = write_private(folder / "eval-kandidaten.jsonl", self.store.eval_jsonl())
        timer = threading.Timer(EXPORT_KEEP_S, remove, args=(csv_path, jsonl_path))
        timer.daemon = True
        timer.start()
        return str(csv_path), str(jsonl_path), self.feedback_html()


def build_staff_app(assistant: AnswersQuestions, settings: Settings) -> gr.Blocks:
    """The staff Blocks; ``server.py`` mounts it behind Gradio's login."""
    import gradio as gr

    view = StaffView(assistant, settings)

    def export_files():
        csv_path, jsonl_path, feedback = view.export()
        return gr.File(value=csv_path, visible=True), gr.File(value=jsonl_path, visible=True), feedback

    # delete_cache: Gradio's copies of the exports go after ten minutes, and all at shutdown
    with gr.Blocks(title="Prüfansicht – Digitale Auskunft", analytics_enabled=False, delete_cache=(600, 600)) as app:
        gr.Markdown(
            "## Prüfansicht\nFür Mitarbeitende: eine Frage prüfen (alle abgerufenen Passagen mit ihren Rängen), "
            "die Dokumente im Index und die Rückmeldungen der Nutzenden."
        )
        with gr.Accordion("Frage prüfen", open=True):
            with gr.Row():
                question = gr.Textbox(label="Frage", lines=1, max_length=settings.max_question_chars, scale=5, elem_id="staff-question")
                check_btn = gr.Button("Prüfen", variant="primary", scale=1, elem_id="staff-check")
            citizen_view = gr.HTML("", padding=False, elem_id="staff-citizen-view")
            staff_answer = gr.HTML(render_staff_answer(None), padding=False, elem_id="staff-answer")
        with gr.Accordion("Dokumente im Index", open=True):
            staff_docs = gr.HTML("", padding=False, elem_id="staff-docs")
        with gr.Accordion("Rückmeldungen", open=True):
            with gr.Row():
                refresh_btn = gr.Button("Aktualisieren", size="sm", elem_id="staff-refresh")
                export_btn = gr.Button("Exporte erstellen", size="sm", elem_id="staff-export")
            with gr.Row():
                csv_file = gr.File(label="Protokoll (CSV)", interactive=False, visible=False, elem_id="export-csv")
                jsonl_file = gr.File(label="👎 als Eval-Einträge (JSONL)", interactive=False, visible=False, elem_id="export-jsonl")
            staff_feedback = gr.HTML("", padding=False, elem_id="staff-feedback")
        # the button's event first: it keeps the name "refresh" (the page load's twin gets "refresh_1")
        refresh_btn.click(view.refresh, None, [staff_docs, staff_feedback], api_name="refresh")
        app.load(view.refresh, None, [staff_docs, staff_feedback], api_visibility="private")
        check_btn.click(view.check, question, [citizen_view, staff_answer], api_name="check")
        question.submit(view.check, question, [citizen_view, staff_answer], api_visibility="private")
        export_btn.click(export_files, None, [csv_file, jsonl_file, staff_feedback], api_name="export")
    return app


__all__ = ["EXPORT_KEEP_S", "STAFF_OFF_HTML", "StaffView", "build_staff_app"]
