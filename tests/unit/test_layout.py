"""The library and the apps apart, read from the source (no imports run).

The library (every module under ``assistant/`` outside ``assistant/app/``, but for the entry
``assistant/__main__.py``) imports no web or command-line framework and none of the packages
built on it (``ingest``, ``evals``, ``training``, ``assistant.app``) — not at the top, not inside
a function. And the code stays in
pieces a reader can hold: functions of at most MAX_FUNCTION_LINES lines, modules of at most
MAX_MODULE_LINES, over the ``assistant``, ``ingest``, ``evals`` and ``training`` packages.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "assistant"
APP = PACKAGE / "app"
# Top-level names the library must not import: the frameworks, and what is built on the library.
FORBIDDEN = {"typer", "click", "gradio", "gradio_client", "fastapi", "uvicorn", "starlette", "ingest", "evals", "training"}
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400
# The packages whose functions and modules the size check measures.
SIZED = ("assistant", "ingest", "evals", "training")


def _library_modules() -> list[Path]:
    # __main__.py is the command's entry (``python -m assistant``): the one place outside the app
    # that starts it, and never imported by the library
    entry = PACKAGE / "__main__.py"
    return sorted(p for p in PACKAGE.rglob("*.py") if APP not in p.parents and p != entry)


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, relative ones resolved."""
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            # "from . import app" names a module too
            found += [(node.lineno, f"{module}.{a.name}" if not node.module else module) for a in node.names]
    return found


def _forbidden(module: str) -> bool:
    return module.split(".")[0] in FORBIDDEN or module == "assistant.app" or module.startswith("assistant.app.")


def test_the_library_imports_no_app_framework_and_nothing_built_on_it():
    broken = [
        f"{_module_name(path)}:{line} imports {module}"
        for path in _library_modules()
        for line, module in _imported(path)
        if _forbidden(module)
    ]
    assert not broken, "the library must not import these (move the code to assistant/app/):\n" + "\n".join(broken)


def test_the_check_sees_relative_and_late_imports(tmp_path):
    """The check itself: an import inside a function and a relative one are found."""
    (tmp_path / "assistant" / "read").mkdir(parents=True)
    module = tmp_path / "assistant" / "read" / "mod.py"
    module.write_text("def f():\n    import gradio\n    from ..app import cli\n    from .. import app\n    from . import model\n")
    found = [name for _, name in _imported(module, root=tmp_path)]
    assert found == ["gradio", "assistant.app", "assistant.app", "assistant.read.model"]
    assert [_forbidden(name) for name in found] == [True, True, True, False]


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        f"{_module_name(path)}.{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def _sized_modules() -> list[Path]:
    return sorted(p for name in SIZED for p in (ROOT / name).rglob("*.py"))


def test_the_size_check_sees_every_package():
    """A package renamed or emptied must not leave the size check measuring nothing of it."""
    for name in SIZED:
        assert any(p.is_relative_to(ROOT / name) for p in _sized_modules()), f"no modules under {name}/"


@pytest.mark.parametrize("path", _sized_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_functions_and_modules_stay_short(path):
    too_long = _long_functions(path)
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if lines > MAX_MODULE_LINES:
        too_long.append(f"{_module_name(path)}: {lines} lines (at most {MAX_MODULE_LINES})")
    assert not too_long, f"split these (functions at most {MAX_FUNCTION_LINES} lines):\n" + "\n".join(too_long)
