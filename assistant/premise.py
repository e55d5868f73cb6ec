"""Checks that an extractive answer does not rest on a detail the sources lack.

The answerer quotes the sentence that best matches the question; on its own it cannot notice that
the question asked about something else. „Warum besteht die Kampagne aus zehn Videos?“ matches
„Im Mittelpunkt der Kampagne stehen fünf Videos …“ almost word for word. Cheap checks catch
the common cases in any corpus:

- **A detail the retrieved documents never mention** (`unsupported_detail`): a number of the
  question ("das 40. Mitglied", "2015", "zehn Videos") or a German state, large city or
  neighbouring country ("Bayern", "Hamburg") that occurs in none of the retrieved passages or
  their titles. The question then rests on a false premise or is about a place the documents do not
  cover, and the closest sentence would answer a different question.
- **A name the quoted documents never mention** (`question_names`, `absent_name`): "Daniela
  Behrens" in a question the NRW release answers best, though only Lower Saxony's release names her.
- **The kind of answer asked for is missing** (`missing_kind`): "Wie viele …?" answered by sentences
  without a number (a date's digits do not count), "Wann …?" by sentences without a date, a time
  word or a "wenn"-clause, "Wie lange …?" without a duration, "Welcher Partei …?" without a party,
  "Wie viel Geld/Honorar …?" without a sum of money, "An welchem Wochentag …?" without a weekday.

Measured on the seed set and the xquad-de hold-out together (docs/measurements.md, "Answer checks"): the seed
set's abstention recall rose from 0.51 to 0.83 with no correct seed answer lost; on xquad-de four
of 973 answerable questions lost a correct answer (a year the passages do not repeat, say).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from . import wordlist
from .records import Chunk, Passage
from .text import MONTHS, MONTHS_EN, NUMBER_WORDS, NUMBER_WORDS_RE, SEASONS_RE, STOPWORDS, WEEKDAYS_RE, related, stem, words

if TYPE_CHECKING:
    from .read.candidates import Candidate

# --- numbers ----------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_DATE_TOKEN = re.compile(r"\d{1,2}\.\d{1,2}\.(\d{2}|\d{4})")
_MONTH_NUMBERS = {m.lower(): str(i % 12 + 1) for i, m in enumerate(MONTHS + MONTHS_EN)}
_THOUSANDS = re.compile(r"[.,](?=\d{3}\b)")


def question_numbers(text: str) -> set[str]:
    """The numbers a question states, normalised: "95.000" → "95000", "40." → "40", "zehn" → "10".

    A number word right after "welche"/"which" asks for that many items ("Welche zwei Entwicklungen
    …?", answered by "der demografische Wandel und der Fachkräftemangel"): it is no premise."""
    out: set[str] = set()
    for m in _DIGITS.findall(text):
        if _DATE_TOKEN.fullmatch(m.rstrip(".")):
            # a date by its parts, so that "6.9.2023" is found in "6. September 2023"
            out.update(p.lstrip("0") or "0" for p in m.split(".") if p)
        else:
            out.add(_THOUSANDS.sub("", m).rstrip(".,"))
    toks = words(text)
    out.update(
        str(NUMBER_WORDS[w])
        for i, w in enumerate(toks)
        if w in NUMBER_WORDS and not (i and (toks[i - 1].startswith("welch") or toks[i - 1] == "which"))
    )
    return out


def text_numbers(text: str) -> set[str]:
    """Every number a text states, whole and in parts: "27.05.2008" also gives "27", "5", "2008",
    so a question's "2008" is found in a date."""
    out: set[str] = set()
    for m in _DIGITS.findall(text):
        out.add(_THOUSANDS.sub("", m))
        out.update(p.lstrip("0") or "0" for p in re.split(r"[.,]", m) if p)
    for w in words(text):
        if w in NUMBER_WORDS:
            out.add(str(NUMBER_WORDS[w]))
        elif w in _MONTH_NUMBERS:
            out.add(_MONTH_NUMBERS[w])
    return out


# --- places -----------------------------------------------------------------------------------

# German states, their adjectives, the state capitals and other large cities, the neighbouring
# German-speaking countries; English names map to the German ones the documents use. A closed list
# on purpose (see its file): a general named-entity recogniser does not ship offline.
_PLACES = wordlist.ordered("places")
_ALIASES = dict(wordlist.pairs("place-aliases"))
# A name with an inflection ending ("Hamburgs", "bayerischen"), not the start of another word
# ("essentiell" is not Essen).
_PLACE = re.compile(
    r"(?<!\w)(" + "|".join(sorted(map(re.escape, (*_PLACES, *_ALIASES)), key=len, reverse=True)) + r")(?:s|e|en|er|es|em)?\b",
    re.IGNORECASE,
)


def places(text: str) -> set[str]:
    """The places of the list that a text names, by their German name."""
    return {_ALIASES.get(m.lower(), m.lower()) for m in _PLACE.findall(text)}


# --- the checks -------------------------------------------------------------------------------


def unsupported_detail(question: str, passages: Iterable[Passage]) -> str | None:
    """A number or place of the question that none of the retrieved passages (nor their document
    titles) mentions, as the question wrote it; None when every detail is found."""
    nums = question_numbers(question)
    named = places(question)
    if not nums and not named:
        return None  # most questions: no passage text is looked at
    found_nums: set[str] = set()
    found_places: set[str] = set()
    for p in passages:
        for text in (p.chunk.text, p.chunk.doc.title):
            n, pl = _details(text)
            found_nums |= n
            found_places |= pl
    missing = sorted(nums - found_nums)
    if missing:
        return _as_written(question, missing[0])
    # by whole names, so that "Sachsen" is not found in "Niedersachsen"
    unnamed = sorted(named - found_places)
    return _as_written(question, unnamed[0]) if unnamed else None


@lru_cache(maxsize=4096)
def _details(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """The numbers and places of a passage or title; cached, since top passages recur across
    questions (scanning ten passages took 0.65 ms a question, a third of the answerer's time)."""
    return frozenset(text_numbers(text)), frozenset(places(text))


def _as_written(question: str, detail: str) -> str:
    """The question's own spelling of a detail, for the message ("95.000" rather than "95000")."""
    for m in re.finditer(r"\w[\w.,-]*", question):
        tok = m.group().rstrip(".,")
        low = tok.lower()
        if low == detail or _THOUSANDS.sub("", low) == detail or str(NUMBER_WORDS.get(low)) == detail:
            return tok
        if _DATE_TOKEN.fullmatch(low) and detail in {p.lstrip("0") for p in low.split(".")}:
            return tok
        if _ALIASES.get(low, low).startswith(detail) or (low.startswith(detail) and len(low) - len(detail) <= 2):
            return tok
    return detail


_MONTHS = "(" + "|".join(_MONTH_NUMBERS) + ")"  # German and English names (April, August, … once)
_DATE_SPANS = re.compile(r"\b\d{1,2}\.\s*" + _MONTHS + r"(\s+\d{2,4})?|\b\d{1,2}\.\d{1,2}\.\d{2,4}\b", re.I)
_ORDINAL = re.compile(r"\b\d{1,3}\.(?=\s)")
_AMOUNT_WORDS = re.compile(rf"\b({NUMBER_WORDS_RE}|{wordlist.alternation('amount-words')})\w*", re.I)
_HAS_DATE = re.compile(
    r"\b(1\d|20)\d\d\b|\b\d{3,4}\b|\b\d{1,2}\.\d{1,2}\.\d{2,4}\b|\d+er\b|" + _MONTHS + "|"
    rf"{WEEKDAYS_RE}|jahrhundert|century|heute|gestern|morgen|"
    rf"{SEASONS_RE}|{wordlist.alternation('seasons-en')}|"
    r"jahr|monat|woche|wenn|sobald|nachdem|bevor|während|when|after|before|once",
    re.I,
)
_ASKS_AMOUNT = re.compile(
    r"\b(wie\s*viel\w*|wieviel\w*|how\s+(much|many|old)|welch\w*\s+(anzahl|summe|betrag|höhe)|wie\s+hoch|wie\s+alt)\b", re.I
)
_ASKS_ORDINAL = re.compile(r"\b(wievielt\w*|wie\s+vielt\w*)\b", re.I)
_ASKS_DATE = re.compile(
    r"\b(wann|in\s+welchem\s+jahr|welches\s+jahr|an\s+welchem\s+tag|welche[sm]?\s+datum|when|what\s+year|(on\s+)?(what|which)\s+(day|date))\b",
    re.I,
)
_MONEY = re.compile(r"[\d.,]+\s*(mio\.?|mrd\.?|millionen|milliarden)?\s*(euro|€|dollar|us-dollar|\$|pfund|franken)", re.I)
_MONEY_WORDS = re.compile(wordlist.alternation("money-words"), re.I)
# A question about a sum of money, answered only by a sum ("Wie viel Honorar …?" is not answered by
# "fünf Videos")
_ASKS_MONEY = re.compile(
    r"\b(wie\s*viel\s+(geld|honorar|budget|euro|dollar)|was\s+kostet\w*|wie\s+teuer|wie\s+hoch\s+\w+\s+\w+\s+"
    r"(budget|kosten|honorar|förder\w*|summe|betrag|preis)|welche\w*\s+(summe|betrag|fördersumme|geldsumme)|"
    r"how\s+much\s+money|how\s+much\s+did\s+.+\s+(cost|pay)|how\s+much\s+(does|do|did)\s+.+\s+cost)\b",
    re.I,
)
_MONEY_ANY = re.compile(_MONEY.pattern + r"|(€|\$|£|US\$)\s*\d|\b(kostenlos|kostenfrei|gebührenfrei|free of charge)\b", re.I)
_ASKS_COUNT = re.compile(r"\b(wie\s*viele|wieviele|how\s+many)\b", re.I)


def has_amount(text: str, ordinals: bool = False, money: bool = True) -> bool:
    """Whether a text states a quantity: a number that is not part of a date, or a number word.
    Ordinals ("37.") count only where the question asks for one ("Das wievielte …?"); sums of money
    only where it may ask for money ("Wie viele Beschäftigte …?" is not answered by "300.000 Euro")."""
    rest = _DATE_SPANS.sub(" ", text)
    if not money:
        rest = _MONEY.sub(" ", rest)
    if not ordinals:
        rest = _ORDINAL.sub(" ", rest)
    return bool(re.search(r"\d", rest) or _AMOUNT_WORDS.search(rest))


_QUANTITY = (
    rf"(\d+([.,]\d+)?|ein\w*|{NUMBER_WORDS_RE}|hundert\w*|tausend\w*|mehrere\w*|einige\w*|wenige\w*|viele\w*|"
    r"paar|halb\w*|one|several|few|many|a)"
)
_UNIT = "(" + wordlist.alternation("units") + r")\w*"
# What a phone number ("0211 837-2000" in the seeds) and an e-mail address ("name@land.de",
# "name[at]land.de") look like; answer.py builds its contact patterns from these too.
PHONE_NUMBER = r"\+?\d[\d /-]{5,}\d"
EMAIL_ADDRESS = r"@|\[at\]"
# A web address, or the channel or portal it names ("auf dem YouTube-Kanal …")
WEB_LINK = r"https?://|www\.|\w\.(de|com|org|nrw|eu)\b|YouTube|Instagram|Kanal|Portal|Account"
# The words a question names a web address by; answer.py builds its link question kinds from these too
LINK_WORDS = wordlist.alternation("link-words")

# Languages by name, German and English (a closed list like the places above), found with an
# adjective's ending or as the first part of "…kenntnisse", "…kurs", "…sprachig" where they are used
# below. Whole words: "Deutschland" and "darin" name no language.
_LANGUAGES = wordlist.alternation("languages")

# Further kinds, each (what asks for it, what holds it); no cost on xquad-de's 1,190 questions.
_OTHER_KINDS = {
    "duration": (
        re.compile(r"\bwie\s+lang(e|en)?\b|\bhow\s+long\b", re.I),
        re.compile(rf"\b{_QUANTITY}\s+(\w+\s+)?{_UNIT}\b|\bseit\b|\bbis\b|\b(1\d|20)\d\d\b|\d+-\w*(jährig|tägig|minütig)", re.I),
    ),
    # "An welchem Wochentag …?" is answered by "am Mittwoch, 6. September 2023", not by the date alone
    "weekday": (
        re.compile(r"\b(wochentag\w*|day\s+of\s+the\s+week|weekday)\b", re.I),
        re.compile(rf"\b({WEEKDAYS_RE}|{wordlist.alternation('weekdays-en')})s?\b", re.I),
    ),
    # A question that names a phone number or an e-mail address wants that and nothing else: "Unter
    # welcher Telefonnummer erreiche ich das Ministerium?" answered by a sentence about the ministry's
    # funding answers a different question. (Bare "Nummer" is left out: "Welche Nummer …" may ask a count.)
    "phone": (
        re.compile(r"\b(telefon(nummer)?n?|telefonisch|rufnummer\w*|anrufen|anzurufen|hotline|(tele)?phone(\s+number)?)\b", re.I),
        re.compile(PHONE_NUMBER),
    ),
    "email": (
        re.compile(r"\b(e-?mail(-?adresse)?|mailadresse|email\s+address)\b", re.I),
        re.compile(EMAIL_ADDRESS, re.I),
    ),
    # "Where can I watch the videos online?" wants the web address or channel; a sentence about
    # the five videos answers a different question. Only where the link is what is asked: "Wie
    # viele Menschen unterzeichneten eine Online-Petition auf der Website …?" asks a number (xquad-de).
    "link": (
        re.compile(
            r"^\W*(und\s+)?(wo|where)\b.*\b(online|internet|link|url|website|webseite|internetseite|homepage)\b|"
            rf"\b(welche[mnrs]?|which|what('s|\s+is)?(\s+the)?)\s+({LINK_WORDS}|web\s+address)\b|"
            r"\bunter\s+welche[rm]?\s+(link|url|adresse|internetadresse|webadresse)\b",
            re.I,
        ),
        re.compile(WEB_LINK, re.I),
    ),
    # "Welche Sprachen sprechen die Mitarbeitenden …?" wants languages by name; a sentence on
    # intercultural training answers a different question. Not "Welche Sprachkurse …?"
    "language": (
        re.compile(
            r"\b(welche[mnrs]?|which|what)\s+(\w+\s+)?(sprachen?|languages?)\b|\bin\s+(welche[rn]?|what)\s+(sprachen?|languages?)\b",
            re.I,
        ),
        re.compile(rf"\b({_LANGUAGES})(e|en|er|es|em|s|kenntnisse?n?|kurs\w*|unterricht\w*|sprachig\w*)?\b", re.I),
    ),
    "party": (
        re.compile(r"\b(welche\w*\s+partei|partei\w*\s+gehört|which\s+party|what\s+party)", re.I),
        re.compile(
            r"\b(SPD|CDU|CSU|FDP|Grünen?|Bündnis\s*90|Linke|AfD|BSW|Freie\s+Wähler|Piraten\w*|parteilos\w*|Partei\w*|"
            r"Demokrat\w*|Republikan\w*|Labour|Tories|Konservativ\w*|Sozialist\w*|Kommunist\w*|Liberal\w*)\b",
            re.I,
        ),
    ),
}


# "Welche Migrantenorganisationen haben mitgearbeitet?" asks which ones; "… Vertretern verschiedener
# Migrantenorganisationen aus Niedersachsen" names none. The question's noun after "welche"
# stands in the quotes only after a vague quantifier, with no list following in its sentence.
_WHICH = re.compile(r"\bwelche\s+(\w{4,})", re.I)
_VAGUE = r"\b(?:verschiedene[nr]?|mehrere[nr]?|zahlreiche[nr]?|einige[nr]?|unterschiedliche[nr]?|diverse[nr]?|viele[nr]?)\s+(?:\w+\s+)?{noun}\b"
_LIST_FOLLOWS = re.compile(r"\b(wie|darunter|etwa|beispielsweise|u\.\s?a\.|unter anderem|namentlich)\b|:", re.I)


def _none_named(question: str, quotes: str) -> bool:
    """Whether the quotes mention what "Welche …?" asks for only as "verschiedene …", "mehrere …"."""
    m = _WHICH.search(question)
    if not m:
        return False
    noun = re.escape(m.group(1).lower())
    text = quotes.lower()
    vague = re.compile(_VAGUE.format(noun=noun))
    found = list(vague.finditer(text))
    if not found or re.search(rf"\b{noun}\b", vague.sub(" ", text)):
        return False
    return not any(_LIST_FOLLOWS.search(re.match(r"[^.!?]*", text[v.end() :]).group(0)) for v in found)


def missing_kind(question: str, quotes: str, lang: str = "de") -> str | None:
    """The kind of answer the question asks for ("amount", "money", "date", "duration", "weekday",
    "phone", "email", "link", "language", "party") when ``quotes`` (the quoted sentences) hold none of it,
    "which" when they mention what "Welche …?" asks for without naming any; else None."""
    ordinal = bool(_ASKS_ORDINAL.search(question))
    money = not _ASKS_COUNT.search(question) or bool(_MONEY_WORDS.search(question))
    # English has no "wievielte": "How many members …" is answered by "als 37. Mitglied"
    if (ordinal or _ASKS_AMOUNT.search(question)) and not has_amount(quotes, ordinal or lang == "en", money):
        return "amount"
    if _ASKS_MONEY.search(question) and not _MONEY_ANY.search(quotes):
        return "money"
    if _ASKS_DATE.search(question) and not _HAS_DATE.search(quotes):
        return "date"
    for kind, (asks, has) in _OTHER_KINDS.items():
        if asks.search(question) and not has.search(quotes):
            return kind
    if lang == "de" and _none_named(question, quotes):
        return "which"
    return None


# --- names ------------------------------------------------------------------------------------

_NAME_TOKEN = re.compile(r"[^\W\d_][\w'-]*")
_TITLES = wordlist.words("name-titles")


def question_names(question: str, is_word: Callable[[str], bool], indexed: Callable[[str], bool]) -> list[str]:
    """Names the question gives, as written: two capitalised words inside the question that the
    thesaurus does not know (``is_word``, on stems) and the index does (``indexed``), or such a
    word after a title ("Daniela Behrens", "Virgin Media"; "Behrens" of "Frau Behrens").

    No named-entity recogniser ships offline. German capitalises every noun, hence the pair, the
    thesaurus and the index: "Die Videos" is no name, "Lady Gaga" one the documents know. A word
    the index lacks (a misspelt name, "Saxon Garden" in an English question) is never checked.
    """

    def name_like(tok: str) -> bool:
        low = tok.lower()
        return tok[:1].isupper() and low not in STOPWORDS and not is_word(stem(low)) and indexed(stem(low))

    toks = _NAME_TOKEN.findall(question)
    out: list[str] = []
    for i in range(1, len(toks)):
        prev, w = toks[i - 1], toks[i]
        if not name_like(w):
            continue
        titled = prev.lower().rstrip(".") in _TITLES
        paired = i > 1 and name_like(prev)  # the question's first word is capitalised anyway
        name = w if titled else f"{prev} {w}"
        if (titled or paired) and name not in out:
            out.append(name)
    return out


def absent_name(names: Iterable[str], documents: Iterable[str]) -> str | None:
    """The first of ``names`` whose last word none of ``documents`` (the texts the answer quotes
    from) holds, as a stem or a compound/stem relative (``text.related``, as the answerer matches
    words: "Kurku" in "Kurkus", "Öffnung" in "Öffnungsprozess").

    Such a question is about somebody or something else: "Why did Daniela Behrens sign the
    agreement with Minden-Lübbecke?" would be answered from the NRW release, which never mentions
    Lower Saxony's minister (a false premise). Whole documents, not the quoted chunk: a chunk that
    says "Dschingis" for "Dschingis Khan" would cost answers. Measured (docs/measurements.md, at 56c8a0d): seed
    abstention recall +1 question; xquad-de and its typing-error questions one held-out question
    more abstained each; no answer lost."""
    names = list(names)
    if not names:
        return None
    have = {stem(w) for text in documents for w in words(text)}
    for name in names:
        s = stem(name.split()[-1].lower())
        if s not in have and not any(related(s, h) for h in have):
            return name
    return None


def name_not_quoted(
    question: str,
    chosen: Sequence[Candidate],
    is_word: Callable[[str], bool],
    bm25=None,
    doc_chunks: Callable[[str], Sequence[Chunk]] | None = None,
) -> str | None:
    """A name of the question that the documents the answer quotes from (``chosen``) never
    mention (``absent_name``); their whole text (``doc_chunks``) is read only when the question
    gives a name."""
    indexed = (lambda t: bm25.doc_freq(t) > 0) if bm25 is not None else (lambda t: True)
    names = question_names(question, is_word, indexed)
    if not names:
        return None
    texts = [c.passage.chunk.doc.title for c in chosen]
    if doc_chunks is not None:
        doc_ids = dict.fromkeys(c.passage.chunk.doc.doc_id for c in chosen)
        texts += [ch.text for doc_id in doc_ids for ch in doc_chunks(doc_id)]
    else:
        texts += [c.passage.chunk.text for c in chosen]
    return absent_name(names, texts)


__all__ = [
    "EMAIL_ADDRESS", "LINK_WORDS", "PHONE_NUMBER", "WEB_LINK", "absent_name", "has_amount",
    "missing_kind", "name_not_quoted", "places", "question_names", "question_numbers",
    "text_numbers", "unsupported_detail",
]  # fmt: skip
