"""The answer checks of assistant/premise.py, alone and inside the answerer (no model, no store)."""
import pytest

from assistant.premise import (
    absent_name,
    has_amount,
    missing_kind,
    places,
    question_names,
    question_numbers,
    text_numbers,
    unsupported_detail,
)
from test_answer_unit import DOC, OTHER, answer, make_passages


def test_numbers_are_normalised_on_both_sides():
    assert question_numbers("Warum hat Bayern 95.000 Euro bezahlt?") == {"95000"}
    assert question_numbers("Wann wurde der Kreis als 40. Mitglied aufgenommen?") == {"40"}
    assert question_numbers("Warum besteht die Kampagne aus zehn Videos?") == {"10"}
    assert question_numbers("Wofür ist sie eine Voraussetzung?") == set()  # "eine" is no number
    assert question_numbers("Welche zwei Entwicklungen nennt sie?") == set()  # asks for two items
    found = text_numbers("Am 27.05.2008 unterzeichnet; 95.000 Euro; fünf Videos; das 37. Mitglied.")
    assert {"2008", "27", "5", "95000", "37"} <= found  # the parts of a date count on their own


def test_places_by_german_name_with_inflections_and_english_names():
    assert places("Warum hat Bayern bezahlt?") == {"bayern"}
    assert places("die bayerische Verwaltung und Hamburgs Senat") == {"bayern", "hamburg"}
    assert places("When did Lower Saxony sign?") == {"niedersachsen"}
    assert places("nicht essentieller Epitope") == set()  # Essen only as a word of its own
    assert places("Minden-Lübbecke in NRW") == {"nordrhein-westfalen"}


def test_unsupported_detail_names_what_no_passage_mentions():
    passages = make_passages([("prog", DOC)])
    assert unsupported_detail("Warum stehen 50.000 Euro bereit?", passages) == "50.000"
    assert unsupported_detail("Warum stehen 40.000 Euro bereit?", passages) is None
    assert unsupported_detail("Was startete 2024?", passages) is None  # year inside "1. März 2024"
    assert unsupported_detail("Was startete am 1.3.2024?", passages) is None  # the same date, other format
    assert unsupported_detail("Was startete am 01.03.2024?", passages) is None
    assert unsupported_detail("Was startete am 2.3.2024?", passages) == "2.3.2024"
    assert unsupported_detail("Fördert Bayern auch Sprachkurse?", passages) == "Bayern"
    assert unsupported_detail("Fördert die Stadt Sprachkurse?", passages) is None
    lower_saxony = make_passages([("nds", "Niedersachsen und NRW fördern Sprachkurse.")])
    assert unsupported_detail("Fördert Sachsen Sprachkurse?", lower_saxony) == "Sachsen"  # not in "Niedersachsen"
    assert unsupported_detail("Does Lower Saxony fund language courses?", lower_saxony) is None
    assert unsupported_detail("Fördert Nordrhein-Westfalen Sprachkurse?", lower_saxony) is None
    # a document title counts as mentioned ("Super Bowl 50" is often only in the title)
    titled = make_passages([("Bericht 2019", "Die Stadt fördert Sprachkurse.")])
    assert unsupported_detail("Was stand im Bericht 2019?", titled) is None


