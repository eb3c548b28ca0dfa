"""The App Home tab: published when a user opens it, after the changes they make, and as they search,
page and toggle inactive customers in it.

``refresh_home(client, db, tenant, user_id)`` re-publishes a user's Home; any surface may call it
after a change (it never raises: a Home that failed to refresh is logged, the change stands).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks.home import PAGE_SIZE, HomeData, HomeState, home_view, parse_state, state_of
from bot.blocks.ids import Action
from bot.context import db_of, settings_of
from bot.listeners.guard import lang_of, user_of
from bot.listeners.router import CommandRequest, subcommand
from db.session import SessionFactory
from handlers import activity, profile, settings
from handlers.messages import t

log = logging.getLogger(__name__)
RECENT_CHANGES = 5


def build_home(db: SessionFactory, tenant: str, state: HomeState, *, lang: str = "en",
               default_currency: str = "") -> dict[str, Any]:
    """The Home view for ``state`` (read in one read-only session)."""
    with db(read_only=True) as session:
        config = settings.get(session, team_id=tenant, default_currency=default_currency)
        page = profile.row_page(session, team_id=tenant, text=state.text, include_inactive=state.include_inactive,
                                limit=PAGE_SIZE, offset=state.offset)
        data = HomeData(
            counts=activity.customer_counts(session, team_id=tenant),
            rows=page.rows,
            has_more=page.has_more,
            recent=activity.recent_changes(session, team_id=tenant, limit=RECENT_CHANGES),
        )
    return home_view(data, state, lang=lang, currency=config.currency)


def refresh_home(client: WebClient, db: SessionFactory, tenant: str, user_id: str, *,
                 state: HomeState | None = None, default_currency: str = "") -> None:
    """Re-publish ``user_id``'s Home tab (first page unless ``state`` is given); never raises."""
    try:
        view = build_home(db, tenant, state or HomeState(), lang=lang_of(), default_currency=default_currency)
        client.views_publish(user_id=user_id, view=view)
    except Exception:  # the change the user made stands; only its echo on the Home tab failed
        log.exception("could not refresh the Home tab of %s", user_id)


def on_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Publish the Home tab when the user opens it (keeping the search they left it with)."""
    if event.get("tab", "home") != "home":
        return
    refresh_home(client, db_of(context), context["tenant"], str(event.get("user") or ""),
                 state=state_of(event.get("view")), default_currency=settings_of(context).currency)


def _republish(body: dict[str, Any], client: WebClient, context: BoltContext, state: HomeState) -> None:
    refresh_home(client, db_of(context), context["tenant"], user_of(body), state=state,
                 default_currency=settings_of(context).currency)


def on_search(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
              context: BoltContext) -> None:
    """Enter in the search box: the first page of the matches."""
    ack()
    current = state_of(body.get("view"))
    text = str(action.get("value") or "").strip()[:200]
    _republish(body, client, context, HomeState(text=text, include_inactive=current.include_inactive))


def on_page(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
            context: BoltContext) -> None:
    """Previous / Next / Include inactive: the state the button carries."""
    ack()
    _republish(body, client, context, parse_state(action.get("value")))


@subcommand("home", "accueil", usage="lc.usage.home")
def home_command(request: CommandRequest) -> None:
    """``/clients home``: refresh the Home tab."""
    refresh_home(request.client, request.db, request.tenant, request.user_id,
                 default_currency=request.settings.currency)
    request.reply(t("lc.home.refreshed", request.lang))


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action(Action.HOME_SEARCH)(on_search)
    for action in (Action.HOME_PAGE, Action.HOME_PAGE_BACK, Action.HOME_TOGGLE_INACTIVE):
        app.action(action)(on_page)
