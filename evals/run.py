"""Running an evaluation: every question goes through ``Assistant.ask`` (the chat's code path).

Two sources of questions:

* the seed set (``evals/seed_questions.jsonl`` over ``seeds/``), by default on a temporary index
  built from the seeds, so a run does not depend on what the user has ingested;
* a SQuAD-format benchmark (e.g. XQuAD-de): its paragraphs are ingested into a temporary data
  dir — never the user's index — and a hold-out share of paragraphs is left out so that their
  questions test abstention.

``baseline.compare`` checks a run against a saved ``report.json`` (the baseline).
"""
from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError
from assistant.records import Answer, Turn

from .metrics import summarize
from .packages import packages_meta
from .scoring import EvalItem, EvalRow, score

if TYPE_CHECKING:
    from assistant.embeddings import Embedder
    from assistant.pipeline import Assistant
    from assistant.settings import Settings

SEED_ITEMS = Path(__file__).resolve().parent / "seed_questions.jsonl"
HELD_OUT = "held-out"


class EvalError(Exception):
    """A run cannot start or its input is unusable; the message says which value and why."""


@dataclass
class Report:
    """One evaluation run: what was run on what (``meta``), the metrics and every scored row."""

    meta: dict[str, Any]
    metrics: dict[str, Any]
    rows: list[EvalRow]

    @property
    def failed(self) -> list[EvalRow]:
        return [r for r in self.rows if r.failure]

    def to_json(self) -> dict[str, Any]:
        return {"meta": self.meta, "metrics": self.metrics, "rows": [r.to_json() for r in self.rows]}


# --------------------------------------------------------------------------------------------
# Items
# --------------------------------------------------------------------------------------------


def load_items(path: Path = SEED_ITEMS) -> list[EvalItem]:
    """Eval items from a JSONL file in the seed-set format."""
    path = Path(path)
    if not path.is_file():
        raise EvalError(f"Fragenliste {path} nicht gefunden.")
    items = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(EvalItem.from_json(json.loads(line)))
        except (json.JSONDecodeError, ValueError) as exc:
            raise EvalError(f"{path}:{lineno}: ungültige Zeile ({exc}).") from exc
    return items


def _limited(items: list[EvalItem], limit: int | None) -> list[EvalItem]:
    if limit is None:
        return items
    if limit < 1:
        raise EvalError(f"--limit muss mindestens 1 sein, ist aber {limit}.")
    return items[:limit]


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def run_eval(items: Sequence[EvalItem], assistant: Assistant, progress: bool = True, meta: dict | None = None) -> Report:
    """Ask every item through ``assistant.ask`` (with its history) and score the answers."""
    from tqdm import tqdm

    t0 = time.perf_counter()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rows: list[EvalRow] = []
    for item in tqdm(items, desc="Evaluation", unit="Frage", disable=not progress, file=sys.stderr):
        history = [Turn(q, a) for q, a in item.history]
        try:
            answer = assistant.ask(item.question, history=history)
            error = ""
        except AssistantError as exc:
            # What a person would see (e.g. a blank question): it counts as not answering.
            answer = Answer(question=item.question, answer=exc.message(item.lang), abstained=True)
            error = f"{type(exc).__name__}: {exc.message('en')}"
        rows.append(score(item, answer, error))
    s = assistant.settings
    info = {
        "started_at": started,
        "duration_s": round(time.perf_counter() - t0, 2),
        "items": len(items),
        "documents": len(assistant.documents()),
        "settings": {
            "embedder": s.embedder,
            "top_k": s.top_k,
            "dense_k": s.dense_k,
            "bm25_k": s.bm25_k,
            "rrf_k": s.rrf_k,
            "rrf_dense_weight": s.rrf_dense_weight,
            "abstain_threshold": s.abstain_threshold,
            "max_answer_sentences": s.max_answer_sentences,
            "chunk_chars": s.chunk_chars,
            # German synonyms change which sentences are chosen: a run without them is not comparable
            "thesaurus": f"{len(th)} Wörter mit Synonymen" if (th := assistant.answerer.thesaurus) else "aus",
            # ... and the dictionary which sentences answer an English question
            "dictionary": f"{len(d)} englische Wörter" if (d := assistant.answerer.dictionary) else "aus",
            # the reader (its checksum names the weights), its role, how many sentences it reads and
            # how far it looks for the kind of answer asked for, or the lexical fallback
            "reader": f"an ({sc.name} {sc.sha256[:12]}, {s.reader_role}{f', top {s.reader_top}' if s.reader_top else ''}"
            f"{f', kind_reach {s.kind_reach}' if s.kind_reach else ''})"
            if (sc := assistant.answerer.scorer) is not None and hasattr(sc, "sha256") else "aus",
        },
        # the same code measures other numbers under other releases (evals/packages.py)
        "packages": packages_meta(),
    }
    return Report(meta={**(meta or {}), **info}, metrics=summarize(rows), rows=rows)


