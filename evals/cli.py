"""``assistant eval``: run the seed set or a SQuAD benchmark, write the reports, compare a baseline.

The Typer wiring lives in ``assistant/app/cli.py``; this module holds the behaviour so it can be
called (and tested) without the command-line layer.
"""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.settings import Settings

    from .run import Report

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2  # bad input (missing file, invalid fraction): nothing was compared


def default_out_dir(dataset: str, now: datetime | None = None) -> Path:
    """``eval-reports/<dataset>-<timestamp>`` under the working directory: one folder per run."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return Path("eval-reports") / f"{dataset}-{stamp}"


def _print_markdown(md: str) -> None:
    # Rendered with rich on a terminal; piped output stays plain Markdown (e.g. into a PR comment).
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(md))
    else:
        print(md)


def eval_command(
    squad: Path | None,
    holdout: float,
    out: Path | None,
    baseline: Path | None,
    tolerance: float,
    limit: int | None,
    use_index: bool,
    *,
    settings: Settings | None = None,
    progress: bool = True,
    questions: Path | None = None,
) -> int:
    """Run the evaluation, write report.json/.md/.html to ``out`` and print report.md.

    Without ``squad``: the seed questions (or the JSONL set ``questions``), on a temporary index of
    the seeds (``use_index``: on the configured index). With ``squad``: that SQuAD-format file on a
    temporary index, ``holdout`` of its paragraphs left out as unanswerable, ``questions`` its
    questions reworded; ``use_index`` then starts from a copy of the configured data dir
    (development speed only; the original is not written).

    Returns 1 when ``baseline`` is given and a metric dropped by more than ``tolerance``,
    2 when an input is unusable, else 0.
    """
    from assistant.errors import AssistantError
    from assistant.settings import get_settings

    from .baseline import baseline_warnings, changed_questions, compare, load_baseline
    from .report import write_report
    from .run import EvalError

    settings = settings or get_settings()
    try:
        if tolerance < 0:
            raise EvalError(f"--tolerance darf nicht negativ sein, ist aber {tolerance}.")
        # Read the baseline before the run, so a typo in its path fails in a second, not after minutes.
        base = load_baseline(baseline) if baseline is not None else None
        report = _run(squad, holdout, limit, use_index, settings, progress, questions)
        regressions = compare(report, base, tolerance) if base is not None else None
    except EvalError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AssistantError as exc:
        print(f"Fehler: {exc.message('de')}", file=sys.stderr)
        return EXIT_USAGE

    out = Path(out) if out is not None else default_out_dir(report.meta["dataset"])
    warnings = baseline_warnings(report, base) if base is not None else []
    changes = changed_questions(report, base) if base is not None else []
    md = write_report(report, out, regressions, warnings, changes)  # the warnings are in the printed report
    _print_markdown(md)
    print(f"Berichte: {out / 'report.md'}, {out / 'report.html'}, {out / 'report.json'}", file=sys.stderr)
    if regressions:
        print(f"{len(regressions)} Kennzahl(en) schlechter als die Baseline (Toleranz {tolerance}).", file=sys.stderr)
        return EXIT_REGRESSION
    return EXIT_OK


def _run(
    squad: Path | None,
    holdout: float,
    limit: int | None,
    use_index: bool,
    settings: Settings,
    progress: bool,
    questions: Path | None,
) -> Report:
    """The run ``eval_command`` describes: a SQuAD file, or a question set over the seeds."""
    from .run import SEED_ITEMS, run_seed_eval, run_squad_eval

    if squad is not None:
        return run_squad_eval(
            Path(squad),
            holdout,
            settings,
            limit=limit,
            progress=progress,
            prebuilt=Path(settings.data_dir) if use_index else None,
            questions=Path(questions) if questions is not None else None,
        )
    if holdout:
        print("Hinweis: --holdout gilt nur mit --squad und wird ignoriert.", file=sys.stderr)
    # --questions without --squad: another question set over the seed documents (the
    # blind hold-out set, evals/holdout_questions.jsonl, that no tuning has seen)
    items_path = Path(questions) if questions is not None else SEED_ITEMS
    return run_seed_eval(settings, items_path=items_path, limit=limit, use_index=use_index, progress=progress)
