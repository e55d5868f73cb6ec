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
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from .corpus import QUERY_PARAGRAPHS, RECIPE, build_corpus, build_pool, filler_sentences
from ..procinfo import free_port, status_kb, stop_process

_XQUAD = Path("shared") / "bench" / "xquad-de" / "xquad.de.json"


def default_squad() -> Path:
    """xquad-de beside the repository (``../shared``), as in the Makefile; else beside the cwd."""
    for base in (Path(__file__).resolve().parents[3], Path.cwd().parent):
        if (base / _XQUAD).exists():
            return base / _XQUAD
    return Path("..") / _XQUAD
SECTIONS = ("ingest", "query", "langchain", "cold")

TARGETS = {
    "ingest_ratio_min": 0.90,
    "reingest_1000_max_s": 5.0,
    # with the reader reading ~24 sentences a question (assistant/read/)
    "answer_p50_max_ms": 150.0,
    "answer_p95_max_ms": 300.0,
    "ask_cold_max_s": 4.0,
    "serve_rss_max_mb": 1536.0,
}


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
    from assistant.embeddings import WordHashEmbedder
    from ingest.pipeline import ingest_paths, load_document

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

    # Re-ingest of 1,000 unchanged documents. An unchanged re-ingest embeds nothing, so the hash
    # embedder builds this index (the real model would take minutes for the first ingest only);
    # the embedder object exists before the timer starts, so no model load is counted.
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
        "documents": n_docs,
        "chunks": n,
        "embedder_only_s": raw_s,
        "embedder_chunks_per_s": len(texts) / raw_s,
        "ingest_s": full_s,
        "ingest_chunks_per_s": n / full_s if full_s else 0.0,
        "ratio": (n / full_s) / (len(texts) / raw_s) if full_s and raw_s else 0.0,
        "reingest": {
            "documents": 1000,
            "embedder": "hash (first ingest only; an unchanged re-ingest embeds nothing)",
            "first_ingest_s": first_s,
            "first_added": len(first.added),
            "reingest_s": again_s,
            "reingest_unchanged": len(again.unchanged),
            "reingest_embedded": again.chunks_added,
        },
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


# --- cold start -------------------------------------------------------------------------------------


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", *args]


def _env(settings) -> dict[str, str]:
    env = dict(os.environ)
    env["ASSISTANT_DATA_DIR"] = str(settings.data_dir)
    env["ASSISTANT_EMBEDDER"] = settings.embedder
    env["ASSISTANT_CHROMA_URL"] = ""
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def cold_ask(settings, question: str) -> dict:
    """``assistant ask`` as a fresh process: wall time and peak RSS.

    The peak comes from ``/usr/bin/time`` where present: Linux carries a parent's high-water RSS
    into a forked child's ru_maxrss across exec, so ``wait4`` on a child of this (large) process
    would report our own peak, not the child's.
    """
    cmd = _cli("ask", "--json", question)
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        timer = shutil.which("time") or "/usr/bin/time"
        wrapped = [timer, "-f", "%M", "-o", rss_file.name, *cmd] if Path(timer).exists() else cmd
        t0 = time.perf_counter()
        proc = subprocess.run(wrapped, env=_env(settings), capture_output=True)
        wall = time.perf_counter() - t0
        try:
            peak = int(Path(rss_file.name).read_text().split()[-1]) / 1024
        except (OSError, ValueError, IndexError):
            peak = float("nan")
    timings = {}
    try:
        timings = json.loads(proc.stdout.decode().strip().splitlines()[-1]).get("timings_ms", {})
    except (ValueError, IndexError):
        pass
    return {"wall_s": wall, "peak_rss_mb": peak, "ok": proc.returncode == 0, "timings_ms": timings}


def _rss_mb(pid: int, key: str) -> float:
    kb = status_kb(pid, key)
    return kb / 1024 if kb is not None else float("nan")


