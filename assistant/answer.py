"""Extractive answering: choose the sentences of the retrieved passages that answer the question.

No generative model ships offline, so an answer is composed from source sentences, each followed
by its citation marker. Two scorers choose them. The lexical scorer (``read/lexical.py``) answers
where it is confident; where it would abstain, the trained reader (``read/``: a cross-encoder that
reads question and sentence together) scores the top passages' sentences and answers if its
calibrated probability reaches its rescue threshold (``reader_role`` lexical_or_reader, the
default; with ``decide`` the reader alone chooses and decides). The checks below (premise.py,
docinfo.py) stay around both. When the reader cannot load, the lexical scorer answers alone.

The answer abstains when the best sentence with its neighbours covers too little of the question
(a neighbour that adds the question's words is quoted with it): a question about
something the documents never mention (terms unknown to the index weigh heaviest) gets an honest
"the documents don't say" with what they do cover (messages.py). It also abstains, saying why,
when a number or place of the question is in no retrieved source or the quoted sentences lack the
amount or date asked for (premise.py). Adjacent quoted sentences form one citation
(``read/select.py``). A question about a document itself (its headline, publisher, date) is
answered from the document's metadata (docinfo.py).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .bilingual import Dictionary
from .docinfo import asks_about_document, find_line, statement
from .messages import abstain_message, near_documents
from .premise import missing_kind, name_not_quoted, unsupported_detail
from .question import Question
from .read.candidates import Candidate, by_meaning, sentence_candidates
from .read.lexical import LexicalScorer
from .read.model import CARD_FILE, WEIGHTS_DIR, ReaderMissing, load_reader, names_veto
from .read.select import citations, select, synonym_words, weighed
from .read.span import SPAN_CARD, Spanner, SpanScorer, load_span, short_answer
from .read.stage import ReaderScorer, Scorer, read
from .records import Answer, Chunk, Passage, Turn, Weighed
from .thesaurus import Thesaurus

_UNSET = object()  # the reader not looked for yet


@dataclass
class _Ask:
    """One question being answered: what it came with, and the scorer and confidence that decide
    so far (an abstention reports both)."""

    q: Question
    passages: Sequence[Passage]
    bm25: object
    titles: Sequence[str]
    qvec: np.ndarray | None
    doc_chunks: Callable[[str], Sequence[Chunk]] | None
    conf: float = 0.0
    scorer: Scorer | None = None
    lexical_cands: list[Candidate] | None = None  # the lexical scorer's candidates, once computed
    read_weighed: list[Weighed] = field(default_factory=list)  # the reader's best sentences, once it read

    @property
    def question(self) -> str:
        return self.q.text

    @property
    def lang(self) -> str:
        return self.q.language


# the checks around the scorer: a number or place of the question that no source holds ("detail"),
# a question about a document itself answered from its metadata ("document", docinfo.py), the kind
# of answer asked for missing from the quotes ("kind"), a name of the question missing from the
# quoted documents ("name")
CHECKS = frozenset({"detail", "document", "kind", "name"})


class Answerer:
    """Compose a cited answer from passages: the lexical scorer (``lexical``; ``embedder`` and the
    keyword arguments ``weights``, ``thesaurus``, ``dictionary`` are its), the reader (``scorer``,
    loaded on first use unless given), the checks."""

    def __init__(self, settings, embedder=None, *, scorer: Scorer | None = None, spanner: Spanner | None = None, **lexical):
        self.settings = settings
        # weights, thesaurus, dictionary: see LexicalScorer
        self.lexical = LexicalScorer(settings, embedder, **lexical)
        self._scorer: Scorer | None | object = _UNSET if scorer is None else scorer
        self._scorer_note = ""
        self._card_vetoes: bool | None = None  # whether the reader's card names a veto, read once
        self._spanner: Spanner | None | object = _UNSET if spanner is None else spanner

    @property
    def spanner(self) -> Spanner | None:
        """The span model for short answers (beside the reader's weights), loaded on the first
        answer; None when ``settings.short_answers`` or the reader is off, or it cannot load (the
        answer then quotes only)."""
        if self._spanner is _UNSET:
            self._spanner = None
            if getattr(self.settings, "short_answers", "auto") != "off" and getattr(self.settings, "reader", "auto") != "off":
                try:
                    self._spanner = load_span(self._reader_dir)
                except ReaderMissing:
                    pass  # logged once by load_span
        return self._spanner  # type: ignore[return-value]

    @property
    def _reader_dir(self) -> Path:
        return getattr(self.settings, "reader_dir", None) or WEIGHTS_DIR

    @property
    def scorer(self) -> Scorer | None:
        """The reader, loaded on first use; None (the lexical scorer answers) when
        ``settings.reader`` is off or the weights cannot be used (``_scorer_note`` says why)."""
        if self._scorer is _UNSET:
            self._scorer = None
            if getattr(self.settings, "reader", "auto") != "off":
                try:
                    folder = self._reader_dir
                    if getattr(self.settings, "reader_model", "reader") == "span":
                        self._scorer = SpanScorer(load_span(folder))
                    else:
                        self._scorer = ReaderScorer(load_reader(folder))
                except ReaderMissing as exc:
                    self._scorer_note = exc.de
        return self._scorer  # type: ignore[return-value]

    @property
    def thesaurus(self) -> Thesaurus:
        """The synonyms in use (the lexical scorer's)."""
        return self.lexical.thesaurus

    @property
    def dictionary(self) -> Dictionary:
        """The German-English dictionary in use (the lexical scorer's)."""
        return self.lexical.dictionary

    def compose(
        self,
        question: Question | str,
        passages: Sequence[Passage],
        bm25=None,
        titles: Sequence[str] = (),
        history: Sequence[Turn] = (),
        qvec: np.ndarray | None = None,
        doc_chunks: Callable[[str], Sequence[Chunk]] | None = None,
    ) -> Answer:
        """The cited answer to ``question`` from ``passages``, or an abstention saying why.
        ``doc_chunks(doc_id)`` (all chunks of a document) lets questions about a document itself
        ("Wer hat die Meldung herausgegeben?") be answered from its metadata (docinfo.py). A
        ``str`` question is taken as given, with ``history``; a ``Question`` carries its own."""
        q = question if isinstance(question, Question) else Question.of(question, history)
        question = q.text
        ask = _Ask(q, passages, bm25, titles, qvec, doc_chunks)
        role = getattr(self.settings, "reader_role", "decide")
        # the reader is loaded when it first reads (a rescue or a veto), not when the process starts
        # (`serve` loads it while it starts): `assistant ask` stays at ~150 MB instead of ~700 MB
        ask.scorer = None if role == "lexical_or_reader" else self.scorer
        reader_first = ask.scorer is not None
        if reader_first:
            cands = self._reading_candidates(ask)  # the reader scores them below
            threshold = self._answering_threshold(ask.scorer)
        else:
            cands = self._lexical(ask)
            ask.conf, threshold = self.lexical.confidence(cands[0] if cands else None, passages, ask.lang), self.settings.abstain_threshold
        if not cands:
            return self._abstain(ask, "low confidence")
        checks = self._checks()
        # A number or place the sources never mention: whatever sentence comes closest answers a
        # different question (premise.py)
        detail = unsupported_detail(question, passages) if "detail" in checks else ""
        if detail:
            return self._abstain(ask, "detail", detail)
        about = asks_about_document(question) if doc_chunks is not None and "document" in checks else None
        if about:
            answered = self._about_document(ask, about)
            if answered is not None:
                return answered
        chosen = self._decide(ask, role, cands, threshold, reader_first)
        if isinstance(chosen, Answer):
            return chosen
        return self._checked(ask, chosen, checks)

    def _reading_candidates(self, ask: _Ask) -> list[Candidate]:
        """What the reader reads, deciding or rescuing: every quotable sentence of the top passages,
        or with ``reader_top`` only the lexical scorer's best ones (their lexical scores dropped:
        the reader's probabilities replace them)."""
        top = getattr(self.settings, "reader_top", 0)
        if not top:
            return sentence_candidates(ask.passages, ask.lang)
        return [replace(c, score=0.0) for c in self._lexical(ask)[:top]]

    def _lexical(self, ask: _Ask, reach: int | None = None) -> list[Candidate]:
        """The lexical scorer's candidates for ``ask``, best first. Those of the default reach are
        kept on ``ask``: the lexical decision, the reader's ``reader_top`` and its lexical fallback need them."""
        if reach is not None:
            return self.lexical.candidates(ask.q, ask.passages, ask.bm25, ask.qvec, reach=reach)
        if ask.lexical_cands is None:
            ask.lexical_cands = self.lexical.candidates(ask.q, ask.passages, ask.bm25, ask.qvec)
        return ask.lexical_cands

    def _decide(self, ask: _Ask, role: str, cands: list[Candidate], threshold: float, reader_first: bool) -> list[Candidate] | Answer:
        """The sentences to quote, or the abstention; ``ask.scorer`` ends as the scorer that decided
        (None for the lexical one) and ``ask.conf`` as its confidence."""
        if reader_first:
            # the reader's calibrated probability decides, and chooses the sentences (read/stage.py)
            ask.conf, read_chosen = self._read(ask.scorer, ask, cands)
            if ask.conf >= threshold:
                return read_chosen
            if role != "decide_or_lexical":
                return self._abstain(ask, "low confidence")
            # the reader is unsure: the lexical scorer decides, as without a reader
            cands = self._lexical(ask)
            ask.conf = self.lexical.confidence(cands[0] if cands else None, ask.passages, ask.lang)
            if ask.conf < self.settings.abstain_threshold or not cands:
                return self._abstain(ask, "low confidence")
            ask.scorer = None
            return select(cands, self.lexical.w, self.settings.max_answer_sentences)
        if ask.conf >= threshold:
            return self._unless_vetoed(ask, role, select(cands, self.lexical.w, self.settings.max_answer_sentences))
        if role == "lexical_or_reader" and (scorer := self.scorer) is not None:
            # lexical_or_reader: the lexical scorer would abstain. The reader answers where it is
            # sure: at its rescue threshold, where on the reader set's dev split at least half of
            # such answers are right (evals/rescue.py), stricter than its own answering threshold
            ask.scorer = scorer
            ask.conf, chosen = self._read(scorer, ask, self._reading_candidates(ask))
            if ask.conf < scorer.rescue_threshold:
                return self._abstain(ask, "low confidence")
            return chosen
        return self._abstain(ask, "low confidence")

    def _unless_vetoed(self, ask: _Ask, role: str, chosen: list[Candidate]) -> list[Candidate] | Answer:
        """The lexical scorer's sentences, unless the reader finds no sentence of the passages
        likely to answer (its best probability below its veto threshold): then the question is
        most likely one the documents leave open and the words it shares with a sentence mislead.
        On the reader set's dev split most answers so overruled were wrong (evals/rescue.py)."""
        if role != "lexical_or_reader" or not self._may_veto() or (scorer := self.scorer) is None or not scorer.veto_threshold:
            return chosen
        conf, _ = self._read(scorer, ask, sentence_candidates(ask.passages, ask.lang))
        if conf >= scorer.veto_threshold:
            return chosen
        ask.scorer, ask.conf = scorer, conf
        return self._abstain(ask, "veto")

    def _may_veto(self) -> bool:
        """Whether the reader may veto, asked of its card while it is not loaded: asking the reader
        loads its graph (~550 MB, ~1.5 s), which a lexical answer without a veto does not need."""
        if self._scorer is not _UNSET:
            return True
        if self._card_vetoes is None:
            card = SPAN_CARD if getattr(self.settings, "reader_model", "reader") == "span" else CARD_FILE
            self._card_vetoes = names_veto(self._reader_dir / card)
        return self._card_vetoes

    def _checks(self) -> frozenset[str]:
        """The checks in use: all (``CHECKS``) but those the settings leave out to measure them."""
        if not getattr(self.settings, "answer_checks", True):
            return frozenset()
        return CHECKS - frozenset(getattr(self.settings, "skip_checks", ()))

    def _checked(self, ask: _Ask, chosen: list[Candidate], checks: frozenset[str]) -> Answer:
        """The answer quoting ``chosen``, unless it lacks the kind of answer asked for or the
        documents it quotes never name a name of the question (premise.py)."""
        kind = missing_kind(ask.question, " ".join(c.text for c in chosen), ask.lang) if "kind" in checks else ""
        if kind and ask.scorer is None and ask.lang == "en" and len(ask.passages) > self.lexical.w.passages:
            # An English question reads only the passages closest in meaning (``candidates``), and
            # the sentence with the amount or date it asks for can stand just below them ("How much
            # money did the social ministry contribute …?": the 95,000-euro quote is sixth). So it
            # reads all retrieved passages before abstaining. Not for German questions: they read
            # the fused list, and widening it answered three unanswerable seed questions
            wider = self._lexical(ask, reach=len(ask.passages))
            wider_conf = self.lexical.confidence(wider[0], ask.passages, ask.lang) if wider else 0.0
            if wider_conf >= self.settings.abstain_threshold:
                wider_chosen = select(wider, self.lexical.w, self.settings.max_answer_sentences)
                if not missing_kind(ask.question, " ".join(c.text for c in wider_chosen), ask.lang):
                    ask.conf, chosen, kind = wider_conf, wider_chosen, ""
        if kind and getattr(self.settings, "kind_reach", 0) and (found := self._read_for_kind(ask)):
            ask.conf, chosen, kind = *found, ""
        if kind:
            return self._abstain(ask, "kind", kind)
        name = None
        if "name" in checks:
            name = name_not_quoted(ask.question, chosen, self.thesaurus.__contains__, ask.bm25, ask.doc_chunks)
        if name:
            return self._abstain(ask, "name", name)
        return self._answer(ask, chosen)

    def _read_for_kind(self, ask: _Ask) -> tuple[float, list[Candidate]] | None:
        """The quotes lack the kind of answer asked for (an amount, a date, …): the reader reads
        the sentences of the retrieved passages that hold it, and they answer where it is as sure
        as it must be to rescue. None otherwise."""
        scorer = self.scorer if getattr(self.settings, "reader_role", "") == "lexical_or_reader" else None
        if scorer is None:
            return None
        holding = [c for c in sentence_candidates(ask.passages, ask.lang, reach=self.settings.kind_reach) if not missing_kind(ask.question, c.text, ask.lang)]
        if not holding:
            return None
        conf, chosen = self._read(scorer, ask, holding)
        if conf < scorer.rescue_threshold:
            return None
        ask.scorer = scorer
        return conf, chosen

    def _answer(self, ask: _Ask, chosen: list[Candidate]) -> Answer:
        """The answer: the quoted sentences, each followed by its citation marker."""
        cited = citations(chosen)
        # a quote spanning a paragraph break reads as one line in the chat; the card shows the original
        text = " ".join(f"{' '.join(c.quote.split())} [{c.n}]" for c in cited)
        if ask.lang == "en":
            text = "According to the German source documents: " + text
        if ask.scorer is not None:
            basis = "reader"
        else:
            basis = "coverage" if ask.lang == "de" else "translation" if self.lexical.bilingual(ask.lang) else "meaning"
        return Answer(
            question=ask.question,
            answer=text,
            abstained=False,
            citations=cited,
            passages=list(ask.passages),
            language=ask.lang,
            confidence=ask.conf,
            basis=basis,
            synonyms=synonym_words(ask.question, chosen),
            scorer=ask.scorer.name if ask.scorer is not None else "lexical",
            scorer_note=self._scorer_note,
            short=short_answer(self.spanner, ask.question, ask.q.previous, chosen, cited),
            weighed=self._weighed(ask),
        )

    def _abstain(self, ask: _Ask, basis: str, detail: str = "") -> Answer:
        """The honest "no answer found" answer, saying why, with the nearest documents (messages.py)."""
        return Answer(
            question=ask.question,
            answer=abstain_message(ask.lang, ask.titles, ask.passages, basis, detail),
            abstained=True,
            passages=list(ask.passages),
            language=ask.lang,
            confidence=ask.conf,
            basis=basis,
            basis_detail=detail,
            scorer=ask.scorer.name if ask.scorer is not None else "lexical",
            scorer_note=self._scorer_note,
            documents=near_documents(ask.passages),
            weighed=self._weighed(ask),
        )

    def _read(self, scorer: Scorer, ask: _Ask, cands: Sequence[Candidate]) -> tuple[float, list[Candidate]]:
        """The reader's confidence (its best probability) and the sentences it would quote, each
        with its probability as score (read/stage.py); the caller decides against which threshold."""
        reading = read(
            scorer, ask.question, ask.q.previous, cands, self.settings.max_answer_sentences, self._answering_threshold(scorer),
            neighbours_only=getattr(self.settings, "reader_quotes", "neighbours") == "neighbours",
        )
        scored = [replace(c, score=float(p)) for c, p in zip(cands, reading.probs)]
        ask.read_weighed = weighed(scored, scorer.name)
        return reading.confidence, [scored[i] for i in reading.chosen]

    def _answering_threshold(self, scorer: Scorer) -> float:
        """Where the reader answers: ``reader_threshold`` where set, else its calibrated threshold."""
        chosen = getattr(self.settings, "reader_threshold", None)
        return scorer.threshold if chosen is None else chosen

    @staticmethod
    def _weighed(ask: _Ask) -> list[Weighed]:
        """The best sentences of the scorer that decided, for staff (``Answer.weighed``)."""
        return ask.read_weighed if ask.scorer is not None else weighed(ask.lexical_cands or [], "lexical")

    def _about_document(self, ask: _Ask, kind: str) -> Answer | None:
        """The document's ``kind`` field, stated and quoted where the document shows it; the
        document is the one the question's other words found (the best passage's, by meaning for
        English). None when it has no such field."""
        doc = (by_meaning(ask.passages) if ask.lang == "en" else ask.passages)[0].chunk.doc
        found = find_line(doc, kind, ask.doc_chunks(doc.doc_id))
        if found is None:
            return None
        chunk, i = found
        a, b = chunk.sentences[i]
        shown = list(ask.passages)
        hit = next((p for p in shown if p.chunk.id == chunk.id), None)
        if hit is None:
            # the line (a headline, a "Quelle:" line) need not be in a retrieved passage; staff
            # see it among them, unranked
            hit = Passage(chunk=chunk, fused_rank=len(shown) + 1, fused_score=0.0)
            shown.append(hit)
        (c,) = citations([Candidate(hit, i, a, b, 1.0, 1.0)])
        return Answer(
            question=ask.question,
            answer=f"{statement(doc, kind, ask.lang)} {' '.join(c.quote.split())} [1]",
            abstained=False,
            citations=[c],
            passages=shown,
            language=ask.lang,
            confidence=ask.conf,
            basis="document",
            basis_detail=kind,
        )


__all__ = ["Answerer"]
