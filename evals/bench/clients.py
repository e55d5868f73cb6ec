"""The load benchmark's conversations, and its clients: one per conversation worker, as one
browser tab would be.

``chat`` drives ``/ask`` through Gradio's queue, streamed, the way the citizens' page does;
``answer`` drives the non-streaming JSON endpoint ``/answer`` with the history kept by the client.
"""
from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEED_QUESTIONS = Path(__file__).resolve().parents[1] / "seed_questions.jsonl"
# A conversation sends the turns a follow-up reads at the server's default (ASSISTANT_HISTORY_TURNS);
# the server would cut a longer history to these anyway.
HISTORY_TURNS = 3


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
