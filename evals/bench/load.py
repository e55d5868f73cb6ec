"""Load benchmark: the running web app driven through its HTTP API by concurrent conversations.

``assistant bench load`` starts ``assistant serve`` as a subprocess on a free loopback port (over
its own temporary data dir with the seeds ingested first, or over ``--data-dir``), or targets an
app that is already running (``--url``). For each level (default 1, 8, 32) it runs that many
conversations at once for a bounded time and prints throughput, p50/p95/p99 latency, errors and
the server's peak memory; ``load.json`` keeps the numbers.

A conversation is a sequence of turns from ``evals/seed_questions.jsonl``: a question without
history is one turn; a follow-up is preceded by the turn it follows, in the same session, so the
app answers it with that history. Each conversation starts a fresh chat session.

Closed loop, no think time by default: a conversation sends its next turn as soon as the previous
answer is complete, so N conversations keep N requests in flight (the worst case for N users).
``--think S`` adds a pause of S seconds between turns (a more human pace) and is labelled so.

Two endpoints can be driven (``--endpoint``):

* ``chat`` (default): ``/ask``, the event the browser's "Fragen" button triggers, through Gradio's
  queue with the answer streamed word by word and the chat state kept per session — what a
  citizen's browser does. The latency is until the final update (answer complete with sources).
* ``answer``: ``/answer``, the non-streaming JSON endpoint; the client passes the history.

Per request of ``answer`` the server-side ``ask()`` time is read from the response
(``timings_ms.total``), so the table shows which part of the latency is ``ask()`` itself and which is
queueing and HTTP. The chat's streamed answer carries no timings (the citizens' page ships no staff
data), so for ``chat`` that column stays empty.

All simulated users share one address (127.0.0.1), so the server this benchmark starts has the
per-client limits lifted (``ASSISTANT_QUESTIONS_PER_MINUTE`` …); ``assistant bench abuse`` measures
the limits themselves.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.settings import Settings

from ..procinfo import status_kb
from .clients import CLIENTS, Conversation, Reply, load_conversations
from .server import MemorySampler, Server, ingest_seeds, start_server, tree_cpu_s

DEFAULT_LEVELS = (1, 8, 32)


# --------------------------------------------------------------------------------------------
# One level


@dataclass
class Sample:
    latency_s: float
    ok: bool
    error: str = ""
    server_ms: float | None = None


@dataclass
class LevelResult:
    """The numbers of one concurrency level."""

    conversations: int
    seconds: float  # from the first request to the last answer
    requests: int
    answers: int
    errors: int
    throughput: float  # answers per second
    p50_s: float | None
    p95_s: float | None
    p99_s: float | None
    max_s: float | None
    mean_server_ask_ms: float | None  # ask() itself, as the server reports it
    server_cpu_ms_per_answer: float | None  # CPU of the server process tree / answers
    client_cpu_ms_per_answer: float  # CPU of this benchmark process (the clients) / answers
    peak_rss_mb: float | None  # server process tree, sampled
    load_before: tuple[float, float, float]
    error_examples: list[str] = field(default_factory=list)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def run_level(
    url: str,
    conversations: Sequence[Conversation],
    n: int,
    seconds: float,
    endpoint: str = "chat",
    think_s: float = 0.0,
    server_pid: int | None = None,
) -> LevelResult:
    """``n`` conversations at once for ``seconds``: each sends turns until the time is up.

    A turn started before the deadline is completed and counted; none starts after it.
    """
    make_client = CLIENTS[endpoint]
    load_before = os.getloadavg()
    clients, setup_errors = _connect(make_client, url, n)
    start = time.perf_counter()
    level = _Level(conversations, start, start + seconds, think_s, last_done=start)

    def worker(i: int) -> None:
        if clients[i] is not None:
            _converse(level, clients[i], i)

    server_cpu0, client_cpu0 = tree_cpu_s(server_pid), time.process_time()
    with MemorySampler(server_pid) as memory:
        _in_threads(worker, n)
    server_cpu, client_cpu = tree_cpu_s(server_pid) - server_cpu0, time.process_time() - client_cpu0
    for client in clients:
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
    return _summary(
        level,
        n,
        setup_errors,
        server_cpu if server_pid else None,
        client_cpu,
        memory.peak_mb if server_pid else None,
        load_before,
    )


def _in_threads(target: Callable[[int], None], n: int) -> None:
    """``target(i)`` for i in 0..n-1, each in a thread of its own; returns when all are done."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _connect(make_client: Callable[[str], Any], url: str, n: int) -> tuple[list[Any], list[str]]:
    """``n`` clients, each with a conversation open (None where connecting failed), and the errors.

    Sessions are opened before the clock starts, as a browser opens its session when the page
    loads: Gradio builds a per-session copy of the app's config then (~50 ms of CPU), which is
    not part of answering a question.
    """
    clients: list[Any] = [None] * n
    setup_errors: list[str] = []

    def connect(i: int) -> None:
        try:
            client = make_client(url)
            client.new_conversation()
            clients[i] = client
        except Exception as exc:  # noqa: BLE001 - any failure to connect is a benchmark error
            setup_errors.append(f"connect: {type(exc).__name__}: {exc}"[:200])

    _in_threads(connect, n)
    return clients, setup_errors


