"""A stand-in for the reader in unit tests of the read stage: fixed probabilities by sentence text."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class FakeScorer:
    """Gives each candidate the probability of the first key of ``probs`` its text contains
    (``default`` otherwise) and records what it was asked."""

    name = "fake"

    def __init__(self, probs: dict[str, float], threshold: float = 0.5, default: float = 0.05, rescue_threshold: float = 0.8,
                 veto_threshold: float = 0.0):  # fmt: skip
        self.probs = probs
        self.threshold = threshold
        self.rescue_threshold = rescue_threshold
        self.veto_threshold = veto_threshold
        self.default = default
        self.calls: list[tuple[str, str, list[str]]] = []

    def probabilities(self, question: str, previous: str, cands: Sequence) -> np.ndarray:
        self.calls.append((question, previous, [c.text for c in cands]))
        return np.array([next((p for k, p in self.probs.items() if k in c.text), self.default) for c in cands])


class FakeSpanner:
    """A stand-in for the span model: marks the first of ``words`` found in a pair's sentence with
    ``probability``, and records the pairs it was asked about."""

    context = False  # like a span model trained without the sentence before

    def __init__(self, words: Sequence[str], probability: float = 0.9, threshold: float = 0.5):
        self.words, self.probability, self.threshold = list(words), probability, threshold
        self.asked: list = []

    def spans(self, pairs: Sequence) -> list:
        from assistant.read.span import Span

        self.asked.extend(pairs)
        out = []
        for p in pairs:
            at = next(((p.sentence.find(w), w) for w in self.words if w in p.sentence), None)
            out.append(Span(at[0], at[0] + len(at[1]), self.probability) if at else None)
        return out
