"""The fixed parts of the citizens' page: header, notice, example questions, CSS, the page's
language, and the theme (local fonts only). The staff app uses the same theme and CSS.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gradio as gr

EXAMPLE_QUESTIONS = (
    "Wie viel Geld hat das Sozialministerium für die Videokampagne bereitgestellt?",
    "Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?",
    "Unter welcher Telefonnummer erreichen Bürger das Ministerium?",
)

HEADER_HTML = """
<header class="site-header">
  <p class="kicker">Bürgerservice · Digitale Auskunft</p>
  <h1>Fragen Sie unsere Veröffentlichungen</h1>
  <p class="lead">Stellen Sie eine Frage in eigenen Worten. Der Assistent antwortet nur mit
  Sätzen aus den veröffentlichten Dokumenten und nennt zu jeder Antwort die Quelle.</p>
</header>
"""

NOTICE_HTML = """
<div class="notice" role="note">
  <p><strong>Hinweis:</strong> Die Antworten stammen ausschließlich aus den unten aufgeführten
  Dokumenten und ersetzen keine Beratung. Bitte geben Sie <strong>keine persönlichen Daten</strong>
  ein (zum Beispiel Name, Anschrift, Geburtsdatum oder Aktenzeichen).</p>
</div>
"""

CSS = """
.gradio-container { max-width: 1040px !important; margin: 0 auto !important; }
.site-header { padding: 8px 4px 4px; border-bottom: 4px solid var(--color-accent); margin-bottom: 4px; }
.site-header .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .8rem;
  color: var(--body-text-color-subdued); margin: 0 0 4px; }
.site-header h1 { font-size: 1.75rem; margin: 0 0 6px; font-weight: 700; }
.site-header .lead { margin: 0 0 10px; max-width: 60ch; color: var(--body-text-color); }
.notice { background: var(--color-accent-soft); border-left: 4px solid var(--color-accent);
  padding: 8px 14px; border-radius: 4px; font-size: .92rem; }
.notice p { margin: 0; }
.banner { padding: 12px 16px; border-radius: 4px; margin: 4px 0; }
.banner p { margin: 4px 0; }
.banner-empty { background: #fff8e1; border-left: 4px solid #b26a00; }
.banner-error { background: #fdecea; border-left: 4px solid #b3261e; }
#chat .message-content { font-size: 1rem; line-height: 1.55; }
#chat .bot .message-content, #chat .bot { max-width: 100%; }
.answer .answer-text { margin: 0; white-space: pre-wrap; }
.answer .answer-short { margin: 0 0 6px; }
.answer .answer-short-label { color: var(--body-text-color-subdued); }
.answer .cite-ref { color: var(--color-accent); font-weight: 600; font-size: .85em; }
.answer .cursor { animation: blink 1s steps(2) infinite; color: var(--color-accent); }
@keyframes blink { 50% { opacity: 0; } }
.answer.pending .answer-text { color: var(--body-text-color-subdued); font-style: italic; }
.answer.abstained { border-left: 4px solid #b26a00; padding: 2px 0 2px 12px; }
.answer.abstained .answer-badge { margin: 0 0 6px; font-weight: 600; color: #8a4b00; font-size: .9rem; }
.answer.abstained .answer-badge::before { content: "ℹ "; }
.answer.error { border-left: 4px solid #b3261e; padding: 2px 0 2px 12px; color: #8c1d18; }
.sources { margin-top: 14px; border-top: 1px solid var(--border-color-primary); padding-top: 8px; }
.sources .sources-title { font-weight: 600; font-size: .9rem; margin: 0 0 6px;
  color: var(--body-text-color-subdued); text-transform: uppercase; letter-spacing: .05em; }
.source-list { list-style: none; padding: 0; margin: 0; }
.document-list { padding-left: 1.2em; margin: 0; font-size: .9rem; }
.source { margin: 0 0 12px; padding: 10px 12px; background: var(--background-fill-secondary);
  border-radius: 6px; border: 1px solid var(--border-color-primary); }
.source-head { font-weight: 600; }
.source-n { color: var(--color-accent); }
.source-meta { font-size: .85rem; color: var(--body-text-color-subdued); margin: 2px 0 6px; }
.source-meta a, .doc-list a, .document-list a { color: var(--link-text-color); text-decoration: underline; }
.source-passage { margin: 0; padding: 0 0 0 10px; border-left: 3px solid var(--border-color-primary);
  font-size: .9rem; white-space: pre-line; color: var(--body-text-color);
  max-height: 14em; overflow-y: auto; }
mark { background: #ffe58a; color: inherit; padding: 0 2px; border-radius: 2px; }
.doc-list { padding-left: 1.2em; margin: 4px 0; }
.doc-list li { margin: 4px 0; }
.doc-title { font-weight: 600; }
.muted { color: var(--body-text-color-subdued); font-size: .85rem; }
.feedback-box .fb-target { font-size: .9rem; color: var(--body-text-color-subdued); }
.fb-status { min-height: 1.5em; }
.staff-summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 10px; }
.staff-summary dt { font-weight: 600; }
.staff-summary dd { margin: 0; }
.table-wrap { overflow-x: auto; }
.staff-table { border-collapse: collapse; width: 100%; font-size: .85rem; }
.staff-table caption { text-align: left; font-weight: 600; padding: 4px 0; }
.staff-table th, .staff-table td { border: 1px solid var(--border-color-primary); padding: 4px 6px;
  vertical-align: top; text-align: left; }
.staff-table th { background: var(--background-fill-secondary); }
.staff-table tr.cited { background: #eef6ee; }
.staff-table .passage-full { white-space: pre-wrap; margin-top: 4px; }
.staff-table td:last-child { min-width: 18em; }
.staff-table td:nth-child(-n+7) { white-space: nowrap; }
.feedback-table td:nth-child(-n+7) { white-space: normal; }
.staff-table .fb-answer { max-height: 6em; overflow-y: auto; }
.staff-empty { color: var(--body-text-color-subdued); }
.example-row button { text-align: left; }
.examples-label p { margin: 6px 0 0; font-size: .9rem; color: var(--body-text-color-subdued); }
*:focus-visible { outline: 3px solid #1a56a8 !important; outline-offset: 2px; }
footer { display: none !important; }
"""

# German page language for screen readers and hyphenation (Gradio's page says "en").
JS = "() => { document.documentElement.lang = 'de'; }"


def make_theme() -> gr.themes.Base:
    """A calm, high-contrast theme with local fonts only: no Google Fonts request (GDPR)."""
    import gradio as gr

    return gr.themes.Default(
        primary_hue=gr.themes.colors.blue,
        secondary_hue=gr.themes.colors.slate,
        neutral_hue=gr.themes.colors.slate,
        radius_size=gr.themes.sizes.radius_sm,
        # No 600: Gradio ships that weight as a tiny subset, so semibold text fell back glyph by
        # glyph to another font; the browser now uses the full bold face for 600.
        font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "system-ui", "Arial", "sans-serif"),
        font_mono=("ui-monospace", "Consolas", "monospace"),
    ).set(
        body_background_fill="#f6f7f9",
        block_background_fill="#ffffff",
        color_accent="#1a56a8",
        color_accent_soft="#e8f0fb",
        link_text_color="#1a56a8",
        button_primary_background_fill="#1a56a8",
        button_primary_background_fill_hover="#144486",
        button_primary_text_color="#ffffff",
    )
