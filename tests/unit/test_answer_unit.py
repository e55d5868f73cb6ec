"""Fusion, answer composition and abstention on hand-made passages (no model, no store)."""
import pytest
from assistant.answer import Answerer
from assistant.language import detect_language
from assistant.read.terms import find_relatives, match
from assistant.read.candidates import Candidate
from assistant.read.kinds import HAS_KIND, header_context, question_types
from assistant.read.lexical import Weights
from assistant.read.quotes import attributions, quotations
from assistant.read.select import select
from assistant.lexical import BM25Index
from assistant.records import Chunk, DocMeta, Passage
from assistant.retrieve import rrf
from assistant.settings import Settings
from assistant.text import related
from ingest.sentences import split_sentences

DOC = (
    "Die Stadt fördert Sprachkurse für ihre Beschäftigten.\n\n"
    "Für das Programm stehen 40.000 Euro bereit. Es startete am 1. März 2024.\n\n"
    "Ansprechpartnerin ist Frau Dr. Lena Korkmaz. Sie ist unter Telefon 0301 555-123 erreichbar."
)
OTHER = "Der Stadtpark wird im Sommer neu bepflanzt. Dort entstehen Blumenbeete."


def make_passages(texts):
    passages = []
    for rank, (doc_id, text) in enumerate(texts, start=1):
        spans = tuple(split_sentences(text))
        chunk = Chunk(
            id=f"{doc_id}-0",
            doc=DocMeta(doc_id=doc_id, title=f"Titel {doc_id}", source=f"{doc_id}.txt", url="https://example.org", date="2024-03-01"),
            index=0,
            text=text,
            start=0,
            end=len(text),
            sentences=spans,
        )
        passages.append(Passage(chunk=chunk, fused_rank=rank, fused_score=1 / (5 + rank), bm25_rank=rank, bm25_score=1.0))
    return passages


def answer(question, passages=None):
    passages = passages or make_passages([("prog", DOC), ("park", OTHER)])
    bm25 = BM25Index.build([p.chunk.text for p in passages] + ["Ein ganz anderer Text über Verkehr."] * 5)
    return Answerer(Settings(thesaurus_path=None, dictionary_path=None, reader="off")).compose(question, passages, bm25, ["Titel prog", "Titel park"])


def test_rrf_orders_by_summed_reciprocal_ranks():
    fused = rrf([["a", "b", "c"], ["c", "a"]], k=5)
    assert [i for i, _ in fused] == ["a", "c", "b"]
    assert abs(dict(fused)["a"] - (1 / 6 + 1 / 7)) < 1e-12
    # the first ranking weighed twice: its second beats what the other ranks first
    weighed = rrf([["a", "b"], ["c", "a"]], k=5, weights=[2.0, 1.0])
    assert [i for i, _ in weighed] == ["a", "b", "c"]
    assert abs(dict(weighed)["b"] - 2 / 7) < 1e-12


def test_amount_question_gets_the_amount_sentence_with_exact_citation():
    ans = answer("Wie viel Geld steht für das Programm bereit?")
    assert not ans.abstained
    assert "40.000 Euro" in ans.answer
    assert ans.answer.count("[1]") == 1
    for c in ans.citations:
        assert DOC[c.start : c.end] == c.quote  # offsets cut the quote out of the document
        assert f"{c.quote} [{c.n}]" in ans.answer
    assert [c.n for c in ans.citations] == list(range(1, len(ans.citations) + 1))
    assert len(ans.citations) <= 3


def test_pronoun_sentence_brings_its_antecedent():
    ans = answer("Unter welcher Telefonnummer ist die Ansprechpartnerin erreichbar?")
    assert "0301 555-123" in ans.answer
    assert "Dr. Lena Korkmaz" in ans.answer  # "Sie ist …" needs the sentence before it
    assert ans.answer.index("Korkmaz") < ans.answer.index("555-123")  # reading order
    # the two adjacent sentences are one quote, checked in one place, cut exactly out of the text
    (cit,) = ans.citations
    assert DOC[cit.start : cit.end] == cit.quote
    assert cit.quote.startswith("Ansprechpartnerin") and cit.quote.endswith("erreichbar.")


