"""What a citizen reads when the documents do not answer: the reasons, by kind and language."""
from __future__ import annotations

from collections.abc import Sequence

from .records import Passage

REASONS = {
    ("de", "detail"): "„{detail}“ kommt in den gefundenen Quellen nicht vor.",
    ("en", "detail"): "“{detail}” does not occur in the sources found.",
    ("de", "name"): "„{detail}“ kommt in den Dokumenten, aus denen die Antwort stammen würde, nicht vor.",
    ("en", "name"): "“{detail}” does not occur in the documents the answer would come from.",
    ("de", "amount"): "Die gefundenen Textstellen nennen dazu keine Zahl.",
    ("en", "amount"): "The passages found give no number for this.",
    ("de", "date"): "Die gefundenen Textstellen nennen dazu keinen Zeitpunkt.",
    ("en", "date"): "The passages found give no date for this.",
    ("de", "duration"): "Die gefundenen Textstellen nennen dazu keine Dauer.",
    ("en", "duration"): "The passages found give no duration for this.",
    ("de", "party"): "Die gefundenen Textstellen nennen dazu keine Partei.",
    ("en", "party"): "The passages found give no party for this.",
    ("de", "money"): "Die gefundenen Textstellen nennen dazu keinen Geldbetrag.",
    ("en", "money"): "The passages found give no sum of money for this.",
    ("de", "phone"): "Die gefundenen Textstellen nennen dazu keine Telefonnummer.",
    ("en", "phone"): "The passages found give no phone number for this.",
    ("de", "email"): "Die gefundenen Textstellen nennen dazu keine E-Mail-Adresse.",
    ("en", "email"): "The passages found give no e-mail address for this.",
    ("de", "link"): "Die gefundenen Textstellen nennen dazu keine Internetadresse.",
    ("en", "link"): "The passages found give no web address for this.",
    ("de", "language"): "Die gefundenen Textstellen nennen dazu keine Sprache.",
    ("en", "language"): "The passages found give no language for this.",
    ("de", "which"): "Die gefundenen Textstellen erwähnen sie nur allgemein, ohne sie einzeln zu nennen.",
    ("en", "which"): "The passages found mention them only in general, without naming any.",
    ("de", "weekday"): "Die gefundenen Textstellen nennen dazu keinen Wochentag.",
    ("en", "weekday"): "The passages found give no day of the week for this.",
}


def abstain_message(
    lang: str, titles: Sequence[str], passages: Sequence[Passage], basis: str = "", detail: str = ""
) -> str:
    """The honest "not in the documents" answer, with why (when a check found a reason) and a hint
    of what the documents do cover."""
    near: list[str] = []
    for p in passages:
        if p.chunk.doc.title not in near:
            near.append(p.chunk.doc.title)
    shown = (near or list(titles))[:3]
    listing = "; ".join(f"“{t}”" if lang == "en" else f"„{t}“" for t in shown)
    more = len(titles) - len(shown)
    key = (lang if lang == "en" else "de", detail if basis == "kind" else basis)
    why = " " + REASONS[key].format(detail=detail) if key in REASONS else ""
    if lang == "en":
        tail = f" and {more} more" if more > 0 else ""
        return (
            f"The documents available to me do not answer this question.{why} "
            f"They cover: {listing}{tail}. Please rephrase your question or ask about these topics."
        )
    tail = f" und {more} weitere" if more > 0 else ""
    return (
        f"Dazu enthalten die vorliegenden Dokumente leider keine Angaben.{why} "
        f"Sie behandeln: {listing}{tail}. Bitte formulieren Sie Ihre Frage anders oder fragen Sie zu diesen Themen."
    )
