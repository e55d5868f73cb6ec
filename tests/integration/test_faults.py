"""Faults, each provoked for real: a Chroma server that stops (or hangs) while the app runs, an
ingest killed with SIGKILL half-way, and a data dir on a read-only or full file system."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, Settings

pytest_plugins = ["chroma_server"]

SEEDS = PROJECT_ROOT / "seeds"
ASSISTANT_CLI = Path(sys.executable).parent / "assistant"
MINDEN = "Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?"
UNAVAILABLE = "vorübergehend nicht erreichbar"


def _text(message: dict) -> str:
    content = message["content"]
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return re.sub(r"<[^>]+>", "", content)


def fingerprint(answer) -> tuple:
    return (answer.answer, [(c.doc_id, c.start, c.end) for c in answer.citations])


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(PYTHONPATH=str(PROJECT_ROOT), ASSISTANT_DATA_DIR=str(data_dir), **extra)
    return env


# -- 1. the Chroma server goes away while the app runs ---------------------------------------


@pytest.mark.server
@pytest.mark.integration
def test_server_outage_gives_a_german_notice_and_recovers_without_restart(chroma_server, server_index):
    from gradio_client import Client

    from assistant.errors import StoreUnavailable
    from assistant.app.web.server import start

    settings, assistant = server_index
    running = start(assistant, settings)
    url = running.url
    try:
        before = assistant.ask(MINDEN)
        assert before.citations and not before.abstained
        chroma_server.stop()
        try:
            with pytest.raises(StoreUnavailable) as info:
                assistant.ask(MINDEN)
            assert UNAVAILABLE in info.value.message("de")
            # The web chat: the notice as the assistant's turn, no traceback, the app keeps running.
            chat, *_rest = Client(url, verbose=False).predict(MINDEN, api_name="/ask")
            assert [m["role"] for m in chat] == ["user", "assistant"]
            shown = _text(chat[-1])
            assert UNAVAILABLE in shown and "Traceback" not in shown and "[1]" not in shown
        finally:
            chroma_server.start()  # same port, same --path
        # Same Assistant object, same app: answers again, and the same answer as before.
        assert fingerprint(assistant.ask(MINDEN)) == fingerprint(before)
        chat, *_rest = Client(url, verbose=False).predict(MINDEN, api_name="/ask")
        shown = _text(chat[-1])
        assert "[1]" in shown and "Minden-Lübbecke" in shown and UNAVAILABLE not in shown
    finally:
        running.close()


@pytest.mark.server
def test_a_hanging_server_is_reported_after_the_configured_wait(tmp_path):
    """A server that accepts connections but never answers must not hang the chat forever
    (chromadb's HttpClient has no timeout of its own)."""
    from assistant.errors import StoreUnavailable
    from assistant.store import Store

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # the kernel completes the handshake; nobody ever reads or replies
        settings = Settings(
            data_dir=tmp_path,
            embedder="hash",
            chroma_url=f"http://127.0.0.1:{listener.getsockname()[1]}",
            chroma_timeout=1.0,
        )
        outcome: list[BaseException] = []

        def call() -> None:
            try:
                Store(settings, "hash").corpus_version()
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                outcome.append(exc)

        worker = threading.Thread(target=call, daemon=True)
        worker.start()
        worker.join(timeout=60)  # a safety net against a hang, not a speed requirement
        assert not worker.is_alive(), "the store call hung on a silent server"
    assert len(outcome) == 1 and isinstance(outcome[0], StoreUnavailable)
    assert UNAVAILABLE in outcome[0].message("de")


# -- 2. ingest killed half-way ----------------------------------------------------------------


def write_news_corpus(folder: Path, n: int = 40) -> Path:
    """``n`` short documents (one chunk each) made of consecutive seed sentences."""
    text = " ".join(" ".join(p.read_text(encoding="utf-8").split()) for p in sorted(SEEDS.glob("*.txt")))
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s) > 20]
    folder.mkdir(parents=True)
    for i in range(n):
        start = i % len(sentences)
        body = " ".join(sentences[start : start + 3])
        (folder / f"meldung_{i:03d}.txt").write_text(f"Meldung {i + 1}\n\n{body}\n", encoding="utf-8")
    return folder


def index_state(settings: Settings, embedder) -> dict:
    """Everything the store holds for the corpus, for comparing two ingests."""
    from assistant.store import Store

    store = Store(settings, embedder.slug)
    chunks = store.chunks().get(include=["documents", "metadatas"])
    records = store.records().get(include=["metadatas"])
    return {
        "chunks": {cid: (text, meta) for cid, text, meta in zip(chunks["ids"], chunks["documents"], chunks["metadatas"])},
        "records": {key: meta["group_id"] for key, meta in zip(records["ids"], records["metadatas"])},
        "registry": {
            d["doc_id"]: {k: v for k, v in d.items() if k != "ingested_at"} for d in store.documents()
        },
    }


