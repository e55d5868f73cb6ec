"""The reader set's development split as a SQuAD-2.0 file, to run through the product's eval.

The reader's own dev numbers (``training.reader evaluate``) score sentences in isolation; this asks
the same 870 questions through the whole assistant (ingest, retrieval, the read stage, the checks),
so that answering changes can be chosen on a set that is neither a measuring set nor the seed set
the hand rules were tuned on. Unanswerable questions are SQuAD-2.0 "impossible" ones; follow-ups
carry their previous turn and English questions their language (keys the SQuAD loader of
``evals/squad.py`` reads where present). Run:

    python -m training.devset --out eval-out/readerset-dev.json
    assistant eval --squad eval-out/readerset-dev.json --holdout 0.2 --out eval-out/readerdev

``--set press`` writes the press dev set (``training/press.py``) the same way, ``--set citizen`` the
citizen dev set (the press dev passages asked in citizens' words).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .readerset import load

PRESS_SETS = ("press", "citizen")  # --set NAME reads reader_data's split NAME_dev


def squad(split: str = "dev", which: str = "readerset") -> dict:
    """One SQuAD article per passage of ``split`` of the reader set (or of the press or citizen dev
    set, ``training/press.py``), in the set's order."""
    if which in PRESS_SETS:
        from .press import load as load_press
        from .reader_data import PRESS_SPLITS

        passages, items = load_press(PRESS_SPLITS[f"{which}_dev"])
    else:
        passages, items = load(split)
    by_pid: dict[str, list[dict]] = {}
    for it in items:
        by_pid.setdefault(it["pid"], []).append(it)
    articles = []
    for pid, its in by_pid.items():
        p = passages[pid]
        qas = []
        for it in its:
            qa: dict = {"id": it["id"], "question": it["question"], "lang": "en" if it["style"] == "english" else "de"}
            if it["answerable"]:
                qa["answers"] = [{"text": it["answer"], "answer_start": it["answer_start"]}]
            else:
                qa["answers"], qa["is_impossible"] = [], True
            if it.get("prev_q"):
                qa["history"] = [{"question": it["prev_q"], "answer": it.get("prev_a") or ""}]
            qas.append(qa)
        articles.append({"title": p["title"], "paragraphs": [{"context": p["text"], "qas": qas}]})
    return {"version": f"{which}-{split}", "data": articles}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--split", default="dev", choices=("dev", "train"))
    ap.add_argument("--set", default="readerset", choices=("readerset", *PRESS_SETS), help="press: training/pressdev, citizen: training/citizendev (dev only)")
    args = ap.parse_args(argv)
    data = squad(args.split, args.set)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    n = sum(len(p["qas"]) for a in data["data"] for p in a["paragraphs"])
    print(f"{args.out}: {len(data['data'])} passages, {n} questions")


if __name__ == "__main__":
    main()
