"""Questions about a document itself (headline, publisher, date) on hand-made chunks (no model, no store)."""
from dataclasses import replace

import pytest

from assistant.answer import Answerer
from assistant.docinfo import asks_about_document, find_line
from assistant.lexical import BM25Index
from assistant.records import Chunk, DocMeta, Passage
from assistant.settings import Settings
from ingest.sentences import split_sentences

DOC = DocMeta(
    doc_id="nrw",
    title="Kreis Beispielstadt tritt der Initiative bei",
    source="nrw.txt",
    url="https://example.org/meldung",
    date="2023-09-06",
    publisher="Ministerium für Kinder, Jugend, Familie und Integration des Landes Nordrhein-Westfalen",
)
PARTS = [
    "Kreis Beispielstadt tritt der Initiative bei\n\n6. September 2023\n\nKinder, Jugend, Familie und Integration\n\n"
    "Der Kreis Beispielstadt ist neues Mitglied der Initiative.",
    "Der Landrat freut sich über die Aufnahme. Die Initiative hat nun 37 Mitglieder.",
]


def chunks(doc=DOC, parts=PARTS):
    out, start = [], 0
    for i, text in enumerate(parts):
        out.append(Chunk(f"{doc.doc_id}-{i}", doc, i, text, start, start + len(text), tuple(split_sentences(text))))
        start += len(text) + 2
    return out


@pytest.mark.parametrize(
    "question,kind",
    [
        ("Wie lautet die Überschrift der Meldung über den Kreis?", "title"),
        ("What is the headline of the article about the district?", "title"),
        ("Welches Ministerium hat die Meldung herausgegeben?", "publisher"),
        ("Von welcher Website stammt die Meldung?", "publisher"),
        ("Who published the press release?", "publisher"),
        ("Wann wurde die Pressemitteilung veröffentlicht?", "date"),
        # about the topic, or about an article the text talks about: not about the document
        ("Wann trat der Kreis der Initiative bei?", None),
        ("Welcher Artikel wurde 1937 veröffentlicht?", None),
        ("Für wen wurde der medizinische Bericht verfasst?", None),
        ("Was sollte die Maschine im Titel des Artikels beenden?", None),
        ("Wann wurde der Artikel veröffentlicht, auf dem das Diagramm beruhte?", None),
        ("Wer stammt laut der Meldung aus Berlin?", None),
        ("Who from the ministry is quoted in the press release?", None),
        ("Wer ist der Herausgeber der Pressemitteilung?", "publisher"),
        ("Which website is the article from?", "publisher"),
    ],
)
def test_which_questions_ask_about_the_document(question, kind):
    assert asks_about_document(question) == kind


def test_the_line_showing_each_field_is_found_and_the_first_line_stands_in():
    cs = chunks()
    for kind, line in [
        ("title", "Kreis Beispielstadt tritt der Initiative bei"),
        ("publisher", "Kinder, Jugend, Familie und Integration"),
        ("date", "6. September 2023"),
    ]:
        ch, i = find_line(DOC, kind, cs)
        a, b = ch.sentences[i]
        assert ch.text[a:b] == line
    # a publisher the text never shows: the first line is quoted, where a reader checks the source
    other = replace(DOC, publisher="Pressestelle der Staatskanzlei")
    ch, i = find_line(other, "publisher", chunks(other))
    assert (ch.index, i) == (0, 0)
    assert find_line(replace(DOC, date=""), "date", cs) is None  # no field, no answer from it


def test_document_question_is_answered_from_the_metadata_with_the_line_quoted():
    cs = chunks()
    # only the second chunk was retrieved; the publisher line is in the first
    passages = [Passage(chunk=cs[1], fused_rank=1, fused_score=0.2, dense_rank=1, dense_score=0.9)]
    bm25 = BM25Index.build([c.text for c in cs] + ["Ein ganz anderer Text über Verkehr."] * 5)
    by_doc = {DOC.doc_id: cs}
    ans = Answerer(Settings(thesaurus_path=None, dictionary_path=None, reader="off")).compose(
        "Welches Ministerium hat die Meldung herausgegeben?", passages, bm25, doc_chunks=by_doc.__getitem__
    )
    assert not ans.abstained and ans.basis == "document" and ans.basis_detail == "publisher"
    assert ans.answer.startswith("Herausgegeben von: Ministerium für Kinder, Jugend, Familie und Integration")
    (c,) = ans.citations
    assert c.quote == "Kinder, Jugend, Familie und Integration"
    full = PARTS[0] + "\n\n" + PARTS[1]
    assert full[c.start : c.end] == c.quote  # offsets into the document, as for every citation
    assert c.chunk_id in {p.chunk.id for p in ans.passages}  # the quoted chunk is shown to staff
    # without the document's chunks (or with a field it lacks) the normal path answers
    plain = Answerer(Settings(thesaurus_path=None, dictionary_path=None, reader="off")).compose("Welches Ministerium hat die Meldung herausgegeben?", passages, bm25)
    assert plain.basis != "document"
