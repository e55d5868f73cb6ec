"""Shared German text analysis: lowercase word tokens with Snowball stemming.

Used by BM25 and by the answerer, so "Fördermittel" in a question and "Fördermitteln" in a
document meet as the same term in both places.
"""
from __future__ import annotations

import re
import threading
from datetime import datetime
from functools import lru_cache

from . import wordlist

_WORD = re.compile(r"\w+", re.UNICODE)
_local = threading.local()  # PyStemmer objects are not thread-safe; one per thread

# Function words and question words: they say nothing about which sentence answers a question.
STOPWORDS = wordlist.words("stopwords-de") | wordlist.words("stopwords-en")


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
NUMBER_WORDS = {word: int(value) for word, value in wordlist.pairs("number-words")}
NUMBER_WORDS_RE = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))  # a regex alternation

MONTHS = wordlist.ordered("months-de")
MONTHS_EN = wordlist.ordered("months-en")
MONTHS_RE = "|".join(MONTHS)
WEEKDAYS_RE = wordlist.alternation("weekdays-de")
SEASONS_RE = wordlist.alternation("seasons-de")


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
