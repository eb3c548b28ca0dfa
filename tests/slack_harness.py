"""The real app over real HTTP, against the fake Slack Web API, on the test database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from bot.app import create_app
from bot.config import Settings
from bot.listeners.importing.runner import ImportRunner
from bot.web import make_wsgi
from db.session import SessionFactory
from tests.slack_fake import FakeSlack, SignedClient, serve_wsgi

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test"


@dataclass
class SlackHarness:
    """``slack`` sends signed requests as a user would; ``fake`` is what the app said to Slack."""

    slack: SignedClient
    fake: FakeSlack
    db: SessionFactory
    settings: Settings
    url: str
    runner: ImportRunner | None = None


@contextmanager
def running_app(engine: Engine, db: SessionFactory, *, import_process_url: str | None = None,
                **settings_overrides: object) -> Iterator[SlackHarness]:
    """``import_process_url``: imports run in an import process on that database, as ``clientdesk serve``
    runs them (else on the app's threads)."""
    with FakeSlack() as fake:
        fake.add_user("U0001", team_id="T0001", name="alice", is_admin=True)
        fake.add_user("U0002", team_id="T0001", name="bob")
        values: dict[str, Any] = {"bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET}
        settings = Settings(**(values | settings_overrides), slack_api_url=fake.api_url)
        runner = ImportRunner(settings, import_process_url) if import_process_url else None
        app = create_app(settings, db, engine=engine, import_runner=runner)
        try:
            with serve_wsgi(make_wsgi(app, engine)) as server:
                yield SlackHarness(SignedClient(server.url, SIGNING_SECRET, fake), fake, db, settings, server.url,
                                   runner)
        finally:
            if runner is not None:
                runner.close()
