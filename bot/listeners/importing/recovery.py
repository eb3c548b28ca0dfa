"""Imports whose process died (a crash, a kill, a deploy): ``jobs.recover_interrupted`` marks them
interrupted once their lease has passed — their transaction never committed, so nothing was written —
and each is announced where it ran, its progress message replaced by "interrupted, nothing imported"
with a Restart button. ``start_recovery`` runs this at start-up and then every minute.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from datetime import datetime

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.pool import NullPool

from bot.blocks.import_views import interrupted_message
from bot.listeners.importing import store
from db.session import SessionFactory, make_engine, session_factory
from handlers.importing import jobs

log = logging.getLogger(__name__)

SWEEP_EVERY = 60.0           # seconds between two looks for interrupted imports


ClientFor = Callable[[str], WebClient | None]


def recover(db: SessionFactory, client_for: ClientFor, *, now: datetime | None = None,
            lang: str = "en") -> list[int]:
    """Mark interrupted the imports whose process died (``jobs.recover_interrupted``) and say so where
    each ran: its progress message becomes "interrupted, nothing imported" with a Restart button."""
    with db() as session:
        found = [(j.id, j.team_id, j.file_name, dict(j.context or {}))
                 for j in jobs.recover_interrupted(session, now=now)]
    for job_id, tenant, file_name, context in found:
        assert job_id is not None
        client = client_for(tenant)
        channel = str(context.get("channel") or "")
        if client is None or not channel:
            continue
        text, blocks = interrupted_message(file_name, job_id, lang=lang)
        try:
            if context.get("progress_ts"):
                client.chat_update(channel=channel, ts=str(context["progress_ts"]), text=text, blocks=blocks)
            else:
                client.chat_postMessage(channel=channel, thread_ts=context.get("thread_ts"), text=text, blocks=blocks)
        except SlackApiError as error:
            log.warning("could not announce interrupted import %s: %s", job_id, error.response.get("error"))
    return [job_id for job_id, *_ in found if job_id is not None]


def clients_of(app: App) -> ClientFor:
    """The Web API client of a workspace: the app's own (single workspace), else its installation's."""

    def client_for(tenant: str) -> WebClient | None:
        if app.client.token:
            return app.client
        installations = app.installation_store
        if installations is None:
            return None
        org = tenant.startswith("E")
        bot = installations.find_bot(enterprise_id=tenant if org else None, team_id=None if org else tenant,
                                     is_enterprise_install=org)
        if bot is None or not bot.bot_token:
            return None
        return WebClient(token=bot.bot_token, base_url=app.client.base_url,
                         retry_handlers=app.client.retry_handlers)

    return client_for


def start_recovery(app: App, db: SessionFactory, database_url: str, *, every: float = SWEEP_EVERY) -> None:
    """At start-up: recover now, then every ``every`` seconds (a job counts as interrupted once its
    lease has passed, so a crash is noticed a few minutes later). The periodic sweep runs on its own
    engine without a pool: it shares no connection with a process forked to serve requests."""
    try:
        recover(db, clients_of(app))
    except Exception:
        log.exception("could not look for interrupted imports")
    app_ref = weakref.ref(app)

    def sweep() -> None:
        engine = make_engine(database_url, poolclass=NullPool)
        own = session_factory(engine)
        while True:
            time.sleep(every)
            current = app_ref()
            if current is None:
                return
            try:
                recover(own, clients_of(current))
                store.sweep()
            except Exception:
                log.exception("could not look for interrupted imports")
            del current

    threading.Thread(target=sweep, name="clientdesk-import-recovery", daemon=True).start()
