"""Word tables from a Debian text file, parsed once per machine and cached as JSON.

The German thesaurus (thesaurus.py) and the German–English dictionary (bilingual.py) are both a
table "word → space-separated stems", parsed from a text file that a Debian package installs.
Parsing takes a second or more; the table depends on no corpus, so it is cached in the user's cache
folder (``Settings.cache_dir``), keyed by the file's size and time and by a recipe string that
changes whenever parsing does. Each process loads a table once.

A missing file is not an error: the answerer then works without that table (and a warning says
so). A damaged cache is parsed again; a cache folder that cannot be written only costs the parse
at the next start, and a half-written cache file is removed (a full disk must not keep it).
"""
from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
Table = dict[str, str]

_loaded: dict[tuple[str, Path], object] = {}
_lock = threading.Lock()


def load_table(
    name: str,
    path: Path | str | None,
    cache_dir: Path | None,
    recipe: str,
    parse: Callable[[Iterable[str]], Table],
    wrap: Callable[[Table], T],
    missing: str,
) -> T | None:
    """``wrap(table)`` for the text file at ``path`` (``parse`` turns its lines into the table), or
    None when ``path`` is empty (switched off) or the file is missing (logs ``missing``).

    The result is the same object for every call in a process: concurrent first questions parse
    the file once."""
    if path is None or str(path) in ("", "."):  # an empty setting ("") switches the table off
        return None
    path = Path(path)
    with _lock:
        if (name, path) not in _loaded:
            table = _load(name, path, cache_dir, recipe, parse, missing)
            _loaded[(name, path)] = wrap(table) if table is not None else None
        return _loaded[(name, path)]  # type: ignore[return-value]


def _load(
    name: str, path: Path, cache_dir: Path | None, recipe: str, parse: Callable[[Iterable[str]], Table], missing: str
) -> Table | None:
    try:
        st = path.stat()
    except OSError:
        log.warning(missing, path)
        return None
    cache = cache_dir / name / f"{recipe}-{st.st_size}-{int(st.st_mtime)}.json" if cache_dir is not None else None
    if cache is not None and cache.exists():
        try:
            table = json.loads(cache.read_text(encoding="utf-8"))
            if isinstance(table, dict) and all(isinstance(v, str) for v in table.values()):
                return table
        except (OSError, ValueError):
            pass  # damaged: parse again and rewrite it
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            table = parse(f)
    except OSError as e:
        log.warning("%s %s unreadable (%s): answers are ranked without it", name, path, e)
        return None
    if cache is not None:
        _save(cache, table)
    return table


def _save(cache: Path, table: Table) -> None:
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, cache)  # readers never see a half-written file
        for old in cache.parent.glob("*.json"):
            if old != cache:
                old.unlink(missing_ok=True)
    except OSError:
        # a read-only or full cache folder only costs the parse at the next start; a partly
        # written file must not keep the space it took
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass


def forget_loaded() -> None:
    """Forget the tables this process has loaded: the next ``load_table`` reads the cache (or
    parses the file) again, as a new process would."""
    with _lock:
        _loaded.clear()


__all__ = ["forget_loaded", "load_table"]
