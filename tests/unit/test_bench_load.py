"""The load benchmark's own code works end to end, at a tiny scale (no timing is asserted)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.settings import PROJECT_ROOT
from evals.bench.load import load_conversations, percentile, run_level

pytest_plugins = ["ui_fixtures"]


def test_a_follow_up_conversation_starts_with_the_turn_it_follows():
    conversations = {c.id: c for c in load_conversations()}
    assert conversations["q100"].questions == (
        "Wer hat die Videos gedreht?",
        "Und aus welcher Stadt kommt die Agentur?",
    )
    assert conversations["q001"].questions == ("Wie viele Videos gehören zu der Kampagne in Niedersachsen?",)


def test_percentile_is_nearest_rank():
    values = list(range(100, 0, -1))  # unsorted on purpose
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50, 95, 99)
    assert percentile([0.3], 95) == 0.3
    assert percentile([], 50) is None


@pytest.mark.slow
def test_bench_load_command_serves_ingests_and_reports(tmp_path):
    """`assistant bench load` at level 2 for 3 s: its own server (hash embedder, seeds ingested
    into a temp dir), answers without errors, load.json with the numbers, the table printed."""
    env = {**os.environ, "ASSISTANT_EMBEDDER": "hash", "ASSISTANT_DATA_DIR": str(tmp_path / "unused")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "bench", "load", "--levels", "2", "--seconds", "3", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "closed loop, no think time" in done.stdout and "p95" in done.stdout
    report = json.loads((out / "load.json").read_text())
    assert report["endpoint"] == "chat" and report["closed_loop"] is True and report["embedder"] == "hash"
    (level,) = report["levels"]
    assert level["conversations"] == 2 and level["errors"] == 0
    assert level["answers"] >= 2 and level["answers"] == level["requests"]
    assert 0 < level["p50_s"] <= level["p95_s"] <= level["p99_s"] <= level["max_s"]
    assert level["mean_server_ask_ms"] is None  # the citizens' chat ships no timings (staff data)
    assert level["peak_rss_mb"] > 50 and report["server_vmhwm_mb"] >= level["peak_rss_mb"] * 0.5
    assert not (tmp_path / "unused").exists()  # the benchmark's server used its own data dir


@pytest.mark.integration
def test_json_endpoint_under_two_conversations(ui_server):
    """The client of the /answer endpoint (real app, real model) answers follow-ups with history."""
    conversations = [c for c in load_conversations() if len(c.questions) > 1][:4]
    result = run_level(ui_server.url, conversations, 2, 2.0, endpoint="answer")
    assert result.errors == 0, result.error_examples
    assert result.answers >= 2 and result.mean_server_ask_ms > 0


@pytest.mark.integration
def test_an_error_message_in_the_chat_counts_as_an_error(store_down_server):
    """The app answers with its German error message (Chroma server down): no answers, only errors."""
    result = run_level(store_down_server.url, load_conversations()[:2], 1, 1.0, endpoint="chat")
    assert result.answers == 0 and result.errors >= 1
    assert any("vorübergehend nicht erreichbar" in e for e in result.error_examples)
