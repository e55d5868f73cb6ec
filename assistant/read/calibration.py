"""Reader score → probability that the question is answered here, and the abstention threshold.

A logit is not a probability: the reader's training mixes a pairwise and a listwise loss, and a
question's best sentence is the maximum over ~20 candidates. So the best logit of each question
of the reader set's dev split (never trained on) is mapped to "answerable" by logistic regression
(Platt scaling), and the threshold is the lowest probability that keeps false abstentions on that
split at ``target_false_abstention``. ``reliability`` gives the table the eval report plots.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    """σ(z) without overflow for confident logits (|z| beyond ~710 overflows ``exp``)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


@dataclass(frozen=True)
class Calibration:
    a: float = 1.0
    b: float = 0.0
    threshold: float = 0.5  # answer at or above this probability

    def prob(self, logit: float | np.ndarray) -> np.ndarray:
        return sigmoid(self.a * np.asarray(logit, dtype=np.float64) + self.b)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Calibration:
        return cls(float(d["a"]), float(d["b"]), float(d["threshold"]))


def fit_platt(logits: Sequence[float], labels: Sequence[int], iters: int = 100) -> tuple[float, float]:
    """(a, b) of p = σ(a·x + b) by Newton's method on the log-loss, with Platt's smoothed targets
    (a perfectly separated set would otherwise drive ``a`` to infinity) and a step halved until the
    loss falls: a full Newton step from a = 1 overshoots when the logits are large (a reader trained
    longer gives best logits of ±15) and diverges."""
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    n_pos, n_neg = y.sum(), len(y) - y.sum()
    t = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))

    def loss(a: float, b: float) -> float:
        z = a * x + b
        return float(np.sum(np.logaddexp(0.0, z) - t * z))

    a, b = 1.0, 0.0
    for _ in range(iters):
        p = sigmoid(a * x + b)
        g = np.array([np.sum((p - t) * x), np.sum(p - t)])
        w = p * (1 - p) + 1e-12
        h = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]])
        step = np.linalg.solve(h + 1e-9 * np.eye(2), g)
        now, scale = loss(a, b), 1.0
        while scale > 1e-6 and loss(a - scale * step[0], b - scale * step[1]) > now:
            scale /= 2
        a, b = a - scale * step[0], b - scale * step[1]
        if np.abs(scale * step).max() < 1e-10:
            break
    return float(a), float(b)


def threshold_for(probs: Sequence[float], labels: Sequence[int], target_false_abstention: float) -> float:
    """The highest threshold at which at most ``target_false_abstention`` of the answerable
    questions fall below it."""
    pos = np.sort(np.asarray([p for p, y in zip(probs, labels) if y], dtype=np.float64))
    if not len(pos):
        return 0.5
    k = int(math.floor(target_false_abstention * len(pos)))
    return float(pos[min(k, len(pos) - 1)])


def fit(logits: Sequence[float], labels: Sequence[int], target_false_abstention: float = 0.05) -> Calibration:
    a, b = fit_platt(logits, labels)
    probs = sigmoid(a * np.asarray(logits, dtype=np.float64) + b)
    return Calibration(a, b, threshold_for(probs, labels, target_false_abstention))


def reliability(probs: Sequence[float], labels: Sequence[int], bins: int = 10) -> list[dict]:
    """Per probability bin: how many questions, their mean predicted probability and the share
    that were answerable. A calibrated reader has the two close in every bin."""
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    rows = []
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        sel = (p >= lo) & ((p < hi) if k < bins - 1 else (p <= hi))
        if sel.any():
            rows.append({"bin": f"{lo:.1f}–{hi:.1f}", "n": int(sel.sum()), "predicted": round(float(p[sel].mean()), 3),
                         "observed": round(float(y[sel].mean()), 3)})  # fmt: skip
    return rows


def expected_calibration_error(probs: Sequence[float], labels: Sequence[int], bins: int = 10) -> float:
    rows = reliability(probs, labels, bins)
    n = sum(r["n"] for r in rows)
    return round(sum(r["n"] * abs(r["predicted"] - r["observed"]) for r in rows) / max(n, 1), 4)
