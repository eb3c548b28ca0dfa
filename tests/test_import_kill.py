"""Killing the bot in the middle of an import: a REAL ``clientdesk serve`` process (gunicorn, the test's
database, the fake Slack API) is killed with SIGKILL while its import transaction is open with rows
already inserted. Nothing of that import may remain; once its lease has passed the job is marked
interrupted (with a Restart button where it ran), and restarting it imports the file to the end.

The fake holds the progress update sent after the first batch of rows is written, so the bot is
frozen exactly mid-apply when it is killed (no timing guess).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from slack_bolt import App
from sqlalchemy import Engine
from sqlmodel import func, select

from bot.app import create_app
from bot.blocks.ids import Action
from bot.config import Settings
from bot.listeners.importing.recovery import clients_of, recover, start_recovery
from bot.web import make_wsgi
from db.imports import ImportJob, ImportStatus
from db.models import Customer, utcnow
from db.session import SessionFactory
from handlers.importing import jobs
from tests import spreadsheets as s
from tests.slack_fake import FakeSlack, SignedClient, check_message, serve_wsgi
from tests.slack_harness import BOT_TOKEN, SIGNING_SECRET, SlackHarness
from tests.test_slack_import import button_value, preview_of, submit_preview, until

ROOT = Path(__file__).resolve().parents[1]
ROWS = 3000
ADMIN = "U0001"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def bot_process(database_url: str, fake: FakeSlack, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``python -m bot serve`` in its own process group (so that SIGKILL takes its workers too)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CLIENTDESK_RESTRICTED"))}
    env.update(DATABASE_URL=database_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_API_URL=fake.api_url, PORT=str(port), LOG_LEVEL="WARNING")
    with open(log, "wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        until(lambda: _healthy(url) or process.poll() is not None, "the bot to start", timeout=60)
        assert process.poll() is None, log.read_text()
        yield process, url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


@contextmanager
def bot_in_this_process(engine: Engine, db: SessionFactory, fake: FakeSlack) -> Iterator[tuple[SlackHarness, App]]:
    """The bot started again (here, in the test's process), on the same database and Slack."""
    settings = Settings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, slack_api_url=fake.api_url)
    app = create_app(settings, db, engine=engine)
    with serve_wsgi(make_wsgi(app, engine)) as server:
        yield SlackHarness(SignedClient(server.url, SIGNING_SECRET, fake), fake, db, settings, server.url), app


def customers_count(db: SessionFactory) -> int:
    with db(read_only=True) as session:
        return int(session.exec(select(func.count()).select_from(Customer)).one())


def the_job(db: SessionFactory) -> ImportJob:
    with db(read_only=True) as session:
        return session.exec(select(ImportJob)).one()


def test_killed_mid_import_leaves_no_customer_and_the_job_restarts_to_completion(
        engine: Engine, db: SessionFactory, database_url: str, tmp_path: Path) -> None:
    path = s.csv_file(tmp_path / "customers.csv", s.customers_rows(ROWS))
    with FakeSlack() as fake:
        fake.add_user(ADMIN, name="alice", is_admin=True)
        with bot_process(database_url, fake, tmp_path / "bot.log") as (process, url):
            bot = SlackHarness(SignedClient(url, SIGNING_SECRET, fake), fake, db,
                               Settings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET), url)
            frozen = fake.hold("chat.update", when=lambda p: "rows written" in str(p.get("text")))
            try:
                submit_preview(bot, preview_of(bot, path))
                assert frozen.reached.wait(60), (tmp_path / "bot.log").read_text()
                running = the_job(db)
                assert running.status == ImportStatus.RUNNING  # claimed: its apply transaction is open
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(30)
            finally:
                frozen.release()

        # Nothing of the killed import was written.
        assert customers_count(db) == 0
        assert the_job(db).status == ImportStatus.RUNNING  # until its lease passes

        with bot_in_this_process(engine, db, fake) as (app, restarted):
            with db() as session:  # a restart before the lease passed leaves a possibly live import alone
                assert jobs.recover_interrupted(session) == []
            assert running.lease_until is not None
            later = running.lease_until + timedelta(seconds=1)
            assert recover(db, clients_of(restarted), now=later) == [running.id]
            assert the_job(db).status == ImportStatus.INTERRUPTED
            assert customers_count(db) == 0

            announced = until(lambda: next((m for m in fake.messages("C0001")
                                            if Action.IMPORT_RESTART in str(m.get("blocks"))), None),
                              "the interrupted import's message", app)
            check_message(announced["text"], announced["blocks"])
            assert "Nothing was imported" in announced["text"]
            app.slack.block_action(Action.IMPORT_RESTART, value=button_value(announced, Action.IMPORT_RESTART),
                                   message=announced)
            started = time.monotonic()
            summary = until(lambda: _summary(fake), "the restarted import's summary", app, timeout=60)
            assert f"*{ROWS:,}* created" in summary, summary
            assert time.monotonic() - started < 60
        assert customers_count(db) == ROWS
        assert the_job(db).status == ImportStatus.DONE


def _summary(fake: FakeSlack) -> str | None:
    for message in fake.messages("C0001"):
        if " imported *" in (message.get("text") or ""):
            return str(message["text"])
    return None


def test_start_up_announces_an_import_whose_lease_passed_and_it_can_be_restarted(
        app: SlackHarness, database_url: str, tmp_path: Path) -> None:
    preview_of(app, s.xlsx(tmp_path / "customers.xlsx", s.customers_rows(3)))  # planned, never run
    with app.db() as session:  # as a process that died mid-apply long ago leaves it
        job = session.exec(select(ImportJob)).one()
        job.status, job.lease_until = ImportStatus.RUNNING, utcnow() - timedelta(minutes=1)
        session.add(job)
        session.commit()
    restarted = create_app(app.settings, app.db)
    start_recovery(restarted, app.db, database_url, every=3600)
    assert the_job(app.db).status == ImportStatus.INTERRUPTED
    announced = until(lambda: next((m for m in app.fake.messages("C0001")
                                    if Action.IMPORT_RESTART in str(m.get("blocks"))), None), "the announcement", app)
    assert announced["thread_ts"]  # in the file's thread
    app.slack.block_action(Action.IMPORT_RESTART, value=button_value(announced, Action.IMPORT_RESTART),
                           message=announced)
    assert "*3* created" in (until(lambda: _summary(app.fake), "the summary", app))
    assert customers_count(app.db) == 3
    restarted_note = next(m for m in app.fake.messages("C0001") if m["ts"] == announced["ts"])
    assert restarted_note["text"] == "<@U0001> restarted the import of *customers.xlsx*."
