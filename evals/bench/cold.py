"""Cold start for ``assistant bench perf``: ``assistant ask`` and ``assistant serve`` as fresh
processes over a benchmark corpus, with their wall time and memory."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from ..procinfo import free_port, status_kb, stop_process


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", *args]


def _env(settings) -> dict[str, str]:
    env = dict(os.environ)
    env["ASSISTANT_DATA_DIR"] = str(settings.data_dir)
    env["ASSISTANT_EMBEDDER"] = settings.embedder
    env["ASSISTANT_CHROMA_URL"] = ""
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def cold_ask(settings, question: str) -> dict:
    """``assistant ask`` as a fresh process: wall time and peak RSS.

    The peak comes from ``/usr/bin/time`` where present: Linux carries a parent's high-water RSS
    into a forked child's ru_maxrss across exec, so ``wait4`` on a child of this (large) process
    would report our own peak, not the child's.
    """
    cmd = _cli("ask", "--json", question)
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        timer = shutil.which("time") or "/usr/bin/time"
        wrapped = [timer, "-f", "%M", "-o", rss_file.name, *cmd] if Path(timer).exists() else cmd
        t0 = time.perf_counter()
        proc = subprocess.run(wrapped, env=_env(settings), capture_output=True)
        wall = time.perf_counter() - t0
        try:
            peak = int(Path(rss_file.name).read_text().split()[-1]) / 1024
        except (OSError, ValueError, IndexError):
            peak = float("nan")
    timings = {}
    try:
        timings = json.loads(proc.stdout.decode().strip().splitlines()[-1]).get("timings_ms", {})
    except (ValueError, IndexError):
        pass
    return {"wall_s": wall, "peak_rss_mb": peak, "ok": proc.returncode == 0, "timings_ms": timings}


def _rss_mb(pid: int, key: str) -> float:
    kb = status_kb(pid, key)
    return kb / 1024 if kb is not None else float("nan")


def cold_serve(settings, timeout: float = 120.0) -> dict:
    """``assistant serve`` until its HTTP port answers; RSS then (VmRSS, VmHWM = peak)."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(_cli("serve", "--port", str(port)), env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = None
    try:
        while time.perf_counter() - t0 < timeout and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    if r.status == 200:
                        ready = time.perf_counter() - t0
                        break
            except OSError:
                time.sleep(0.1)
        # a moment for start-up work that runs after the port opens (e.g. a snapshot warm-up)
        time.sleep(2.0)
        return {"ready_s": ready, "rss_mb": _rss_mb(proc.pid, "VmRSS"), "peak_rss_mb": _rss_mb(proc.pid, "VmHWM")}
    finally:
        stop_process(proc, timeout=10)