@pytest.mark.parametrize(
    "question,quotes,lang,expected",
    [
        ("Wie viele Einwohner hat der Kreis?", "Am 6. September 2023 wurde unterzeichnet.", "de", "amount"),
        ("Wie viele Videos gibt es?", "Im Mittelpunkt stehen fünf Videos.", "de", None),
        ("Wie viel Geld steht bereit?", "Es stehen 40.000 Euro bereit.", "de", None),
        ("Wie viele Beschäftigte hat das Amt?", "Es stehen 300.000 Euro bereit.", "de", "amount"),
        ("Wie viele Euro stehen bereit?", "Es stehen 300.000 Euro bereit.", "de", None),
        ("Das wievielte Mitglied ist der Kreis?", "Damit ist der Kreis das 37. Mitglied.", "de", None),
        ("Wie viele Mitglieder gibt es?", "Damit ist der Kreis das 37. Mitglied.", "de", "amount"),
        ("How many members are there now?", "Damit ist der Kreis das 37. Mitglied.", "en", None),
        ("Bis wann muss ich mich bewerben?", "Jede und jeder ist willkommen.", "de", "date"),
        ("Wann startete das Programm?", "Es startete am 1. März 2024.", "de", None),
        ("Wann tritt eine Immunschwäche auf?", "Sie tritt auf, wenn das Immunsystem schwächer ist.", "de", None),
        ("Wer leitet das Amt?", "Frau Dr. Lena Korkmaz.", "de", None),
        ("Wie lange dauert der Kurs?", "Der Kurs findet im Rathaus statt.", "de", "duration"),
        ("Wie lange dauert der Kurs?", "Der Kurs dauert drei Wochen.", "de", None),
        ("Welcher Partei gehört der Landrat an?", "Landrat Ali Doğan unterschrieb.", "de", "party"),
        ("Welcher Partei gehört der Landrat an?", "Landrat Ali Doğan (SPD) unterschrieb.", "de", None),
        ("Wie alt muss man für eine Bewerbung sein?", "Bewerben kann sich jede und jeder.", "de", "amount"),
        ("Wie alt war er beim Finale?", "Mit 39 Jahren spielte er im Finale.", "de", None),
        ("Wie viel Honorar bekam die Agentur?", "Die Agentur drehte fünf Videos.", "de", "money"),
        ("Wie viel Geld steht bereit?", "Für die Kurse stehen 300.000 Euro bereit.", "de", None),
        ("How much money did the ministry provide?", "Es gab $ 5 Millionen.", "en", None),
        ("An welchem Wochentag wurde unterschrieben?", "Unterschrieben wurde am 6. September 2023.", "de", "weekday"),
        ("An welchem Wochentag wurde unterschrieben?", "Sie unterschrieben am Mittwoch, 6. September.", "de", None),
        ("An welchem Tag wurde unterschrieben?", "Der Kreis ist neuer Partner.", "de", "date"),
        ("Unter welcher Telefonnummer erreiche ich das Ministerium?", "Das Ministerium stellte Fördermittel bereit.", "de", "phone"),
        ("Unter welcher Telefonnummer erreiche ich das Ministerium?", "Bürgeranfragen: 0211 837-2000", "de", None),
        ("What is the ministry's phone number?", "Das Ministerium fördert Projekte.", "en", "phone"),
        ("An welche E-Mail-Adresse kann ich schreiben?", "Pressestelle des Ministeriums", "de", "email"),
        ("An welche E-Mail-Adresse kann ich schreiben?", "E-Mail: presse[at]mi.nrw.de", "de", None),
        ("Welche Nummer trägt das Gesetz?", "Das Gesetz Nr. 12 gilt seit Mai.", "de", None),
        ("Where can I watch the videos online?", "Im Mittelpunkt stehen fünf Videos.", "en", "link"),
        ("Where can I watch the videos online?", "Zu sehen sind sie auf dem YouTube-Kanal des Landes.", "en", None),
        ("Unter welcher Adresse finde ich die Kampagne?", "Mehr unter https://karriere.niedersachsen.de", "de", None),
        ("Welche Website zeigt die Videos?", "Die Videos zeigen fünf Beschäftigte.", "de", "link"),
        ("Welche Sprachen sprechen die Beschäftigten?", "Die Beschäftigten werden interkulturell fortgebildet.", "de", "language"),
        ("Welche Sprachen sprechen die Beschäftigten?", "Viele sprechen Türkisch, Arabisch oder Polnisch.", "de", None),
        ("In welcher Sprache war die Erklärung verfasst?", "Sie war überwiegend in Lateinisch verfasst.", "de", None),
        ("In welche Sprache übersetzte sie die Hymne?", "Sie übersetzte sie in die Amerikanische Gebärdensprache.", "de", None),
        ("Which languages do the staff speak?", "Die Beschäftigten werden fortgebildet.", "en", "language"),
        ("Welche Sprachen spricht man dort?", "In Deutschland steht darin nichts dazu.", "de", "language"),
        ("Welche Sprachen spricht man dort?", "Gefragt sind Arabischkenntnisse.", "de", None),
        ("Welche Sprachkurse fördert die Stadt?", "Die Stadt fördert Kurse für Beschäftigte.", "de", None),
        # "Welche …?" asks which ones: "verschiedene …" names none, a list after it does
        ("Welche Verbände haben mitgearbeitet?", "Es arbeiteten verschiedene Verbände aus der Region mit.", "de", "which"),
        ("welche verbände haben mitgearbeitet", "Es arbeiteten mehrere Verbände mit.", "de", "which"),
        ("Welche Verbände haben mitgearbeitet?", "Es arbeiteten verschiedene Verbände mit, darunter der VdK.", "de", None),
        ("Welche Verbände haben mitgearbeitet?", "Es arbeiteten mehrere Verbände mit: VdK und AWO.", "de", None),
        ("Welche Verbände haben mitgearbeitet?", "Mehrere Verbände arbeiteten mit. Die Verbände VdK und AWO leiteten.", "de", None),
        ("Welches Team gewann?", "Er führte zwei verschiedene Teams zum Sieg.", "de", None),
        # the website is what was signed on, not what is asked
        ("Wie viele Menschen unterzeichneten die Online-Petition auf der Website?", "Es waren 2.000 Menschen.", "de", None),
    ],
)
def test_missing_kind(question, quotes, lang, expected):
    assert missing_kind(question, quotes, lang) == expected


