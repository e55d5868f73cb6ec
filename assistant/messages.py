"""How the answerer's decisions are told: to citizens (the honest "no answer found" answer
and why) and to staff (how the answer came about), and which language each paragraph of the note
to a foreign-language question is in. One list of the reasons, so that the answerer and the staff
view cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Sequence

from .language import NOTES
from .records import DocMeta, Passage

# The sentence a citizen reads after "I found no answer to this", by (language, reason):
# the reason is ``Answer.basis``, or for basis "kind" the kind of answer that is missing. The kind
# check reads the sentences that would be quoted, not every passage found: a passage further down
# may name an amount about something else (or about this, unread), so the sentence says "the
# best-matching passages", never "the passages found".
ABSTAIN_REASONS = {
    ("de", "detail"): "„{detail}“ kommt in den gefundenen Quellen nicht vor.",
    ("en", "detail"): "“{detail}” does not occur in the sources found.",
    ("de", "name"): "„{detail}“ kommt in den Dokumenten, aus denen die Antwort stammen würde, nicht vor.",
    ("en", "name"): "“{detail}” does not occur in the documents the answer would come from.",
    ("de", "amount"): "Die am besten passenden Textstellen nennen dazu keine Zahl.",
    ("en", "amount"): "The best-matching passages give no number for this.",
    ("de", "date"): "Die am besten passenden Textstellen nennen dazu keinen Zeitpunkt.",
    ("en", "date"): "The best-matching passages give no date for this.",
    ("de", "duration"): "Die am besten passenden Textstellen nennen dazu keine Dauer.",
    ("en", "duration"): "The best-matching passages give no duration for this.",
    ("de", "party"): "Die am besten passenden Textstellen nennen dazu keine Partei.",
    ("en", "party"): "The best-matching passages give no party for this.",
    ("de", "money"): "Die am besten passenden Textstellen nennen dazu keinen Geldbetrag.",
    ("en", "money"): "The best-matching passages give no sum of money for this.",
    ("de", "phone"): "Die am besten passenden Textstellen nennen dazu keine Telefonnummer.",
    ("en", "phone"): "The best-matching passages give no phone number for this.",
    ("de", "email"): "Die am besten passenden Textstellen nennen dazu keine E-Mail-Adresse.",
    ("en", "email"): "The best-matching passages give no e-mail address for this.",
    ("de", "link"): "Die am besten passenden Textstellen nennen dazu keine Internetadresse.",
    ("en", "link"): "The best-matching passages give no web address for this.",
    ("de", "language"): "Die am besten passenden Textstellen nennen dazu keine Sprache.",
    ("en", "language"): "The best-matching passages give no language for this.",
    ("de", "which"): "Die am besten passenden Textstellen erwähnen sie nur allgemein, ohne sie einzeln zu nennen.",
    ("en", "which"): "The best-matching passages mention them only in general, without naming any.",
    ("de", "weekday"): "Die am besten passenden Textstellen nennen dazu keinen Wochentag.",
    ("en", "weekday"): "The best-matching passages give no day of the week for this.",
}


def abstain_reason(lang: str, basis: str, detail: str = "") -> str:
    """The citizen's sentence saying why there is no answer; "" where the reason has none
    (low confidence says nothing more than the abstention itself)."""
    key = (lang if lang == "en" else "de", detail if basis == "kind" else basis)
    return ABSTAIN_REASONS[key].format(detail=detail) if key in ABSTAIN_REASONS else ""


def near_documents(passages: Sequence[Passage], limit: int | None = 3) -> list[DocMeta]:
    """The documents of the best passages, in rank order, each once, at most ``limit`` (None: all)."""
    near: dict[str, DocMeta] = {}
    for p in passages:
        near.setdefault(p.chunk.doc.doc_id, p.chunk.doc)
    return list(near.values())[:limit]


def abstain_message(
    lang: str, titles: Sequence[str], passages: Sequence[Passage], basis: str = "", detail: str = ""
) -> str:
    """The honest "no answer found in the documents" answer, with why (when a check found a reason)
    and a hint of what the documents do cover. It says what the assistant found, not what the
    documents hold: most abstentions are for low confidence, and on questions written blind from
    the documents about seven in ten of those are questions the documents do answer in other words."""
    near = list(dict.fromkeys(d.title for d in near_documents(passages, limit=None)))
    shown = (near or list(titles))[:3]
    listing = "; ".join(f"“{t}”" if lang == "en" else f"„{t}“" for t in shown)
    more = len(titles) - len(shown)
    reason = abstain_reason(lang, basis, detail)
    why = " " + reason if reason else ""
    if lang == "en":
        tail = f" and {more} more" if more > 0 else ""
        return (
            f"I found no answer to this in the documents available to me.{why} "
            f"They cover: {listing}{tail}. Please rephrase your question or ask about these topics."
        )
    tail = f" und {more} weitere" if more > 0 else ""
    return (
        f"Dazu habe ich in den vorliegenden Dokumenten keine Antwort gefunden.{why} "
        f"Sie behandeln: {listing}{tail}. Bitte formulieren Sie Ihre Frage anders oder fragen Sie zu diesen Themen."
    )


# For staff: the kind of answer the question asked for that the quotes lack (basis "kind").
KIND_FOR_STAFF = {
    "amount": "gefragt ist eine Zahl; die Zitate nennen keine",
    "date": "gefragt ist ein Zeitpunkt; die Zitate nennen keinen",
    "duration": "gefragt ist eine Dauer; die Zitate nennen keine",
    "party": "gefragt ist eine Partei; die Zitate nennen keine",
    "money": "gefragt ist ein Geldbetrag; die Zitate nennen keinen",
    "weekday": "gefragt ist ein Wochentag; die Zitate nennen keinen",
    "phone": "gefragt ist eine Telefonnummer; die Zitate nennen keine",
    "email": "gefragt ist eine E-Mail-Adresse; die Zitate nennen keine",
    "link": "gefragt ist eine Internetadresse; die Zitate nennen keine",
    "language": "gefragt ist eine Sprache; die Zitate nennen keine",
    "which": "gefragt ist, welche genau; die Zitate nennen sie nicht einzeln",
}
SMALLTALK_FOR_STAFF = {"greeting": "Begrüßung", "thanks": "Dank", "bye": "Verabschiedung", "help": "Frage, was der Assistent kann"}
DOC_FIELD_FOR_STAFF = {"title": "Überschrift", "publisher": "Herausgeber", "date": "Datum"}


def basis_for_staff(basis: str, detail: str = "") -> str:
    """How the answerer decided (``Answer.basis`` and ``basis_detail``), in words for staff."""
    language = "unbekannte Schrift" if detail == "und" else detail
    return {
        "reader": "Lesemodell: der Satz beantwortet die Frage (Wahrscheinlichkeit über der Schwelle)",
        "coverage": "Satz deckt die Begriffe der Frage ab",
        "meaning": "Satz liegt der (englischen) Frage inhaltlich am nächsten",
        "translation": "Satz enthält die übersetzten Begriffe der (englischen) Frage und liegt ihr inhaltlich nahe",
        "low confidence": "Übereinstimmung unter der Schwelle",
        "veto": "Wortabgleich über der Schwelle, aber das Lesemodell hält keinen der gefundenen Sätze für eine Antwort",
        "refused": "Frage nach Anweisungen oder Einrichtung des Assistenten: nicht gesucht",
        "smalltalk": f"{SMALLTALK_FOR_STAFF.get(detail, detail)}: feste Antwort, nicht gesucht",
        "language": f"Frage weder auf Deutsch noch auf Englisch (erkannt: {language}): nicht gesucht, Bitte um eine deutsche oder englische Frage",
        "detail": f"„{detail}“ steht in keiner abgerufenen Quelle (Zahl oder Ort der Frage)",
        "name": f"„{detail}“ (Name in der Frage) steht in keinem der Dokumente, aus denen zitiert würde",
        "kind": KIND_FOR_STAFF.get(detail, detail),
        "document": f"Frage nach dem Dokument selbst: {DOC_FIELD_FOR_STAFF.get(detail, detail)} aus den Dokumentangaben",
    }.get(basis, basis or "–")


def note_languages(lang: str) -> list[str]:
    """The language of each paragraph of ``language.foreign_note(lang)``, in order: the asker's
    own where there is a note in it, then German and English."""
    return ([lang] if NOTES.get(lang) else []) + ["de", "en"]


__all__ = [
    "ABSTAIN_REASONS", "DOC_FIELD_FOR_STAFF", "KIND_FOR_STAFF", "SMALLTALK_FOR_STAFF",
    "abstain_message", "abstain_reason", "basis_for_staff", "near_documents", "note_languages",
]  # fmt: skip
