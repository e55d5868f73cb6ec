"""The word lists of ``assistant/wordlists/``: places, languages, months, function words, ….

A list is a plain UTF-8 file, ``<name>.txt``, one word or phrase per line; a line starting with
``#`` is a comment and blank lines are skipped. Keeping the words out of the code lets one file
serve every module that needs the same words (the German months are read by the answer checks,
by ingest's date finder and by the benchmark corpus), and a list can be read and extended without
reading the code around it.

The files are read through ``importlib.resources``, so they are found in an installed package as
in a checkout (pyproject.toml ships them as package data), and each is read once per process.
"""
from __future__ import annotations

import re
from functools import cache
from importlib import resources

FOLDER = "wordlists"  # below the ``assistant`` package


@cache
def _lines(name: str) -> tuple[str, ...]:
    """The entries of list ``name``: its lines without comments, blank lines and outer spaces."""
    path = resources.files(__package__).joinpath(FOLDER, f"{name}.txt")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"no word list {name!r}: {FOLDER}/{name}.txt is missing from the assistant package") from None
    stripped = (line.strip() for line in text.splitlines())
    return tuple(line for line in stripped if line and not line.startswith("#"))


@cache
def words(name: str) -> frozenset[str]:
    """List ``name`` as a set: membership is all its users ask."""
    return frozenset(_lines(name))


def ordered(name: str) -> tuple[str, ...]:
    """List ``name`` in file order: for lists whose order means something (months) or decides a
    regex alternation's or a random choice's result."""
    return _lines(name)


@cache
def pairs(name: str) -> tuple[tuple[str, str], ...]:
    """List ``name`` of ``left = right`` lines, in file order (``dict(pairs(name))`` for a
    mapping); an empty right side is the empty string ("es =" in the English endings)."""
    out = []
    for line in _lines(name):
        left, sep, right = line.partition("=")
        if not sep:
            raise ValueError(f"word list {name!r} ({FOLDER}/{name}.txt): {line!r} has no '='")
        out.append((left.strip(), right.strip()))
    return tuple(out)


@cache
def alternation(name: str) -> str:
    """List ``name`` as a regex alternation in file order, each entry literal and the words of a
    phrase separated by any white space: "press release" gives ``press\\s+release``."""
    return "|".join(r"\s+".join(map(re.escape, phrase.split())) for phrase in _lines(name))


__all__ = ["alternation", "ordered", "pairs", "words"]
