"""Which hand rule or tuned weight of the answering stage still pays: one eval set asked once,
answered by the shipped answerer and by one variant per rule with that rule taken out.

Every question is retrieved once; each variant's answerer composes from the same passages (the
reader's probabilities are shared: it reads a given list of sentences once), so a run costs little
more than one eval. Each variant is scored like ``assistant eval`` and printed beside the shipped
answerer: correct / false abstention / abstention recall / citation precision, and how many
answers differ. A rule whose removal costs nothing on the development sets can go.

    python -m evals.ablate --set seed                     # the seed set
    python -m evals.ablate --set xquad --holdout 0.2      # xquad-de, as make eval-xquad
    python -m evals.ablate --squad FILE --questions TSV   # any set assistant eval reads
    python -m evals.ablate --set press --only no_checks,window
    python -m evals.ablate --set seed --patterns          # each compiled pattern never matching (evals/patterns.py)

Development sets only (the seed set, xquad-de and its reworded, English and misspelt versions,
the reader set's and the press dev splits, and the blind sets already read: ``make eval-blinddev``
writes them as one file for ``--questions``): a blind set that chose a rule stops measuring.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import AssistantError
from assistant.read.lexical import Weights
from assistant.records import Answer, Turn

from .metrics import metric_at, summarize
from .run import Report
from .scoring import EvalItem, score

XQUAD = Path(__file__).resolve().parents[2] / "shared" / "bench" / "xquad-de" / "xquad.de.json"
EVALS = Path(__file__).resolve().parent

# name → (settings changed, lexical weights changed): each takes one rule or weight out
VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "no_checks": ({"answer_checks": False}, {}),  # premise.py and docinfo.py: detail, kind, name, the document's own data
    "check_detail": ({"skip_checks": ["detail"]}, {}),  # a number or place of the question no source holds
    "check_document": ({"skip_checks": ["document"]}, {}),  # questions about a document's headline, publisher, date
    "check_kind": ({"skip_checks": ["kind"]}, {}),  # the kind of answer asked for missing from the quotes
    "check_name": ({"skip_checks": ["name"]}, {}),  # a name of the question missing from the quoted documents
    "window": ({}, {"window": 0.0}),  # neighbouring sentences' coverage in a sentence's score
    "qtype": ({}, {"qtype": 0.0}),  # a sentence holding the kind of answer asked for
    "prior": ({}, {"prior": 0.0}),  # the passage's retrieval rank
    "heading": ({}, {"heading": 0.0}),  # the penalty for a headline
    "unknown": ({}, {"unknown": 0.0}),  # weight of question words the index never saw
    "en_margin": ({}, {"en_margin": 0.0}),
    "typed_ratio": ({}, {"typed_ratio": math.inf}),  # a second sentence holding the asked-for kind
    "second_ratio": ({}, {"second_ratio": math.inf}),  # a runner-up sentence quoted beside the best
    "neighbour_gap": ({}, {"neighbour_gap": math.inf}),  # a neighbour quoted for the coverage it adds
    "narrow_conf": ({}, {"narrow_conf": 0.0}),  # the confidence bonus for phone / e-mail / link answers
    "synonym": ({}, {"synonym": 0.0}),  # thesaurus synonyms in a sentence's score
    "dense_passages": ({}, {"dense_passages": 0}),  # English: sentence embeddings of the top passages
}
SETS = {  # --set: what the Makefile's eval targets ask
    "seed": {},
    "xquad": {"squad": XQUAD, "holdout": 0.2},
    "para": {"squad": XQUAD, "holdout": 0.2, "questions": EVALS / "xquad_paraphrase_questions.tsv"},
    "en": {"squad": XQUAD, "holdout": 0.2, "questions": EVALS / "xquad_en_questions.tsv"},
    "typos": {"squad": XQUAD, "holdout": 0.2, "questions": EVALS / "xquad_typo_questions.tsv"},
}


class SharedReader:
    """The reader for all variants: the same sentences for the same question are read once."""

    def __init__(self, scorer):
        self.scorer = scorer
        self.name = scorer.name
        self.threshold = scorer.threshold
        self.rescue_threshold = scorer.rescue_threshold
        self.veto_threshold = scorer.veto_threshold
        self._seen: dict[tuple, np.ndarray] = {}

    def probabilities(self, question: str, previous: str, cands: Sequence) -> np.ndarray:
        key = (question, previous, tuple((c.text, c.passage.chunk.doc.title) for c in cands))
        if key not in self._seen:
            self._seen[key] = self.scorer.probabilities(question, previous, cands)
        return self._seen[key]


class Variants:
    """Stands in for an assistant's answerer: composes with every variant, answers with the first.
    With ``patterns`` each variant but the first composes with the compiled pattern of its name
    switched off (evals/patterns.py)."""

    def __init__(self, answerers: dict[str, Any], patterns: bool = False):
        self.answerers = answerers
        self.first = next(iter(answerers.values()))
        self.last: dict[str, Answer] = {}
        self.patterns = patterns

    def compose(self, question, *args, **kwargs) -> Answer:
        from .patterns import Switchable, fresh

        shipped = next(iter(self.answerers))
        self.last = {}
        for name, a in self.answerers.items():
            if self.patterns:
                Switchable.off = None if name == shipped else name
                fresh(question)
            self.last[name] = a.compose(question, *args, **kwargs)
        if self.patterns:
            Switchable.off = None
            fresh(question)
        return self.last[shipped]

    def __getattr__(self, name: str):  # scorer, thesaurus, dictionary: the shipped answerer's
        return getattr(self.first, name)


def runner(names: Sequence[str], reports: dict[str, Report], patterns: bool = False):
    """A ``Runner`` (evals/run.py) that asks each item once and scores every variant's answer;
    with ``patterns`` the variants are compiled patterns switched off, not ``VARIANTS``."""

    def run(items: Sequence[EvalItem], assistant, progress: bool, meta: dict | None) -> Report:
        from tqdm import tqdm

        from assistant.answer import Answerer

        shipped = assistant.answerer
        scorer = SharedReader(shipped.scorer) if shipped.scorer is not None else None
        answerers = {"shipped": Answerer(assistant.settings, assistant.embedder, scorer=scorer)} if scorer else {"shipped": shipped}
        for name in names:
            changed, weights = ({}, {}) if patterns else VARIANTS[name]
            settings = assistant.settings.model_copy(update=changed)
            answerers[name] = Answerer(settings, assistant.embedder, scorer=scorer, weights=replace(Weights(), **weights))
        variants = Variants(answerers, patterns)
        assistant.answerer = variants
        rows: dict[str, list] = {name: [] for name in answerers}
        for item in tqdm(items, desc="Varianten", unit="Frage", disable=not progress, file=sys.stderr):
            variants.last = {}
            try:
                answer, error = assistant.ask(item.question, history=[Turn(q, a) for q, a in item.history]), ""
            except AssistantError as exc:
                answer, error = Answer(question=item.question, answer=exc.message(item.lang), abstained=True), type(exc).__name__
            for name in answerers:  # not composed (small talk, refused, another language): as shipped
                rows[name].append(score(item, variants.last.get(name, answer), error))
        assistant.answerer = shipped
        for name, r in rows.items():
            reports[name] = Report(meta=dict(meta or {}), metrics=summarize(r), rows=r)
        return reports["shipped"]

    return run


# what each variant is judged by: correct / false abstention / abstention recall / citation precision
MEASURES = ("answer_correctness", "abstention.false_abstention_rate", "abstention.recall", "citation_precision")


def measures(report: Report) -> tuple[float | None, ...]:
    """The report's own metrics (``evals/metrics.py``) that the table shows."""
    return tuple(metric_at(report.metrics, m) for m in MEASURES)


