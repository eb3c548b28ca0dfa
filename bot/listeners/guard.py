"""What the lifecycle listeners share: who is acting (``users.info`` → ``Actor``), the permission check
of the guarded actions, the workspace's settings, and answering the person who acted.

``require(client, db, tenant, user_id, Guarded.IMPORT)`` is the check other surfaces (the import)
call when their guarded action happens.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.ids import Action
from bot.blocks.lifecycle import Candidate, pick_customer
from bot.config import Settings
from bot.listeners.router import CommandRequest
from db.models import Customer
from db.session import SessionFactory
from handlers import customers, hierarchy, permissions, settings
from handlers.errors import Ambiguous
from handlers.messages import DEFAULT_LANGUAGE, t
from handlers.permissions import Actor, Guarded
from handlers.settings import WorkspaceConfig

log = logging.getLogger(__name__)
Blocks = list[dict[str, Any]]


def lang_of(body: dict[str, Any] | None = None) -> str:
    """The language to answer in (English until the French catalog lands)."""
    return DEFAULT_LANGUAGE


def actor_of(client: WebClient, user_id: str) -> Actor:
    """The person acting, read through ``users.info``; someone unreadable counts as an outsider."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError:
        log.warning("users.info failed for %s: treated as an outsider", user_id, exc_info=True)
        return Actor.unknown(user_id)
    if not isinstance(user, dict) or user.get("id") != user_id:
        return Actor.unknown(user_id)
    return Actor.from_user(user)


def require(client: WebClient, db: SessionFactory, tenant: str, user_id: str, action: Guarded) -> Actor:
    """The acting ``Actor``, after checking they may do ``action`` now (raises ``PermissionDenied``)."""
    actor = actor_of(client, user_id)
    with db(read_only=True) as session:
        permissions.check(session, team_id=tenant, actor=actor, action=action)
    return actor


def workspace(db: SessionFactory, tenant: str, app_settings: Settings) -> WorkspaceConfig:
    """The workspace's settings (the bot's ``CLIENTDESK_CURRENCY`` filling an unset currency)."""
    with db(read_only=True) as session:
        return settings.get(session, team_id=tenant, default_currency=app_settings.currency)


def channel_of(body: dict[str, Any]) -> str:
    """The channel an interaction happened in ("" for the Home tab and modals)."""
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    return str(channel.get("id") or container.get("channel_id") or body.get("channel_id") or "")


def user_of(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or body.get("user_id") or "")


def resolve_named(request: CommandRequest, *, command: str, action: Action, label_key: str,
                  include_inactive: bool = True) -> Customer | None:
    """The customer a subcommand names; when several match, answer with a picker (buttons doing
    ``action``) and return None. ``NotFound`` propagates (the router words it)."""
    if not request.args.strip():
        request.reply(t("lc.name_missing", request.lang, command=command))
        return None
    with request.db(read_only=True) as session:
        try:
            return customers.resolve(session, team_id=request.tenant, text=request.args,
                                     include_inactive=include_inactive)
        except Ambiguous as error:
            ids = [i for i in error.params.get("candidates", []) if isinstance(i, int)]
            found = [customers.get(session, team_id=request.tenant, customer_id=i) for i in ids]
            names = hierarchy.fully_qualified_names(session, found)
            candidates = [Candidate(c.id, names.get(c.id, c.display_name), c.active) for c in found if c.id]
    blocks = pick_customer(candidates, text=request.args, action=action, label=t(label_key, request.lang),
                           lang=request.lang)
    request.reply(t("lc.pick_one", request.lang, count=len(candidates), text=request.args[:200]), blocks)
    return None