@dataclass
class _Level:
    """What the workers of one level share: the questions, the clock and the samples they record."""

    conversations: Sequence[Conversation]
    start: float
    deadline: float
    think_s: float
    last_done: float  # when the last answer came back
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, sample: Sample, done_at: float | None = None) -> None:
        with self.lock:
            self.samples.append(sample)
            if done_at is not None:
                self.last_done = max(self.last_done, done_at)


def _converse(level: _Level, client: Any, i: int) -> None:
    """One worker: whole conversations, one after another, until the deadline."""
    k = i * 7  # workers start at different conversations, so they ask different questions
    while time.perf_counter() < level.deadline:
        conv = level.conversations[k % len(level.conversations)]
        k += 1
        try:
            client.new_conversation()
        except Exception as exc:  # noqa: BLE001
            level.record(Sample(0.0, False, f"new conversation: {type(exc).__name__}: {exc}"[:200]))
            return  # this chat session is broken; retrying at once would only flood the error list
        for question in conv.questions:
            if time.perf_counter() >= level.deadline:
                break
            t0 = time.perf_counter()
            try:
                reply = client.ask(question)
            except Exception as exc:  # noqa: BLE001 - HTTP errors, timeouts, broken streams
                reply = Reply(False, f"{type(exc).__name__}: {exc}"[:200])
            t1 = time.perf_counter()
            level.record(Sample(t1 - t0, reply.ok, reply.error, reply.server_ms), t1)
            if not reply.ok:
                break  # the rest of the conversation depends on this answer
            if level.think_s:
                time.sleep(level.think_s)


def _summary(
    level: _Level,
    n: int,
    setup_errors: list[str],
    server_cpu: float | None,
    client_cpu: float,
    peak_mb: float | None,
    load_before: tuple[float, float, float],
) -> LevelResult:
    """The numbers of a finished level (``server_cpu``, ``peak_mb``: None without a server process)."""
    elapsed = max(level.last_done - level.start, 1e-9)
    answered = [s for s in level.samples if s.ok]
    latencies = [s.latency_s for s in answered]
    server_ms = [s.server_ms for s in answered if s.server_ms is not None]
    errors = [s.error for s in level.samples if not s.ok] + setup_errors
    return LevelResult(
        conversations=n,
        seconds=round(elapsed, 2),
        requests=len(level.samples),
        answers=len(answered),
        errors=len(errors),
        throughput=round(len(answered) / elapsed, 2),
        p50_s=percentile(latencies, 50),
        p95_s=percentile(latencies, 95),
        p99_s=percentile(latencies, 99),
        max_s=max(latencies) if latencies else None,
        mean_server_ask_ms=round(sum(server_ms) / len(server_ms), 1) if server_ms else None,
        server_cpu_ms_per_answer=round(1000 * server_cpu / len(answered), 1)
        if server_cpu is not None and answered
        else None,
        client_cpu_ms_per_answer=round(1000 * client_cpu / max(len(answered), 1), 1),
        peak_rss_mb=round(peak_mb, 1) if peak_mb is not None else None,
        load_before=tuple(round(x, 2) for x in load_before),
        error_examples=sorted(set(errors))[:5],
    )


def warm_up(url: str, conversations: Sequence[Conversation], endpoint: str) -> float:
    """One untimed answer first: the first question of a fresh server builds its caches."""
    client = CLIENTS[endpoint](url)
    try:
        client.new_conversation()
        t0 = time.perf_counter()
        reply = client.ask(conversations[0].questions[0])
        if not reply.ok:
            raise RuntimeError(f"the app gave no answer to the warm-up question: {reply.error}")
        return time.perf_counter() - t0
    finally:
        client.close()


# --------------------------------------------------------------------------------------------
# The command


