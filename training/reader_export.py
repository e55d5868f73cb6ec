"""Shipping a trained reader: the ONNX graph over word embeddings, stored in 16 bits, and
``reader.json`` with its checksum and the calibration fitted on the shipped graph's dev scores."""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .reader_data import Example, example_pairs, examples, xquad_examples
from .reader_score import evaluate, load_trained


def to_onnx(out: Path, path: Path) -> None:
    """The trained cross-encoder in ``out`` as an ONNX graph over word embeddings
    (``reader.on_embeddings``) into ``path``, its weights stored in 16 bits and cast to 32 at load.

    Not 8-bit: onnxruntime's dynamic quantization moved this model's logits by up to 1.2 (-0.62
    became -1.81 alone and -0.38 beside a longer pair, whose padding changes the activations'
    scale), per channel or not. Stored in float16 and cast back, the logits are the float model's
    within 0.01, and the file stays below 80 MB (43 MB; float32 would be 86)."""
    from assistant.read.reader import Pair, encode, on_embeddings

    model, tok = load_trained(out)
    ids, mask = encode(tok, [Pair("Wer?", "Ein Satz."), Pair("Wie viel Geld gibt es dafür?", "Das Land gibt 95.000 Euro.")], 64)
    embeds = model.bert.embeddings.word_embeddings(ids).detach()
    write_graph(on_embeddings(model).eval(), embeds, mask.float(), path, {0: "batch"})


def write_graph(graph, embeds, mask, path: Path, logits_axes: dict[int, str]) -> None:
    """Export ``graph(embeds, mask) -> logits`` (dynamic batch and length; ``logits_axes`` names
    the output's dynamic axes) to ``path`` through ``store_half``."""
    import tempfile

    import onnx
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "graph-fp32.onnx"
        torch.onnx.export(
            graph, (embeds, mask), str(plain), input_names=["embeds", "mask"], output_names=["logits"],
            dynamic_axes={"embeds": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}, "logits": logits_axes},
            opset_version=17, dynamo=False,
        )  # fmt: skip
        m = onnx.load(str(plain))
    store_half(m, path)


def store_half(m, path: Path) -> None:
    """Save the ONNX model ``m`` to ``path`` with its matrices stored in 16 bits and cast to 32 at
    load (see ``to_onnx``)."""
    import onnx
    from onnx import helper, numpy_helper

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

def shipped_logits(score, data: Sequence[Example]) -> list[np.ndarray]:
    """A shipped graph's scores (``score(pairs)``: ``ReaderModel.logits``, ``SpanModel.answerability``)
    for every sentence of every example, scored in one call: the model sorts all pairs by length,
    so passes pad far less than one example at a time (2x)."""
    pairs = [p for ex in data for p in example_pairs(ex, range(len(ex.sentences)))]
    flat = score(pairs)
    out, at = [], 0
    for ex in data:
        out.append(flat[at : at + len(ex.sentences)])
        at += len(ex.sentences)
    return out

def graph_scorer(score, data: Sequence[Example]):
    """Example → the graph's scores for its sentences (``score(pairs)``), every example of ``data``
    scored at once."""
    scored = dict(zip((ex.qid for ex in data), shipped_logits(score, data)))
    return lambda ex: scored[ex.qid]

def fit_calibration(rows: Sequence[dict], target_false_abstention: float) -> tuple[dict, dict]:
    """Platt scaling of each dev question's best score (``evaluate``'s ``rows``) to the probability
    that it is answered there, with the threshold that keeps false abstentions at the target; and
    how it fits (rates at the threshold, reliability table): what a card records."""
    from assistant.read import calibration

    logits = [r["best"] for r in rows]
    labels = [int(r["answerable"]) for r in rows]
    cal = calibration.fit(logits, labels, target_false_abstention)
    probs = cal.prob(logits)
    return cal.to_dict(), {
        "split": "dev", "questions": len(rows), "target_false_abstention": target_false_abstention,
        "false_abstention": round(float(np.mean([p < cal.threshold for p, y in zip(probs, labels) if y])), 3),
        "abstention_recall": round(float(np.mean([p < cal.threshold for p, y in zip(probs, labels) if not y])), 3),
        "expected_calibration_error": calibration.expected_calibration_error(probs, labels),
        "reliability": calibration.reliability(probs, labels),
    }  # fmt: skip


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
        cache.write_text(json.dumps(dict(zip((ex.qid for ex in dev), (v.tolist() for v in shipped_logits(model.logits, dev))))) + "\n")
    logged = json.loads(cache.read_text())
    info["dev"] = evaluate(lambda ex: np.asarray(logged[ex.qid]), dev, rows)
    info["dev"]["seconds"] = round(time.time() - t0)
    info["calibration"], info["calibration_fit"] = fit_calibration(rows, target_false_abstention)
    info["trained"] = cfg
    if xquad:
        log("scoring xquad-de sentence choice")
        xq = xquad_examples()
        info["xquad"] = evaluate(graph_scorer(model.logits, xq), xq)
    (to / CARD_FILE).write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return info
