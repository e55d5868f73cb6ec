"""The answering stage's compiled patterns, each switchable off, for ``evals.ablate --patterns``.

``install()`` replaces every module-level ``re.Pattern`` of ``MODULES`` (also inside their dicts,
lists and tuples, and where another module imported one by name) with a ``Switchable`` that
behaves like it until ``off`` names it: then it never matches. Patterns compiled per call are not
reached. Caches that keep a pattern's earlier results (a question's kinds, a passage's numbers and
places) are cleared by ``fresh`` before each variant composes.
"""
from __future__ import annotations

import importlib
import re
import sys
from typing import Any

MODULES = ("assistant.premise", "assistant.read.kinds", "assistant.docinfo", "assistant.read.select")


class Switchable:
    """A compiled pattern that never matches while ``Switchable.off`` is its name."""

    off: str | None = None

    def __init__(self, pattern: re.Pattern, name: str):
        self.pattern_obj, self.name = pattern, name

    def __getattr__(self, attr: str) -> Any:  # .pattern, .flags, …
        return getattr(self.pattern_obj, attr)

    def _on(self) -> bool:
        return Switchable.off != self.name

    def search(self, *a, **k):
        return self.pattern_obj.search(*a, **k) if self._on() else None

    def match(self, *a, **k):
        return self.pattern_obj.match(*a, **k) if self._on() else None

    def fullmatch(self, *a, **k):
        return self.pattern_obj.fullmatch(*a, **k) if self._on() else None

    def findall(self, *a, **k):
        return self.pattern_obj.findall(*a, **k) if self._on() else []

    def finditer(self, *a, **k):
        return self.pattern_obj.finditer(*a, **k) if self._on() else iter(())

    def sub(self, repl, string, *a, **k):
        return self.pattern_obj.sub(repl, string, *a, **k) if self._on() else string

    def subn(self, repl, string, *a, **k):
        return self.pattern_obj.subn(repl, string, *a, **k) if self._on() else (string, 0)

    def split(self, string, *a, **k):
        return self.pattern_obj.split(string, *a, **k) if self._on() else [string]


def _wrap(obj: Any, name: str, found: dict[int, Switchable]) -> Any:
    if isinstance(obj, Switchable):  # installed before: found again, so that its name is returned
        return found.setdefault(id(obj.pattern_obj), obj)
    if isinstance(obj, re.Pattern):
        return found.setdefault(id(obj), Switchable(obj, name))
    if isinstance(obj, dict):
        for key in list(obj):
            obj[key] = _wrap(obj[key], f"{name}[{key}]", found)
    elif isinstance(obj, list):
        obj[:] = [_wrap(v, f"{name}[{i}]", found) for i, v in enumerate(obj)]
    elif isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_wrap(v, f"{name}[{i}]", found) for i, v in enumerate(obj))
    return obj


def install() -> list[str]:
    """Make every module-level pattern of ``MODULES`` switchable; their names (``kinds.QTYPES[date]``)."""
    found: dict[int, Switchable] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        short = module_name.rsplit(".", 1)[-1]
        for attr, value in list(vars(module).items()):
            if not attr.startswith("__"):
                setattr(module, attr, _wrap(value, f"{short}.{attr}", found))
    for module_name, module in list(sys.modules.items()):  # imported by name elsewhere
        if module_name.startswith("assistant") and module is not None:
            for attr, value in list(vars(module).items()):
                if isinstance(value, re.Pattern) and id(value) in found:
                    setattr(module, attr, found[id(value)])
    return sorted({s.name for s in found.values()})


def fresh(question: Any) -> None:
    """Forget what earlier variants' patterns left in caches: the question's kinds, the details of passages."""
    from assistant import premise

    premise._details.cache_clear()
    if hasattr(question, "__dict__"):
        question.__dict__.pop("kinds", None)
