"""Workspace settings: who may do the guarded actions, where merge notices go, the currency shown.

Only workspace admins and owners change them; every change is audited. A workspace that never saved
settings uses the defaults (``handlers.permissions.default_rule``, in-channel notices, the currency
the bot was started with).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from db.models import utcnow
from db.workspace import MergeNotice, PermissionMode, WorkspaceSettings, find_settings
from handlers import audit
from handlers.errors import Conflict, InvalidInput, Problem
from handlers.permissions import Actor, Rule, default_rule, require_admin
from handlers.unit_of_work import transactional

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
MAX_ALLOWED_USERS = 100


@dataclass(frozen=True)
class WorkspaceConfig:
    """A workspace's effective settings; ``version`` is 0 while it never saved any."""

    team_id: str
    rule: Rule
    merge_notice: MergeNotice
    currency: str
    version: int = 0

    @property
    def saved(self) -> bool:
        return self.version > 0


def get(session: Session, *, team_id: str, default_currency: str = "") -> WorkspaceConfig:
    """The workspace's settings, the defaults filling what it never saved."""
    row = find_settings(session, team_id)
    if row is None:
        return WorkspaceConfig(team_id, default_rule(), MergeNotice.IN_CHANNEL, default_currency.upper())
    return _config(row, default_currency)


def _config(row: WorkspaceSettings, default_currency: str) -> WorkspaceConfig:
    return WorkspaceConfig(
        team_id=row.team_id,
        rule=Rule(PermissionMode(row.permission_mode), tuple(row.allowed_user_ids or ())),
        merge_notice=MergeNotice(row.merge_notice),
        currency=row.currency or default_currency.upper(),
        version=row.version,
    )


@transactional
def update(
    session: Session,
    *,
    team_id: str,
    actor: Actor,
    expected_version: int,
    permission_mode: str,
    allowed_user_ids: Iterable[str] = (),
    merge_notice: str = MergeNotice.IN_CHANNEL,
    currency: str = "",
) -> WorkspaceConfig:
    """Save the workspace's settings (all of them at once), as a workspace admin or owner.

    Rules: only admins and owners (``PermissionDenied``); a list of users needs at least one user
    (``InvalidInput`` ``settings_users_required`` on ``allowed_user_ids``); the currency is empty or a
    three-letter code (``settings_bad_currency`` on ``currency``). ``expected_version`` is the version
    the form showed (0 for never saved): another admin's save in between gives ``Conflict``
    ``settings_stale`` and nothing is written.
    """
    require_admin(actor)
    values = _clean(permission_mode, allowed_user_ids, merge_notice, currency)
    row = session.exec(
        select(WorkspaceSettings).where(WorkspaceSettings.team_id == team_id).with_for_update()
    ).first()
    current = row.version if row is not None else 0
    if current != expected_version:
        raise Conflict.of("settings_stale", by=row.updated_by if row is not None else "")
    before = _snapshot(row) if row is not None else {}
    if row is None:
        row = WorkspaceSettings(team_id=team_id, version=0)
    for name, value in values.items():
        setattr(row, name, value)
    row.version += 1
    row.updated_at = utcnow()
    row.updated_by = actor.user_id
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another admin saved the first settings at the same moment
        session.rollback()
        raise Conflict.of("settings_stale", by="") from None
    after = _snapshot(row)
    audit.record(
        session, team_id=team_id, actor=actor.user_id, action="settings", customer_id=None,
        before={k: v for k, v in before.items() if after.get(k) != v},
        after={k: v for k, v in after.items() if before.get(k) != v},
    )
    session.commit()
    return _config(row, "")


def _clean(mode: str, user_ids: Iterable[str], notice: str, currency: str) -> dict[str, Any]:
    problems: list[Problem] = []
    try:
        parsed_mode = PermissionMode(mode)
    except ValueError:
        problems.append(Problem("settings_bad_mode", "permission_mode", {"value": str(mode)[:50]}))
        parsed_mode = PermissionMode.ADMINS
    ids = list(dict.fromkeys(u.strip() for u in user_ids if u and u.strip()))
    if any(not _USER_ID.match(u) for u in ids) or len(ids) > MAX_ALLOWED_USERS:
        problems.append(Problem("settings_bad_users", "allowed_user_ids", {"max": MAX_ALLOWED_USERS}))
    if parsed_mode == PermissionMode.USERS and not ids:
        problems.append(Problem("settings_users_required", "allowed_user_ids"))
    try:
        parsed_notice = MergeNotice(notice)
    except ValueError:
        problems.append(Problem("settings_bad_notice", "merge_notice", {"value": str(notice)[:50]}))
        parsed_notice = MergeNotice.IN_CHANNEL
    code = (currency or "").strip().upper()
    if code and not _CURRENCY.match(code):
        problems.append(Problem("settings_bad_currency", "currency", {"value": currency[:20]}))
    if problems:
        raise InvalidInput(*problems)
    return {
        "permission_mode": parsed_mode,
        "allowed_user_ids": ids if parsed_mode == PermissionMode.USERS else [],
        "merge_notice": parsed_notice,
        "currency": code,
    }


def _snapshot(row: WorkspaceSettings) -> dict[str, Any]:
    return {
        "permission_mode": audit.jsonable(row.permission_mode),
        "allowed_user_ids": list(row.allowed_user_ids or []),
        "merge_notice": audit.jsonable(row.merge_notice),
        "currency": row.currency,
    }
