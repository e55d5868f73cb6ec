"""What keeps one client from costing the others: the staff password check, per-client rate
limits, and the HTTP layer's limits and headers (ASGI middleware in front of both Gradio apps).

Nothing here knows about questions or answers, nor imports a web framework; the web server
(``assistant/app/web/server.py``) wires it around the apps.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import threading
import time
from collections import OrderedDict, deque

# --------------------------------------------------------------------------------------------
# Staff password: scrypt from the standard library, compared in constant time.

# scrypt work factors (RFC 7914): n=2**14, r=8 costs ~16 MB and ~50 ms per check here, slow for a
# password guesser, unnoticeable for a person logging in.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_PREFIX = "scrypt"


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64) of ``password``; put it in ASSISTANT_STAFF_PASSWORD_HASH."""
    if not password:
        raise ValueError("the staff password must not be empty")
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    enc = base64.b64encode
    return f"{_PREFIX}${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${enc(salt).decode()}${enc(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (a ``hash_password`` string); False for a malformed one."""
    try:
        prefix, n, r, p, salt, digest = stored.split("$")
        if prefix != _PREFIX:
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), dklen=len(expected), n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def staff_checker(user: str, stored_hash: str):
    """Gradio's ``auth`` callable for the staff app: the user name and the password must match."""

    def check(username: str, password: str) -> bool:
        # both compared in full, whatever the first says, so the time tells nothing
        same_user = hmac.compare_digest(username.encode("utf-8"), user.encode("utf-8"))
        return verify_password(password, stored_hash) and same_user

    return check


# --------------------------------------------------------------------------------------------
# Rate limits


class RateLimiter:
    """At most ``per_minute`` events per client in any 60 seconds (a sliding window).

    Memory is bounded: at most ``max_clients`` clients are remembered (the least recently seen is
    forgotten first), each with at most ``per_minute`` timestamps."""

    def __init__(self, per_minute: int, max_clients: int = 10_000, window_s: float = 60.0):
        self.per_minute = per_minute
        self.window_s = window_s
        self.max_clients = max_clients
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, client: str, now: float | None = None) -> int:
        """Count one event of ``client``; returns 0 when allowed, else the seconds to wait (and the
        refused event is not counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.pop(client, None) or deque()
            while events and events[0] <= now - self.window_s:
                events.popleft()
            self._events[client] = events  # most recently seen last
            while len(self._events) > self.max_clients:
                self._events.popitem(last=False)
            if len(events) >= self.per_minute:
                return max(1, math.ceil(events[0] + self.window_s - now))
            events.append(now)
            return 0

    def clients(self) -> list[str]:
        """The clients remembered now, least recently seen first."""
        with self._lock:
            return list(self._events)


def client_id(request) -> str:
    """The client a request comes from: its address (the proxy's ``X-Forwarded-For`` is honoured
    only where uvicorn is told to trust it, see ``forwarded_allow_ips``)."""
    client = getattr(request, "client", None)
    host = getattr(client, "host", None) if client is not None else None
    return host or "unknown"


def too_many_message(kind: str, wait_s: int, lang: str = "de") -> str:
    """The message for a client over its limit, with when to try again."""
    if lang == "en":
        what = {"question": "many questions", "feedback": "many ratings", "login": "many login attempts"}[kind]
        return f"You have sent {what} in a short time. Please try again in {wait_s} seconds."
    what = {"question": "viele Fragen gestellt", "feedback": "viele Bewertungen abgegeben", "login": "viele Anmeldeversuche unternommen"}[kind]
    return f"Sie haben in kurzer Zeit sehr {what}. Bitte versuchen Sie es in {wait_s} Sekunden noch einmal."


# --------------------------------------------------------------------------------------------
# HTTP layer (pure ASGI: it sees every request of both apps, before Gradio reads a byte)

# Gradio's page needs inline script (its config is an inline <script>), inline styles, and
# 'unsafe-eval' (its HTML component compiles templates with Function(): without it the page logs
# EvalError and our HTML blocks stay empty, measured in Chromium). Everything else is this origin
# only, and nobody may frame the page.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class Refusal(Exception):
    def __init__(self, status: int, message: str, headers: list[tuple[bytes, bytes]] = ()):
        self.status, self.message, self.headers = status, message, list(headers)


async def _send_refusal(send, refusal: Refusal) -> None:
    body = json.dumps({"error": refusal.message}, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers + refusal.headers + SECURITY_HEADERS})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: security headers on every response; no uploads (the chat takes no files);
    request bodies cut off at ``max_body`` bytes (413, read no further); staff login attempts
    rate-limited per client."""

    def __init__(self, app, max_body: int, login_limiter: RateLimiter | None = None):
        self.app = app
        self.max_body = max_body
        self.login_limiter = login_limiter

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        try:
            self._check(scope, path)
        except Refusal as refusal:
            return await _send_refusal(send, refusal)

        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _TooLarge
            return message

        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": list(message.get("headers", [])) + [h for h in SECURITY_HEADERS if h[0] not in names]}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _TooLarge:
            if not started:
                await _send_refusal(send, _too_large(self.max_body))

    def _check(self, scope, path: str) -> None:
        if path.rstrip("/").endswith("/upload"):  # /gradio_api/upload of either app, and older Gradio's /upload
            raise Refusal(403, "Hochladen ist hier nicht möglich. / Uploads are not accepted.")
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            raise _too_large(self.max_body)
        if self.login_limiter is not None and scope.get("method") == "POST" and path.rstrip("/").endswith("/login"):
            client = scope.get("client") or ("unknown", 0)
            wait = self.login_limiter.hit(client[0])
            if wait:
                raise Refusal(429, too_many_message("login", wait), [(b"retry-after", str(wait).encode())])


class _TooLarge(Exception):
    pass


def _too_large(max_body: int) -> Refusal:
    kb = max_body // 1024
    return Refusal(
        413,
        f"Die Anfrage ist zu groß (höchstens {kb} KiB). Bitte stellen Sie eine kürzere Frage. "
        f"/ The request is too large (at most {kb} KiB).",
    )
