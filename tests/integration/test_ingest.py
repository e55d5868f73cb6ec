"""Ingest with the real embedder and real Chroma on disk: idempotency, updates, removals, bad files."""
import os
from pathlib import Path

import numpy as np
import pytest

from assistant.retrieve import HybridRetriever
from assistant.settings import PROJECT_ROOT, Settings
from assistant.store import Store
from ingest.pipeline import ingest_paths
from ingest.prepare import load_document

pytestmark = pytest.mark.integration


def chunk_ids(settings, embedder):
    return sorted(Store(settings, embedder.slug).chunks().get(include=[])["ids"])


def run(paths, settings, embedder):
    return ingest_paths(paths, settings, embedder=embedder, progress=False, log=lambda m: None)


def test_reingest_changes_nothing_and_edits_and_removals_are_synced(tmp_path, corpus_copy, real_embedder):
    settings = Settings(data_dir=tmp_path / "data")
    first = run([corpus_copy], settings, real_embedder)
    assert len(first.added) == 2 and first.chunks_added > 10
    ids = chunk_ids(settings, real_embedder)

    again = run([corpus_copy], settings, real_embedder)
    assert again.chunks_added == 0 and again.chunks_deleted == 0 and len(again.unchanged) == 2
    assert chunk_ids(settings, real_embedder) == ids

    # change one sentence of one document: only that document is re-processed, and only its
    # changed chunks are embedded (LangChain's record manager skips the unchanged ones)
    nrw = corpus_copy / "002_a130e56f7e492ca9.txt"
    nrw.write_text(nrw.read_text(encoding="utf-8").replace("Telefon: 0211 837-2000", "Telefon: 0211 837-9999"), encoding="utf-8")
    changed = run([corpus_copy], settings, real_embedder)
    assert changed.updated == ["002_a130e56f7e492ca9"] and changed.unchanged == ["000_8ef9517ef47463c3"]
    assert 1 <= changed.chunks_added <= 2 and changed.chunks_deleted == changed.chunks_added
    texts = Store(settings, real_embedder.slug).chunks().get(include=["documents"])["documents"]
    assert any("837-9999" in t for t in texts) and not any("837-2000" in t for t in texts)

    # remove a document: its chunks go, the other document's stay
    before_nds = [i for i in chunk_ids(settings, real_embedder)]
    nrw.unlink()
    removed = run([corpus_copy], settings, real_embedder)
    assert removed.removed == ["002_a130e56f7e492ca9"]
    metas = Store(settings, real_embedder.slug).chunks().get(include=["metadatas"])["metadatas"]
    assert {m["doc_id"] for m in metas} == {"000_8ef9517ef47463c3"}
    assert len(metas) < len(before_nds)
    assert [d["doc_id"] for d in Store(settings, real_embedder.slug).documents()] == ["000_8ef9517ef47463c3"]