def print_table(results: Sequence[LevelResult], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    def s(value: float | None, unit: str = "s") -> str:
        return "–" if value is None else f"{value:.2f} {unit}" if unit == "s" else f"{value:.0f} {unit}"

    table = Table(title=title)
    for col in ("conversations", "answers", "errors", "answers/s", "p50", "p95", "p99", "max",
                "ask() mean", "server CPU/answer", "client CPU/answer", "peak RSS", "load before"):  # fmt: skip
        table.add_column(col, justify="right")
    for r in results:
        table.add_row(
            str(r.conversations), str(r.answers), str(r.errors), f"{r.throughput:.2f}",
            s(r.p50_s), s(r.p95_s), s(r.p99_s), s(r.max_s), s(r.mean_server_ask_ms, "ms"),
            s(r.server_cpu_ms_per_answer, "ms"), s(r.client_cpu_ms_per_answer, "ms"),
            s(r.peak_rss_mb, "MB"), " ".join(f"{x:.2f}" for x in r.load_before),
        )  # fmt: skip
    Console(width=200).print(table)
    for r in results:
        for example in r.error_examples:
            print(f"  error at {r.conversations}: {example}")


def run_load(
    settings: Settings,
    out: Path,
    *,
    url: str | None = None,
    data_dir: Path | None = None,
    levels: Sequence[int] = DEFAULT_LEVELS,
    seconds: float = 30.0,
    endpoint: str = "chat",
    think_s: float = 0.0,
    log: Callable[[str], None] = print,
) -> int:
    """Run the benchmark, print the table, write ``out/load.json``. Exit code 0, or 1 on errors."""
    _check_arguments(endpoint, levels, seconds)
    conversations = load_conversations()
    out.mkdir(parents=True, exist_ok=True)
    pace = "closed loop, no think time" if not think_s else f"think time {think_s:g} s between turns"
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        server = Server(url, None) if url else None
        try:
            if server is None:
                server = _own_server(settings, data_dir, Path(tmp), log)
            log(f"endpoint /{'ask (streamed chat)' if endpoint == 'chat' else 'answer (JSON)'}; {pace}; "
                f"{seconds:g} s per level; {os.cpu_count()} CPUs")  # fmt: skip
            results = _run_levels(server, conversations, levels, seconds, endpoint, think_s, log)
            hwm_mb = (status_kb(server.pid, "VmHWM") or 0) / 1024 if server.pid else None
        finally:
            if server is not None:
                server.stop()
    print_table(results, f"Load: /{endpoint}, {pace}, {seconds:g} s per level")
    if hwm_mb:
        print(f"server peak memory (VmHWM of the main process): {hwm_mb:.0f} MB")
    report = {
        "endpoint": endpoint,
        "think_s": think_s,
        "closed_loop": not think_s,
        "seconds_per_level": seconds,
        "embedder": settings.embedder,
        "url": url,
        "cpus": os.cpu_count(),
        "server_vmhwm_mb": round(hwm_mb, 1) if hwm_mb else None,
        "levels": [asdict(r) for r in results],
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    (out / "load.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out / 'load.json'}")
    return 1 if any(r.errors for r in results) else 0


def _check_arguments(endpoint: str, levels: Sequence[int], seconds: float) -> None:
    if endpoint not in CLIENTS:
        raise ValueError(f"endpoint must be one of {sorted(CLIENTS)}, not {endpoint!r}")
    if not levels or any(n < 1 for n in levels):
        raise ValueError(f"levels must be positive numbers of conversations, not {list(levels)!r}")
    if seconds <= 0:
        raise ValueError(f"seconds must be greater than 0, not {seconds}")


def _own_server(settings: Settings, data_dir: Path | None, work: Path, log: Callable[[str], None]) -> Server:
    """A server this benchmark starts: over ``data_dir``, or over the seeds ingested into ``work``."""
    if data_dir is None:
        data_dir = work / "data"
        ingest_seeds(settings, data_dir, log)
    return start_server(settings, data_dir, work, log)


def _run_levels(
    server: Server,
    conversations: Sequence[Conversation],
    levels: Sequence[int],
    seconds: float,
    endpoint: str,
    think_s: float,
    log: Callable[[str], None],
) -> list[LevelResult]:
    """One untimed warm-up answer, then each level in turn."""
    warm = warm_up(server.url, conversations, endpoint)
    log(f"first answer (cold: builds the BM25 cache), not counted: {warm:.2f} s")
    results = []
    for n in levels:
        result = run_level(server.url, conversations, n, seconds, endpoint, think_s, server.pid)
        log(f"  {n:>3} conversations: {result.answers} answers, {result.errors} errors, "
            f"p95 {result.p95_s if result.p95_s is None else round(result.p95_s, 2)} s")  # fmt: skip
        results.append(result)
    return results
