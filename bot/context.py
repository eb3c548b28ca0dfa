"""What listeners read from Bolt's context: the tenant, the session factory, the settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient

from bot.config import Settings
from db.session import SessionFactory


def tenant_of(context: BoltContext) -> str:
    """The workspace a request acts on, from the authorising installation (never from payload text):
    the organisation for an org-wide install, else the team."""
    if context.is_enterprise_install and context.enterprise_id:
        return context.enterprise_id
    return context.team_id or context.enterprise_id or ""


def db_of(context: BoltContext) -> SessionFactory:
    return cast(SessionFactory, context["db"])


def settings_of(context: BoltContext) -> Settings:
    return cast(Settings, context["settings"])


@dataclass(frozen=True, kw_only=True)
class SlackRequest:
    """What a listener hands its behaviour once the request is acked: who, where, and how to answer."""

    tenant: str
    user_id: str
    trigger_id: str
    body: dict[str, Any]
    client: WebClient
    respond: Respond
    context: BoltContext
    lang: str = "en"

    @property
    def db(self) -> SessionFactory:
        return db_of(self.context)

    @property
    def settings(self) -> Settings:
        return settings_of(self.context)
