"""Imports run in a process of their own, at a lower CPU priority than the bot that answers Slack.

Planning and writing 100,000 rows takes seconds of CPU. On the bot's own threads it would hold the
interpreter lock that every Slack request needs to be acknowledged within 3 seconds, and on a small
machine it would take the cores those requests need too. So ``clientdesk serve`` gives the app an
``ImportRunner``: on first use (after gunicorn has forked its worker) it starts
``python -m bot.listeners.importing.runner`` with ``nice`` +``NICE``, sends it the settings and the
database URL, then each task — plan this job (the preview), import this job — as a pickled frame on its
stdin. The child runs them on its own threads (``worker.dispatch``) with its own database engine and a
Web API client carrying the workspace's token, keeps the previews' plans (``plans``) for the import
that follows, and posts the progress and the results itself.

Its life follows the bot's: when the bot's end of the pipe closes, the child finishes the tasks it has
and exits; killed with the bot's process group, it dies with it — the import's transaction never
commits, its job's lease runs out, and recovery offers a Restart. A child found dead is started again
for the next task.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from bot.config import Settings
from handlers.importing.worker import read_frame, write_frame

log = logging.getLogger(__name__)

NICE = 10  # the import's priority below the bot's: the scheduler gives the bot ~10x its share of a core
ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Task:
    """One job for the import process: ``kind`` "plan" (``worker.plan_job``) or "import" (``worker.run_job``)."""

    kind: str
    token: str | None
    tenant: str
    lang: str
    channel: str | None
    thread_ts: str | None
    kwargs: dict[str, Any] = field(default_factory=dict)


class ImportRunner:
    """The bot's side: ``submit(task)`` hands a task to the import process (started when needed)."""

    def __init__(self, settings: Settings, database_url: str, *, nice: int = NICE) -> None:
        self.settings, self.database_url, self.nice = settings, database_url, nice
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def submit(self, task: Task) -> None:
        with self._lock:
            for attempt in (1, 2):
                process = self._process
                if process is None or process.poll() is not None:
                    if process is not None:
                        log.error("the import process exited (%s); starting it again", process.returncode)
                    process = self._process = self._start()
                assert process.stdin is not None
                try:
                    write_frame(process.stdin, task)
                    return
                except OSError:  # it died since poll(): once more with a new one
                    process.kill()
                    process.wait()
                    if attempt == 2:
                        raise

    def _start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
        process = subprocess.Popen([sys.executable, "-m", "bot.listeners.importing.runner", str(self.nice)],
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, cwd=ROOT)
        assert process.stdin is not None
        write_frame(process.stdin, (self.settings, self.database_url))
        return process

    def close(self, timeout: float = 60.0) -> None:
        """Let the import process finish its tasks and exit (killed after ``timeout`` seconds)."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ------------------------------------------------------------------------------ the import process


def main(nice: int) -> int:
    """Read the settings, then run each task until the bot closes the pipe; finish them, then exit."""
    os.nice(nice)
    from bot.app import make_client
    from bot.listeners.importing.worker import shutdown
    from db.session import make_engine, session_factory

    stream = sys.stdin.buffer
    start = _next(stream)
    if start is None:
        return 0
    settings, database_url = start
    logging.basicConfig(level=settings.log_level, format="%(asctime)s [imports %(process)d] %(levelname)s %(name)s: "
                                                         "%(message)s")
    engine = make_engine(database_url)
    db = session_factory(engine)
    clients: dict[str | None, Any] = {}
    while (task := _next(stream)) is not None:
        if task.token not in clients:
            clients[task.token] = make_client(replace(settings, bot_token=task.token or settings.bot_token))
        run(task, clients[task.token], db, settings)
    shutdown()
    engine.dispose()
    return 0


def _next(stream: IO[bytes]) -> Any:
    """The bot's next frame; None when it closed the pipe (or died in the middle of a frame)."""
    try:
        return read_frame(stream)
    except EOFError:
        return None


def run(task: Task, client: Any, db: Any, settings: Settings) -> None:
    """Start ``task`` on this process's import threads."""
    from bot.listeners.importing.worker import Where, dispatch

    where = Where(client, db, settings, task.tenant, task.lang)
    dispatch(where, task.kind, channel=task.channel, thread_ts=task.thread_ts, **task.kwargs)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else NICE))
