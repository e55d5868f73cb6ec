"""What a question asks for, and what a sentence must hold to answer it.

``question_types`` reads the kinds of answer a question wants ("Wie viel" an amount, "Wann" a
date, "Wer" a person or body, "Wo" a place or link, a phone number, an e-mail address);
``HAS_KIND`` says whether a sentence holds one. ``header_context`` finds the headings a contact
entry stands under, which say whose number or address it is.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from ..premise import EMAIL_ADDRESS, LINK_WORDS, PHONE_NUMBER, WEB_LINK
from ..text import MONTHS_RE, NUMBER_WORDS_RE, SEASONS_RE, WEEKDAYS_RE

# What a question asks for, by kind.
QTYPES: dict[str, re.Pattern] = {
    "phone": re.compile(r"\b(telefon\w*|rufnummer|nummer|anruf\w*|anzurufen|phone|call|hotline)\b", re.I),
    "email": re.compile(r"\b(e-?mail\w*|mailadresse|schreiben)\b", re.I),
    "link": re.compile(rf"\b({LINK_WORDS}|online|internet|sehen|ansehen|anschauen|finden|watch|see|instagram\w*|youtube\w*)\b", re.I),
    "amount": re.compile(r"\b(wie\s*viel\w*|wieviel\w*|how\s+(much|many|old)|summe|betrag|höhe|wie\s+hoch|wie\s+alt|anzahl|kosten|euro|geld)\b", re.I),
    "date": re.compile(r"\b(wann|seit\s+wann|datum|jahr|tag|wochentag|when|date|year|day|weekday)\b", re.I),
    "person": re.compile(r"\b(wer|wem|wen|who|whom|person|minister\w*|staatssekretär\w*|landrat|beauftragte\w*)\b", re.I),
    # which company or agency: replaces "person" (question_types); "Wer hat die Agentur beauftragt?"
    # asks for whoever commissioned it, so the word must follow "welche …" / "which …"
    "org": re.compile(
        r"\b(welche[mnrs]?|which|what)\s+(\w+\s+)?(firma|firmen|\w*agentur\w*|unternehmen|konzern\w*|company|companies|agency|agencies|firm)\b",
        re.I,
    ),
    "place": re.compile(r"\b(wo|woher|wohin|where|stadt|ort|city|place|from)\b", re.I),
    "example": re.compile(r"\b(beispiel\w*|example\w*)\b", re.I),
}
# What a sentence must contain to hold each kind of answer.
HAS_KIND: dict[str, re.Pattern] = {
    "phone": re.compile(PHONE_NUMBER),
    "email": re.compile(EMAIL_ADDRESS),
    "link": re.compile(WEB_LINK, re.I),
    "amount": re.compile(rf"\d|\b({NUMBER_WORDS_RE})\b", re.I),
    "date": re.compile(
        rf"\b(1\d|20)\d\d\b|\b\d{{1,2}}\.\s*({MONTHS_RE})\b|\b\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}}\b|({WEEKDAYS_RE})|\b({SEASONS_RE})\b", re.I
    ),
    "person": re.compile(r"\b(Dr\.|Prof\.|Minister\w*|Staatssekretär\w*|Landrat|Landrätin|Beauftragte\w*|\w*[Aa]gentur\w*|\w*[Mm]inisterium|[A-ZÄÖÜ][a-zäöüß]+ [A-ZÄÖÜ][a-zäöüß]+(?=[,.:;\s]))"),
    # Only a word that names an organisation as such: two capitalised words ("person") are any
    # German noun phrase, so every sentence would hold the kind "Welche Firma …?" asks for.
    # The word must end in the organisation ("Marketingagentur", "Unternehmens"), not merely hold
    # it: "Unternehmensführung" is no company, "Verlagerung" no publisher.
    "org": re.compile(r"\w*(agentur|firma|firmen|gmbh|unternehmen|konzern|verlag|studio)(en|es|e|s|n)?\b|\b(GmbH|AG|Inc|Ltd)\b", re.I),
    "place": re.compile(r"\b(aus|in|im|nach|auf)\s+[A-ZÄÖÜ][\w-]+|https?://"),
    "example": re.compile(r"\b(beispiel\w*|z\.\s?B\.|etwa|unter anderem|u\.\s?a\.|for example|such as|e\.g\.|including)(?!\w)", re.I),
}
# Narrow kinds: a question naming one of these wants exactly that ("Unter welcher Nummer kann man
# beim Ministerium anrufen?" wants a phone number, not a person), so the other kinds are dropped.
NARROW: dict[str, re.Pattern] = {
    "phone": re.compile(r"\b(telefon\w*|rufnummer|nummer|anruf\w*|anzurufen|phone\w*|hotline)\b", re.I),
    "email": re.compile(r"\b(e-?mail\w*|mailadresse)\b", re.I),
    "link": re.compile(rf"\b({LINK_WORDS}|instagram\w*|youtube\w*)\b", re.I),
}
# A contact entry: a line holding a phone number, an e-mail address or a link.
CONTACT = re.compile(rf"{PHONE_NUMBER}|{EMAIL_ADDRESS}|https?://|www\.", re.I)
TERMINAL = re.compile(r"[.!?…][“”\"»«)]?\s*$")


def question_types(text: str) -> list[str]:
    """The kinds of answer the question asks for; a narrow kind (phone, e-mail, link) alone."""
    narrow = [name for name, pat in NARROW.items() if pat.search(text)]
    if narrow:
        return narrow
    kinds = [name for name, pat in QTYPES.items() if pat.search(text)]
    if "org" in kinds:
        # a company is named by a word such as "Marketingagentur"; the loose person pattern (two
        # capitalised words) holds in nearly every German sentence and would type them all
        kinds = [k for k in kinds if k != "person"]
    return kinds


def header_context(text: str, sentences: Sequence[tuple[int, int]], i: int, lines: int = 2) -> list[int]:
    """Indices of the heading lines a contact entry stands under.

    In a contact block ("Pressekontakt / Ministerium … / Telefon: … / E-Mail: …") the entry line
    holds the number and its headings say whose number it is. Walk back over the entries of the
    same block, then take up to ``lines`` heading lines (no sentence punctuation, no entry).
    """
    j = i - 1
    while j >= 0 and CONTACT.search(text[sentences[j][0] : sentences[j][1]]):
        j -= 1
    out: list[int] = []
    while j >= 0 and len(out) < lines:
        line = text[sentences[j][0] : sentences[j][1]]
        if CONTACT.search(line) or TERMINAL.search(line):
            break
        out.append(j)
        j -= 1
    return out

