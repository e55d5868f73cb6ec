"""A real ``chroma run`` server for tests: free loopback port, temporary --path, heartbeat wait.

Loaded as a plugin (``pytest_plugins = ["chroma_server"]``) by the tests that need it. The
``ChromaServer`` object can stop and restart the server on the same port and path, which is what
the outage test needs.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from evals.procinfo import free_port, stop_process  # noqa: F401  (free_port also imported from here by tests)

# Next to the interpreter running the tests, so CI's .venv finds its own binary.
CHROMA = Path(sys.executable).parent / "chroma"


class ChromaServer:
    """One ``chroma run`` process; ``stop()`` and ``start()`` keep port and path."""

    def __init__(self, path: Path, port: int | None = None):
        self.path = path
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = path.parent / f"chroma-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def alive(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as resp:
                return resp.status == 200
        except OSError:
            return False

    def start(self, timeout: float = 30.0) -> None:
        if not CHROMA.exists():
            pytest.skip(f"no chroma server binary at {CHROMA} (chromadb not installed in this venv)")
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}; log: {self.log.read_text()[-2000:]}")
            if self.alive():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma run did not answer its heartbeat within {timeout} s; log: {self.log}")

    def __enter__(self) -> ChromaServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is None:
            return
        stop_process(self.proc, timeout=10)
        self.proc = None
        # The port must be free again before a restart binds it.
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory) -> Iterator[ChromaServer]:
    """A real Chroma server shared by the session's server tests (each uses its own collection
    name or data, see the tests)."""
    with ChromaServer(tmp_path_factory.mktemp("chroma-server") / "db") as server:
        yield server


@pytest.fixture(scope="session")
def server_index(chroma_server, real_embedder, tmp_path_factory):
    """The seeds ingested with the real embedder through the server (collection "seeds"):
    (settings, Assistant)."""
    from assistant.pipeline import Assistant
    from assistant.settings import PROJECT_ROOT, Settings
    from ingest.pipeline import ingest_paths

    settings = Settings(
        data_dir=tmp_path_factory.mktemp("server-app"), chroma_url=chroma_server.url, collection="seeds"
    )
    report = ingest_paths([PROJECT_ROOT / "seeds"], settings, embedder=real_embedder, progress=False, log=lambda m: None)
    assert report.ok and len(report.added) == 2
    return settings, Assistant(settings, real_embedder)


@pytest.fixture
def own_chroma_server(tmp_path) -> Iterator[ChromaServer]:
    """A server of its own, for a test that stops and restarts it."""
    with ChromaServer(tmp_path / "chroma-db") as server:
        yield server