def test_folder_with_bad_files_ingests_what_it_can(tmp_path, real_embedder):
    corpus = tmp_path / "korpus mit Leerzeichen"
    corpus.mkdir()
    (corpus / "bild.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(300))  # an image renamed to .txt
    (corpus / "archiv.txt").write_bytes(b"PK\x03\x04" + os.urandom(300))  # a zip renamed to .txt
    (corpus / "leer.txt").write_bytes(b"")
    (corpus / "kaputt.pdf").write_bytes(b"%PDF-1.4\n kein echtes pdf")
    latin = "Die Behörde in Köln fördert Sprachkurse für Beschäftigte. Dafür stehen 12.000 Euro bereit."
    (corpus / "Übersicht Köln.txt").write_bytes(latin.encode("latin-1"))
    sub = corpus / "unterordner"
    sub.mkdir()
    (sub / "schleife").symlink_to(corpus, target_is_directory=True)  # a symlink loop
    (sub / "Straße Nr. 1.md").write_text("# Überschrift\n\nDie **Straße** wird umbenannt.", encoding="utf-8")

    settings = Settings(data_dir=tmp_path / "data")
    report = run([corpus], settings, real_embedder)
    assert sorted(report.added) == ["unterordner/Straße Nr. 1", "Übersicht Köln"]
    reasons = {Path(p).name: r for p, r in report.skipped}
    assert set(reasons) == {"bild.txt", "archiv.txt", "leer.txt", "kaputt.pdf"}
    assert "PNG" in reasons["bild.txt"] and "ZIP" in reasons["archiv.txt"] and "leer" in reasons["leer.txt"]
    assert "PDF" in reasons["kaputt.pdf"]
    texts = Store(settings, real_embedder.slug).chunks().get(include=["documents"])["documents"]
    assert any("Köln fördert" in t for t in texts)  # latin-1 decoded correctly
    assert any("Die Straße wird umbenannt." in t for t in texts)  # markdown syntax stripped

    # a later broken file keeps what was indexed: nothing is lost
    (corpus / "Übersicht Köln.txt").write_bytes(b"\x00\x01\x02binary now")
    again = run([corpus], settings, real_embedder)
    assert "Übersicht Köln" not in again.removed
    texts = Store(settings, real_embedder.slug).chunks().get(include=["documents"])["documents"]
    assert any("Köln fördert" in t for t in texts)


def test_nothing_ingestable_is_not_ok(tmp_path, real_embedder):
    corpus = tmp_path / "leer"
    corpus.mkdir()
    (corpus / "a.txt").write_bytes(b"")
    report = run([corpus], Settings(data_dir=tmp_path / "data"), real_embedder)
    assert not report.ok and len(report.skipped) == 1


def test_html_and_pdf_text_extraction(tmp_path):
    html = tmp_path / "seite.html"
    html.write_text(
        "<html><head><title>Vielfalt in der Verwaltung</title><style>p{color:red}</style>"
        "<script>alert('x')</script></head><body><nav>Menü Start Kontakt</nav><article><h1>Vielfalt in der Verwaltung</h1>"
        "<p>Die Landesverwaltung wirbt gezielt um Fachkräfte mit Einwanderungsgeschichte. Dafür startet sie eine Kampagne "
        "mit fünf Videos und mehreren Veranstaltungen in allen Regionen des Landes.</p>"
        "<p>Die Kampagne läuft bis Ende 2025 und wird wissenschaftlich begleitet.</p></article>"
        "<script>var tracking = 1;</script></body></html>",
        encoding="utf-8",
    )
    doc = load_document(html, Settings())
    assert "Fachkräfte mit Einwanderungsgeschichte" in doc.text
    assert "alert" not in doc.text and "color:red" not in doc.text and "tracking" not in doc.text
    assert doc.meta["title"] == "Vielfalt in der Verwaltung"

    from reportlab.pdfgen import canvas

    pdf = tmp_path / "bericht.pdf"
    c = canvas.Canvas(str(pdf))
    c.drawString(72, 720, "Seite eins: Die Stadt fördert Sprachkurse.")
    c.showPage()
    c.drawString(72, 720, "Seite zwei: Dafür stehen 12.000 Euro bereit.")
    c.save()
    doc = load_document(pdf, Settings())
    pages = {d.metadata["page"] for d in doc.chunks}
    assert "12.000 Euro" in doc.text and pages <= {1, 2} and doc.chunks[0].metadata["page"] == 1
    for d in doc.chunks:  # offsets cut each chunk out of the cleaned text
        assert doc.text[d.metadata["start"] : d.metadata["end"]] == d.page_content



BREMEN = (
    "Bremen startet Programm Brückenbauer\n\nDas Land Bremen hat am 1. März 2026 das Programm Brückenbauer "
    "gestartet. Es bildet Lotsinnen und Lotsen aus, die Zugewanderte zu Terminen in den Bürgerämtern begleiten."
)
KIEL = (
    "Kiel eröffnet Servicestelle\n\nDie Landeshauptstadt Kiel hat im Mai 2026 eine Servicestelle für "
    "Eingewanderte eröffnet, die in zwölf Sprachen berät."
)


def test_a_chunk_vector_search_lost_is_written_again(tmp_path):
    """Chroma 1.5.9 sometimes leaves a vector unreachable by every search when the collection is
    searched right after it was written (``Store.make_findable``). Repeat that on real Chroma with
    the seed chunks plus a new one until it happens (measured: 6 of 300 and 9 of 400 rounds); then
    ``make_findable``, an ingest of another document, and an ingest with ``check_all`` must each
    find the lost chunk and write it again so that search finds it. The hash embedder: the vectors
    are not what this test is about, and the loss was measured with these."""
    from assistant.embeddings import make_embedder

    settings = Settings(data_dir=tmp_path / "data", embedder="hash", collection="ref")
    embedder = make_embedder(settings)
    folders = {}
    for name, text in {"bremen": BREMEN, "kiel": KIEL, "leer": None}.items():
        folders[name] = tmp_path / name
        folders[name].mkdir()
        if text:
            (folders[name] / f"{name}.txt").write_text(text, encoding="utf-8")
    run([PROJECT_ROOT / "seeds"], settings, embedder)
    new_doc = run([folders["bremen"]], settings, embedder).added[0]
    ref = Store(settings, embedder.slug).chunks().get(include=["embeddings", "documents", "metadatas"])
    seeds = {key: [] for key in ("ids", "embeddings", "documents", "metadatas")}
    for cid, vec, doc, meta in zip(ref["ids"], ref["embeddings"], ref["documents"], ref["metadatas"]):
        if meta["doc_id"] == new_doc:
            new = {"ids": [cid], "embeddings": [list(map(float, vec))], "documents": [doc], "metadatas": [meta]}
        else:
            for key, value in zip(seeds, (cid, list(map(float, vec)), doc, meta)):
                seeds[key].append(value)
    question = embedder.embed_query("Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?").tolist()

    def found(store: Store) -> bool:
        got = store.chunks().query(query_embeddings=new["embeddings"], n_results=10)["ids"][0]
        return new["ids"][0] in got

    attempts = iter(range(1500))

    def lost_chunk() -> Store:
        """A store whose vector search has lost the new chunk (skips when Chroma never loses it)."""
        for attempt in attempts:
            store = Store(settings.model_copy(update={"collection": f"lost{attempt}"}), embedder.slug)
            chunks = store.chunks()
            chunks.upsert(**seeds)
            chunks.query(query_embeddings=[question], n_results=5)  # a question, as the chat asks them
            chunks.upsert(**new)
            if not found(store):
                return store
        pytest.skip("Chroma lost no vector in 1,500 rounds: nothing to repair (a fixed Chroma?)")

    store = lost_chunk()
    assert store.make_findable([new_doc]) == (1, [])
    assert found(store) and found(Store(store.settings, embedder.slug))  # also through a new client
    assert store.make_findable([new_doc]) == (0, [])  # nothing lost any more: nothing written
    # an ingest of 40,000 documents: one filter over all their ids exceeds SQLite's variable limit
    assert store.make_findable([f"gibt-es-nicht-{i}" for i in range(40_000)] + [new_doc]) == (0, [])

    # an ingest of another document checks every chunk of a small collection, not only its own
    store = lost_chunk()
    report = run([folders["kiel"]], store.settings, embedder)
    assert report.added and report.chunks_rewritten >= 1 and not report.unfindable and found(store)
    assert "für die Vektorsuche neu geschrieben" in report.summary()

    # `assistant ingest --check` checks every chunk even when no document changed
    store = lost_chunk()
    report = ingest_paths([folders["leer"]], store.settings, embedder=embedder, progress=False, log=lambda m: None, check_all=True)
    assert not report.added and report.chunks_rewritten == 1 and not report.unfindable and found(store)

    # Above ASSISTANT_FINDABLE_CHECK_MAX (here 0) writing again cuts off as many other chunks as it
    # links: the lost chunk is recorded instead, and the retriever scores it exactly
    store = lost_chunk()
    large = store.settings.model_copy(update={"findable_check_max": 0})
    report = ingest_paths([folders["leer"]], large, embedder=embedder, progress=False, log=lambda m: None, check_all=True)
    assert report.chunks_rewritten == 0 and report.unfindable == new["ids"] and not found(store)
    assert store.lost_chunks() == {new["ids"][0]: new_doc}
    retriever = HybridRetriever(store, embedder, large)
    dense = retriever.dense(np.asarray(new["embeddings"][0]), 10, retriever.corpus())
    assert dense[0][0] == new["ids"][0] and dense[0][1] == pytest.approx(1.0, abs=1e-4)
    (hit,) = [p for p in retriever.retrieve("Wann hat Bremen das Programm Brückenbauer gestartet?") if p.chunk.id == new["ids"][0]]
    assert hit.dense_rank is not None
    # an ingest of a small collection checks every chunk again: written again, record cleared
    report = run([folders["kiel"]], store.settings, embedder)
    assert report.chunks_rewritten >= 1 and found(store) and store.lost_chunks() == {}

    # Above the limit an ingest checks its own documents' chunks, and every chunk once the chunks
    # written since every chunk was last checked reach ASSISTANT_FINDABLE_RECHECK_SHARE of the
    # collection: the lost chunk of a document the ingests did not touch is recorded then
    store = lost_chunk()
    rarely = store.settings.model_copy(update={"findable_check_max": 0, "findable_recheck_share": 1.0})
    report = run([folders["kiel"]], rarely, embedder)
    assert report.added and not report.checked_all and new["ids"][0] not in store.lost_chunks()
    assert store.unchecked_chunks() == report.chunks_added >= 1
    (folders["kiel"] / "kiel.txt").write_text(KIEL + " Sie ist montags bis freitags geöffnet.", encoding="utf-8")
    often = rarely.model_copy(update={"findable_recheck_share": 0.05})
    report = run([folders["kiel"]], often, embedder)
    assert report.updated and report.checked_all and new["ids"][0] in report.unfindable
    assert store.lost_chunks()[new["ids"][0]] == new_doc and store.unchecked_chunks() == 0 and not found(store)
