"""The server a benchmark drives: ``assistant serve`` as a subprocess over its own data dir, and
the CPU and memory of its process tree, read from /proc."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.settings import PROJECT_ROOT, Settings

from ..procinfo import free_port, status_kb, stop_process

READY_TIMEOUT_S = 180.0  # model load + Gradio start on a busy 2-core machine
MEMORY_SAMPLE_S = 0.25


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except (OSError, ValueError):
                continue
    return out


def tree_cpu_s(pid: int | None) -> float:
    """User + system CPU seconds used so far by a process tree (from /proc/<pid>/stat)."""
    if not pid:
        return 0.0
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(pid: int) -> float:
    return sum(status_kb(p, "VmRSS") or 0 for p in process_tree(pid)) / 1024


class MemorySampler:
    """Samples the RSS of a process tree in the background; ``peak_mb`` is the highest sum seen."""

    def __init__(self, pid: int | None):
        self.pid = pid
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while self.pid and not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))
            self._stop.wait(MEMORY_SAMPLE_S)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Server:
    url: str
    process: subprocess.Popen | None  # None: an app someone else started (--url)
    log_path: Path | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def stop(self) -> None:
        if self.process:
            stop_process(self.process, timeout=20)


def _assistant_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", *args]


def _server_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ASSISTANT_DATA_DIR"] = str(data_dir)
    env["ASSISTANT_EMBEDDER"] = settings.embedder
    env["ASSISTANT_SEEDS_DIR"] = str(settings.seeds_dir)
    # every simulated user comes from 127.0.0.1: one client to the per-client limits
    for name in ("QUESTIONS_PER_MINUTE", "FEEDBACK_PER_MINUTE", "LOGINS_PER_MINUTE"):
        env.setdefault(f"ASSISTANT_{name}", "1000000")
    # The subprocess imports this checkout's code, whatever the caller's working directory.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def start_server(
    settings: Settings, data_dir: Path, workdir: Path, log: Callable[[str], None], env: dict[str, str] | None = None
) -> Server:
    """``assistant serve`` on a free loopback port over ``data_dir`` (``env``: more variables);
    returns once it answers."""
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log_path = workdir / "server.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            _assistant_cmd("serve", "--host", "127.0.0.1", "--port", str(port)),
            env={**_server_env(settings, data_dir), **(env or {})},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = Server(url, process, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"assistant serve exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            if httpx.get(url + "gradio_api/info", timeout=2).status_code == 200:
                log(f"server ready at {url} (pid {process.pid})")
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"assistant serve not ready after {READY_TIMEOUT_S:.0f} s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def ingest_seeds(settings: Settings, data_dir: Path, log: Callable[[str], None]) -> None:
    """Ingest the seeds into ``data_dir`` in a subprocess (as a user would, before serving)."""
    t0 = time.perf_counter()
    done = subprocess.run(
        _assistant_cmd("ingest", "--quiet"),
        env=_server_env(settings, data_dir),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ingest failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    log(f"seeds ingested into {data_dir} in {time.perf_counter() - t0:.1f} s ({settings.embedder})")
