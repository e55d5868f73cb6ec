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
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.settings import PROJECT_ROOT, Settings

from ..procinfo import free_port, status_kb, stop_process

SEED_QUESTIONS = Path(__file__).resolve().parents[1] / "seed_questions.jsonl"
DEFAULT_LEVELS = (1, 8, 32)
READY_TIMEOUT_S = 180.0  # model load + Gradio start on a busy 2-core machine
MEMORY_SAMPLE_S = 0.25
# A conversation sends the turns a follow-up reads at the server's default (ASSISTANT_HISTORY_TURNS);
# the server would cut a longer history to these anyway.
HISTORY_TURNS = 3


# --------------------------------------------------------------------------------------------
# Conversations


@dataclass(frozen=True)
class Conversation:
    """The questions of one conversation, in order; each after the first follows up on the one before."""

    id: str
    questions: tuple[str, ...]


def load_conversations(path: Path = SEED_QUESTIONS) -> list[Conversation]:
    """One conversation per seed question: its history's questions, then the question itself."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        questions = [t["question"] for t in item.get("history") or []] + [item["question"]]
        out.append(Conversation(item["id"], tuple(questions)))
    return out


# --------------------------------------------------------------------------------------------
# Clients: one per conversation worker (= one browser session)


@dataclass
class Reply:
    """What one turn gave back: an answer, or the error a user would have seen instead."""

    ok: bool
    error: str = ""
    server_ms: float | None = None  # ask() time reported by the server
    answer: str = ""


class GradioSession:
    """One browser session against Gradio's queue API, the way the web page talks to it.

    ``POST /gradio_api/queue/join`` puts an event on the queue; ``GET /gradio_api/queue/data``
    streams its messages (server-sent events) until ``process_completed``, which carries the final
    outputs. State components (``gr.State``) live on the server, per ``session_hash``; the client
    sends ``null`` for them, as the browser does. Plain httpx rather than gradio_client: the
    latter polls its queues every 50 ms and costs more CPU per answer than the server does, which
    on a 2-core machine would distort the numbers it is meant to produce.
    """

    def __init__(self, url: str, timeout_s: float = 300.0):
        import httpx

        self._http = httpx.Client(base_url=url.rstrip("/") + "/", timeout=timeout_s)
        config = self._http.get("config")
        config.raise_for_status()
        config = config.json()
        self._prefix = config.get("api_prefix", "/gradio_api").strip("/") + "/"
        state_ids = {c["id"] for c in config["components"] if c.get("type") == "state"}
        self._endpoints: dict[str, tuple[int, list[bool], list[bool], bool]] = {}
        for dep in config["dependencies"]:
            if dep.get("api_name"):
                self._endpoints[dep["api_name"]] = (
                    dep["id"],
                    [i in state_ids for i in dep["inputs"]],
                    [i in state_ids for i in dep["outputs"]],
                    dep.get("queue", True) is not False,
                )
        self.session_hash = uuid.uuid4().hex[:12]

    def call(self, api_name: str, *args: Any) -> list[Any]:
        """Run one event to completion; returns its outputs without the state components."""
        fn_index, state_in, state_out, queued = self._endpoints[api_name]
        values = iter(args)
        data = [None if is_state else next(values) for is_state in state_in]
        body = {"data": data, "event_data": None, "fn_index": fn_index, "trigger_id": None,
                "session_hash": self.session_hash}  # fmt: skip
        if not queued:  # an event outside the queue: one POST, as the browser sends it
            done = self._http.post(self._prefix + f"run/{api_name}", json=body)
            done.raise_for_status()
            return [v for v, is_state in zip(done.json()["data"], state_out) if not is_state]
        joined = self._http.post(self._prefix + "queue/join", json=body)
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        with self._http.stream(
            "GET", self._prefix + "queue/data", params={"session_hash": self.session_hash}
        ) as stream:
            stream.raise_for_status()
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                    output = message.get("output") or {}
                    if not message.get("success", False):
                        raise RuntimeError(f"event failed: {output.get('error') or output}")
                    return [v for v, is_state in zip(output["data"], state_out) if not is_state]
                if message.get("msg") == "close_stream" or message.get("message") == "server_stopped":
                    break
        raise RuntimeError("the event stream ended without a result")

    def close(self) -> None:
        self._http.close()


class ChatClient:
    """Drives ``/ask`` the way the browser does: through the queue, streamed, state per session."""

    def __init__(self, url: str):
        self._session = GradioSession(url)

    def new_conversation(self) -> None:
        self._session.call("new_chat")

    def ask(self, question: str) -> Reply:
        chat, _box, notice, *_form = self._session.call("ask", question)
        if isinstance(notice, str) and notice:
            return Reply(False, f"notice: {notice}")
        if not isinstance(chat, list) or not chat or chat[-1].get("role") != "assistant":
            return Reply(False, "no answer in the chat")
        last = _message_text(chat[-1])
        if 'role="alert"' in last:  # the chat shows an error message instead of an answer
            return Reply(False, "error message: " + re.sub(r"<[^>]+>", "", last)[:120])
        return Reply(True, answer=last)

    def close(self) -> None:
        self._session.close()


class AnswerClient:
    """Drives the non-streaming JSON endpoint ``/answer``; the client keeps the history."""

    def __init__(self, url: str):
        self._session = GradioSession(url)
        self._history: list[dict[str, str]] = []

    def new_conversation(self) -> None:
        self._history = []

    def ask(self, question: str) -> Reply:
        (result,) = self._session.call("answer", question, self._history)
        if not isinstance(result, dict) or "answer" not in result:
            error = result.get("error") if isinstance(result, dict) else repr(result)[:120]
            return Reply(False, f"error: {error}")
        self._history = [*self._history, {"question": question, "answer": result["answer"]}][-HISTORY_TURNS:]
        total = (result.get("timings_ms") or {}).get("total")
        return Reply(True, server_ms=float(total) if total is not None else None, answer=result["answer"])

    def close(self) -> None:
        self._session.close()


CLIENTS: dict[str, Callable[[str], Any]] = {"chat": ChatClient, "answer": AnswerClient}


def _message_text(message: dict) -> str:
    content = message.get("content", "")
    if isinstance(content, list):  # gradio_client hands content back as a list of parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


# --------------------------------------------------------------------------------------------
# Server process and its memory


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc/<pid>/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except (OSError, ValueError):
                continue
    return out


def tree_cpu_s(pid: int | None) -> float:
    """User + system CPU seconds used so far by a process tree (from /proc/<pid>/stat)."""
    if not pid:
        return 0.0
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(pid: int) -> float:
    return sum(status_kb(p, "VmRSS") or 0 for p in process_tree(pid)) / 1024


class MemorySampler:
    """Samples the RSS of a process tree in the background; ``peak_mb`` is the highest sum seen."""

    def __init__(self, pid: int | None):
        self.pid = pid
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while self.pid and not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))
            self._stop.wait(MEMORY_SAMPLE_S)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Server:
    url: str
    process: subprocess.Popen | None  # None: an app someone else started (--url)
    log_path: Path | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def stop(self) -> None:
        if self.process:
            stop_process(self.process, timeout=20)


def _assistant_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", *args]


def _server_env(settings: Settings, data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ASSISTANT_DATA_DIR"] = str(data_dir)
    env["ASSISTANT_EMBEDDER"] = settings.embedder
    env["ASSISTANT_SEEDS_DIR"] = str(settings.seeds_dir)
    # every simulated user comes from 127.0.0.1: one client to the per-client limits
    for name in ("QUESTIONS_PER_MINUTE", "FEEDBACK_PER_MINUTE", "LOGINS_PER_MINUTE"):
        env.setdefault(f"ASSISTANT_{name}", "1000000")
    # The subprocess imports this checkout's code, whatever the caller's working directory.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def start_server(
    settings: Settings, data_dir: Path, workdir: Path, log: Callable[[str], None], env: dict[str, str] | None = None
) -> Server:
    """``assistant serve`` on a free loopback port over ``data_dir`` (``env``: more variables);
    returns once it answers."""
    import httpx

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log_path = workdir / "server.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            _assistant_cmd("serve", "--host", "127.0.0.1", "--port", str(port)),
            env={**_server_env(settings, data_dir), **(env or {})},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    server = Server(url, process, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"assistant serve exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            if httpx.get(url + "gradio_api/info", timeout=2).status_code == 200:
                log(f"server ready at {url} (pid {process.pid})")
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"assistant serve not ready after {READY_TIMEOUT_S:.0f} s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def ingest_seeds(settings: Settings, data_dir: Path, log: Callable[[str], None]) -> None:
    """Ingest the seeds into ``data_dir`` in a subprocess (as a user would, before serving)."""
    t0 = time.perf_counter()
    done = subprocess.run(
        _assistant_cmd("ingest", "--quiet"),
        env=_server_env(settings, data_dir),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ingest failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    log(f"seeds ingested into {data_dir} in {time.perf_counter() - t0:.1f} s ({settings.embedder})")


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
    samples: list[Sample] = []
    lock = threading.Lock()
    load_before = os.getloadavg()
    # Sessions are opened before the clock starts, as a browser opens its session when the page
    # loads: Gradio builds a per-session copy of the app's config then (~50 ms of CPU), which is
    # not part of answering a question.
    clients: list[Any] = [None] * n
    setup_errors: list[str] = []

    def connect(i: int) -> None:
        try:
            client = make_client(url)
            client.new_conversation()
            clients[i] = client
        except Exception as exc:  # noqa: BLE001 - any failure to connect is a benchmark error
            setup_errors.append(f"connect: {type(exc).__name__}: {exc}"[:200])

    threads = [threading.Thread(target=connect, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    start = time.perf_counter()
    deadline = start + seconds
    last_done = [start]

    def worker(i: int) -> None:
        client = clients[i]
        if client is None:
            return
        k = i * 7  # workers start at different conversations, so they ask different questions
        while time.perf_counter() < deadline:
            conv = conversations[k % len(conversations)]
            k += 1
            try:
                client.new_conversation()
            except Exception as exc:  # noqa: BLE001
                with lock:
                    samples.append(Sample(0.0, False, f"new conversation: {type(exc).__name__}: {exc}"[:200]))
                return  # this chat session is broken; retrying at once would only flood the error list
            for question in conv.questions:
                if time.perf_counter() >= deadline:
                    break
                t0 = time.perf_counter()
                try:
                    reply = client.ask(question)
                except Exception as exc:  # noqa: BLE001 - HTTP errors, timeouts, broken streams
                    reply = Reply(False, f"{type(exc).__name__}: {exc}"[:200])
                t1 = time.perf_counter()
                with lock:
                    samples.append(Sample(t1 - t0, reply.ok, reply.error, reply.server_ms))
                    last_done[0] = max(last_done[0], t1)
                if not reply.ok:
                    break  # the rest of the conversation depends on this answer
                if think_s:
                    time.sleep(think_s)

    server_cpu0, client_cpu0 = tree_cpu_s(server_pid), time.process_time()
    with MemorySampler(server_pid) as memory:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    server_cpu, client_cpu = tree_cpu_s(server_pid) - server_cpu0, time.process_time() - client_cpu0
    for client in clients:
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass

    elapsed = max(last_done[0] - start, 1e-9)
    answered = [s for s in samples if s.ok]
    latencies = [s.latency_s for s in answered]
    server_ms = [s.server_ms for s in answered if s.server_ms is not None]
    errors = [s.error for s in samples if not s.ok] + setup_errors
    return LevelResult(
        conversations=n,
        seconds=round(elapsed, 2),
        requests=len(samples),
        answers=len(answered),
        errors=len(errors),
        throughput=round(len(answered) / elapsed, 2),
        p50_s=percentile(latencies, 50),
        p95_s=percentile(latencies, 95),
        p99_s=percentile(latencies, 99),
        max_s=max(latencies) if latencies else None,
        mean_server_ask_ms=round(sum(server_ms) / len(server_ms), 1) if server_ms else None,
        server_cpu_ms_per_answer=round(1000 * server_cpu / len(answered), 1) if server_pid and answered else None,
        client_cpu_ms_per_answer=round(1000 * client_cpu / max(len(answered), 1), 1),
        peak_rss_mb=round(memory.peak_mb, 1) if server_pid else None,
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
    if endpoint not in CLIENTS:
        raise ValueError(f"endpoint must be one of {sorted(CLIENTS)}, not {endpoint!r}")
    if not levels or any(n < 1 for n in levels):
        raise ValueError(f"levels must be positive numbers of conversations, not {list(levels)!r}")
    if seconds <= 0:
        raise ValueError(f"seconds must be greater than 0, not {seconds}")
    conversations = load_conversations()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = Path(tmp)
        server = Server(url, None) if url else None
        try:
            if server is None:
                index_dir = data_dir
                if index_dir is None:
                    index_dir = work / "data"
                    ingest_seeds(settings, index_dir, log)
                server = start_server(settings, index_dir, work, log)
            pace = "closed loop, no think time" if not think_s else f"think time {think_s:g} s between turns"
            log(f"endpoint /{'ask (streamed chat)' if endpoint == 'chat' else 'answer (JSON)'}; {pace}; "
                f"{seconds:g} s per level; {os.cpu_count()} CPUs")  # fmt: skip
            warm = warm_up(server.url, conversations, endpoint)
            log(f"first answer (cold: builds the BM25 cache), not counted: {warm:.2f} s")
            results = []
            for n in levels:
                result = run_level(server.url, conversations, n, seconds, endpoint, think_s, server.pid)
                log(f"  {n:>3} conversations: {result.answers} answers, {result.errors} errors, "
                    f"p95 {result.p95_s if result.p95_s is None else round(result.p95_s, 2)} s")  # fmt: skip
                results.append(result)
            hwm_mb = (status_kb(server.pid, "VmHWM") or 0) / 1024 if server.pid else None
        finally:
            if server is not None:
                server.stop()
    title = f"Load: /{endpoint}, {pace}, {seconds:g} s per level"
    print_table(results, title)
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
