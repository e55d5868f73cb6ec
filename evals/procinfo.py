"""Small helpers the benchmarks and the test fixtures share: a free loopback port, a line of
``/proc/<pid>/status``, and stopping a child process."""
from __future__ import annotations

import socket
import subprocess
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_kb(pid: int, key: str) -> int | None:
    """A ``VmRSS``/``VmHWM`` line of /proc/<pid>/status in kB; None when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def stop_process(proc: subprocess.Popen, timeout: float) -> None:
    """Terminate ``proc``; kill it when it has not exited after ``timeout`` seconds. Waits for it."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