def test_adjacent_sentences_across_a_paragraph_break_are_one_citation_shown_on_one_line():
    text = "Der Kreis tritt der Initiative bei.\n\nEr ist damit das 37. Mitglied."
    ans = answer("Das wievielte Mitglied ist der Kreis der Initiative?", make_passages([("kreis", text), ("park", OTHER)]))
    (cit,) = ans.citations
    assert cit.quote == text  # the original, paragraph break included (the source card shows it)
    assert ans.answer == "Der Kreis tritt der Initiative bei. Er ist damit das 37. Mitglied. [1]"


def test_date_question_prefers_the_sentence_with_a_date():
    ans = answer("Wann startete das Programm?")
    assert "1. März 2024" in ans.answer


def test_unrelated_question_abstains_in_german_with_topics():
    ans = answer("Wie wird das Wetter morgen in Hamburg?")
    assert ans.abstained and not ans.citations
    assert "keine Antwort gefunden" in ans.answer and "Titel prog" in ans.answer


def test_an_abstention_names_its_nearest_documents_once_each_and_an_answer_none():
    passages = make_passages([("prog", DOC), ("park", OTHER), ("prog", DOC), ("a", OTHER), ("b", OTHER)])
    ans = answer("Wie wird das Wetter morgen in Hamburg?", passages)
    assert ans.abstained and [d.doc_id for d in ans.documents] == ["prog", "park", "a"]  # rank order, at most 3
    assert ans.to_json()["documents"][0] == {
        "doc_id": "prog", "title": "Titel prog", "url": "https://example.org", "date": "2024-03-01", "publisher": "",
    }
    answered = answer("Wer ist die Ansprechpartnerin?")
    assert not answered.abstained and answered.documents == [] and answered.to_json()["documents"] == []


def test_english_question_abstains_in_english():
    ans = answer("What is the weather like in Hamburg tomorrow?")
    assert ans.abstained and ans.answer.startswith("I found no answer to this in the documents")
    assert "They cover: “" in ans.answer and "„" not in ans.answer  # English quotation marks


def test_language_and_question_types():
    assert detect_language("How much money did the ministry provide?") == "en"
    assert detect_language("In welchem Jahr starb Tesla?") == "de"
    assert "amount" in question_types("Wie viele Mitglieder hat die Initiative?")
    assert "date" in question_types("Wann wurde unterzeichnet?")
    assert "phone" in question_types("Welche Telefonnummer hat das Bürgertelefon?")
    # a narrow kind alone: "beim Ministerium anrufen" wants a number, not a person
    assert question_types("Unter welcher Nummer kann man beim Ministerium anrufen?") == ["phone"]
    assert question_types("Unter welcher Internetadresse sieht man die Videos?") == ["link"]


CONTACTS = (
    "Das Amt berät Zugewanderte zu Ausbildung und Beruf.\n\n"
    "Pressekontakt\n\nAmt für Integration\n\nTelefon: 0301 111-111\nE-Mail: presse [at] amt.example\n\n"
    "Bürgerservice\n\nAmt für Integration\n\nTelefon: 0301 222-222\nE-Mail: service [at] amt.example"
)


def test_contact_entry_is_chosen_by_its_headings():
    passages = make_passages([("kontakt", CONTACTS), ("park", OTHER)])
    press = answer("Welche Telefonnummer hat der Pressekontakt?", passages)
    assert not press.abstained and "0301 111-111" in press.answer and "222-222" not in press.answer
    service = answer("An welche E-Mail-Adresse wende ich mich beim Bürgerservice?", passages)
    assert not service.abstained and "service [at] amt.example" in service.answer
    assert "presse [at]" not in service.answer


