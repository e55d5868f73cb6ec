"""German synonyms from OpenThesaurus, for ranking answer sentences.

Citizens ask with their own words: "Chefs" for "Führungskräfte", "Pressearbeit" for
"Öffentlichkeitsarbeit", "Firma" for "Unternehmen". No model that reads question and sentence
together ships offline, but OpenThesaurus does, as Debian's ``openthesaurus-de-text`` (LGPL; one
synonym set per line, ``;``-separated, usage notes in parentheses).

Only single words are kept (a phrase can never equal one stemmed term), stemmed like every other
term (text.py), so "Chefs" in a question meets the set holding "Chef". The parsed sets are cached as
JSON next to the index: parsing and stemming 34,000 lines takes ~0.7 s, loading the cache ~0.1 s.
"""
from __future__ import annotations

import logging
import os
import json
import re
import threading
from collections.abc import Iterable
from pathlib import Path

from .text import STOPWORDS, stem

log = logging.getLogger(__name__)

RECIPE = "v1"  # part of the cache key: change it when parsing changes
_NOTE = re.compile(r"\([^)]*\)")  # "(ugs.)", "(veraltet)", "(sich)"
_WORD = re.compile(r"\w+")


class Thesaurus:
    """Synonym sets of stemmed terms. ``synonyms(term)`` is the one method the answerer uses."""

    def __init__(self, groups: list[frozenset[str]]):
        self._groups = groups
        index: dict[str, list[int]] = {}
        for i, g in enumerate(groups):
            for t in g:
                index.setdefault(t, []).append(i)
        self._index = index

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> Thesaurus:
        """Parse OpenThesaurus text lines ("Firma;Unternehmen;Betrieb;Laden (ugs.)")."""
        groups = []
        for line in lines:
            if line.startswith("#"):
                continue
            terms = set()
            for entry in line.rstrip("\n").split(";"):
                w = _NOTE.sub(" ", entry).strip().lower()
                if len(w) >= 3 and _WORD.fullmatch(w) and w not in STOPWORDS and not w.isdigit():
                    terms.add(stem(w))
            if len(terms) > 1:
                groups.append(frozenset(terms))
        return cls(groups)

    def synonyms(self, term: str) -> frozenset[str]:
        """Every term sharing a synonym set with ``term`` (stemmed), without ``term`` itself."""
        ids = self._index.get(term)
        if not ids:
            return frozenset()
        return frozenset().union(*(self._groups[i] for i in ids)) - {term}

    def __len__(self) -> int:
        return len(self._groups)


_loaded: dict[Path, Thesaurus | None] = {}
_lock = threading.Lock()


def load_thesaurus(path: Path | None, cache_dir: Path | None = None) -> Thesaurus | None:
    """The thesaurus at ``path`` (parsed once per process, cached under ``cache_dir``), or None
    when there is none: the answerer then ranks by the question's own words only."""
    if path is None or str(path) in ("", "."):  # ASSISTANT_THESAURUS_PATH="" switches it off
        return None
    path = Path(path)
    with _lock:  # concurrent first questions parse it once
        if path not in _loaded:
            _loaded[path] = _load(path, cache_dir)
        return _loaded[path]


def _load(path: Path, cache_dir: Path | None) -> Thesaurus | None:
    try:
        st = path.stat()
    except OSError:
        log.warning(
            "no thesaurus at %s (Debian package openthesaurus-de-text): answer sentences are ranked "
            "by the question's own words only",
            path,
        )
        return None
    key = f"{RECIPE}-{st.st_size}-{int(st.st_mtime)}"
    cache = cache_dir / "thesaurus" / f"{key}.json" if cache_dir is not None else None
    if cache is not None and cache.exists():
        try:
            return Thesaurus([frozenset(g) for g in json.loads(cache.read_text(encoding="utf-8"))])
        except (OSError, ValueError, TypeError):
            pass  # damaged: parse again and rewrite it
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            thesaurus = Thesaurus.from_lines(f)
    except OSError as e:
        log.warning("thesaurus %s unreadable (%s): answer sentences are ranked without synonyms", path, e)
        return None
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps([sorted(g) for g in thesaurus._groups], ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, cache)  # readers never see a half-written file
            for old in cache.parent.glob("*.json"):
                if old != cache:
                    old.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only data folder only costs the parse at the next start
    return thesaurus
