"""Cleaning: normalisation and clutter recognition on a document written for this test (not the seeds)."""
from ingest.clean import clean, normalize

ARTICLE = """Stadt Beispielhausen öffnet ihre Verwaltung für neue Fachkräfte

MEGA SALE JETZT ZUGREIFEN
Foto: Max Muster / Unsplash
Rathaus Beispielhausen © Stadtarchiv

Die Stadt Beispielhausen hat am 3. März 2024 ein Programm zur interkulturellen Öffnung ihrer Verwaltung gestartet. Das Programm richtet sich an Fachkräfte mit Einwanderungsgeschichte.

Bürgermeisterin Dr. Eva Beispiel sagt: „Unsere Verwaltung soll so vielfältig sein wie die Stadt.“

Das könnte Sie auch interessieren: Neue Radwege am Stadtpark
Wetterbericht: Sonnige Aussichten für Badegäste am Wochenende
Teilen auf Facebook
Gartenmöbel Outlet Shop

Kontakt
Stabsstelle Vielfalt
Telefon: 01234 567-890
E-Mail: vielfalt [at] beispielhausen.de
12345 Beispielhausen

Schreibe einen Kommentar
Deine E-Mail-Adresse wird nicht veröffentlicht.
---
"""


def test_clutter_removed_and_content_kept():
    result = clean(ARTICLE)
    text = result.text
    for clutter in [
        "MEGA SALE",
        "Unsplash",
        "© Stadtarchiv",
        "Das könnte Sie auch interessieren",
        "Wetterbericht: Sonnige Aussichten",
        "Teilen auf Facebook",
        "Outlet Shop",
        "Schreibe einen Kommentar",
        "wird nicht veröffentlicht",
        "---",
    ]:
        assert clutter not in text, clutter
    for content in [
        "Stadt Beispielhausen öffnet ihre Verwaltung",  # the title, a headline sharing the text's words
        "am 3. März 2024 ein Programm",
        "Dr. Eva Beispiel",
        "Kontakt",
        "Stabsstelle Vielfalt",
        "Telefon: 01234 567-890",
        "E-Mail: vielfalt [at] beispielhausen.de",
        "12345 Beispielhausen",
    ]:
        assert content in text, content
    assert len(result.removed) == 10


def test_normalize_unicode_and_whitespace():
    raw = "Cafe\u0301  mit\u00a0Leerzeichen\u200b\r\nzweite   Zeile\x07\n\n\n\n\nneuer Absatz"
    assert normalize(raw) == "Café mit Leerzeichen\nzweite Zeile\n\nneuer Absatz"


def test_seed_clutter_is_recognised_by_the_general_rules():
    from tests.conftest import SEEDS

    text = clean((SEEDS / "000_8ef9517ef47463c3.txt").read_text(encoding="utf-8")).text
    assert "SECURITY SERVICE" not in text and "Pixabay" not in text and "Tauben" not in text
    assert "PreSale" not in text and "Kommentar" not in text
    assert "95.000 Euro" in text and "Boheifilm" in text
    nrw = clean((SEEDS / "002_a130e56f7e492ca9.txt").read_text(encoding="utf-8")).text
    assert "Telefon: 0211 837-2000" in nrw and "Bürgeranfragen" in nrw and "Pressekontakt" in nrw
