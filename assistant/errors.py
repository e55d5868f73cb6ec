"""Errors that reach a person. Each carries a German and an English message written for the
person who hit it; the UI and the CLI show one of them and never a traceback."""
from __future__ import annotations


class AssistantError(Exception):
    """Base class: ``message(lang)`` is what the user sees."""

    def __init__(self, de: str, en: str | None = None):
        super().__init__(de)
        self.de = de
        self.en = en or de

    def message(self, lang: str = "de") -> str:
        return self.en if lang == "en" else self.de


class InputError(AssistantError):
    """The question itself is unusable (empty, blank, not text)."""


class StoreUnavailable(AssistantError):
    """The vector store (e.g. a Chroma server) cannot be reached right now."""


class IndexEmpty(AssistantError):
    """Nothing has been ingested yet."""


class DataDirError(AssistantError):
    """The data directory cannot be written (read-only, full, missing permissions)."""