def test_contact_entry_is_the_number_the_question_asks_for():
    # "Nummer" and "anrufen" name the kind of answer; the entry "Telefon: …" under the heading
    # "Bürgerservice" covers them, so every word of the question is covered
    ans = answer("Unter welcher Nummer kann ich beim Bürgerservice anrufen?", make_passages([("kontakt", CONTACTS), ("park", OTHER)]))
    assert ans.answer == "Telefon: 0301 222-222 [1]"
    assert ans.confidence > 1.0  # full coverage plus the bonus for a contact entry


def test_contact_heading_context_stops_at_the_previous_block():
    spans = split_sentences(CONTACTS)
    lines = [CONTACTS[a:b] for a, b in spans]
    i = lines.index("Telefon: 0301 222-222")
    heads = [lines[j] for j in header_context(CONTACTS, spans, i)]
    assert heads == ["Amt für Integration", "Bürgerservice"]  # not the press block's e-mail line
    j = lines.index("E-Mail: service [at] amt.example")
    assert [lines[k] for k in header_context(CONTACTS, spans, j)] == ["Amt für Integration", "Bürgerservice"]


def test_english_question_reads_the_passages_closest_in_meaning_not_the_fused_top():
    # English words match nothing in BM25 over German text, so the fused list can bury the answer's
    # passage; an English question takes its sentences from the best passages by dense rank
    from dataclasses import replace

    from assistant.embeddings import WordHashEmbedder

    texts = [(f"f{i}", f"Der Stadtpark Nummer {i} wird im Sommer neu bepflanzt.") for i in range(1, 5)]
    texts.append(("agentur", "Die Agentur Boheifilm aus Berlin drehte die Videos der Kampagne."))
    # the agency passage is fused rank 5, beyond the four read, but first by meaning
    passages = [replace(p, dense_rank=d) for p, d in zip(make_passages(texts), (3, 4, 5, 2, 1))]
    bm25 = BM25Index.build([p.chunk.text for p in passages])
    ans = Answerer(Settings(thesaurus_path=None, dictionary_path=None, reader="off"), WordHashEmbedder()).compose("Which agency Boheifilm filmed the videos?", passages, bm25)
    assert not ans.abstained and ans.basis == "meaning"
    assert ans.citations[0].doc_id == "agentur" and "Berlin" in ans.answer


def test_english_question_reads_further_passages_before_saying_no_amount_is_given():
    from dataclasses import replace

    from assistant.embeddings import WordHashEmbedder

    texts = [(f"f{i}", f"Das Land stellt die Kampagne Vielfalt im Teil {i} vor.") for i in "abcd"]
    texts.append(("geld", "Das Land gab für die Kampagne Vielfalt 95.000 Euro."))
    # all on topic; the sum is fifth by meaning, beyond the four passages an English question reads
    passages = [replace(p, dense_rank=d, dense_score=0.9) for p, d in zip(make_passages(texts), (1, 2, 3, 4, 5))]
    bm25 = BM25Index.build([p.chunk.text for p in passages])
    embedder = WordHashEmbedder()
    embedder.dense_anchor = 0.8  # the cosine of an on-topic passage for this fake
    answerer = Answerer(Settings(thesaurus_path=None, dictionary_path=None, reader="off"), embedder)
    question = "How much money did the Land give to the Kampagne Vielfalt?"
    ans = answerer.compose(question, passages, bm25)
    assert not ans.abstained and "95.000 Euro" in ans.answer
    assert any(c.doc_id == "geld" for c in ans.citations)
    # without the fifth passage there is no amount to quote, and the answer says so
    ans = answerer.compose(question, passages[:4], bm25)
    assert ans.abstained and ans.basis == "kind"