def cold_serve(settings, timeout: float = 120.0) -> dict:
    """``assistant serve`` until its HTTP port answers; RSS then (VmRSS, VmHWM = peak)."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(_cli("serve", "--port", str(port)), env=_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = None
    try:
        while time.perf_counter() - t0 < timeout and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                    if r.status == 200:
                        ready = time.perf_counter() - t0
                        break
            except OSError:
                time.sleep(0.1)
        # a moment for start-up work that runs after the port opens (e.g. a snapshot warm-up)
        time.sleep(2.0)
        return {"ready_s": ready, "rss_mb": _rss_mb(proc.pid, "VmRSS"), "peak_rss_mb": _rss_mb(proc.pid, "VmHWM")}
    finally:
        stop_process(proc, timeout=10)


# --- report --------------------------------------------------------------------------------------------


def _targets(result: dict) -> dict:
    t: dict[str, dict] = {}
    ing = result.get("ingest")
    if ing:
        t["ingest ≥ 90% of embedder"] = {"value": ing["ratio"], "met": ing["ratio"] >= TARGETS["ingest_ratio_min"]}
        r = ing["reingest"]["reingest_s"]
        t["re-ingest 1,000 docs < 5 s"] = {"value": r, "met": r < TARGETS["reingest_1000_max_s"]}
    q = result.get("query", {})
    largest = max(q, key=int) if q else None
    if largest:
        p50 = q[largest]["total"]["p50"]
        t[f"answer p50 ≤ 150 ms ({largest})"] = {"value": p50, "met": p50 <= TARGETS["answer_p50_max_ms"]}
        p95 = q[largest]["total"]["p95"]
        t[f"answer p95 ≤ 300 ms ({largest})"] = {"value": p95, "met": p95 <= TARGETS["answer_p95_max_ms"]}
    for size, c in result.get("cold", {}).items():
        if "ask" in c:
            t[f"ask cold < 4 s ({size})"] = {"value": c["ask"]["wall_s"], "met": c["ask"]["wall_s"] < TARGETS["ask_cold_max_s"]}
        if "serve" in c:
            rss = c["serve"]["peak_rss_mb"]
            t[f"serve RSS < 1.5 GB ({size})"] = {"value": rss, "met": rss < TARGETS["serve_rss_max_mb"]}
    return t


def print_table(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(stderr=False)
    ing = result.get("ingest")
    if ing:
        t = Table(title="Ingest")
        for col in ("chunks", "embedder alone chunks/s", "full ingest chunks/s", "ratio", "re-ingest 1,000 unchanged docs"):
            t.add_column(col, justify="right")
        t.add_row(
            str(ing["chunks"]), f"{ing['embedder_chunks_per_s']:.2f}", f"{ing['ingest_chunks_per_s']:.2f}",
            f"{ing['ratio']:.2f}", f"{ing['reingest']['reingest_s']:.2f} s",
        )
        con.print(t)
    q = result.get("query")
    if q:
        floor = result.get("embed_floor", {})
        t = Table(title=f"Query latency, warm, ms (embedder query encoding alone: p50 {floor.get('p50', float('nan')):.1f}, p95 {floor.get('p95', float('nan')):.1f})")
        for col in ("chunks", "start-up s", "1st question s", "retrieve p50/p95", "answer p50/p95", "total p50/p95",
                    "dense p50", "bm25 p50", "total − embed p50/p95", "total ×size", "recall@1", "LangChain k=4 p50/p95", "LC recall@1"):
            t.add_column(col, justify="right")
        base = None
        for size in sorted(q, key=int):
            r = q[size]
            base = base or r["total"]["p50"]
            lc = result.get("langchain", {}).get(size)
            t.add_row(
                f"{r['chunks']:,}", f"{r['startup_s']:.2f}", f"{r['first_question_s']:.2f}",
                f"{r['retrieve']['p50']:.1f}/{r['retrieve']['p95']:.1f}", f"{r['answer']['p50']:.1f}/{r['answer']['p95']:.1f}",
                f"{r['total']['p50']:.1f}/{r['total']['p95']:.1f}", f"{r['dense']['p50']:.1f}", f"{r['bm25']['p50']:.1f}",
                f"{r['overhead']['p50']:.1f}/{r['overhead']['p95']:.1f}", f"{r['total']['p50'] / base:.2f}", f"{r['recall@1']:.3f}",
                f"{lc['search']['p50']:.1f}/{lc['search']['p95']:.1f}" if lc else "–", f"{lc['recall@1']:.3f}" if lc else "–",
            )
        con.print(t)
    cold = result.get("cold")
    if cold:
        t = Table(title="Cold start")
        for col in ("corpus", "ask wall s", "ask peak RSS MB", "serve ready s", "serve RSS MB (peak)"):
            t.add_column(col, justify="right")
        for size, c in cold.items():
            a, s = c.get("ask", {}), c.get("serve", {})
            t.add_row(
                size, f"{a.get('wall_s', float('nan')):.2f}", f"{a.get('peak_rss_mb', float('nan')):.0f}",
                f"{s.get('ready_s') or float('nan'):.2f}", f"{s.get('rss_mb', float('nan')):.0f} ({s.get('peak_rss_mb', float('nan')):.0f})",
            )
        con.print(t)
    t = Table(title="Targets (provisional numbers on a shared 2-core machine)")
    t.add_column("target")
    t.add_column("value", justify="right")
    t.add_column("met")
    for name, v in result["targets"].items():
        t.add_row(name, f"{v['value']:.2f}", "ja" if v["met"] else "nein")
    con.print(t)


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
        result["targets"] = _targets(result)
        (out / "bench.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")

    if "ingest" not in skip:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as work:
            result["ingest"] = bench_ingest(settings, embedder, squad_file, Path(work), ingest_docs)
        save()
    if {"query", "langchain", "cold"} - set(skip):
        pool = build_pool(cache, squad_file, embedder, settings)
        corpora = {str(n): build_corpus(cache, pool, n, embedder, settings) for n in sizes}
        if "query" not in skip:
            result["embed_floor"] = bench_embed_floor(embedder, items)
            result["query"] = {}
            for size, s in corpora.items():
                _log(f"Abfragen: {size} Abschnitte …")
                r = bench_queries(s, embedder, items)
                (out / f"answers-{size}.json").write_text(json.dumps(r.pop("_answers"), ensure_ascii=False, indent=1), encoding="utf-8")
                result["query"][size] = r
                save()
        if "langchain" not in skip:
            result["langchain"] = {}
            for size, s in corpora.items():
                if int(size) > langchain_max:
                    continue  # its store is a second copy of the corpus: minutes to write at 100k
                _log(f"LangChain-Quickstart: {size} Abschnitte …")
                result["langchain"][size] = bench_langchain(s, embedder, items)
                save()
        if "cold" not in skip:
            result["cold"] = {}
            for size in (min(corpora, key=int), max(corpora, key=int)):
                _log(f"Kaltstart: {size} Abschnitte …")
                result["cold"][size] = {"ask": cold_ask(corpora[size], items[0]["question"]), "serve": cold_serve(corpora[size])}
                save()
    save()
    print_table(result)
    _log(f"geschrieben: {out / 'bench.json'}")
    return 0
