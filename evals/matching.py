"""Matching answers against gold strings, on *normalised* text (see ``normalize``).

The gold data was written by people from the raw files, the assistant quotes the cleaned text,
and the two differ in typography („…“ vs "…", – vs -), number formatting (95.000 vs 95 000) and
case.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from difflib import SequenceMatcher

_QUOTES = str.maketrans(
    {
        **{c: '"' for c in "„“”‟«»〞〟＂″"},
        **{c: "'" for c in "‚‘’‛‹›′`´"},
        **{c: "-" for c in "‐‑‒–—―−﹘﹣－"},
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)
# A thousands separator: one of . , ' or a space between a digit and exactly three digits.
_THOUSANDS = re.compile(r"(?<=\d)[.,' ](?=\d{3}(?!\d))")
# A phone number: starts with 0 or +, digits with spaces, hyphens, slashes or brackets between.
_PHONE = re.compile(r"(?<![\w+])(?:\+|\(?0)[\d ()/-]*\d")
_SPACE = re.compile(r"\s+")


def _join_phone(m: re.Match[str]) -> str:
    digits = re.sub(r"[^\d+]", "", m.group(0))
    # Fewer than 6 digits is a count or a date part ("0 bis 5"), not a phone number.
    return digits if sum(ch.isdigit() for ch in digits) >= 6 else m.group(0)


def normalize(text: str) -> str:
    """Text reduced to what matters for matching answers against gold strings.

    Case-folded (so ß = ss), NFKC (non-breaking and narrow spaces become spaces), typographic
    quotes and dashes mapped to ASCII, whitespace collapsed, thousands separators removed
    (95.000 = 95 000 = 95,000 = 95000) and phone numbers written as bare digits
    ("0211 837-2000" = "0211 8372000"). A decimal comma ("3,5") is left alone.
    """
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    text = _SPACE.sub(" ", text).strip()
    text = _PHONE.sub(_join_phone, text)  # first, so a phone number's groups are not read as thousands
    text = _THOUSANDS.sub("", text)
    return text


def _strip_edges(text: str) -> str:
    # Gold strings sometimes end with a full stop or sit in quotes; the match should not depend on it.
    return text.strip(" .,;:!?\"'()")


def contains(haystack: str, needle: str) -> bool:
    """Whether normalised ``needle`` occurs in normalised ``haystack`` as whole words.

    Whole words, so that gold "5" is not found in "15" and "Rat" not in "Ratten"; an empty
    needle is never contained.
    """
    n = _strip_edges(normalize(needle))
    if not n:
        return False
    h = normalize(haystack)
    left = r"(?<!\w)" if n[0].isalnum() else ""
    right = r"(?!\w)" if n[-1].isalnum() else ""
    return re.search(left + re.escape(n) + right, h) is not None


def overlaps(text: str, evidence: str, min_share: float = 0.5) -> bool:
    """Whether ``text`` holds the gold ``evidence``, allowing for different sentence cuts.

    True when one contains the other (normalised), or when their longest common substring covers
    at least ``min_share`` of the evidence's normalised characters. A text inside the evidence must
    not be a mere fragment ("Euro"): it needs 20 characters or ``min_share`` of the evidence.
    """
    t, e = _strip_edges(normalize(text)), _strip_edges(normalize(evidence))
    if not t or not e:
        return False
    if e in t or (t in e and len(t) >= min(20, min_share * len(e))):
        return True
    m = SequenceMatcher(None, t, e, autojunk=False).find_longest_match(0, len(t), 0, len(e))
    return m.size >= min_share * len(e)


def contains_any(text: str, needles: Iterable[str]) -> bool:
    return any(contains(text, n) for n in needles)


def word_f1(predicted: str, gold: str) -> float:
    """SQuAD's word-overlap F1 of two answers, on normalised text (without SQuAD's English article
    list): how well a short answer agrees with a writer's."""
    p, g = re.findall(r"\w+", normalize(predicted)), re.findall(r"\w+", normalize(gold))
    common = sum((Counter(p) & Counter(g)).values())
    if not common:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)
