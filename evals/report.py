"""Writing a run to disk: ``report.json`` (for machines and baselines), ``report.md`` (for the
terminal and pull requests, ``report_md.py``) and ``report.html`` (for QA: one self-contained file,
no network, ``report_html.py``).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from .baseline import Regression
from .report_html import render_html
from .report_md import render_markdown
from .run import Report

__all__ = ["render_html", "render_markdown", "write_report"]


def write_report(
    report: Report,
    out: Path,
    regressions: Sequence[Regression] | None = None,
    warnings: Sequence[str] = (),
    changes: Sequence[str] = (),
) -> str:
    """Write report.json, report.md and report.html into ``out`` (created); returns the Markdown.
    ``warnings`` say why a comparison with the baseline may be unfair (``baseline.baseline_warnings``),
    ``changes`` how many questions changed against it (``baseline.changed_questions``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = report.to_json()
    if regressions is not None:
        data["regressions"] = [
            {"metric": x.metric, "baseline": x.baseline, "current": x.current, "delta": x.delta} for x in regressions
        ]
    if warnings:
        data["baseline_warnings"] = list(warnings)
    if changes:
        data["baseline_changes"] = list(changes)
    (out / "report.json").write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    md = render_markdown(report, regressions, warnings, changes)
    (out / "report.md").write_text(md, encoding="utf-8")
    (out / "report.html").write_text(render_html(report, regressions, warnings, changes), encoding="utf-8")
    return md
