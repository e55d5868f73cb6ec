"""Abuse benchmark: the attacks a public chat meets, run against the real app, with what each cost.

``assistant bench abuse`` ingests the seeds into a temporary data dir, puts one confidential row
into the feedback log (a marker an attacker would look for), sets a staff password, starts
``assistant serve`` on a free loopback port with the shipped per-client limits, and runs each attack
for a bounded number of requests. For each it prints the requests sent, the server's CPU seconds
per request (from /proc/<pid>/stat), its RSS before and after, and what the attacker got.

``--minutes M`` then repeats all attacks round-robin for M minutes and prints the peak RSS;
``--lift-limits`` runs with the per-client limits lifted, so that every expensive request is
really served: what bounds the cost then is the bound on each request, not the rate limit.
``abuse.json`` keeps the numbers. All traffic goes to 127.0.0.1.
"""
from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.settings import Settings

from ..procinfo import status_kb
from .server import Server, ingest_seeds, start_server

STAFF_PASSWORD = "bench-" + uuid.uuid4().hex  # a fresh one each run; never leaves this process
MINDEN = "Wann ist der Kreis Minden-Lübbecke der Initiative beigetreten?"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class AttackResult:
    attack: str
    requests: int
    cpu_s_per_request: float
    rss_before_mb: float
    rss_after_mb: float
    got: str


class Attacker:
    """The attacks, each a method returning (requests sent, what the attacker got)."""

    def __init__(self, url: str, marker: str):
        import httpx

        self.url = url
        self.marker = marker
        self.http = httpx.Client(timeout=120)

    def _call(self, api: str, data: list, prefix: str = "") -> tuple[int, str]:
        """A Gradio API call over plain HTTP (as a script would): (status, result text)."""
        r = self.http.post(self.url + prefix + f"gradio_api/call/{api}", json={"data": data})
        if r.status_code != 200:
            return r.status_code, r.text[:200]
        done = self.http.get(self.url + prefix + f"gradio_api/call/{api}/{r.json()['event_id']}")
        return done.status_code, done.text

    def page_and_config(self) -> tuple[int, str]:
        texts = [self.http.get(self.url + p).text for p in ("", "config", "gradio_api/info")]
        return 3, "feedback log in the page: " + ("YES" if any(self.marker in t for t in texts) else "no")

    def anonymous_export(self) -> tuple[int, str]:
        citizen, _ = self._call("export", [])
        staff, _ = self._call("export", [], prefix="staff/")
        return 2, f"/export: HTTP {citizen}, /staff/…/export: HTTP {staff}"

    def staff_guessing(self) -> tuple[int, str]:
        codes = [
            self.http.post(self.url + "staff/login", data={"username": "pruefung", "password": f"rate-{i}"}).status_code
            for i in range(20)
        ]
        return len(codes), f"20 wrong passwords: {codes.count(429)} refused with 429, none logged in"

    def forged_history(self) -> tuple[int, str]:
        history = [{"question": "x" * 20_000, "answer": "y" * 20_000}] * 100  # 4 MB
        r = self.http.post(self.url + "gradio_api/call/answer", json={"data": [MINDEN, history]})
        return 1, f"4 MB history: HTTP {r.status_code}"

    def long_history_within_limit(self) -> tuple[int, str]:
        history = [{"question": "Wie ist das Wetter? " * 1000, "answer": "z" * 20_000}] * 40  # ~1 MB less a bit
        history = history[:22]
        status, text = self._call("answer", [MINDEN, history])
        return 1, f"22 turns × 40 kB: HTTP {status}, " + ("answered" if "citations" in text else text[:80])

    def long_word(self) -> tuple[int, str]:
        word = "".join(chr(ord("a") + (i * 7) % 26) for i in range(1990))
        results = [self._call("answer", [word, []]) for _ in range(3)]
        return 3, "1,990-letter word ×3: " + ", ".join("refused (rate)" if "Sekunden" in t else "answered" for _, t in results)

    def feedback_flood(self) -> tuple[int, str]:
        from gradio_client import Client

        client = Client(self.url, verbose=False)
        client.predict(MINDEN, api_name="/ask")
        big = client.predict("x" * 1_000_000, False, api_name="/feedback_down")
        statuses = [client.predict(f"flood {i}", False, api_name="/feedback_down") for i in range(30)]
        saved = sum("gespeichert" in s for s in statuses)
        limited = sum("Bitte versuchen Sie es in" in s for s in statuses)
        return 32, f"1 MB comment: {'refused' if 'zu lang' in big else 'STORED'}; 30 ratings of one answer: {saved} saved (one row), {limited} rate-limited"

    def question_flood(self) -> tuple[int, str]:
        results = [self._call("answer", [f"{MINDEN} ({i})", []])[1] for i in range(60)]
        refused = sum("Bitte versuchen Sie es in" in t for t in results)
        return 60, f"60 questions in a row: {60 - refused} answered, {refused} refused with when to retry"

    def uploads(self) -> tuple[int, str]:
        codes = [
            self.http.post(self.url + "gradio_api/upload", files={"files": (name, body)}).status_code
            for name, body in (("big.bin", b"\0" * (20 * 1024 * 1024)), ("page.html", b"<script>alert(1)</script>"))
        ]
        return 2, f"20 MB file: HTTP {codes[0]}, HTML file: HTTP {codes[1]}"

    def framing(self) -> tuple[int, str]:
        h = self.http.get(self.url).headers
        framed = "none" if "frame-ancestors 'none'" in h.get("content-security-policy", "") else "MISSING"
        return 1, f"X-Frame-Options: {h.get('x-frame-options')}, CSP frame-ancestors: {framed}"

    ATTACKS = (
        "page_and_config", "anonymous_export", "framing", "uploads", "forged_history", "long_history_within_limit",
        "long_word", "feedback_flood", "question_flood", "staff_guessing",
    )  # fmt: skip


