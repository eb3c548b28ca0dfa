"""Who may make customers inactive, merge them, undo merges and import.

A workspace chooses among everyone, workspace admins (and owners), or a list of users: the rule an
admin saved with ``/clients settings``, else ``CLIENTDESK_RESTRICTED_ACTIONS_BY`` ("everyone",
"admins", or user ids separated by commas), else admins. Guests, people from another organisation
and deactivated accounts are always refused these actions. The Slack layer describes the person as a
plain ``Actor``; nothing here knows Slack.
"""

from __future__ import annotations

import enum
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from db.workspace import PermissionMode, find_settings
from handlers.errors import PermissionDenied, Problem

log = logging.getLogger(__name__)

ENV_DEFAULT = "CLIENTDESK_RESTRICTED_ACTIONS_BY"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


class Guarded(enum.StrEnum):
    """The actions the workspace setting governs."""

    MAKE_INACTIVE = "make_inactive"
    MERGE = "merge"
    UNDO_MERGE = "undo_merge"
    IMPORT = "import"


@dataclass(frozen=True)
class Actor:
    """The person acting, as the Slack layer read them (``users.info``)."""

    user_id: str
    is_admin: bool = False
    is_owner: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    deleted: bool = False
    is_stranger: bool = False

    @classmethod
    def from_user(cls, user: Mapping[str, Any]) -> Actor:
        """An ``Actor`` from a user object (the ``user`` of ``users.info``)."""
        return cls(
            user_id=str(user.get("id") or ""),
            is_admin=bool(user.get("is_admin")),
            is_owner=bool(user.get("is_owner") or user.get("is_primary_owner")),
            is_restricted=bool(user.get("is_restricted")),
            is_ultra_restricted=bool(user.get("is_ultra_restricted")),
            deleted=bool(user.get("deleted")),
            is_stranger=bool(user.get("is_stranger")),
        )

    @classmethod
    def unknown(cls, user_id: str) -> Actor:
        """Someone whose account could not be read: treated as an outsider (refused)."""
        return cls(user_id=user_id, is_stranger=True)

    @property
    def is_outsider(self) -> bool:
        """A guest, someone from another organisation, or a deactivated account."""
        return self.is_restricted or self.is_ultra_restricted or self.is_stranger or self.deleted

    @property
    def is_workspace_admin(self) -> bool:
        return (self.is_admin or self.is_owner) and not self.is_outsider


@dataclass(frozen=True)
class Rule:
    """Who may do the guarded actions."""

    mode: PermissionMode
    user_ids: tuple[str, ...] = ()

    def allows(self, actor: Actor) -> bool:
        if actor.is_outsider:
            return False
        if self.mode == PermissionMode.EVERYONE:
            return True
        if self.mode == PermissionMode.ADMINS:
            return actor.is_workspace_admin
        return actor.user_id in self.user_ids


def parse_rule(text: str | None) -> Rule:
    """``"everyone"``, ``"admins"`` or user ids (``"U1, U2"``); anything else means admins (and is logged)."""
    value = (text or "").strip()
    word = value.casefold()
    if word in ("", "admin", "admins"):
        return Rule(PermissionMode.ADMINS)
    if word in ("everyone", "all", "anyone"):
        return Rule(PermissionMode.EVERYONE)
    ids = tuple(dict.fromkeys(p for p in re.split(r"[\s,;]+", value.upper()) if p))
    if ids and all(_USER_ID.match(i) for i in ids):
        return Rule(PermissionMode.USERS, ids)
    log.warning("%s=%r is not everyone, admins or user ids: using admins", ENV_DEFAULT, text)
    return Rule(PermissionMode.ADMINS)


def default_rule() -> Rule:
    """The rule of a workspace whose admins saved none (read from the environment at each call)."""
    return parse_rule(os.environ.get(ENV_DEFAULT))


def rule_for(session: Session, *, team_id: str) -> Rule:
    """The workspace's rule: the saved setting, else the default."""
    row = find_settings(session, team_id)
    if row is None:
        return default_rule()
    return Rule(PermissionMode(row.permission_mode), tuple(row.allowed_user_ids or ()))


def allowed(session: Session, *, team_id: str, actor: Actor) -> bool:
    """Whether ``actor`` may do the guarded actions in the workspace."""
    return rule_for(session, team_id=team_id).allows(actor)


def check(session: Session, *, team_id: str, actor: Actor, action: Guarded) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` may do ``action``.

    The error has two problems: what was refused (``perm_<action>``) and who can do it
    (``perm_who_everyone`` / ``perm_who_admins`` / ``perm_who_users`` with ``users`` as Slack
    mentions / ``perm_who_nobody`` / ``perm_outsider`` for guests, outsiders and deactivated accounts).
    """
    rule = rule_for(session, team_id=team_id)
    if rule.allows(actor):
        return
    raise PermissionDenied(Problem(f"perm_{action.value}"), who_can(rule, actor))


def who_can(rule: Rule, actor: Actor | None = None) -> Problem:
    """The sentence saying who may do the guarded actions (for refusals and the settings form)."""
    if actor is not None and actor.is_outsider:
        return Problem("perm_outsider")
    if rule.mode == PermissionMode.EVERYONE:
        return Problem("perm_who_everyone")
    if rule.mode == PermissionMode.ADMINS:
        return Problem("perm_who_admins")
    if not rule.user_ids:
        return Problem("perm_who_nobody")
    return Problem("perm_who_users", params={"users": ", ".join(f"<@{u}>" for u in rule.user_ids)})


def require_admin(actor: Actor) -> None:
    """Raise ``PermissionDenied`` (``perm_settings``) unless ``actor`` is a workspace admin or owner."""
    if not actor.is_workspace_admin:
        raise PermissionDenied(Problem("perm_settings"))
