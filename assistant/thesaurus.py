"""German synonyms from OpenThesaurus, for ranking answer sentences.

Citizens ask with their own words: "Chefs" for "Führungskräfte", "Pressearbeit" for
"Öffentlichkeitsarbeit", "Firma" for "Unternehmen". No model that reads question and sentence
together ships offline, but OpenThesaurus does, as Debian's ``openthesaurus-de-text`` (LGPL; one
synonym set per line, ``;``-separated, usage notes in parentheses).

Only single words are kept (a phrase can never equal one stemmed term), stemmed like every other
term (text.py), so "Chefs" in a question meets the set holding "Chef". Colloquial, vulgar or
dated entries ("(der) Alte (ugs., salopp)" in the set of "Chef") are looked up from a question but
never searched for in the documents: an administration's text does not use them in that sense
("alt" is an everyday adjective there). The parsed table is cached as JSON in the user's cache
folder (``Settings.cache_dir``; it depends on no corpus, and a data dir on a small disk should not
grow by 4 MB on the first question): parsing and stemming 34,000 lines takes ~1.2 s, loading the
cache ~0.05 s.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from . import wordlist
from .text import STOPWORDS, stem
from .wordtable import load_table

RECIPE = "v3"  # part of the cache key: change it when parsing changes
_NOTE = re.compile(r"\([^)]*\)")  # "(ugs.)", "(veraltet)", "(sich)"
_WORD = re.compile(r"\w+")
# Usage notes of words a citizen may say but an administration's text does not mean that way.
# (Measured on xquad-de: correctness +0.001, false abstention -0.001; seed answers unchanged.)
_COLLOQUIAL = re.compile(wordlist.alternation("colloquial-notes"))


class Thesaurus:
    """Stemmed term -> its synonyms. ``synonyms(term)`` is the one method the answerer uses.

    Kept as one string per term (space-separated stems), not as sets: a question looks up a handful
    of terms, and 60,000 small sets cost ~35 MB and ~0.4 s to build at every start.
    """

    def __init__(self, table: dict[str, str]):
        self._table = table

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Thesaurus:
        """Parse OpenThesaurus text lines ("Firma;Unternehmen;Betrieb;Laden (ugs.)")."""
        found: dict[str, set[str]] = {}
        for line in lines:
            if line.startswith("#"):
                continue
            terms, formal = set(), set()
            for entry in line.rstrip("\n").split(";"):
                w = _NOTE.sub(" ", entry).strip().lower()
                if len(w) >= 3 and _WORD.fullmatch(w) and w not in STOPWORDS and not w.isdigit():
                    terms.add(stem(w))
                    if not _COLLOQUIAL.search(" ".join(_NOTE.findall(entry))):
                        formal.add(stem(w))
            if len(terms) > 1:
                for t in terms:  # every word of the set is understood; only formal ones are searched
                    found.setdefault(t, set()).update(formal)
        return cls({t: " ".join(sorted(syn - {t})) for t, syn in found.items() if syn - {t}})

    def synonyms(self, term: str) -> frozenset[str]:
        """Every term sharing a synonym set with ``term`` (stemmed) that a document may use for it,
        without ``term`` itself."""
        syn = self._table.get(term)
        return frozenset(syn.split()) if syn else frozenset()

    def __contains__(self, term: str) -> bool:
        """Whether ``term`` (stemmed) is a German word the thesaurus knows: a word of the question
        the documents lack is then not taken for a typing error ("Rolle" is not a misspelt "wolle")."""
        return term in self._table

    def __len__(self) -> int:
        """How many terms have synonyms."""
        return len(self._table)


def load_thesaurus(path: Path | None, cache_dir: Path | None = None) -> Thesaurus | None:
    """The thesaurus at ``path`` (parsed once per process, cached under ``cache_dir``), or None
    when there is none: the answerer then ranks by the question's own words only."""
    # the stopword list decides which words are kept: a change to it must not read an old cache
    words_key = hashlib.sha1(" ".join(sorted(STOPWORDS)).encode()).hexdigest()[:8]
    return load_table(
        "thesaurus",
        path,
        cache_dir,
        f"{RECIPE}-{words_key}",
        parse=lambda lines: Thesaurus.from_lines(lines)._table,
        wrap=Thesaurus,
        missing="no thesaurus at %s (Debian package openthesaurus-de-text): answer sentences are ranked "
        "by the question's own words only",
    )
