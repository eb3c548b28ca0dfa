"""``clientdesk serve``: settings, database upgrade, then Socket Mode or HTTP."""

from __future__ import annotations

import logging
import sys

from bot.app import create_app
from bot.config import ConfigError, Settings
from bot.listeners.importing import start_recovery
from bot.listeners.importing.runner import ImportRunner
from bot.web import make_wsgi, serve_http
from db.migrate import upgrade
from db.session import make_engine, session_factory
from handlers.messages import t

log = logging.getLogger(__name__)

# Writes made while Slack waits for an answer (3 s) wait at most this long for another transaction's lock
# (an import being written): past it the user is told the list is busy, instead of Slack timing out.
INTERACTIVE_LOCK_WAIT = 2.0


def serve() -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    logging.getLogger().setLevel(settings.log_level)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    db = session_factory(engine, lock_wait=INTERACTIVE_LOCK_WAIT)
    # Imports run in a process of their own, below the bot's CPU priority (acks stay within Slack's 3 s).
    runner = ImportRunner(settings, settings.database_url)
    app = create_app(settings, db, engine=engine, import_runner=runner)
    # Imports whose process died: marked interrupted (with a Restart button) now and every minute.
    start_recovery(app, db, settings.database_url)
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info(t("cli.serving_socket"))
        SocketModeHandler(app, settings.app_token).start()
        return 0
    log.info(t("cli.serving_http", port=settings.port))
    serve_http(make_wsgi(app, engine), settings.port)
    return 0