# asks the items of an eval set and scores the answers: run_eval, or a stand-in for it
Runner = Callable[[Sequence[EvalItem], "Assistant", bool, "dict | None"], Report]


@contextmanager
def _temporary_settings(settings: Settings, prebuilt: Path | None = None) -> Iterator[Settings]:
    """Settings whose data dir is a fresh temporary folder (removed afterwards).

    ``chroma_url`` is cleared: a configured Chroma server is the user's index and must not receive
    the eval corpus. With ``prebuilt``, the folder starts as a *copy* of that data dir.
    """
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as tmp:
        data_dir = Path(tmp) / "data"
        if prebuilt is not None:
            if settings.chroma_url:
                raise EvalError(
                    "--squad --use-index kopiert einen eingebetteten Index; mit ASSISTANT_CHROMA_URL "
                    "(Server-Modus) gibt es keinen lokalen Index zum Kopieren. Ohne --use-index ausführen."
                )
            if not (Path(prebuilt) / "chroma").is_dir():
                raise EvalError(f"{prebuilt} enthält keinen Index (kein Ordner 'chroma').")
            shutil.copytree(prebuilt, data_dir)
        yield settings.model_copy(update={"data_dir": data_dir, "chroma_url": "", "chroma_token": ""})


def _ingest(folder: Path, settings: Settings, embedder: Embedder, progress: bool) -> dict[str, Any]:
    from ingest.pipeline import ingest_paths

    report = ingest_paths([folder], settings, embedder=embedder, progress=progress)
    if not report.ok:
        raise EvalError(f"Aus {folder} konnte nichts erfasst werden: {report.skipped[:5]}")
    return {
        "summary": report.summary(),
        "added": len(report.added) + len(report.updated),
        "unchanged": len(report.unchanged),
        "skipped": [list(s) for s in report.skipped],
    }


def run_seed_eval(
    settings: Settings,
    *,
    items_path: Path = SEED_ITEMS,
    limit: int | None = None,
    use_index: bool = False,
    progress: bool = True,
    embedder: Embedder | None = None,
    runner: Runner | None = None,
) -> Report:
    """The seed set. Default: on a temporary index of ``settings.seeds_dir`` (reproducible);
    ``use_index=True`` asks the user's existing index instead (whatever it holds). ``runner``
    asks the items instead of ``run_eval`` (``evals/ablate.py``: several answerers at once)."""
    runner = runner or run_eval
    from assistant.embeddings import make_embedder
    from assistant.pipeline import Assistant

    items = _limited(load_items(items_path), limit)
    embedder = embedder or make_embedder(settings)
    meta: dict[str, Any] = {"dataset": "seed", "source": str(items_path)}
    if use_index:
        assistant = Assistant(settings, embedder)
        # The document registry, not is_empty(): that builds the BM25 index, which fails on no chunks.
        if not assistant.documents():
            raise EvalError(
                f"Der Index in {settings.chroma_url or settings.data_dir} ist leer. Ohne --use-index wird ein temporärer Index aus "
                f"{settings.seeds_dir} gebaut."
            )
        meta["index"] = str(settings.chroma_url or settings.data_dir)
        return _with_gold_check(runner(items, assistant, progress, meta), items, assistant)
    if not Path(settings.seeds_dir).is_dir():
        raise EvalError(f"Der Seed-Ordner {settings.seeds_dir} existiert nicht (ASSISTANT_SEEDS_DIR).")
    with _temporary_settings(settings) as tmp_settings:
        meta["index"] = "temporary"
        meta["corpus"] = str(settings.seeds_dir)
        meta["ingest"] = _ingest(Path(settings.seeds_dir), tmp_settings, embedder, progress)
        assistant = Assistant(tmp_settings, embedder)
        return _with_gold_check(runner(items, assistant, progress, meta), items, assistant)


def _with_gold_check(report: Report, items: Sequence[EvalItem], assistant: Assistant) -> Report:
    """Note gold documents that are not in the index: their questions cannot be answered there."""
    indexed = {d["doc_id"] for d in assistant.documents()}
    report.meta["missing_gold_docs"] = sorted({d for it in items if it.answerable for d in it.gold_docs} - indexed)
    return report