def test_amounts_ignore_dates_and_ordinals_unless_asked():
    assert not has_amount("am 6. September 2023 und am 27.05.2008")
    assert not has_amount("das 37. Mitglied")
    assert has_amount("das 37. Mitglied", ordinals=True)
    assert has_amount("das Zehnfache ihres Gewichts")


def test_false_premise_abstains_and_says_which_detail_is_missing():
    ans = answer("Warum stehen für das Programm 50.000 Euro bereit?")
    assert ans.abstained and not ans.citations
    assert ans.basis == "detail" and ans.basis_detail == "50.000"
    assert "„50.000“ kommt in den gefundenen Quellen nicht vor" in ans.answer
    assert "keine Antwort gefunden" in ans.answer and "Titel prog" in ans.answer  # the usual hint follows
    en = answer("Why does Bavaria fund language courses for its staff?")
    assert en.abstained and "“Bavaria” does not occur" in en.answer


def test_answer_without_the_kind_asked_for_abstains():
    # "Wie viele Beschäftigte …?" matches the first sentence word for word, but no number is quoted
    courses = "Die Stadt fördert Sprachkurse für ihre Beschäftigten. Die Kurse finden im Rathaus statt."
    ans = answer("Wie viele Beschäftigte besuchen die Sprachkurse der Stadt?", make_passages([("kurse", courses)]))
    assert ans.abstained and ans.basis == "kind" and ans.basis_detail == "amount"
    assert "nennen dazu keine Zahl" in ans.answer
    ok = answer("Wie viel Geld steht für das Programm bereit?")
    assert not ok.abstained and ok.basis == "coverage" and "40.000 Euro" in ok.answer


def test_names_of_a_question():
    indexed = {"daniela", "behr", "virgin", "media", "lady", "gaga", "videos", "kampagn"}.__contains__
    is_word = {"video", "kampagn", "stadtpark"}.__contains__  # a thesaurus knows common nouns

    def names(question):
        return question_names(question, is_word, indexed)

    assert names("Why did Daniela Behrens sign the agreement?") == ["Daniela Behrens"]
    assert names("Warum hat Frau Behrens unterschrieben?") == ["Behrens"]  # a title, then a name
    assert names("Welches Unternehmen klagte gegen Virgin Media?") == ["Virgin Media"]
    assert names("Daniela Behrens sagt was?") == []  # the first word is capitalised anyway
    assert names("Wie viele Videos hat die Kampagne?") == []  # nouns the thesaurus knows
    assert names("Wie alt ist Lady Gagga?") == []  # a misspelt name the index lacks is never checked
    assert absent_name(["Daniela Behrens"], ["Landrat Ali Doğan unterzeichnete."]) == "Daniela Behrens"
    assert absent_name(["Daniela Behrens"], ["Ministerin Behrens sagt dazu"]) is None
    assert absent_name(["Dschingis Khan"], ["das Reich des Khans"]) is None  # the same stem
    # a compound relative, as the answerer matches words (text.related) ...
    assert absent_name(["Agentur Bohei"], ["Die Marketingagentur Boheifilm aus Berlin"]) is None
    # ... which needs five letters: a short name is not found inside any longer word
    assert absent_name(["Frau Ott"], ["Der Ottomotor läuft"]) == "Frau Ott"
    assert absent_name([], ["x"]) is None


def test_a_name_the_quoted_document_never_mentions_abstains():
    # the park sentence matches the question's other words; Lena Korkmaz is in the other document
    passages = make_passages([("park", OTHER), ("prog", DOC)])
    ans = answer("Warum lässt Lena Korkmaz den Stadtpark im Sommer neu bepflanzen?", passages)
    assert ans.abstained and not ans.citations
    assert ans.basis == "name" and ans.basis_detail == "Lena Korkmaz"
    assert "„Lena Korkmaz“ kommt in den Dokumenten, aus denen die Antwort stammen würde, nicht vor" in ans.answer
    # without the name the same question is answered; with a name the quoted document holds, too
    assert not answer("Warum wird der Stadtpark im Sommer neu bepflanzt?", passages).abstained
    held = answer("Welche Sprachkurse fördert Lena Korkmaz?", passages)
    assert not held.abstained and "Korkmaz" in held.answer
