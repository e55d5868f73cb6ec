"""Benchmark 'load' (placeholder: filled in by its issue)."""
from __future__ import annotations

from pathlib import Path


def run_load(settings, out: Path) -> int:
    raise NotImplementedError("bench load is not implemented yet")