def squad_items(path: Path, holdout: float, questions: Path | None = None) -> tuple[list, list[EvalItem], set[str]]:
    """Paragraphs, items and held-out doc ids of a SQuAD file; held-out questions become unanswerable.

    ``questions`` (a file of "id<TAB>question" lines, "#" comments): only those items, asked with
    that wording, e.g. ``evals/xquad_en_questions.tsv``, xquad-de's questions asked in English."""
    from assistant.language import detect_language

    from .squad import held_out, load_squad

    path = Path(path)
    if not path.is_file():
        raise EvalError(f"SQuAD-Datei {path} nicht gefunden.")
    if not 0 <= holdout < 1:
        raise EvalError(f"--holdout muss zwischen 0 und 1 liegen (z. B. 0.2), ist aber {holdout}.")
    try:
        paragraphs, raw_items = load_squad(path)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise EvalError(f"{path} ist keine SQuAD-JSON-Datei ({type(exc).__name__}: {exc}).") from exc
    excluded = held_out(paragraphs, holdout)
    asked = read_question_file(questions) if questions is not None else None
    if asked is not None:
        unknown = sorted(set(asked) - {raw["id"] for raw in raw_items})
        if unknown:
            raise EvalError(f"{questions}: {len(unknown)} IDs stehen nicht in {path} (z. B. {unknown[:3]}).")
    items = []
    for raw in raw_items:
        if asked is not None:
            if raw["id"] not in asked:
                continue
            raw = {**raw, "question": asked[raw["id"]], "lang": detect_language(asked[raw["id"]])}
        if raw["gold_doc"] in excluded:
            raw = {**raw, "answerable": False, "category": HELD_OUT}
        items.append(EvalItem.from_json(raw))
    return paragraphs, items, excluded


def read_question_file(path: Path) -> dict[str, str]:
    """id -> question from "id<TAB>question" lines."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalError(f"Fragendatei {path} nicht lesbar ({exc}).") from exc
    asked = {}
    for n, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        qid, sep, question = line.partition("\t")
        if not sep or not question.strip():
            raise EvalError(f"{path}, Zeile {n}: erwartet wird „ID<Tab>Frage“.")
        asked[qid.strip()] = question.strip()
    return asked


def run_squad_eval(
    path: Path,
    holdout: float,
    settings: Settings,
    *,
    limit: int | None = None,
    progress: bool = True,
    embedder: Embedder | None = None,
    prebuilt: Path | None = None,
    questions: Path | None = None,
    runner: Runner | None = None,
) -> Report:
    """A SQuAD-format benchmark on a temporary index of its unique paragraphs.

    ``holdout`` (0 ≤ h < 1): every round(1/h)-th paragraph is not indexed; its questions are
    unanswerable (category "held-out"). ``limit`` cuts the questions, not the corpus; ``questions``
    asks a subset in other words (see ``squad_items``).
    ``prebuilt`` (development speed only): start from a *copy* of that data dir; the idempotent
    ingest then brings the copy in line with the corpus, and it must hold no other documents.
    ``runner``: as in ``run_seed_eval``.
    """
    from assistant.embeddings import make_embedder
    from assistant.pipeline import Assistant

    from .squad import write_corpus

    paragraphs, items, excluded = squad_items(path, holdout, questions)
    items = _limited(items, limit)
    embedder = embedder or make_embedder(settings)
    meta: dict[str, Any] = {
        "dataset": "squad",
        "source": str(path),
        "holdout": holdout,
        "paragraphs": len(paragraphs),
        "held_out_paragraphs": len(excluded),
        **({"questions": str(questions)} if questions is not None else {}),
        "index": "temporary" if prebuilt is None else f"temporary copy of {prebuilt}",
    }
    with _temporary_settings(settings, prebuilt) as tmp_settings:
        corpus = write_corpus(paragraphs, tmp_settings.data_dir.parent / "corpus", excluded)
        meta["ingest"] = _ingest(corpus, tmp_settings, embedder, progress)
        assistant = Assistant(tmp_settings, embedder)
        indexed = {d["doc_id"] for d in assistant.documents()}
        expected = {p.doc_id for p in paragraphs} - excluded
        if indexed != expected:
            extra, missing = sorted(indexed - expected), sorted(expected - indexed)
            raise EvalError(
                f"Der Index enthält nicht genau die {len(expected)} Absätze von {path}: "
                f"{len(extra)} fremde (z. B. {extra[:3]}), {len(missing)} fehlende (z. B. {missing[:3]})."
            )
        return (runner or run_eval)(items, assistant, progress, meta)


__all__ = [
    "EvalError",
    "Report",
    "load_items",
    "run_eval",
    "run_seed_eval",
    "run_squad_eval",
    "squad_items",
]