def test_a_question_word_that_heads_a_compound_matches_more_than_one_that_modifies_it():
    # German compounds name their kind last: an "Öffnungsprozess" is a process, "Prozesskosten" are costs
    passages = make_passages(
        [
            ("kosten", "Die Prozesskosten der Landesverwaltung trägt das Land."),
            ("prozess", "Das ist Teil vom Öffnungsprozess der Landesverwaltung."),
        ]
    )
    ans = answer("Welcher Prozess der Landesverwaltung ist das?", passages)
    assert not ans.abstained and ans.citations[0].doc_id == "prozess"  # the best sentence comes first
    assert match("prozess", {"offnungsprozess"}) == 0.85
    assert match("prozess", {"prozesskost"}) == 0.7
    assert match("prozess", {"offnungsprozess"}, frozenset({"offnungsprozess", "prozesskost"})) == 0.85


QUOTES = (
    "Der Kreis ist neues Mitglied der Initiative „Vielfalt wirkt“. "
    "„Wir haben viel vor. Uns ist es ein großes Anliegen, für Teilhabe zu werben“, sagt Landrätin Anna Berg."
)


def test_sentences_of_a_quotation_count_with_the_words_naming_the_speaker():
    spans = tuple(split_sentences(QUOTES))
    lines = [QUOTES[a:b] for a, b in spans]
    att = attributions(QUOTES, spans)
    inner = lines.index("„Wir haben viel vor.")
    assert {"landratin", "anna", "berg"} <= att[inner]  # "sagt Landrätin Anna Berg" ends the quotation
    assert att[0] == frozenset()  # a title in quotation marks inside one sentence is no quotation
    ans = answer("Wofür will die Landrätin werben?", make_passages([("kreis", QUOTES), ("park", OTHER)]))
    assert not ans.abstained and "für Teilhabe zu werben" in ans.answer


MENTORING = "Die Volkshochschule startet ein Mentoring für Auszubildende. Dafür stehen im Herbst drei Kurse bereit."


def test_quotations_that_begin_or_end_outside_the_chunk():
    # a chunk that starts inside a quotation: its closing mark and the speaker are all it has
    text = "Wir haben viel vor. Das eröffnet neue Möglichkeiten“, sagt Landrat Doğan. Der Kreis tritt bei."
    assert quotations(text) == [(-1, text.index("“"))]
    spans = tuple(split_sentences(text))
    att = attributions(text, spans)
    assert {"landrat", "doğan"} <= att[0] and att[-1] == frozenset()
    # English quotation marks, and one that runs past the end of the chunk
    assert quotations("He said: “We act. Now.” Then") == [(9, 22)]
    assert quotations("Sie sagt: „Wir handeln. Sofort") == [(10, 30)]


def test_confidence_counts_the_neighbouring_sentence_and_the_answer_quotes_it():
    # the question's terms are split over two adjacent sentences: the first alone covers too
    # little; the answer rests on both, so both are quoted (one citation, they are adjacent)
    ans = answer("Welche Kurse bietet die Volkshochschule im Mentoring für Auszubildende an?", make_passages([("m", MENTORING), ("park", OTHER)]))
    assert not ans.abstained and ans.confidence > 0.8
    (cit,) = ans.citations
    assert cit.quote == MENTORING


@pytest.mark.parametrize(
    "question,expected",
    [
        ("Wie viele Kurse gibt es im Mentoring der Volkshochschule für Auszubildende?", "drei Kurse"),  # a number word
        ("Wann gibt es Kurse im Mentoring der Volkshochschule für Auszubildende?", "im Herbst"),  # a season
    ],
)
def test_amounts_in_words_and_seasons_answer_how_many_and_when(question, expected):
    ans = answer(question, make_passages([("m", MENTORING), ("park", OTHER)]))
    assert not ans.abstained and expected in ans.answer


def test_question_asking_for_an_example_gets_the_sentence_giving_one():
    text = (
        "Das Land fördert Projekte zur interkulturellen Öffnung der Verwaltung. "
        "Dazu zählen beispielsweise Fortbildungen für Führungskräfte."
    )
    ans = answer("Welches Beispiel für geförderte Projekte wird genannt?", make_passages([("p", text), ("park", OTHER)]))
    assert not ans.abstained and "Fortbildungen für Führungskräfte" in ans.answer


