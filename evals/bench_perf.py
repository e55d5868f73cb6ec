"""Benchmark 'perf' (placeholder: filled in by its issue)."""
from __future__ import annotations

from pathlib import Path


def run_perf(settings, out: Path) -> int:
    raise NotImplementedError("bench perf is not implemented yet")
