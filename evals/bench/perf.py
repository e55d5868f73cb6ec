"""``assistant bench perf``: ingest throughput, query latency at 1k/10k/100k chunks, cold start, and
the same queries through a plain LangChain quickstart — printed as a table and written to bench.json.

Numbers, not tests: nothing here asserts a time. The speed targets are reported as met or not.
How the large corpora are built (without embedding 100,000 chunks): see ``evals/bench/corpus.py``.
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .cold import cold_ask, cold_serve
from .corpus import QUERY_PARAGRAPHS, RECIPE, build_corpus, build_pool, filler_sentences
from .perf_table import print_table, targets_met

_XQUAD = Path("shared") / "bench" / "xquad-de" / "xquad.de.json"


def default_squad() -> Path:
    """xquad-de beside the repository (``../shared``), as in the Makefile; else beside the cwd."""
    for base in (Path(__file__).resolve().parents[3], Path.cwd().parent):
        if (base / _XQUAD).exists():
            return base / _XQUAD
    return Path("..") / _XQUAD


SECTIONS = ("ingest", "query", "langchain", "cold")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _pct(xs: list[float]) -> dict[str, float]:
    a = np.asarray(xs, dtype=float)
    if a.size == 0:
        return {"p50": float("nan"), "p95": float("nan"), "mean": float("nan")}
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)), "mean": float(a.mean())}


def query_items(squad_file: Path, n: int, seed: int = 3) -> list[dict]:
    """``n`` xquad questions of the first ``QUERY_PARAGRAPHS`` paragraphs (fixed random sample)."""
    from ..squad import load_squad

    _, items = load_squad(squad_file)
    items = [it for it in items if int(it["gold_doc"][1:]) < QUERY_PARAGRAPHS]
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(items), size=min(n, len(items)), replace=False)
    return [items[int(i)] for i in sorted(pick)]


# --- ingest ------------------------------------------------------------------------------------


def bench_ingest(settings, embedder, squad_file: Path, work: Path, n_docs: int) -> dict:
    """Full ingest of ``n_docs`` xquad paragraphs as files vs the embedder alone on the same chunk
    texts (the ceiling); and the re-ingest of 1,000 unchanged small documents."""
    from ingest.pipeline import ingest_paths
    from ingest.prepare import load_document

    from ..squad import load_squad, write_corpus

    paragraphs, _ = load_squad(squad_file)
    docs = write_corpus(paragraphs[:n_docs], work / "ingest-docs")
    texts = [c.page_content for f in sorted(docs.glob("*.txt")) for c in load_document(f, settings, docs).chunks]
    embedder.embed(["Aufwärmen."], "passage")  # the model is loaded and warm for both runs
    # Libraries too: importing langchain_chroma + chromadb costs ~4 s once per process (profiled),
    # which would be charged to a 90-chunk ingest as if it were per-chunk work.
    import chromadb  # noqa: F401
    import langchain_chroma  # noqa: F401
    _log(f"Ingest: {len(texts)} Abschnitte, Einbetter allein …")
    t0 = time.perf_counter()
    embedder.embed(texts, "passage")
    raw_s = time.perf_counter() - t0
    _log("Ingest: vollständiger Ingest derselben Texte …")
    s = settings.model_copy(update={"data_dir": work / "ingest-data", "chroma_url": ""})
    t0 = time.perf_counter()
    report = ingest_paths([docs], s, embedder=embedder, progress=False, log=lambda m: None)
    full_s = time.perf_counter() - t0
    n = report.chunks_added
    return {
        "documents": n_docs,
        "chunks": n,
        "embedder_only_s": raw_s,
        "embedder_chunks_per_s": len(texts) / raw_s,
        "ingest_s": full_s,
        "ingest_chunks_per_s": n / full_s if full_s else 0.0,
        "ratio": (n / full_s) / (len(texts) / raw_s) if full_s and raw_s else 0.0,
        "reingest": bench_reingest(settings, work),
    }


def bench_reingest(settings, work: Path) -> dict:
    """The first ingest of 1,000 small documents, then the re-ingest of them all unchanged.

    An unchanged re-ingest embeds nothing, so the hash embedder builds this index (the real model
    would take minutes for the first ingest only); the embedder object exists before the timer
    starts, so no model load is counted.
    """
    from assistant.embeddings import WordHashEmbedder
    from ingest.pipeline import ingest_paths

    small = work / "reingest-docs"
    small.mkdir(parents=True, exist_ok=True)
    sentences = filler_sentences(2000, seed=11)
    for i in range(1000):
        (small / f"d{i:04d}.txt").write_text(f"Meldung {i}\n\n{sentences[2 * i]} {sentences[2 * i + 1]}\n", encoding="utf-8")
    hs = settings.model_copy(update={"data_dir": work / "reingest-data", "chroma_url": "", "embedder": "hash"})
    hash_embedder = WordHashEmbedder()
    t0 = time.perf_counter()
    first = ingest_paths([small], hs, embedder=hash_embedder, progress=False, log=lambda m: None)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = ingest_paths([small], hs, embedder=hash_embedder, progress=False, log=lambda m: None)
    again_s = time.perf_counter() - t0
    return {
        "documents": 1000,
        "embedder": "hash (first ingest only; an unchanged re-ingest embeds nothing)",
        "first_ingest_s": first_s,
        "first_added": len(first.added),
        "reingest_s": again_s,
        "reingest_unchanged": len(again.unchanged),
        "reingest_embedded": again.chunks_added,
    }


# --- queries ------------------------------------------------------------------------------------


def bench_queries(settings, embedder, items: list[dict]) -> dict:
    """Start-up (snapshot + BM25), the first question, then every question warm through ``Assistant.ask``."""
    from assistant.pipeline import Assistant

    t0 = time.perf_counter()
    assistant = Assistant(settings, embedder)
    corpus = assistant.retriever.corpus()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    assistant.ask(items[0]["question"])
    first_s = time.perf_counter() - t0
    rows: dict[str, list[float]] = {k: [] for k in ("retrieve", "answer", "total", "embed", "dense", "bm25", "overhead")}
    hits1 = hits10 = 0
    answers = []
    for it in items:
        ans = assistant.ask(it["question"])
        # overhead: everything but the query encoding, per question (robust to a busy machine,
        # where the encoder's time swings by seconds between runs)
        ans.timings_ms["overhead"] = ans.timings_ms["total"] - ans.timings_ms["embed"]
        for k in rows:
            rows[k].append(ans.timings_ms.get(k, 0.0))
        docs = [p.chunk.doc.doc_id for p in ans.passages]
        hits1 += bool(docs) and docs[0] == it["gold_doc"]
        hits10 += it["gold_doc"] in docs[:10]
        answers.append({"q": it["id"], "answer": ans.answer, "passages": [p.chunk.id for p in ans.passages]})
    return {
        "chunks": len(corpus.chunks),
        "startup_s": load_s,
        "first_question_s": first_s,
        **{k: _pct(v) for k, v in rows.items()},
        "recall@1": hits1 / len(items),
        "recall@10": hits10 / len(items),
        "_answers": answers,
    }


def bench_embed_floor(embedder, items: list[dict]) -> dict:
    """The embedder's own query-encoding time: the floor for answering a question."""
    embedder.embed([items[0]["question"]], "query")
    ts = []
    for it in items:
        t0 = time.perf_counter()
        embedder.embed([it["question"]], "query")
        ts.append((time.perf_counter() - t0) * 1000)
    return _pct(ts)