def test_everyday_short_forms_match_the_written_out_word():
    text = "Mehr Informationen gibt es unter https://example.org/programm."
    ans = answer("Wo gibt es Infos?", make_passages([("p", text), ("park", OTHER)]))
    assert not ans.abstained and "https://example.org/programm" in ans.answer


def test_a_sentence_repeated_in_a_teaser_is_quoted_once():
    # press releases repeat their lead sentence (teaser and body): as two runner-ups, the same
    # sentence was quoted twice; a shorter version of a quoted sentence adds nothing either
    teaser, body = make_passages([
        ("teaser", "Der Kreis tritt bei. Damit ist der Kreis das 37. Mitglied der Initiative."),
        ("body", "Der Landrat unterschrieb am Mittwoch. Damit ist der Kreis das 37. Mitglied der Initiative."),
    ])

    def cand(p, i, score):
        a, b = p.chunk.sentences[i]
        return Candidate(p, i, a, b, 0.8, score)

    best = cand(body, 0, 1.0)
    chosen = select([best, cand(teaser, 1, 0.9), cand(body, 1, 0.9), cand(teaser, 0, 0.8)], Weights(), Settings().max_answer_sentences)
    texts = [c.text for c in chosen]
    assert texts.count("Damit ist der Kreis das 37. Mitglied der Initiative.") == 1
    assert "Der Kreis tritt bei." not in texts  # the repeat took its place; no weaker sentence comes in


def test_relatives_found_by_sorted_runs_are_the_pairwise_relatives():
    # find_relatives finds compound/stem relatives by bisecting sorted (and reversed) vocabularies; it
    # must agree with the pairwise definition (text.related, or the term itself) on any input
    import random

    rng = random.Random(7)

    def word():
        return "".join(rng.choice("abcde") for _ in range(rng.randint(1, 9)))

    for _ in range(500):
        vocab = {word() for _ in range(rng.randint(0, 40))}
        terms = {word(): 1.0 for _ in range(4)} | ({rng.choice(sorted(vocab)): 1.0} if vocab else {})
        found = find_relatives(terms, vocab)
        for t in terms:
            expected = {s for s in vocab if related(t, s) or (s == t and len(t) >= 5)}
            assert found[t] == expected, (t, vocab)


def test_a_contact_entry_is_quoted_without_the_sentences_around_it():
    # "Unter welcher Nummer …?" answered by a phone entry: a well-scoring sentence about the office
    # adds nothing a reader needs, a second entry of the same kind may (which one is meant)
    (p,) = make_passages([("kontakt", CONTACTS)])
    spans = p.chunk.sentences
    idx = {p.chunk.text[a:b]: i for i, (a, b) in enumerate(spans)}

    def cand(text, score, narrow):
        i = idx[text]
        a, b = spans[i]
        return Candidate(p, i, a, b, 0.8, score, typed=narrow, narrow=narrow)

    best = cand("Telefon: 0301 222-222", 1.0, True)
    about = cand("Das Amt berät Zugewanderte zu Ausbildung und Beruf.", 0.95, False)
    other = cand("Telefon: 0301 111-111", 0.9, True)
    chosen = select([best, about, other], Weights(), Settings().max_answer_sentences)
    assert [c.text for c in chosen] == ["Telefon: 0301 111-111", "Telefon: 0301 222-222"]


@pytest.mark.parametrize(
    "question",
    ["Wie vile Geld steht für das Programm bereit?", "Welhce Summe steht für das Programm bereit?"],
    ids=["vile", "welhce"],
)
def test_a_misspelt_function_word_is_not_a_word_the_documents_lack(question):
    # "vile" (viele) and "welhce" (welche) used to count as rare terms no sentence holds, the
    # heaviest kind: the amount question abstained
    terms = Answerer(Settings(thesaurus_path=None, dictionary_path=None, reader="off")).lexical.question_terms(
        question, [], BM25Index.build([DOC, OTHER] + ["Ein ganz anderer Text über Verkehr."] * 5)
    )
    assert not {"vil", "welhc", "welch"} & set(terms)
    ans = answer(question)
    assert not ans.abstained and "40.000 Euro" in ans.answer


