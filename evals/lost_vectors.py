"""How often Chroma's vector index loses a chunk it just stored, and whether ingest repairs it.

    python -m evals.lost_vectors --rounds 80 [--chroma-url http://127.0.0.1:8000]

Two counts, each over ``--rounds`` new collections (embedded store in a temporary folder, or the
given Chroma server):

- **Chroma alone**: the seed chunks are written, the collection is searched once (a question),
  one new chunk is written, and the first search after it uses the chunk's own vector. "Lost"
  means that search does not return it (chromadb 1.5.9, see ``Store.make_findable``).
- **Through ingest**: ``ingest_paths`` of the seeds, a question, ``ingest_paths`` of one new
  document; "lost" means a search with the new chunk's own vector (``n_results`` = all chunks)
  does not return it afterwards. Also counted: chunks ingest had to write again.

The hash embedder: the loss depends on the vectors, and it was measured with these.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from assistant.settings import PROJECT_ROOT, Settings

NEW_DOCUMENT = (
    "Bremen startet Programm Brückenbauer\n\nDas Land Bremen hat am 1. März 2026 das Programm Brückenbauer "
    "gestartet. Es bildet Lotsinnen und Lotsen aus, die Zugewanderte zu Terminen in den Bürgerämtern begleiten."
)
QUESTION = "Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=80)
    parser.add_argument("--chroma-url", default="", help="a running `chroma run` server (default: embedded)")
    args = parser.parse_args(argv)

    from assistant.embeddings import make_embedder
    from assistant.store import Store
    from ingest.pipeline import ingest_paths

    tmp = Path(tempfile.mkdtemp(prefix="lost-vectors-"))
    try:
        base = Settings(data_dir=tmp / "data", embedder="hash", chroma_url=args.chroma_url)
        embedder = make_embedder(base)
        folder = tmp / "neu"
        folder.mkdir()
        (folder / "bremen.txt").write_text(NEW_DOCUMENT, encoding="utf-8")
        question = embedder.embed_query(QUESTION).tolist()

        def ingest(settings: Settings, path: Path):
            return ingest_paths([path], settings, embedder=embedder, progress=False, log=lambda m: None)

        ref_settings = base.model_copy(update={"collection": f"lostref{tmp.name[-6:]}"})
        ingest(ref_settings, PROJECT_ROOT / "seeds")
        new_doc = ingest(ref_settings, folder).added[0]
        ref = Store(ref_settings, embedder.slug).chunks().get(include=["embeddings", "documents", "metadatas"])
        rows = list(zip(ref["ids"], [list(map(float, v)) for v in ref["embeddings"]], ref["documents"], ref["metadatas"]))
        seeds = [r for r in rows if r[3]["doc_id"] != new_doc]
        (new,) = [r for r in rows if r[3]["doc_id"] == new_doc]

        alone = through_ingest = rewritten = 0
        for i in range(args.rounds):
            chunks = Store(base.model_copy(update={"collection": f"lostc{tmp.name[-6:]}{i}"}), embedder.slug).chunks()
            ids, vecs, docs, metas = map(list, zip(*seeds))
            chunks.upsert(ids=ids, embeddings=vecs, documents=docs, metadatas=metas)
            chunks.query(query_embeddings=[question], n_results=5)
            chunks.upsert(ids=[new[0]], embeddings=[new[1]], documents=[new[2]], metadatas=[new[3]])
            alone += new[0] not in chunks.query(query_embeddings=[new[1]], n_results=10)["ids"][0]

            settings = base.model_copy(update={"collection": f"losti{tmp.name[-6:]}{i}"})
            store = Store(settings, embedder.slug)
            ingest(settings, PROJECT_ROOT / "seeds")
            store.chunks().query(query_embeddings=[question], n_results=5)
            report = ingest(settings, folder)
            rewritten += report.chunks_rewritten
            n = store.chunks().count()
            got = store.chunks().get(where={"doc_id": new_doc}, include=["embeddings"])
            through_ingest += any(
                cid not in store.chunks().query(query_embeddings=[list(map(float, v))], n_results=n)["ids"][0]
                for cid, v in zip(got["ids"], got["embeddings"])
            )
            print(f"\rRunde {i + 1}/{args.rounds}", end="", flush=True)
        print()
        where = args.chroma_url or "eingebettet"
        print(f"Chroma allein ({where}): neuer Abschnitt verloren in {alone} von {args.rounds} Runden")
        print(f"über ingest ({where}): verloren in {through_ingest} von {args.rounds} Runden, {rewritten} Abschnitt(e) neu geschrieben")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
