"""The audit trail: every change writes an AuditEvent (who, when, what, before/after)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from db.models import AuditEvent


def jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def record(
    session: Session,
    *,
    team_id: str,
    actor: str,
    action: str,
    customer_id: int | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add an AuditEvent to the session (committed with the change it describes)."""
    event = AuditEvent(
        team_id=team_id,
        customer_id=customer_id,
        actor=actor,
        action=action,
        before={k: jsonable(v) for k, v in (before or {}).items()},
        after={k: jsonable(v) for k, v in (after or {}).items()},
    )
    session.add(event)
    return event


def history(session: Session, team_id: str, customer_id: int, *, limit: int = 20,
            offset: int = 0) -> list[AuditEvent]:
    """The customer's changes, newest first: ``limit`` of them after skipping the ``offset`` newest."""
    stmt = (
        select(AuditEvent)
        .where(*_of_customer(team_id, customer_id))
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset(max(offset, 0))
        .limit(limit)
    )
    return list(session.exec(stmt))


def history_count(session: Session, team_id: str, customer_id: int) -> int:
    """How many changes the customer's history holds."""
    stmt = select(func.count()).select_from(AuditEvent).where(*_of_customer(team_id, customer_id))
    return int(session.exec(stmt).one())


def _of_customer(team_id: str, customer_id: int) -> tuple[ColumnElement[bool], ...]:
    return col(AuditEvent.team_id) == team_id, col(AuditEvent.customer_id) == customer_id
