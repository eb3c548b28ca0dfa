"""``create_app``: the Bolt app with its Web API client, middleware, error handler and listeners."""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from sqlalchemy import Engine

from bot import listeners
from bot.config import BOT_SCOPES, Settings
from bot.context import tenant_of
from bot.listeners.importing.runner import ImportRunner
from bot.replies import tell_user
from db.session import SessionFactory
from handlers import idempotency
from handlers.messages import t

log = logging.getLogger(__name__)
LISTENER_THREADS = 32


def make_client(settings: Settings) -> WebClient:
    """The Web API client: Slack's (or ``SLACK_API_URL``'s), retrying after 429s and dropped connections."""
    return WebClient(
        token=settings.bot_token or None,
        base_url=settings.slack_api_url,
        retry_handlers=[ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=3)],
    )


def create_app(
    settings: Settings, db: SessionFactory, *, engine: Engine | None = None, client: WebClient | None = None,
    import_runner: ImportRunner | None = None,
) -> App:
    """The ClientDesk Bolt app. ``db`` is a session factory; listeners find it as ``context["db"]``.

    With ``settings.oauth`` the app is installed per workspace (``/slack/install``); installations and
    OAuth states are kept in ``engine``'s database through slack_sdk's SQLAlchemy stores. Imports run in
    ``import_runner``'s process when given (``clientdesk serve``), else on threads of this process.
    """
    app = App(
        client=client or make_client(settings),
        signing_secret=settings.signing_secret or None,
        oauth_settings=_oauth_settings(settings, engine) if settings.oauth else None,
        # Every listener acks first; slow work goes to lazy listeners.
        process_before_response=False,
        # auth.test is made on the first request, not at construction (start-up must not need Slack).
        token_verification_enabled=False,
        # Bolt's default pool has 5 threads, shared by acks and by the work done after them: a few slow
        # submits (waiting for SQLite's write lock during an import) made every other ack time out.
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="clientdesk"),
    )

    @app.middleware
    def inject(context: BoltContext, next: Any) -> Any:
        context["db"] = db
        context["settings"] = settings
        context["tenant"] = tenant_of(context)
        context["import_runner"] = import_runner
        return next()

    @app.middleware
    def once_per_event(body: dict[str, Any], context: BoltContext, next: Any) -> Any:
        """Slack redelivers an event it thinks was missed (X-Slack-Retry-Num 1-3): act on its id once."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with db() as session:
                first = idempotency.claim(session, team_id=context["tenant"], key=f"event:{event_id}")
                session.commit()
            if not first:
                return BoltResponse(status=200, body="")
        return next()

    @app.error
    def unexpected(error: Exception, request: BoltRequest, logger: logging.Logger) -> BoltResponse | None:
        """An unexpected error: a short reference for the user, the same reference with the trace in the log."""
        ref = secrets.token_hex(3)
        logger.error("unexpected error (ref %s)", ref, exc_info=error)
        tell_user(request.context, request.body, t("slack.unexpected_error", ref=ref))
        return None

    listeners.register(app)
    return app


def _oauth_settings(settings: Settings, engine: Engine | None) -> OAuthSettings:
    # slack_sdk's SQL stores import SQLAlchemy's asyncio layer: loaded only for distributed installs.
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    if engine is None:
        raise ValueError("OAuth installations need the database engine")
    installations = SQLAlchemyInstallationStore(client_id=settings.client_id, engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    # slack_sdk owns these tables' schema; create_all only adds what is missing.
    installations.metadata.create_all(engine)
    states.metadata.create_all(engine)
    return OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=installations,
        state_store=states,
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
    )
