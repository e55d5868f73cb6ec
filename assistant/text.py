"""Shared German text analysis: lowercase word tokens with Snowball stemming.

Used by BM25 and by the answerer, so "Fördermittel" in a question and "Fördermitteln" in a
document meet as the same term in both places.
"""
from __future__ import annotations

import re
import threading
from datetime import datetime
from functools import lru_cache

_WORD = re.compile(r"\w+", re.UNICODE)
_local = threading.local()  # PyStemmer objects are not thread-safe; one per thread

# Function words and question words: they say nothing about which sentence answers a question.
STOPWORDS = frozenset(
    """aber alle allem allen aller alles als also am an ans auch auf aus bei beim bin bis bist da dabei dadurch
    dafür daher damit dann dar daran darauf darf das dass davon dazu dein deine dem den denen denn der deren des
    dessen die dies diese diesem diesen dieser dieses doch dort du durch ein eine einem einen einer eines er es
    etwa euer eure für gab gibt hat hatte hätte hier hin ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im in ins
    ist ja je jede jedem jeden jeder jedes jetzt kann kein keine können könnte man mehr mit muss nach nicht noch
    nun nur ob oder ohne sehr sein seine seinem seinen seiner seit sich sie sind so soll sollen über um und uns
    unser unter viel viele vom von vor war waren warum was weil welche welchem welchen welcher welches wem wen
    wenn wer werden wessen wann weshalb wieso weswegen wodurch womit wofür wozu worauf worüber wonach wie wieder wieviel wir wird wo woher wohin worden wurde wurden zu zum zur zwischen
    gibt geben sagt sagte bitte eigentlich genau
    a an and are as at be by did do does for from had has have how i in is it its of on or that the their this
    to was were what when where which who whom whose why will with you your can could would should many much""".split()
)


def _stemmer():
    st = getattr(_local, "stemmer", None)
    if st is None:
        from Stemmer import Stemmer

        st = _local.stemmer = Stemmer("german")
    return st


# Longer "words" are pasted junk or an attack (a 1,990-letter word): stemmed, but never cached and
# never spelling-corrected (lexical.py), so neither costs more than reading them. The longest
# German compounds in use (Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz: 63)
# stay below it.
MAX_CACHED_WORD = 64


@lru_cache(maxsize=200_000)
def _stem_cached(word: str) -> str:
    return _stemmer().stemWord(word)


def stem(word: str) -> str:
    return _stem_cached(word) if len(word) <= MAX_CACHED_WORD else _stemmer().stemWord(word)


stem.cache_info = _stem_cached.cache_info  # type: ignore[attr-defined]


@lru_cache(maxsize=1)
def stopword_stems() -> frozenset[str]:
    """The stems of ``STOPWORDS``: what a misspelt function word corrects to ("welhce" -> "welch")."""
    return frozenset(stem(w) for w in STOPWORDS)


_LONG_STOPWORDS = sorted(w for w in STOPWORDS if len(w) >= 4)


def near_stopword(word: str) -> bool:
    """Whether ``word`` is one typing error (a letter added, dropped, changed or two swapped) from
    a function word of four or more letters: "vile" (viele), "jder" (jeder), "einn" (einen)."""
    if len(word) < 3 or word in STOPWORDS:
        return False
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    return process.extractOne(word, _LONG_STOPWORDS, scorer=OSA.distance, score_cutoff=1) is not None


def words(text: str) -> list[str]:
    """Lowercase word tokens (letters and digits)."""
    return _WORD.findall(text.lower())


def analyze(text: str) -> list[str]:
    """Stemmed lowercase tokens, all of them (BM25 lets IDF weigh function words down)."""
    return [stem(w) for w in words(text)]


def related(a: str, b: str) -> bool:
    """Two stems one of which is a compound head or stem of the other: "agentur" ~
    "marketingagentur", "telefonnummer" ~ "telefon". The shorter needs five letters: "burg" would
    meet "hamburg", "info" "informationen"."""
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return len(short) >= 5 and (long_.startswith(short) or long_.endswith(short))


def content_terms(text: str) -> list[str]:
    """Stemmed tokens without stopwords: the words that carry a question's meaning."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


# --- words for numbers and times, shared by the answerer (answer.py) and the checks (premise.py) ---

# Cardinal number words with their values ("fünf Videos" states an amount, "zehn" in a question is 10)
NUMBER_WORDS = {
    "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9,
    "zehn": 10, "elf": 11, "zwölf": 12, "zwanzig": 20, "dreißig": 30, "vierzig": 40, "fünfzig": 50,
    "hundert": 100, "tausend": 1000, "dutzend": 12,
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "twenty": 20, "hundred": 100, "thousand": 1000, "dozen": 12,
}  # fmt: skip
NUMBER_WORDS_RE = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))  # a regex alternation

MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni",
    "Juli", "August", "September", "Oktober", "November", "Dezember",
)  # fmt: skip
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
MONTHS_RE = "|".join(MONTHS)
WEEKDAYS_RE = "montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag"
SEASONS_RE = "frühjahr|frühling|sommer|herbst|winter"


def format_date(value: str, lang: str = "de") -> str:
    """ISO date (or datetime) -> "6. September 2023" ("6 September 2023" in English); other text is
    returned unchanged."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        day = datetime.fromisoformat(value[:10])
    except ValueError:
        return value
    if lang == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"
