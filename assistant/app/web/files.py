"""Files the web server writes into the data dir: staff exports and Gradio's temp files, each in a
folder only this user may enter (0700), files created with mode 0600, all removed at shutdown.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from assistant.settings import Settings


def private_dir(path: Path) -> Path:
    """``path`` as a folder only this user may enter (0700), made if missing."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` created with mode 0600 (never readable by other users, not even briefly)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding=encoding) as fh:
        fh.write(text)
    return path


def exports_dir(settings: Settings) -> Path:
    """Where the staff app writes exports: a folder of the data dir, removed at shutdown."""
    return Path(settings.data_dir) / "exports"


def remove(*paths: Path) -> None:
    """Remove each of ``paths`` that is there."""
    for p in paths:
        p.unlink(missing_ok=True)


def remove_exports(settings: Settings) -> None:
    """Remove every export copy of this data dir (at shutdown)."""
    shutil.rmtree(exports_dir(settings), ignore_errors=True)
