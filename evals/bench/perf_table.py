"""What ``assistant bench perf`` prints: its results as tables, and the speed targets met or not."""
from __future__ import annotations

TARGETS = {
    "ingest_ratio_min": 0.90,
    "reingest_1000_max_s": 5.0,
    # with the reader reading ~24 sentences a question (assistant/read/)
    "answer_p50_max_ms": 150.0,
    "answer_p95_max_ms": 300.0,
    "ask_cold_max_s": 4.0,
    "serve_rss_max_mb": 1536.0,
}


def targets_met(result: dict) -> dict:
    """Each speed target with its measured value and whether it is met."""
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
