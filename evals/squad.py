"""SQuAD-format benchmarks as evaluation items, indexed through the real ingest pipeline.

Each unique paragraph becomes a document (``p0000`` …) written to a folder and ingested like any
corpus, so the benchmark measures the same code path users get. With a hold-out fraction, that
share of paragraphs (evenly spread: every n-th) is left out of the index and its questions become
unanswerable.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SquadParagraph:
    doc_id: str
    title: str
    context: str


def load_squad(path: Path) -> tuple[list[SquadParagraph], list[dict]]:
    """Paragraphs and eval items (in the seed set's item format) from a SQuAD v1/v2 JSON file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    paragraphs: list[SquadParagraph] = []
    index: dict[str, str] = {}
    items: list[dict] = []
    for article in data["data"]:
        for para in article["paragraphs"]:
            ctx = para["context"]
            if ctx not in index:
                index[ctx] = f"p{len(paragraphs):04d}"
                paragraphs.append(SquadParagraph(index[ctx], article.get("title", ""), ctx))
            doc_id = index[ctx]
            for qa in para["qas"]:
                answers = [a["text"] for a in qa.get("answers", [])]
                item = {
                    "id": str(qa["id"]),
                    "question": qa["question"],
                    # not SQuAD keys: a follow-up's previous turn and the question's language
                    # (training/devset.py writes them)
                    "history": qa.get("history", []),
                    "lang": qa.get("lang", "de"),
                }
                if not answers:  # a SQuAD 2.0 "impossible" question: the paragraph does not answer it
                    items.append({**item, "answerable": False, "gold_doc": doc_id, "category": "impossible"})
                    continue
                start = qa["answers"][0]["answer_start"]
                items.append(
                    {
                        **item,
                        "answerable": True,
                        "gold_answers": sorted(set(answers)),
                        "gold_doc": doc_id,
                        "gold_docs": [doc_id],
                        "gold_evidence": _sentence_around(ctx, start, len(answers[0])),
                        "category": "squad",
                    }
                )
    return paragraphs, items


def _sentence_around(text: str, start: int, length: int) -> str:
    """The sentence of ``text`` that holds the answer span (the gold evidence)."""
    from ingest.sentences import split_sentences

    for a, b in split_sentences(text):
        if a <= start < b:
            return text[a : max(b, min(len(text), start + length))]
    return text[start : start + length]


def held_out(paragraphs: list[SquadParagraph], fraction: float) -> set[str]:
    """Doc ids left out of the index: every n-th paragraph, n = round(1 / fraction)."""
    if fraction <= 0:
        return set()
    step = max(1, round(1 / fraction))
    return {p.doc_id for i, p in enumerate(paragraphs) if i % step == step - 1}


def write_corpus(paragraphs: list[SquadParagraph], folder: Path, exclude: set[str] = frozenset()) -> Path:
    """Write each paragraph as ``<doc_id>.txt`` with a metadata sidecar; returns ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in paragraphs:
        if p.doc_id in exclude:
            continue
        (folder / f"{p.doc_id}.txt").write_text(p.context, encoding="utf-8")
        meta = {"title": p.title.replace("_", " "), "publisher": "XQuAD (Wikipedia)"}
        (folder / f"{p.doc_id}.txt.meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return folder