# --- LangChain quickstart baseline ----------------------------------------------------------------


def bench_langchain(settings, embedder, items: list[dict]) -> dict:
    """RecursiveCharacterTextSplitter(1000, 200) + langchain_chroma.Chroma + similarity_search(k=4).

    The quickstart's store holds the same corpus. Its vectors are the bench corpus's (real for the
    xquad chunks, synthesised for generated ones) — fed through an ``Embeddings`` whose
    ``embed_documents`` looks them up, while ``embed_query`` runs the real model, so the timed
    ``similarity_search`` does exactly what the quickstart does. The splitter leaves every chunk
    (≤ ~700 chars) whole, so both systems search the same texts.
    """
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.store import Store

    folder = settings.data_dir / "langchain"
    done = folder / "complete.json"
    lookup: dict[str, list[float]] = {}

    class _Precomputed(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [lookup[t] for t in texts]

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed([text], "query")[0].tolist()

    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        coll = Store(settings, embedder.slug).chunks()
        got = coll.get(include=["documents", "metadatas", "embeddings"])
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        texts, metas = [], []
        for text, meta, vec in zip(got["documents"], got["metadatas"], got["embeddings"]):
            for piece in splitter.split_text(text):
                lookup[piece] = list(map(float, vec))
                texts.append(piece)
                metas.append({"doc_id": meta["doc_id"]})
        vs = Chroma(collection_name="quickstart", embedding_function=_Precomputed(), persist_directory=str(folder))
        for i in range(0, len(texts), 5000):
            vs.add_texts(texts[i : i + 5000], metadatas=metas[i : i + 5000])
        done.write_text(json.dumps({"pieces": len(texts)}))
    vs = Chroma(collection_name="quickstart", embedding_function=_Precomputed(), persist_directory=str(folder))
    vs.similarity_search(items[0]["question"], k=4)
    ts, hits1 = [], 0
    for it in items:
        t0 = time.perf_counter()
        docs = vs.similarity_search(it["question"], k=4)
        ts.append((time.perf_counter() - t0) * 1000)
        hits1 += bool(docs) and docs[0].metadata.get("doc_id") == it["gold_doc"]
    return {"pieces": json.loads(done.read_text())["pieces"], "search": _pct(ts), "recall@1": hits1 / len(items)}


def run_perf(
    settings,
    out: Path,
    sizes: tuple[int, ...] = (1000, 10000, 100000),
    queries: int = 100,
    skip: tuple[str, ...] = (),
    cache: Path | None = None,
    squad_file: Path | None = None,
    ingest_docs: int = 30,
    langchain_max: int = 100000,
) -> int:
    """Run the benchmark sections not in ``skip``; write ``out/bench.json``; print the table."""
    from assistant.embeddings import make_embedder

    squad_file = squad_file or default_squad()
    if not squad_file.exists():
        _log(f"Fehler: xquad-de nicht gefunden: {squad_file} (--squad DATEI)")
        return 2
    unknown = set(skip) - set(SECTIONS)
    if unknown:
        _log(f"Fehler: unbekannter Abschnitt {sorted(unknown)}; möglich: {', '.join(SECTIONS)}")
        return 2
    out.mkdir(parents=True, exist_ok=True)
    cache = cache or Path("bench-out/cache")
    t_load = time.perf_counter()
    embedder = make_embedder(settings)
    result: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg": os.getloadavg()},
        "embedder": embedder.name,
        "model_load_s": time.perf_counter() - t_load,
        "recipe": RECIPE,
        "queries": queries,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    items = query_items(squad_file, queries)

    def save() -> None:  # after every section, so a failure later keeps what was measured
        result["targets"] = targets_met(result)
        (out / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")

    if "ingest" not in skip:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as work:
            result["ingest"] = bench_ingest(settings, embedder, squad_file, Path(work), ingest_docs)
        save()
    if {"query", "langchain", "cold"} - set(skip):
        pool = build_pool(cache, squad_file, embedder, settings)
        corpora = {str(n): build_corpus(cache, pool, n, embedder, settings) for n in sizes}
        if "query" not in skip:
            _query_section(result, corpora, embedder, items, out, save)
        if "langchain" not in skip:
            _langchain_section(result, corpora, embedder, items, langchain_max, save)
        if "cold" not in skip:
            _cold_section(result, corpora, items, save)
    save()
    print_table(result)
    _log(f"geschrieben: {out / 'bench.json'}")
    return 0


def _query_section(result: dict, corpora: dict, embedder, items: list[dict], out: Path, save) -> None:
    """The embedder's floor, then every question over each corpus; each corpus's answers to a file."""
    result["embed_floor"] = bench_embed_floor(embedder, items)
    result["query"] = {}
    for size, s in corpora.items():
        _log(f"Abfragen: {size} Abschnitte …")
        r = bench_queries(s, embedder, items)
        (out / f"answers-{size}.json").write_text(json.dumps(r.pop("_answers"), ensure_ascii=False, indent=1), encoding="utf-8")
        result["query"][size] = r
        save()


def _langchain_section(result: dict, corpora: dict, embedder, items: list[dict], langchain_max: int, save) -> None:
    result["langchain"] = {}
    for size, s in corpora.items():
        if int(size) > langchain_max:
            continue  # its store is a second copy of the corpus: minutes to write at 100k
        _log(f"LangChain-Quickstart: {size} Abschnitte …")
        result["langchain"][size] = bench_langchain(s, embedder, items)
        save()


def _cold_section(result: dict, corpora: dict, items: list[dict], save) -> None:
    """Cold start over the smallest and the largest corpus."""
    result["cold"] = {}
    for size in (min(corpora, key=int), max(corpora, key=int)):
        _log(f"Kaltstart: {size} Abschnitte …")
        result["cold"][size] = {"ask": cold_ask(corpora[size], items[0]["question"]), "serve": cold_serve(corpora[size])}
        save()
