"""The web server: the citizens' chat at ``/``, the staff view at ``/staff`` (behind a login), and
the HTTP guard in front of both (``assistant.security.Guard``: headers, no uploads, bounded request bodies,
login attempts limited). One FastAPI app, served by uvicorn.

``assistant serve`` runs ``serve()``; tests and benchmarks use ``start()``, which serves in a
thread and returns a handle to stop it.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.settings import Settings, get_settings, offline_env

log = logging.getLogger(__name__)

STAFF_PATH = "/staff"


def gradio_temp_dir(settings: Settings) -> Path:
    """Gradio's temp files (its copies of served files) live in the data dir, in a folder only
    this user may enter, not in the shared /tmp. Gradio reads GRADIO_TEMP_DIR when an app is built."""
    from assistant.app.web.files import private_dir

    folder = private_dir(Path(settings.data_dir) / "gradio-tmp")
    os.environ["GRADIO_TEMP_DIR"] = str(folder)
    return folder


def create_app(assistant, settings: Settings):
    """The FastAPI app with both Gradio apps mounted and the guard in front."""
    offline_env(settings.allow_downloads)
    # before gradio's first import: its modules read GRADIO_TEMP_DIR into constants then
    # (gradio 6.31 creates its "vibe_edit_history" folder there when routes are built)
    gradio_temp_dir(settings)
    import gradio as gr
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    from assistant.app.web.citizens import build_app
    from assistant.app.web.page import CSS, JS, make_theme
    from assistant.app.web.staff import STAFF_OFF_HTML, build_staff_app
    from assistant.security import Guard, RateLimiter, staff_checker

    # Gradio recomputes its monitoring summary (a pandas DataFrame over its last 10,000 events)
    # after every event, even with monitoring off: 3–15 ms of CPU per event, growing with
    # uptime. Monitoring stays off here, so recompute rarely. Read when the queue is created.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100000")
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    common: dict[str, Any] = dict(
        footer_links=[], show_error=False, ssr_mode=False, mcp_server=False, pwa=False,
        enable_monitoring=False, max_file_size=0, allowed_paths=[], theme=make_theme(), css=CSS,
    )  # fmt: skip
    staff = None
    if settings.staff_password_hash:
        staff = build_staff_app(assistant, settings)
        staff.queue(default_concurrency_limit=2)  # a few staff members, never the citizens' capacity
        gr.mount_gradio_app(
            app, staff, path=STAFF_PATH, auth=staff_checker(settings.staff_user, settings.staff_password_hash),
            auth_message="Prüfansicht: bitte mit dem Zugang für Mitarbeitende anmelden.", **common,
        )  # fmt: skip
    else:

        @app.get(STAFF_PATH, response_class=HTMLResponse)
        @app.get(STAFF_PATH + "/{rest:path}", response_class=HTMLResponse)
        def staff_off(rest: str = "") -> HTMLResponse:
            return HTMLResponse(STAFF_OFF_HTML, status_code=403)

    # The Assistant is thread-safe, and a streamed answer spends much of its time in pauses
    # between pieces, so more requests than cores run at once (see Settings.ui_concurrency).
    citizens = build_app(assistant, settings)
    citizens.queue(default_concurrency_limit=settings.ui_concurrency)
    gr.mount_gradio_app(app, citizens, path="", js=JS, run_history=False, **common)
    app.state.blocks = [b for b in (citizens, staff) if b is not None]
    _unknown_api_is_404(app)
    login_limiter = RateLimiter(settings.logins_per_minute)
    return Guard(app, max_body=settings.max_request_kb * 1024, login_limiter=login_limiter), app


def _unknown_api_is_404(app) -> None:
    """Gradio answers a call to an API name it does not have (``/gradio_api/call/export`` on the
    citizens' app) by raising: a 500 with a traceback in the log, and uvicorn drops the
    connection. A wrong name is the client's error: answer 404 on every mounted Gradio app."""
    from fastapi.responses import JSONResponse
    from gradio.route_utils import FnIndexInferError
    from starlette.routing import Mount

    async def unknown_api(request, exc):
        return JSONResponse({"detail": "Unbekannte Schnittstelle. / Unknown API."}, status_code=404)

    for route in app.routes:
        if isinstance(route, Mount) and hasattr(route.app, "add_exception_handler"):
            route.app.add_exception_handler(FnIndexInferError, unknown_api)


def cleanup(settings: Settings) -> None:
    """Remove what a server leaves in the data dir: export copies and Gradio's temp files."""
    from assistant.app.web.files import remove_exports

    remove_exports(settings)
    shutil.rmtree(Path(settings.data_dir) / "gradio-tmp", ignore_errors=True)


@dataclass
class Running:
    """A server started by ``start()``: its URL, and ``close()`` to stop it and clean up."""

    url: str
    settings: Settings
    server: Any
    thread: threading.Thread
    app: Any

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        for blocks in getattr(self.app.state, "blocks", []):
            blocks.close()
        cleanup(self.settings)


def _uvicorn_config(asgi, settings: Settings, host: str, port: int, quiet: bool):
    import uvicorn

    return uvicorn.Config(
        asgi, host=host, port=port, log_level="warning" if quiet else "info",
        proxy_headers=bool(settings.forwarded_allow_ips), forwarded_allow_ips=settings.forwarded_allow_ips or None,
        server_header=False, timeout_keep_alive=5, limit_concurrency=settings.max_connections,
    )  # fmt: skip


def start(assistant, settings: Settings, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> Running:
    """Serve in a background thread; returns once the server accepts connections."""
    import uvicorn

    asgi, app = create_app(assistant, settings)
    if not port:
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(asgi, settings, host, port, quiet))
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the web server did not start on {host}:{port}")
        time.sleep(0.05)
    return Running(f"http://{host}:{port}/", settings, server, thread, app)


def serve(settings: Settings | None = None, host: str = "127.0.0.1", port: int = 7860) -> None:
    """``assistant serve``: load the Assistant once and serve until interrupted."""
    import uvicorn

    settings = settings or get_settings()
    offline_env(settings.allow_downloads)
    from assistant.pipeline import Assistant

    assistant = Assistant.from_settings(settings)
    # Load the corpus snapshot (chunks + BM25), the thesaurus and the dictionary while the server
    # starts, not on the first question; a question arriving earlier waits for the same load (all
    # hold a lock).
    threading.Thread(target=_warm_up, args=(assistant,), name="warm-up", daemon=True).start()
    # systemd and docker stop a service with SIGTERM: as SystemExit it runs the cleanup below like Ctrl+C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    asgi, _app = create_app(assistant, settings)
    if not settings.staff_password_hash:
        log.warning("staff view off: no ASSISTANT_STAFF_PASSWORD_HASH (make one with `assistant staff-password`)")
    print(f"* Bürger-Chat: http://{host}:{port}/   Prüfansicht: http://{host}:{port}{STAFF_PATH}/", flush=True)
    try:
        uvicorn.Server(_uvicorn_config(asgi, settings, host, port, quiet=False)).run()
    finally:
        cleanup(settings)


def _warm_up(assistant) -> None:
    from assistant.errors import AssistantError

    try:
        assistant.is_empty()
    except AssistantError:
        pass  # the store is unreachable: the first question reports it in the user's language
    _ = assistant.answerer.thesaurus  # parsed (or read from its cache) here, not on the first question
    _ = assistant.answerer.dictionary  # 6-7 s to parse once per machine, 0.1 s from its cache
    # the reader (~1 s to load, ~550 MB), which a server needs within its first questions anyway:
    # the first question it rescues would wait for it (1.3 s instead of 0.3 s); off: nothing loads
    _ = assistant.answerer.scorer
    from assistant.language import warm_up

    warm_up()  # the language identifier for questions in other languages (0.8 s)
