"""The word lists (assistant/wordlists/) and their loader (assistant/wordlist.py)."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from assistant import wordlist

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "assistant" / wordlist.FOLDER
FILES = sorted(FOLDER.glob("*.txt"))
# A loader call with a literal list name, as every module reads its lists
_CALL = re.compile(r"\b(?:words|ordered|pairs|alternation)\(\s*[\"']([\w-]+)[\"']\s*\)")


def _clear_caches() -> None:
    for f in (wordlist._lines, wordlist.words, wordlist.pairs, wordlist.alternation):
        f.cache_clear()


@pytest.fixture
def lists_in(tmp_path, monkeypatch):
    """Lists read from ``tmp_path/wordlists`` instead of the package's folder."""
    (tmp_path / wordlist.FOLDER).mkdir()
    monkeypatch.setattr(wordlist.resources, "files", lambda package: tmp_path)
    _clear_caches()
    yield tmp_path / wordlist.FOLDER
    _clear_caches()


def test_comments_blank_lines_and_outer_spaces_are_skipped(lists_in):
    (lists_in / "sample.txt").write_text(
        "# a header comment\n#\n\nerstens\n  zweitens  \n\n   # an indented comment\npress release\nerstens\n",
        encoding="utf-8",
    )
    assert wordlist.ordered("sample") == ("erstens", "zweitens", "press release", "erstens")
    assert wordlist.words("sample") == frozenset({"erstens", "zweitens", "press release"})
    assert wordlist.alternation("sample") == r"erstens|zweitens|press\s+release|erstens"


def test_pairs(lists_in):
    (lists_in / "endings.txt").write_text("# ending = replacement\nies = y\nes =\nlower saxony = niedersachsen\n", encoding="utf-8")
    assert wordlist.pairs("endings") == (("ies", "y"), ("es", ""), ("lower saxony", "niedersachsen"))
    (lists_in / "broken.txt").write_text("ies y\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"wordlists/broken\.txt.*'ies y'"):
        wordlist.pairs("broken")


def test_alternation_is_literal(lists_in):
    """Entries are escaped ("$" in money-words is a dollar sign, not the end of the text); a
    phrase's words may be apart by any white space."""
    (lists_in / "signs.txt").write_text("$\nu.a.\nsign language\n", encoding="utf-8")
    pattern = re.compile(wordlist.alternation("signs"))
    assert all(pattern.fullmatch(s) for s in ("$", "u.a.", "sign \t language"))
    assert not any(pattern.fullmatch(s) for s in ("", "uxab", "signlanguage"))


def test_a_missing_list_names_its_file():
    with pytest.raises(FileNotFoundError, match=r"no word list 'no-such-list': wordlists/no-such-list\.txt is missing"):
        wordlist.words("no-such-list")


def test_lists_are_read_once():
    assert wordlist.words("months-de") is wordlist.words("months-de")
    assert wordlist.ordered("months-de") is wordlist.ordered("months-de")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_file_has_a_header_and_no_repeated_entry(path):
    text = path.read_text(encoding="utf-8")
    header = text.split("\n\n", 1)[0]
    assert header.startswith("# ") and all(line.startswith("#") for line in header.splitlines())
    assert "Used by:" in header and "Source:" in header, f"{path.name}: say where the list is used and where it came from"
    entries = wordlist.ordered(path.stem)
    assert entries, path.name
    repeated = sorted({e for e in entries if entries.count(e) > 1})
    assert not repeated, f"{path.name} repeats {repeated}"


def test_every_file_is_read_by_the_code_and_every_name_read_is_a_file():
    """A list no module reads is dead weight; a list name without a file would fail at import."""
    read: set[str] = set()
    for folder in ("assistant", "ingest", "evals", "training"):
        for source in (ROOT / folder).rglob("*.py"):
            read.update(_CALL.findall(source.read_text(encoding="utf-8")))
    files = {p.stem for p in FILES}
    assert files - read == set(), "lists no module reads"
    assert read - files == set(), "lists read but missing"


def test_the_lists_are_package_data():
    """An installed package has them too (they are read with importlib.resources)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["assistant"]
    assert f"{wordlist.FOLDER}/*.txt" in patterns
