"""English question words as the German words of the documents (Ding's German–English dictionary).

An English question over German documents shares almost no word with its answer sentence, so the
answerer could only rank sentences by the multilingual embedder's cosine, which barely separates
the sentences of a passage, and its confidence rested on the passage's cosine alone (on 120 xquad-de
questions asked in English: 66% correct, 18% false abstentions). No translation model ships
offline, but Debian's ``trans-de-en`` does carry Ding's dictionary (TU Chemnitz, GPL; one entry per
line, "German :: English", ``|`` between inflected forms, ``;`` between synonyms, notes in braces,
brackets and parentheses).

Only single words are kept, on both sides, and the German side is stemmed like every other term
(text.py): "agency" gives "agentur", "amt", …; "citizens" gives "burg" (Bürger). The answerer then
scores an English question like a German one, by the share of its words whose translation a
sentence holds (docs/measurements.md, `assistant eval --squad … --questions evals/xquad_en_questions.tsv`:
66% → 79% correct, false abstentions 18% → 10%, held-out questions abstained 65% → 75%).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from . import wordlist
from .text import STOPWORDS, stem
from .wordtable import load_table

RECIPE = "v1"  # part of the cache key: change it when parsing changes
_NOTES = re.compile(r"\{[^}]*\}|\[[^\]]*\]|\([^)]*\)|<[^>]*>")  # {f}, [geol.], (auf der Speisekarte), <Aalmolch>
_WORD = re.compile(r"\w+")
# English inflections the dictionary does not list ("largest", "produced", "citizens"): the word
# is looked up as it is and with these endings replaced.
_ENDINGS = wordlist.pairs("english-endings")


def english_forms(word: str) -> list[str]:
    """``word`` and the base forms it may be an inflection of, as dictionary keys."""
    out = [word]
    for ending, base in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            out.append(word[: -len(ending)] + base)
    return out


class Dictionary:
    """English word -> the stems of its German translations. ``translations(word)`` is the one
    method the answerer uses. Kept as one string per word, like the thesaurus (thesaurus.py)."""

    def __init__(self, table: dict[str, str]):
        self._table = table

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Dictionary:
        """Parse Ding lines ("Aalbestand {m} | Aalbestände {pl} :: eel stock | eel stocks")."""
        found: dict[str, set[str]] = {}
        for line in lines:
            if line.startswith("#") or " :: " not in line:
                continue
            german, english = line.rstrip("\n").split(" :: ", 1)
            de_forms, en_forms = german.split(" | "), english.split(" | ")
            if len(de_forms) != len(en_forms):
                continue  # the forms must pair up
            for de, en in zip(de_forms, en_forms):
                stems = {stem(w) for w in _single_words(de) if w not in STOPWORDS}
                if not stems:
                    continue
                for w in _single_words(en):
                    found.setdefault(w.removeprefix("to "), set()).update(stems)
        return cls({w: " ".join(sorted(s)) for w, s in found.items()})

    def translations(self, word: str) -> frozenset[str]:
        """The German stems ``word`` (lowercase English) may translate to, its inflections
        included; empty when the dictionary does not know it."""
        out: set[str] = set()
        for form in english_forms(word):
            found = self._table.get(form)
            if found:
                out.update(found.split())
        return frozenset(out)

    def __len__(self) -> int:
        """How many English words have translations."""
        return len(self._table)


def _single_words(side: str) -> list[str]:
    """The synonyms of one side of an entry that are a single word of three letters or more
    (an English verb keeps its "to "), lowercase, without the entry's notes."""
    out = []
    for alt in side.split(";"):
        w = _NOTES.sub(" ", alt).strip().lower()
        bare = w.removeprefix("to ")
        if len(bare) >= 3 and _WORD.fullmatch(bare) and not bare.isdigit():
            out.append(w)
    return out


def load_dictionary(path: Path | None, cache_dir: Path | None = None) -> Dictionary | None:
    """The dictionary at ``path`` (parsed once per process, cached under ``cache_dir``), or None
    when there is none: English questions are then ranked by the embedder's cosine alone."""
    return load_table(
        "dictionary",
        path,
        cache_dir,
        RECIPE,
        parse=lambda lines: Dictionary.from_lines(lines)._table,
        wrap=Dictionary,
        missing="no German-English dictionary at %s (Debian package trans-de-en): English questions are "
        "ranked by the embedder's cosine alone",
    )


__all__ = ["Dictionary", "english_forms", "load_dictionary"]
