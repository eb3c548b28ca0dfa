"""HTTP serving: Slack's endpoint and a health check, behind gunicorn (not Bolt's development server)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_wsgi(app: App, engine: Engine) -> WSGIApp:
    """``POST /slack/events`` (and the OAuth paths) to Bolt; ``GET /healthz`` checks the database."""
    slack = SlackRequestHandler(app)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            return _health(engine, start_response)
        if environ.get("REQUEST_METHOD") == "POST" and not _plausible_timestamp(environ):
            # Bolt's verifier raises ValueError (HTTP 500) on a non-numeric timestamp; refuse it as Slack
            # would any badly signed request.
            return _json(start_response, "401 Unauthorized", {"error": "invalid request"})
        return slack(environ, start_response)

    return wsgi


def _plausible_timestamp(environ: dict[str, Any]) -> bool:
    value = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    return value is None or (value.isascii() and value.isdigit() and len(value) <= 12)


def _health(engine: Engine, start_response: Callable[..., Any]) -> Iterable[bytes]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        log.exception("health check: database unreachable")
        return _json(start_response, "503 Service Unavailable", {"status": "database unreachable"})
    return _json(start_response, "200 OK", {"status": "ok"})


def _json(start_response: Callable[..., Any], status: str, body: dict[str, str]) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def serve_http(wsgi: WSGIApp, port: int, *, workers: int = 1, threads: int = 32) -> None:
    """Run under gunicorn's threaded worker on 0.0.0.0:port.

    Each request holds a thread until its listener acks; as many threads as the app's listener pool
    (``bot.app.LISTENER_THREADS``), so that a few slow acks never queue the others behind them."""
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for key, value in {
                "bind": f"0.0.0.0:{port}", "workers": workers, "threads": threads,
                "worker_class": "gthread", "accesslog": "-", "timeout": 60,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApp:
            return wsgi

    _Gunicorn().run()