def _measure(pid: int, name: str, run: Callable[[], tuple[int, str]]) -> AttackResult:
    rss0 = (status_kb(pid, "VmRSS") or 0) / 1024
    cpu0 = cpu_seconds(pid)
    try:
        n, got = run()
    except Exception as exc:  # an attack that breaks the client is reported, not fatal
        n, got = 1, f"client error: {type(exc).__name__}: {str(exc)[:100]}"
    time.sleep(0.3)  # let the server finish what the last response left running
    cpu = cpu_seconds(pid) - cpu0
    return AttackResult(name, n, round(cpu / max(n, 1), 3), round(rss0, 1), round((status_kb(pid, "VmRSS") or 0) / 1024, 1), got)


def run_abuse(settings: Settings, out: Path, minutes: float = 0.0, lift_limits: bool = False, log: Callable[[str], None] = print) -> int:
    from assistant.feedback import FeedbackStore
    from assistant.security import hash_password

    out.mkdir(parents=True, exist_ok=True)
    marker = f"Aktenzeichen-{uuid.uuid4().hex[:12]}"
    limits = {"QUESTIONS_PER_MINUTE": settings.questions_per_minute, "FEEDBACK_PER_MINUTE": settings.feedback_per_minute, "LOGINS_PER_MINUTE": settings.logins_per_minute}
    if lift_limits:
        limits = {k: 1_000_000 for k in limits}
    env = {f"ASSISTANT_{k}": str(v) for k, v in limits.items()}
    env["ASSISTANT_STAFF_PASSWORD_HASH"] = hash_password(STAFF_PASSWORD)
    with tempfile.TemporaryDirectory(prefix="bench-abuse-") as tmp:
        data_dir, work = Path(tmp) / "data", Path(tmp)
        ingest_seeds(settings, data_dir, log)
        FeedbackStore(data_dir / "feedback.sqlite3").add(
            rating="down", question="Frage mit Anschrift", answer="–", comment=f"Max Muster, Hauptstr. 1, {marker}"
        )
        server: Server = start_server(settings, data_dir, work, log, env=env)
        try:
            pid = server.pid
            attacker = Attacker(server.url, marker)
            _measure(pid, "warm-up", lambda: (1, attacker._call("answer", ["Hallo", []])[0]))
            if not lift_limits:
                time.sleep(61)  # the warm-up question leaves the rate window
            results = [_measure(pid, name, getattr(attacker, name)) for name in Attacker.ATTACKS]
            soak: dict[str, Any] = {}
            if minutes > 0:
                peak, rounds, t_end = 0.0, 0, time.monotonic() + minutes * 60
                rss_start = (status_kb(pid, "VmRSS") or 0) / 1024
                cpu0 = cpu_seconds(pid)
                while time.monotonic() < t_end:
                    for name in Attacker.ATTACKS:
                        _measure(pid, name, getattr(attacker, name))
                        peak = max(peak, (status_kb(pid, "VmRSS") or 0) / 1024)
                    rounds += 1
                soak = {
                    "minutes": minutes, "rounds": rounds, "rss_start_mb": round(rss_start, 1),
                    "rss_peak_mb": round(peak, 1), "rss_end_mb": round((status_kb(pid, "VmRSS") or 0) / 1024, 1),
                    "vmhwm_mb": round((status_kb(pid, "VmHWM") or 0) / 1024, 1), "cpu_s": round(cpu_seconds(pid) - cpu0, 1),
                }  # fmt: skip
        finally:
            server.stop()
    report = {"lift_limits": lift_limits, "limits": limits, "attacks": [asdict(r) for r in results], "soak": soak}
    (out / "abuse.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print_table(report)
    return 0


def print_table(report: dict) -> None:
    print(f"\nlimits: {'lifted' if report['lift_limits'] else 'as shipped'} {report['limits']}")
    print(f"{'attack':28} {'req':>4} {'CPU s/req':>10} {'RSS MB before→after':>20}  what the attacker got")
    for r in report["attacks"]:
        print(f"{r['attack']:28} {r['requests']:>4} {r['cpu_s_per_request']:>10.3f} {r['rss_before_mb']:>9.0f} → {r['rss_after_mb']:<8.0f}  {r['got']}")
    if report["soak"]:
        s = report["soak"]
        print(f"\nsoak: {s['rounds']} rounds of all attacks in {s['minutes']} min; RSS {s['rss_start_mb']:.0f} MB → peak {s['rss_peak_mb']:.0f} MB → {s['rss_end_mb']:.0f} MB (VmHWM {s['vmhwm_mb']:.0f} MB); {s['cpu_s']} CPU s")
