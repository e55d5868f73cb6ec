from ingest.chunk import chunk_text
from ingest.sentences import split_sentences


def sents(text):
    return [text[a:b] for a, b in split_sentences(text)]


def test_german_abbreviations_dates_and_numbers_do_not_end_sentences():
    text = (
        "Dazu sagt Minister Dr. Andreas Philippi, z. B. im Gespräch mit Nr. 5 der Reihe, etwas. "
        "Am Mittwoch, 6. September 2023, wurde unterzeichnet. "
        "Damit ist der Kreis das 37. Mitglied der Initiative. "
        "Die Charta wurde am 27.05.2008 unterzeichnet. "
        "Es gab 95.000 Euro nach § 81 des Gesetzes. Danach folgte nichts."
    )
    assert sents(text) == [
        "Dazu sagt Minister Dr. Andreas Philippi, z. B. im Gespräch mit Nr. 5 der Reihe, etwas.",
        "Am Mittwoch, 6. September 2023, wurde unterzeichnet.",
        "Damit ist der Kreis das 37. Mitglied der Initiative.",
        "Die Charta wurde am 27.05.2008 unterzeichnet.",
        "Es gab 95.000 Euro nach § 81 des Gesetzes.",
        "Danach folgte nichts.",
    ]


def test_quoted_statements_split_and_keep_their_closing_quote():
    text = "Sie sagt: „Das ist gut. Wir machen weiter.“ Dann ging sie."
    assert sents(text) == ["Sie sagt: „Das ist gut.", "Wir machen weiter.“", "Dann ging sie."]


def test_exclamation_inside_a_quoted_name_does_not_end_the_sentence():
    text = "Sie haben die Vereinbarung „NRW stärkt Vielfalt!“ unterzeichnet. Damit ist es fertig."
    assert sents(text) == ["Sie haben die Vereinbarung „NRW stärkt Vielfalt!“ unterzeichnet.", "Damit ist es fertig."]


def test_lines_are_boundaries_and_offsets_are_exact():
    text = "Überschrift ohne Punkt\n\nErster Satz. Zweiter Satz!\nKontakt"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["Überschrift ohne Punkt", "Erster Satz.", "Zweiter Satz!", "Kontakt"]


def test_chunks_cover_every_sentence_once_with_exact_offsets():
    para = " ".join(f"Das ist Satz Nummer {i} mit etwas Inhalt über die Verwaltung." for i in range(40))
    text = f"Titel\n\n{para}\n\nKurzer Schluss."
    spans = split_sentences(text)
    chunks = chunk_text(text, target=300)
    assert len(chunks) > 3
    seen = []
    for ch in chunks:
        assert ch.end - ch.start <= 300 or len(ch.sentences) == 1
        for a, b in ch.sentences:
            seen.append((ch.start + a, ch.start + b))
    assert seen == spans
    assert [c.index for c in chunks] == list(range(len(chunks)))
