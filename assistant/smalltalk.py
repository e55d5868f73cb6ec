"""Greetings, thanks and "what can you do?": a chat's first and last messages.

A citizen who opens the chat with "Hallo" or asks "Was kannst du?" used to be told "Dazu enthalten
die vorliegenden Dokumente leider keine Angaben" — true, but no way to greet anyone or explain the
service. Such a message, when it is the *whole* message (not "Hallo, wann ist der Kreis
beigetreten?", which is a question), is answered without a search: a greeting or the help text
says what the assistant does and which documents it knows; thanks and goodbyes get a short reply.
Recognised by form (a short list of set phrases, German and English), like guard.py's refusals.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from . import wordlist

_I = re.IGNORECASE
_NAME = r"(\s+(assistent\w*|bot|zusammen|there|everyone|all))?"
_PHRASES: dict[str, re.Pattern] = {
    # a list of whole phrases ("moin moin", "guten tag"): a message is only ever matched whole
    "greeting": re.compile("(" + wordlist.alternation("smalltalk-greetings") + ")" + _NAME, _I),
    "thanks": re.compile(
        r"((ok|okay|super|prima|toll)\s+)?(danke(\s*schön|\s+sehr)?|vielen\s+(lieben\s+)?dank|tausend\s+dank|"
        r"thanks?(\s+you)?(\s+(a\s+lot|very\s+much|so\s+much))?|cheers)"
        r"(\s+(für\s+die\s+(antwort|hilfe|auskunft|info\w*)|for\s+(the\s+)?(answer|help|info\w*)))?",
        _I,
    ),
    "bye": re.compile("(" + wordlist.alternation("smalltalk-bye") + ")", _I),
    "help": re.compile(
        r"(hilfe|help|was\s+(kannst\s+du|können\s+sie)(\s+alles)?|wer\s+(bist\s+du|sind\s+sie)|was\s+bist\s+du|"
        r"was\s+machst\s+du|wie\s+funktioniert\s+(das|der\s+assistent|dieser\s+assistent)|wie\s+funktionierst\s+du|"
        r"wie\s+(kannst\s+du|können\s+sie)\s+mir\s+helfen|(was|worüber|wonach)\s+kann\s+ich\s+(dich|sie)\s+(fragen|alles\s+fragen)|"
        r"welche\s+fragen\s+kann\s+ich\s+stellen|what\s+can\s+you\s+do|who\s+are\s+you|what\s+are\s+you|"
        r"how\s+does\s+(this|it)\s+work|what\s+can\s+i\s+ask(\s+you)?|how\s+can\s+you\s+help(\s+me)?)",
        _I,
    ),
}
_POLITE = re.compile(r"^(bitte|please)\s+|\s+(bitte|please)$", _I)
_NOT_WORD = re.compile(r"[^\w\s'-]+")  # punctuation and emoji around the phrase

_REPLIES = {
    "de": {
        "greeting": "Guten Tag! Ich beantworte Fragen zu den vorliegenden Dokumenten und nenne zu jeder "
        "Antwort die Sätze, auf die sie sich stützt, mit Link zum Original. Sie behandeln: {topics}. "
        "Was möchten Sie wissen?",
        "help": "Ich beantworte Fragen zu den vorliegenden Dokumenten: Jede Antwort zitiert die Sätze, auf die "
        "sie sich stützt, mit Dokument, Datum und Link zum Original. Steht etwas nicht in den Dokumenten, "
        "sage ich das, statt zu raten. Sie behandeln: {topics}. Fragen Sie zum Beispiel nach Beträgen, "
        "Daten, Ansprechpersonen oder Zielen der Initiativen, auf Deutsch oder Englisch.",
        "thanks": "Gern geschehen! Fragen Sie gern weiter.",
        "bye": "Auf Wiedersehen!",
    },
    "en": {
        "greeting": "Hello! I answer questions about the documents available to me and show, for every "
        "answer, the sentences it rests on, with a link to the original. They cover: {topics}. "
        "What would you like to know?",
        "help": "I answer questions about the documents available to me: every answer quotes the sentences it "
        "rests on, with the document, its date and a link to the original. When the documents do not say "
        "something, I tell you so instead of guessing. They cover: {topics}. Ask, for example, about "
        "amounts, dates, contacts or the aims of the initiatives, in German or English.",
        "thanks": "You're welcome! Feel free to ask more.",
        "bye": "Goodbye!",
    },
}
_ENGLISH = re.compile(r"\b(" + wordlist.alternation("smalltalk-en") + r")\b", _I)


def smalltalk_kind(question: str) -> str | None:
    """"greeting", "thanks", "bye" or "help" when the whole message is one of these; else None."""
    text = " ".join(_NOT_WORD.sub(" ", question).split())
    text = _POLITE.sub("", text).strip()
    if not text or len(text) > 60:
        return None
    for kind, pattern in _PHRASES.items():
        if pattern.fullmatch(text):
            return kind
    return None


def smalltalk_language(question: str) -> str:
    """'en' for an English phrase ("thanks", "what can you do"), else 'de'. ``detect_language``
    counts function words, and these phrases have few."""
    return "en" if _ENGLISH.search(question) and not re.search(r"hallo|danke|dank|hilfe|tschü|\bdu\b|\bsie\b", question, _I) else "de"


def smalltalk_reply(kind: str, lang: str, titles: Sequence[str], limit: int = 3) -> str:
    """The reply to a message of ``kind`` in ``lang``, naming up to ``limit`` document titles."""
    shown = list(titles)[:limit]
    quote = (lambda t: f"“{t}”") if lang == "en" else (lambda t: f"„{t}“")
    topics = "; ".join(map(quote, shown)) or ("—" if lang == "en" else "–")
    more = len(titles) - len(shown)
    if more > 0:
        topics += f" and {more} more" if lang == "en" else f" und {more} weitere"
    return _REPLIES["en" if lang == "en" else "de"][kind].format(topics=topics)


__all__ = ["smalltalk_kind", "smalltalk_language", "smalltalk_reply"]
