"""Shared fixtures of the UI tests: the real Assistant over the ingested seeds, the app served once.

Loaded as a plugin (``pytest_plugins = ["ui_fixtures"]`` in each UI test module) rather than
imported, so that the session-scoped fixtures are defined once and the seeds are ingested and the
server started only once per test session, whichever UI test modules run.
"""
from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.question import Question
from assistant.settings import PROJECT_ROOT, Settings, offline_env
from evals.procinfo import free_port  # noqa: F401  (also imported from here by tests)

SEEDS = PROJECT_ROOT / "seeds"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def message_content(message: dict) -> str:
    """A chat message's HTML (gradio_client hands content back as a list of text parts)."""
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content


def asked(question, history=()) -> tuple[str, list]:
    """What an app handed ``Assistant.ask``, for fakes that record their calls: raw text with its
    history, or a ``Question`` that carries its own."""
    if isinstance(question, Question):
        return question.text, list(question.history)
    return question, list(history)


def strip_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


@dataclass
class RunningApp:
    """A launched UI: its URL, settings (for the data dir) and the server handle (``web.Running``)."""

    url: str
    settings: Settings
    app: object


@pytest.fixture(scope="session")
def seeded_settings(seed_index) -> Settings:
    """Settings over the data dir into which conftest's ``seed_index`` ingested the seeds once
    (real embedder, real Chroma on disk), so the UI tests add no second ingest."""
    settings, _assistant = seed_index
    return settings


@pytest.fixture(scope="session")
def seeded_assistant(seed_index):
    _settings, assistant = seed_index
    return assistant


# The staff login of the test servers (the hash is made once per test session: scrypt is slow on purpose).
STAFF_USER = "pruefung"
STAFF_PASSWORD = "richtig-und-lang-genug"


@pytest.fixture(scope="session")
def staff_hash() -> str:
    from assistant.security import hash_password

    return hash_password(STAFF_PASSWORD)


def serving_settings(settings: Settings, staff_hash: str = "", **changes) -> Settings:
    """``settings`` for a test server: every test client comes from 127.0.0.1, so the per-client
    limits are lifted unless a test sets them (their own tests do)."""
    lifted = {"questions_per_minute": 100_000, "feedback_per_minute": 100_000, "logins_per_minute": 100_000}
    return settings.model_copy(update={**lifted, "staff_password_hash": staff_hash, **changes})


def _serve(assistant, settings: Settings) -> Iterator[RunningApp]:
    from assistant.app.web.server import start

    running = start(assistant, settings)
    try:
        yield RunningApp(running.url, settings, running)
    finally:
        running.close()


@pytest.fixture(scope="session")
def ui_server(seeded_assistant, seeded_settings: Settings, staff_hash: str) -> Iterator[RunningApp]:
    """The real app over the ingested seeds, served once per session on a free port, with a staff login."""
    yield from _serve(seeded_assistant, serving_settings(seeded_settings, staff_hash))


@pytest.fixture(scope="session")
def empty_ui_server() -> Iterator[RunningApp]:
    """The real app over a data dir into which nothing has been ingested."""
    offline_env()
    from assistant.pipeline import Assistant

    with tempfile.TemporaryDirectory(prefix="ui-empty-") as data_dir:
        settings = serving_settings(Settings(data_dir=Path(data_dir), seeds_dir=SEEDS))
        yield from _serve(Assistant.from_settings(settings), settings)


@pytest.fixture(scope="session")
def store_down_server() -> Iterator[RunningApp]:
    """The real app configured for a Chroma server that is not running."""
    offline_env()
    from assistant.pipeline import Assistant

    with tempfile.TemporaryDirectory(prefix="ui-down-") as data_dir:
        settings = serving_settings(
            Settings(data_dir=Path(data_dir), seeds_dir=SEEDS, chroma_url=f"http://127.0.0.1:{free_port()}")
        )
        yield from _serve(Assistant.from_settings(settings), settings)
