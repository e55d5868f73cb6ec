"""The reader's training set: German passages, questions in citizens' words, answer spans or "not here".

SQuAD-2.0 style. One record per question (``readerset.jsonl``), one per passage (``passages.jsonl``):

    passage  pid, title, text, source ("law" | "written"), origin, licence, split ("train" | "dev"),
             and for written passages genre and date
    question id, pid, split, question, answerable, answer, answer_start (offset into the passage
             text), style (paraphrase | everyday | typo | english | followup | direct), trap
             (detail | premise | other_body | number, unanswerable only), tempting and
             tempting_start (the passage's most tempting wrong sentence, unanswerable only),
             prev_q / prev_a (the previous turn of a follow-up), batch (which writer wrote it)

``build`` turns the writers' raw files into these two files, repairing what can be repaired
mechanically (whitespace, typographic quotes) and dropping what cannot, and ``check`` states the
invariants the tests hold the data to. The raw files are not kept: the built set, this code and
the writers' instructions (``readerset/instructions/``) are the record. Run:

    python -m training.readerset build RAW_DIR      # writes training/readerset/*.jsonl + stats.json
    python -m training.readerset stats              # prints the statistics of the committed set
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .spans import span_in

ROOT = Path(__file__).resolve().parents[1]
SET_DIR = Path(__file__).resolve().parent / "readerset"
PASSAGES = SET_DIR / "passages.jsonl"
QUESTIONS = SET_DIR / "readerset.jsonl"
STATS = SET_DIR / "stats.json"

STYLES = ("paraphrase", "everyday", "typo", "english", "followup", "direct")
TRAPS = ("detail", "premise", "other_body", "number")
# Unanswerable kinds with no sentence a careless reader would quote (the citizen sets', training/press.py).
OPEN_TRAPS = ("off_topic", "injection")
DEV_SHARE = 0.10  # of the passages, per source: the reader's own development split
# A question this close (rapidfuzz ratio, 0-1, at least as strict as difflib's) to any question of
# an eval set is dropped: the eval sets must keep measuring.
EVAL_SIMILARITY = 0.75
# A question "worded unlike its passage" shares at most this share of its content words with it.
UNLIKE_OVERLAP = 0.5


def eval_question_files() -> list[Path]:
    """Every question set the project measures with (never trained on)."""
    evals = ROOT / "evals"
    files = sorted(evals.glob("*questions*.jsonl")) + sorted(evals.glob("*questions*.tsv"))
    xquad = ROOT.parent / "shared" / "bench" / "xquad-de" / "xquad.de.json"
    return files + ([xquad] if xquad.is_file() else [])


def eval_questions(files: Iterable[Path] | None = None) -> list[str]:
    """The questions (and follow-ups' previous questions) of every eval set."""
    out: list[str] = []
    for path in eval_question_files() if files is None else files:
        if path.suffix == ".jsonl":
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    item = json.loads(line)
                    out.append(item["question"])
                    out.extend(t[0] if isinstance(t, list) else t.get("question", "") for t in item.get("history", []))
        elif path.suffix == ".tsv":
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith("#") and "\t" in line:
                    out.append(line.split("\t", 1)[1].strip())
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            out.extend(qa["question"] for art in data["data"] for p in art["paragraphs"] for qa in p["qas"])
    return [q for q in out if q]


def normalized(text: str) -> str:
    """Lower case, whitespace runs as one space: how questions and spans are compared."""
    return " ".join(text.lower().split())


def near_eval(questions: Sequence[str], evals: Sequence[str], cutoff: float = EVAL_SIMILARITY) -> dict[int, tuple[str, float]]:
    """index -> (closest eval question, similarity) for each question at or above ``cutoff``."""
    from rapidfuzz import fuzz, process

    qs = [normalized(q) for q in questions]
    es = [normalized(e) for e in evals]
    hits: dict[int, tuple[str, float]] = {}
    matrix = process.cdist(qs, es, scorer=fuzz.ratio, score_cutoff=cutoff * 100, workers=-1)
    for i, row in enumerate(matrix):
        j = int(row.argmax())
        if row[j] >= cutoff * 100:
            hits[i] = (evals[j], float(row[j]) / 100)
    return hits


def content_overlap(question: str, passage: str) -> float:
    """Share of the question's content words (stemmed, stopwords out) that occur in the passage."""
    from assistant.text import content_terms

    q = set(content_terms(question))
    if not q:
        return 0.0
    return len(q & set(content_terms(passage))) / len(q)


def dev_pids(passages: Sequence[dict], share: float = DEV_SHARE) -> set[str]:
    """A fixed share of each source's passages, chosen by a hash of the pid (stable under additions)."""
    dev: set[str] = set()
    for source in sorted({p["source"] for p in passages}):
        pids = sorted((p["pid"] for p in passages if p["source"] == source), key=lambda x: hashlib.sha1(x.encode()).hexdigest())
        dev.update(pids[: round(share * len(pids))])
    return dev


# --------------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------------


@dataclass
class BuildLog:
    read: int = 0
    kept: int = 0
    dropped: Counter | None = None

    def drop(self, why: str) -> None:
        self.dropped = self.dropped or Counter()
        self.dropped[why] += 1


def _read_jsonl(path: Path, log: BuildLog | None = None) -> list[dict]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if log is not None:
                log.drop("line is not JSON")
    return rows


def written_passages(raw_dir: Path, pattern: str = "written_w*.jsonl", source: str = "written") -> list[dict]:
    """The passage writers' files ``pattern`` in ``raw_dir`` as passage records of ``source``."""
    out = []
    for path in sorted(Path(raw_dir).glob(pattern)):
        for p in _read_jsonl(path):
            body = (p.get("body") or "").strip()
            if not body or not p.get("pid"):
                continue
            out.append({
                "pid": p["pid"],
                "title": (p.get("title") or "").strip(),
                "text": body,
                "source": source,
                "genre": p.get("genre", ""),
                "date": p.get("date", ""),
                # a passage taken from an openly licensed source names it and its licence
                "origin": p.get("origin") or f"written for this set ({path.stem.split('_')[-1]})",
                "licence": p.get("licence") or "CC0 1.0 (written by the project; fictional)",
            })
    return out


def build(raw_dir: Path) -> dict:
    """Merge the law passages (``passages_law.jsonl`` from ``training.lawtext``), the written passages
    and the writers' question files of ``raw_dir``."""
    passages = _read_jsonl(raw_dir / "passages_law.jsonl")
    passages += written_passages(raw_dir)
    by_pid = {p["pid"]: p for p in passages}
    if len(by_pid) != len(passages):
        raise SystemExit("duplicate passage ids")
    log = BuildLog()
    items = read_questions(sorted(raw_dir.glob("q_*.jsonl")), by_pid, log)
    used = {it["pid"] for it in items}
    passages = [p for p in passages if p["pid"] in used]
    dev = dev_pids(passages)
    for p in passages:
        p["split"] = "dev" if p["pid"] in dev else "train"
    for n, it in enumerate(items):
        it["id"] = f"rs{n:05d}"
        it["split"] = by_pid[it["pid"]]["split"]
    log.kept = len(items)
    SET_DIR.mkdir(parents=True, exist_ok=True)
    _write_jsonl(PASSAGES, passages)
    _write_jsonl(QUESTIONS, [{"id": it.pop("id"), **it} for it in items])
    stats = statistics(passages, items)
    stats["build"] = {"raw_questions": log.read, "kept": log.kept, "dropped": dict(sorted((log.dropped or {}).items()))}
    STATS.write_text(json.dumps(stats, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return stats


def read_questions(paths: Iterable[Path], by_pid: dict[str, dict], log: BuildLog,
                   measuring: dict[str, Sequence[str]] | None = None) -> list[dict]:  # fmt: skip
    """The writers' questions of ``paths`` (``q_BATCH.jsonl``) as checked items: spans located in
    their passage, duplicates and near-copies of any eval question dropped (counted in ``log``), and
    near-copies of the questions of ``measuring`` (what they are → its questions), too."""
    items: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for path in paths:
        batch = path.stem[2:]
        for raw in _read_jsonl(path, log):
            log.read += 1
            item = _item(raw, by_pid, batch, log)
            if item is None:
                continue
            key = (item["pid"], normalized(item["question"]))
            if key in seen:
                log.drop("duplicate question on the same passage")
                continue
            seen.add(key)
            items.append(item)
    for what, questions in {"an eval question": eval_questions(), **(measuring or {})}.items():
        near = near_eval([it["question"] for it in items], questions)
        for _ in near:
            log.drop(f"within {EVAL_SIMILARITY} of {what}")
        items = [it for i, it in enumerate(items) if i not in near]
    return items


def _item(raw: dict, by_pid: dict[str, dict], batch: str, log: BuildLog) -> dict | None:
    passage = by_pid.get(raw.get("pid", ""))
    question = " ".join(str(raw.get("q") or raw.get("question") or "").split())
    if passage is None:
        log.drop("unknown passage id")
        return None
    if len(question) < 8:
        log.drop("no question")
        return None
    text = passage["text"]
    style = raw.get("style") if raw.get("style") in STYLES else None
    if style is None:
        log.drop("unknown style")
        return None
    item = {
        "pid": passage["pid"], "question": question, "answerable": raw.get("answer") is not None,
        "answer": None, "answer_start": None, "style": style, "trap": None, "tempting": None,
        "tempting_start": None, "prev_q": None, "prev_a": None, "batch": batch,
    }
    if item["answerable"]:
        span = span_in(str(raw["answer"]), text)
        if span is None:
            log.drop("answer not verbatim in the passage")
            return None
        item["answer"], item["answer_start"] = span
    else:
        if raw.get("trap") not in TRAPS + OPEN_TRAPS:
            log.drop("unanswerable without a known trap")
            return None
        item["trap"] = raw["trap"]
        if item["trap"] not in OPEN_TRAPS:
            span = span_in(str(raw.get("tempting") or ""), text)
            if span is None:
                log.drop("tempting sentence not verbatim in the passage")
                return None
            item["tempting"], item["tempting_start"] = span
    if style == "followup":
        prev_q = " ".join(str(raw.get("prev_q") or "").split())
        prev = span_in(str(raw.get("prev_a") or ""), text)
        if not prev_q or prev is None:
            log.drop("follow-up without a usable previous turn")
            return None
        if item["answerable"] and prev[0] == item["answer"]:
            log.drop("follow-up with its previous turn's answer")
            return None
        item["prev_q"], item["prev_a"] = prev_q, prev[0]
    return item


def _write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------------
# Load, statistics, invariants
# --------------------------------------------------------------------------------------------


def load(split: str | None = None) -> tuple[dict[str, dict], list[dict]]:
    """(passages by pid, questions) of the committed set, optionally of one split."""
    passages = {p["pid"]: p for p in _read_jsonl(PASSAGES)}
    items = _read_jsonl(QUESTIONS)
    if split is not None:
        items = [it for it in items if it["split"] == split]
    return passages, items


def statistics(passages: Sequence[dict], items: Sequence[dict]) -> dict:
    """Counts and shares the datasheet reports (and the tests hold)."""
    from assistant.language import detect_language

    by_pid = {p["pid"]: p for p in passages}
    answerable = [it for it in items if it["answerable"]]
    overlaps = [content_overlap(it["question"], by_pid[it["pid"]]["text"]) for it in items]
    lang = Counter(detect_language(it["question"]) for it in items)

    def share(n: int, d: int) -> float:
        return round(n / d, 3) if d else 0.0

    split_counts = {
        s: {
            "passages": sum(p["split"] == s for p in passages),
            "answerable": sum(it["split"] == s and it["answerable"] for it in items),
            "unanswerable": sum(it["split"] == s and not it["answerable"] for it in items),
        }
        for s in ("train", "dev")
    }
    return {
        "passages": len(passages),
        "passages_by_source": dict(Counter(p["source"] for p in passages)),
        "questions": len(items),
        "answerable": len(answerable),
        "unanswerable": len(items) - len(answerable),
        "splits": split_counts,
        "style": dict(Counter(it["style"] for it in items).most_common()),
        "trap": dict(Counter(it["trap"] for it in items if not it["answerable"]).most_common()),
        "detected_language": dict(lang.most_common()),
        "share_english_detected": share(lang.get("en", 0), len(items)),
        "followups": sum(it["prev_q"] is not None for it in items),
        "content_overlap_mean": round(sum(overlaps) / len(overlaps), 3) if overlaps else 0.0,
        "share_worded_unlike_passage": share(sum(o <= UNLIKE_OVERLAP for o in overlaps), len(items)),
        "answer_words_median": sorted(len(it["answer"].split()) for it in answerable)[len(answerable) // 2] if answerable else 0,
        "by_source": {
            src: {
                "questions": sum(by_pid[it["pid"]]["source"] == src for it in items),
                "share_worded_unlike_passage": share(
                    sum(o <= UNLIKE_OVERLAP for o, it in zip(overlaps, items) if by_pid[it["pid"]]["source"] == src),
                    sum(by_pid[it["pid"]]["source"] == src for it in items),
                ),
            }
            for src in sorted({p["source"] for p in passages})
        },
    }


def problems(passages: dict[str, dict], items: Sequence[dict]) -> list[str]:
    """Every broken invariant of the set, as a readable line (empty when the set is sound)."""
    out = []
    ids = Counter(it["id"] for it in items)
    out += [f"{i}: id used {n} times" for i, n in ids.items() if n > 1]
    for it in items:
        p = passages.get(it["pid"])
        if p is None:
            out.append(f"{it['id']}: unknown passage {it['pid']}")
            continue
        text = p["text"]
        if it["split"] != p["split"]:
            out.append(f"{it['id']}: split {it['split']} but its passage is {p['split']}")
        if it["answerable"]:
            a, s = it["answer"], it["answer_start"]
            if not a or text[s : s + len(a)] != a:
                out.append(f"{it['id']}: answer not at answer_start")
            if it["trap"] or it["tempting"]:
                out.append(f"{it['id']}: answerable with a trap")
        else:
            if it["answer"] is not None or it["trap"] not in TRAPS + OPEN_TRAPS:
                out.append(f"{it['id']}: unanswerable needs answer null and a known trap")
            t, s = it["tempting"], it["tempting_start"]
            if it["trap"] in OPEN_TRAPS:
                if t is not None:
                    out.append(f"{it['id']}: {it['trap']} with a tempting sentence")
            elif not t or text[s : s + len(t)] != t:
                out.append(f"{it['id']}: tempting sentence not at tempting_start")
        if it["style"] not in STYLES:
            out.append(f"{it['id']}: unknown style {it['style']}")
        if (it["style"] == "followup") != (it["prev_q"] is not None):
            out.append(f"{it['id']}: follow-up and previous turn disagree")
        if it["prev_a"] is not None and it["prev_a"] not in text:
            out.append(f"{it['id']}: previous answer not in the passage")
    return out


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["build"] and len(argv) == 2:
        stats = build(Path(argv[1]))
    elif argv[:1] == ["stats"]:
        passages, items = load()
        stats = statistics(list(passages.values()), items)
    else:
        raise SystemExit(__doc__)
    print(json.dumps(stats, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