def test_swapped_letters_are_one_typing_error():
    index = BM25Index.build(["Die Hugenotten flohen nach Frankreich.", "Ein anderer Text."])
    from assistant.text import analyze, near_stopword

    assert index.correct(analyze("Frnakreich")[0]) == analyze("Frankreich")[0]  # two edits for Levenshtein
    assert near_stopword("jder") and near_stopword("einn") and not near_stopword("frankreich")


def test_a_typo_that_changes_the_stem_is_found_through_the_typed_word():
    from assistant.text import analyze, stem

    index = BM25Index.build(["Die Bewegung wuchs schnell.", "Die Rolle des Landes.", "Ein anderer Text."])
    # "bewgung" stems to itself, two edits from "beweg": only a one-edit variant of the word finds it
    assert index.correct(stem("bewgung")) is None
    assert index.correct_word("bewgung") == analyze("Bewegung")[0]
    # a real word the documents lack is not turned into a neighbour when the lexicon knows it
    index = BM25Index.build(["Sie wollen helfen.", "Ein anderer Text."])
    assert index.correct_word("rolle") == stem("wolle")
    assert index.correct_word("rolle", is_word={stem("rolle")}.__contains__) is None



def test_which_company_question_wants_a_sentence_naming_one():
    # "Welche Firma …?" asks for an organisation: of two sentences sharing the question's words, the
    # one naming an agency answers it, though the other stands in the better-ranked passage and has
    # two capitalised words ("Landes Sachsen"), which is all the person kind asks of a sentence
    assert question_types("Von welcher Firma stammen die Videos?") == ["org"]
    assert question_types("Which agency produced the videos?") == ["org"]
    assert question_types("Wer hat die Agentur beauftragt?") == ["person"]  # whoever commissioned it
    assert question_types("Wie viele Unternehmen sind Partner?") == ["amount"]
    passages = make_passages(
        [
            ("alltag", "Die Videos stammen aus dem Alltag von Beschäftigten des Landes Sachsen."),
            ("agentur", "Die Videos stammen von der Filmagentur Lichtwerk aus Köln."),
        ]
    )
    ans = answer("Von welcher Firma stammen die Videos?", passages)
    assert not ans.abstained
    assert "Lichtwerk" in ans.citations[0].quote


def test_the_company_word_of_the_question_is_covered_by_a_sentence_naming_one():
    # "Firma" names the kind asked for: the agency sentence covers it though it shares only
    # "Kampagne" with the question, and is quoted next to the sentence sharing more words
    passages = make_passages(
        [
            ("videos", "Die Kampagne zeigt fünf Videos über Beschäftigte des Landes Sachsen."),
            ("agentur", "Für die Kampagne wurde die Marketingagentur Lichtwerk aus Köln beauftragt."),
        ]
    )
    ans = answer("Welche Firma hat die Videos der Kampagne produziert?", passages)
    assert not ans.abstained
    assert any("Lichtwerk" in c.quote for c in ans.citations)


@pytest.mark.parametrize(
    "sentence,names_one",
    [
        ("Beauftragt wurde die Marketingagentur Boheifilm.", True),
        ("Viele Unternehmen machen mit.", True),
        ("Die Lichtwerk GmbH drehte die Filme.", True),
        ("Die Unternehmensführung stimmte zu.", False),  # the word ends in "Führung"
        ("Die Verlagerung der Stellen dauert.", False),
    ],
)
def test_a_sentence_names_an_organisation_only_by_a_word_ending_in_one(sentence, names_one):
    assert bool(HAS_KIND["org"].search(sentence)) is names_one
