"""Serve any WSGI application (e.g. Bolt's ``SlackRequestHandler``) on 127.0.0.1 for a test."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any, Self
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import WSGIApplication


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@dataclass
class RunningServer:
    """A WSGI server running in a daemon thread; stop it with :meth:`stop` or a ``with`` block."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        """Shut the server down and release the port."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_wsgi(app: WSGIApplication) -> RunningServer:
    """Start ``app`` on 127.0.0.1 with an ephemeral port, one thread per request."""
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="wsgi", daemon=True
    )
    thread.start()
    return RunningServer(server, thread)
