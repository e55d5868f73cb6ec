"""Ingest with the real embedder and real Chroma on disk: idempotency, updates, removals, bad files."""
import os
from pathlib import Path

import pytest

from assistant.settings import Settings
from assistant.store import Store
from ingest.pipeline import ingest_paths, load_document

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
