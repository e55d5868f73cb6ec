"""The reader's training as one prepared run on a lent accelerator (CUDA).

A lease is short (minutes) and the machine starts bare, so the run is planned ahead: it reads a
pack (``training.pack``: the set pre-tokenized, the base model pruned), trains the default
configuration, then a variant with twice the learning rate, keeps the better of the two by the
dev split (sentence choice among the question's four passages, plus the AUC that abstention
needs), and with what time is left trains the learning curve's subsets (1/8, 1/4, 1/2 of the
train passages) with the kept configuration. Each step is skipped when the time it is expected to
take (from the first run's) would overrun ``--seconds``. The kept weights leave in float16 in
parts of at most 15 MiB (what comes back from such a machine is limited per file); ``results.json``
holds every run's numbers, written after each run so that a stopped run still reports, and
``dev-logits.json`` the kept run's logits for every dev question's sentences: named after the
exported graph's checksum (``dev-logits-SHA12-870.json`` beside the run), they spare ``export``
a quarter hour of rescoring on the CPU, at the price of a calibration fitted on bfloat16 logits.

    python3 -m training.accelerated --pack .pack --out OUT [--seconds 420] [--smoke]

``--smoke`` runs the same steps on a sliver of the data, on whatever device there is: the check
before a lease is spent. Join the parts with ``cat OUT/reader.pt.part* > RUN/reader.pt`` and copy
``OUT/train.json`` beside it; ``python -m training.reader export --out RUN`` then ships it.
"""
from __future__ import annotations

import argparse
import io
import json
import time
from dataclasses import asdict, replace
from pathlib import Path

PART_BYTES = 15 * 2**20


def main(argv=None) -> None:
    import torch

    from assistant.read.reader import trainable_state

    from .pack import read_pack
    from .reader import Config, _model, evaluate, token_scorer, train

    ap = argparse.ArgumentParser(prog="python3 -m training.accelerated")
    ap.add_argument("--pack", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=Path("/tmp/reader-runs"))
    ap.add_argument("--seconds", type=float, default=420.0)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--epochs", type=float, default=Config.epochs)
    ap.add_argument("--lr", type=float, default=Config.lr)
    ap.add_argument("--no-curve", action="store_true", help="only the configuration and its variant")
    args = ap.parse_args(argv)
    t_start = time.time()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    f, splits, meta = read_pack(args.pack)
    special = (meta["bos"], meta["eos"], meta["pad"])
    limit = 24 if args.smoke else None
    dev, xquad = splits["dev"][:limit], splits["xquad"][:limit]
    base = Config(save_every=10**6, epochs=args.epochs, lr=args.lr)
    if args.smoke:
        base = replace(base, fraction=0.01, epochs=0.2, questions_per_step=4, max_len=48, warmup=2)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"device": torch.cuda.get_device_name() if device == "cuda" else "cpu", "pack": meta["questions"], "runs": []}

    def report() -> None:
        (args.out / "results.json").write_text(json.dumps(results, indent=1) + "\n")

    def run(name: str, cfg: Config):
        t0 = time.time()
        summary = train(args.work / name, cfg, pack=args.pack, device=device,
                        log=lambda m: print(f"[{name}] {m}", flush=True))  # fmt: skip
        model = _model(f)[0]
        model.load_state_dict(torch.load(args.work / name / "reader.pt", map_location="cpu"), strict=False)
        model.to(device).eval()
        train_s = time.time() - t0
        dev_score, logged = token_scorer(model, cfg.max_len, special, device), {}

        def scored(ex):
            logged[ex.qid] = dev_score(ex)
            return logged[ex.qid]

        rec = {"name": name, "config": asdict(cfg), "train_seconds": round(train_s, 1),
               "dev": evaluate(scored, dev), "dev_logits": {k: v.tolist() for k, v in logged.items()},
               "xquad": evaluate(token_scorer(model, cfg.max_len, special, device), xquad),
               "seconds": round(time.time() - t0, 1), "summary": summary}  # fmt: skip
        results["runs"].append({k: v for k, v in rec.items() if k != "dev_logits"})
        report()
        print(f"[{name}] {json.dumps({k: rec[k] for k in ('dev', 'xquad', 'seconds')})}", flush=True)
        return rec, model

    def merit(rec: dict) -> float:
        return rec["dev"]["sentence_choice"] + rec["dev"]["auc_answerable_vs_not"]

    def keep(rec: dict, model) -> None:
        state = {k: v.detach().half().cpu() for k, v in trainable_state(model).items()}
        raw = io.BytesIO()
        torch.save(state, raw)
        data = raw.getvalue()
        for old in args.out.glob("reader.pt.part*"):
            old.unlink()
        for n, at in enumerate(range(0, len(data), PART_BYTES)):
            (args.out / f"reader.pt.part{n}").write_bytes(data[at : at + PART_BYTES])
        # the dev split's logits as scored here (bfloat16): a first calibration without the CPU's rescoring
        (args.out / "dev-logits.json").write_text(json.dumps(rec["dev_logits"]) + "\n")
        (args.out / "train.json").write_text(json.dumps(rec["summary"] | {"kept": rec["name"], "dev": rec["dev"], "xquad": rec["xquad"]}, indent=1) + "\n")
        results["kept"] = rec["name"]
        report()

    def left() -> float:
        return args.seconds - (time.time() - t_start)

    best, model = run("main", base)
    keep(best, model)
    per_full = best["seconds"]
    plan = [("lr-x2", replace(base, lr=base.lr * 2), 1.0)]
    if not args.no_curve:
        plan += [(f"curve-{n}", None, frac) for n, frac in (("1-8", 0.125), ("1-4", 0.25), ("1-2", 0.5))]
    for name, cfg, frac in plan:
        need = per_full * max(frac, 0.15) * 1.15
        if need > left():
            print(f"[{name}] skipped: ~{need:.0f} s needed, {left():.0f} s left", flush=True)
            results.setdefault("skipped", []).append(name)
            continue
        if cfg is None:
            cfg = replace(Config(**best["config"]), fraction=base.fraction * frac)
        rec, model = run(name, cfg)
        if frac == 1.0 and merit(rec) > merit(best):
            best = rec
            keep(best, model)
    results["total_seconds"] = round(time.time() - t_start, 1)
    report()
    print(json.dumps({r["name"]: (r["dev"], r["xquad"]["sentence_choice"]) for r in results["runs"]}), flush=True)


if __name__ == "__main__":
    main()
