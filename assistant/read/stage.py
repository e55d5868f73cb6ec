"""The read stage: score the candidate sentences, calibrate, select, abstain.

Candidates are the sentences of the top passages with their offsets (``candidates.py`` leaves out
text addressed to an AI and bare headings). A ``Scorer`` gives each
the probability that it answers the question; the best one answers when that probability reaches
the scorer's threshold, and a neighbour joins it only where the scorer says that it answers too.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .candidates import Candidate, reading_order
from .reader import Pair

if TYPE_CHECKING:
    from .calibration import Calibration
    from .model import ReaderModel


class Scorer(Protocol):
    """One method: the probability that each candidate answers the question."""

    name: str
    threshold: float  # answer at or above this probability (reader_role decide)
    rescue_threshold: float  # answer where the lexical scorer would abstain (lexical_or_reader)
    veto_threshold: float  # abstain where the lexical scorer would answer but no sentence reaches this (0: never)

    def probabilities(self, question: str, previous: str, cands: Sequence[Candidate]) -> np.ndarray: ...


def candidate_pairs(question: str, previous: str, cands: Sequence[Candidate], context: bool = False) -> list[Pair]:
    """What a trained model reads for each candidate: the question, the sentence, its document's
    title (for a contact entry followed by its headings, which say whose number or address
    "Telefon: 0211 837-2000" is), the previous turn's question, and, for a model that reads it
    (``context``), the sentence before it in its passage."""
    return [
        Pair(question, c.text, " – ".join(t for t in [c.passage.chunk.doc.title, *c.headings] if t), previous, c.before if context else "")
        for c in cands
    ]


class CalibratedScorer:
    """A trained model's score for each candidate (``score(pairs)``), calibrated to a probability,
    with the thresholds its card records (a rescue or veto threshold of None: never)."""

    name = "model"
    context = False  # whether the model reads the sentence before each candidate

    def __init__(self, score, calibration: Calibration, sha256: str, rescue: float | None, veto: float | None):
        self.score, self.calibration, self.sha256 = score, calibration, sha256
        self.threshold = calibration.threshold
        self.rescue_threshold = float("inf") if rescue is None else rescue
        self.veto_threshold = veto or 0.0

    def probabilities(self, question: str, previous: str, cands: Sequence[Candidate]) -> np.ndarray:
        return self.calibration.prob(self.score(candidate_pairs(question, previous, cands, self.context)))


class ReaderScorer(CalibratedScorer):
    """The trained cross-encoder (``model.ReaderModel``) with its calibration."""

    name = "reader"

    def __init__(self, model: ReaderModel):
        info = model.info
        super().__init__(model.logits, info.calibration, info.sha256, info.rescue_threshold, info.veto_threshold)


@dataclass
class Reading:
    """What the scorer made of one question's candidates."""

    probs: np.ndarray  # per candidate, in the candidates' order
    chosen: list[int]  # the candidates to quote, in reading order

    @property
    def confidence(self) -> float:
        """The best candidate's probability; 0 without candidates."""
        return float(self.probs.max()) if len(self.probs) else 0.0


def select(
    cands: Sequence[Candidate], probs: np.ndarray, threshold: float, max_sentences: int, neighbours_only: bool = True
) -> list[int]:
    """The best candidate, and its neighbours in the same passage that the scorer also finds
    answering (probability at the threshold or above), best first, at most ``max_sentences``;
    returned in document order so that adjacent sentences form one quote. Not ``neighbours_only``:
    any other candidate at the threshold joins too, its passage after the best one's, except where
    the best is the phone number, e-mail address or link the question asks for (``narrow``, marked
    by the lexical scorer): a second entry of that kind beside it would only confuse, as in the
    lexical scorer's selection (a press office's number beside the citizens' line asked for)."""
    if not len(cands):
        return []
    best = int(np.argmax(probs))
    if not neighbours_only and cands[best].narrow:
        return [best]
    b = cands[best]
    near = [
        i for i, c in enumerate(cands)
        if i != best and probs[i] >= threshold
        and (not neighbours_only or (c.passage.chunk.id == b.passage.chunk.id and abs(c.idx - b.idx) == 1))
    ]  # fmt: skip
    near.sort(key=lambda i: -probs[i])
    chosen = [best, *near[: max_sentences - 1]]
    return [chosen[k] for k in reading_order([cands[i] for i in chosen])]


def read(
    scorer: Scorer, question: str, previous: str, cands: Sequence[Candidate], max_sentences: int, threshold: float,
    neighbours_only: bool = True,
) -> Reading:
    """The scorer's probabilities for ``cands`` and the sentences to quote: other sentences join
    the best at ``threshold`` (the caller's answering threshold)."""
    if not cands:
        return Reading(np.zeros(0), [])
    probs = np.asarray(scorer.probabilities(question, previous, cands), dtype=np.float64)
    return Reading(probs, select(cands, probs, threshold, max_sentences, neighbours_only))