@pytest.mark.integration
def test_ingest_killed_half_way_is_completed_by_the_next_run(tmp_path, real_embedder):
    from ingest.pipeline import ingest_paths

    corpus = write_news_corpus(tmp_path / "corpus")
    killed_dir = tmp_path / "killed"
    proc = subprocess.Popen(
        [str(ASSISTANT_CLI), "ingest", str(corpus)],
        env=cli_env(killed_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    # Watch the progress bar ("Einbetten: … 16/40"); kill once the first group of documents is
    # embedded, while the others are still to come.
    seen = b""
    progress = re.compile(rb"(\d+)/(\d+)")
    while True:
        byte = proc.stderr.read(1)
        if not byte:
            break
        seen += byte
        last = progress.findall(seen[-40:])
        if last and 0 < int(last[-1][0]) < int(last[-1][1]):
            time.sleep(0.5)  # let the finished group reach the registry
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"ingest was not killed half-way: {seen.decode(errors='replace')[-500:]}"

    settings = Settings(data_dir=killed_dir)
    registered_after_kill = len(index_state(settings, real_embedder)["registry"])
    assert registered_after_kill < 40

    resumed = ingest_paths([corpus], settings, embedder=real_embedder, progress=False)
    assert len(resumed.added) == 40 - registered_after_kill
    assert len(resumed.unchanged) == registered_after_kill

    # The reference: a clean ingest of the same files. Chunk ids, texts, metadata, records and the
    # registry do not depend on the embedder, so the fast hash embedder builds it.
    from assistant.embeddings import make_embedder

    clean_settings = Settings(data_dir=tmp_path / "clean", embedder="hash")
    hash_embedder = make_embedder(clean_settings)
    clean = ingest_paths([corpus], clean_settings, embedder=hash_embedder, progress=False)
    assert len(clean.added) == 40

    got, want = index_state(settings, real_embedder), index_state(clean_settings, hash_embedder)
    assert got["chunks"].keys() == want["chunks"].keys()
    for cid, (text, meta) in want["chunks"].items():
        assert got["chunks"][cid] == (text, meta)
    assert got["registry"] == want["registry"]
    assert got["records"] == want["records"]
    # no duplicate: one chunk per (document, position); no orphan: every chunk's document is
    # registered and every record key has its chunk
    positions = [(m["doc_id"], m["chunk_index"]) for _t, m in got["chunks"].values()]
    assert len(positions) == len(set(positions))
    assert {m["doc_id"] for _t, m in got["chunks"].values()} == set(got["registry"])
    assert set(got["records"]) == set(got["chunks"])
    # and a re-run embeds nothing
    again = ingest_paths([corpus], settings, embedder=real_embedder, progress=False)
    assert again.chunks_added == 0 and len(again.unchanged) == 40


def test_leftovers_of_a_dead_ingest_are_repaired(hash_settings, tmp_path):
    """What a run killed between storing chunks and registering their document leaves behind
    (chunks and records of an unregistered document, the running-marker) is removed by the next
    ingest, even when that document's file is gone by then."""
    from assistant.embeddings import make_embedder
    from assistant.store import Store
    from ingest.pipeline import ingest_paths

    corpus = write_news_corpus(tmp_path / "corpus", n=4)
    embedder = make_embedder(hash_settings)
    ingest_paths([corpus], hash_settings, embedder=embedder, progress=False)
    clean = index_state(hash_settings, embedder)

    # A fifth document indexed, then the process "dies" before its registry entry is written.
    extra = corpus / "meldung_999.txt"
    extra.write_text("Meldung extra\n\nDas Land Bremen startet das Programm Brückenbauer.\n", encoding="utf-8")
    ingest_paths([corpus], hash_settings, embedder=embedder, progress=False)
    store = Store(hash_settings, embedder.slug)
    doc_id = next(d["doc_id"] for d in store.documents() if d["doc_id"] not in clean["registry"])
    store.docs().delete(ids=[doc_id])
    store.begin_ingest()
    extra.unlink()

    report = ingest_paths([corpus], hash_settings, embedder=embedder, progress=False)
    assert report.chunks_deleted == 1
    assert index_state(hash_settings, embedder) == clean
    assert not store.begin_ingest()  # the marker was cleared by the completed run
    store.end_ingest()


# -- 3. data dir read-only or full ------------------------------------------------------------


def _namespaces_available() -> str | None:
    if not shutil.which("unshare"):
        return "no unshare(1) on this machine"
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True)
    if probe.returncode != 0:
        return f"no user/mount namespaces here ({probe.stderr.decode(errors='replace').strip()})"
    return None


needs_mounts = pytest.mark.skipif(
    bool(_namespaces_available()), reason=f"cannot mount a small/read-only file system: {_namespaces_available()}"
)

# Runs inside a private mount namespace: a 3 MiB tmpfs as the data dir's file system. Every step
# writes its exit code and stderr to files outside the mount for the test to read.
_SCRIPT = r"""
set -u
M="$1"; OUT="$2"; CORPUS="$3"
step() { name="$1"; shift; "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"; echo $? >"$OUT/$name.rc"; }
mount -t tmpfs -o size=3m tmpfs "$M" || exit 90
step ingest_ok "$CLI" ingest -q "$SEEDS"
mount -o remount,ro "$M" || exit 91
step ingest_ro "$CLI" ingest -q "$SEEDS"
step ask_ro "$CLI" ask "$Q"
mount -o remount,rw "$M" || exit 92
dd if=/dev/zero of="$M/fill" bs=4k 2>/dev/null
step ingest_full "$CLI" ingest -q "$SEEDS"
step ask_full "$CLI" ask "$Q"
rm "$M/fill"
# leave ~300 KiB: the next ingest starts, then runs out of space part-way
used=$(du -sk "$M" | cut -f1)
dd if=/dev/zero of="$M/fill" bs=1k count=$((3072 - used - 300)) 2>/dev/null
step ingest_fills "$CLI" ingest -q "$SEEDS" "$CORPUS"
rm "$M/fill"
step ask_after "$CLI" ask "$Q"
step ingest_after "$CLI" ingest -q "$SEEDS" "$CORPUS"
"""


@needs_mounts
def test_read_only_and_full_data_dir_give_one_clear_line(tmp_path):
    mnt, out = tmp_path / "mnt", tmp_path / "out"
    mnt.mkdir()
    out.mkdir()
    corpus = write_news_corpus(tmp_path / "corpus")
    data = mnt / "data"
    env = cli_env(data, ASSISTANT_EMBEDDER="hash", CLI=str(ASSISTANT_CLI), SEEDS=str(SEEDS), Q=MINDEN)
    run = subprocess.run(
        ["unshare", "-rm", "sh", "-c", _SCRIPT, "fault", str(mnt), str(out), str(corpus)],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr

    def step(name: str) -> tuple[int, str, str]:
        return (int((out / f"{name}.rc").read_text()), (out / f"{name}.out").read_text(), (out / f"{name}.err").read_text())

    rc, stdout, _ = step("ingest_ok")
    assert rc == 0 and "2 neu" in stdout
    chroma_dir = str(data / "chroma")
    for name, words in [
        ("ingest_ro", "nicht beschreibbar"),
        ("ask_ro", "nicht beschreibbar"),
        ("ingest_full", "ist voll"),
        ("ask_full", "ist voll"),
        ("ingest_fills", "ist voll"),
    ]:
        rc, _stdout, err = step(name)
        assert rc == 2, (name, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in err, (name, err)
        assert lines[0].startswith("Fehler: Das Datenverzeichnis ") and chroma_dir in lines[0] and words in lines[0], (name, err)

    # Space freed: the previous index answers, and the interrupted ingest completes.
    rc, stdout, err = step("ask_after")
    assert rc == 0 and "Minden-Lübbecke" in stdout and "[1]" in stdout, err
    rc, stdout, err = step("ingest_after")
    assert rc == 0, err
    assert re.search(r"(\d+) neu, 0 aktualisiert, (\d+) unverändert", stdout), stdout
    new, unchanged = map(int, re.search(r"(\d+) neu, 0 aktualisiert, (\d+) unverändert", stdout).groups())
    assert new + unchanged == 42 and unchanged >= 2


# -- the web chat is stopped by its service manager -------------------------------------------


def test_serve_stopped_with_sigterm_exits_cleanly_and_leaves_no_export_dir(tmp_path):
    """systemd and docker stop a service with SIGTERM. ``assistant serve`` must then exit with 0
    and remove its private temp and export folders, which may hold copies of the feedback log
    (citizens' questions); nothing of it goes to the shared temp folder."""
    import urllib.request

    from evals.procinfo import free_port

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    port = free_port()
    env = cli_env(tmp_path / "data", ASSISTANT_EMBEDDER="hash", TMPDIR=str(tmp))
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(ASSISTANT_CLI), "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            assert proc.poll() is None, log.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "the web chat did not start within 120 s"
            time.sleep(0.5)
        assert (tmp_path / "data" / "gradio-tmp").is_dir()  # the app's own, in its data dir, while it runs
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text(errors="replace")[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not (tmp_path / "data" / "gradio-tmp").exists() and not (tmp_path / "data" / "exports").exists()
    assert not list(tmp.iterdir())  # nothing left in the shared temp folder