def table(reports: dict[str, Report]) -> str:
    base = reports["shipped"]
    width = max(15, *(len(name) for name in reports))
    lines = [f"{'variant':{width}s}  correct  false_abst  abst_recall  cit_prec  differ  (rule taken out)"]
    for name, rep in reports.items():
        c, fa, ar, cp = measures(rep)  # answerable items in every set: c and fa are never None
        differ = sum(a.answer != b.answer or a.abstained != b.abstained for a, b in zip(base.rows, rep.rows))
        fmt = lambda x: "     –" if x is None else f"{x:6.3f}"  # noqa: E731
        lines.append(f"{name:{width}s}  {c:7.3f}  {fa:10.3f}  {fmt(ar):>11}  {fmt(cp):>8}  {differ:6d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from assistant.settings import Settings, offline_env

    from .run import run_seed_eval, run_squad_eval

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=sorted(SETS), default=None)
    ap.add_argument("--squad", type=Path, default=None)
    ap.add_argument("--holdout", type=float, default=None)
    ap.add_argument("--questions", type=Path, default=None)
    ap.add_argument("--only", default="", help="comma-separated variant names (default: all)")
    ap.add_argument("--patterns", action="store_true", help="variants: each compiled pattern of the answering stage never matching")
    ap.add_argument("--out", type=Path, default=None, help="write the table and each variant's metrics here (JSON)")
    args = ap.parse_args(argv)
    offline_env()
    spec = dict(SETS[args.set]) if args.set else {}
    for key in ("squad", "holdout", "questions"):
        if getattr(args, key) is not None:
            spec[key] = getattr(args, key)
    known = list(VARIANTS)
    if args.patterns:
        from .patterns import install

        known = install()
    names = [n for n in args.only.split(",") if n] or known
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; known: {', '.join(known)}")
    settings, reports = Settings(), {}
    run = runner(names, reports, args.patterns)
    if "squad" in spec:
        run_squad_eval(Path(spec["squad"]), spec.get("holdout", 0.0), settings, questions=spec.get("questions"), runner=run)
    elif "questions" in spec:
        run_seed_eval(settings, items_path=Path(spec["questions"]), runner=run)
    else:
        run_seed_eval(settings, runner=run)
    text = table(reports)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "ablation.txt").write_text(text + "\n", encoding="utf-8")
        summary = {name: dict(zip(MEASURES, measures(r))) for name, r in reports.items()}
        (args.out / "ablation.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
