"""Read models for the Slack surfaces: customer counts, recent changes, a customer's history by page.

Reads only; the changes themselves are written by the handlers that make them (``handlers.audit``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.models import AuditEvent, Customer
from handlers import audit, customers, hierarchy


@dataclass(frozen=True)
class Counts:
    active: int
    inactive: int


@dataclass(frozen=True)
class Change:
    """An audit event with the name of its customer (None for workspace-wide events)."""

    event: AuditEvent
    customer_name: str | None
    customer_active: bool = True


@dataclass(frozen=True)
class HistoryPage:
    events: list[AuditEvent]
    total: int
    offset: int
    names: dict[int, str] = field(default_factory=dict)  # parent customers' full names (see ``parent_names``)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.events) < self.total


def customer_counts(session: Session, *, team_id: str) -> Counts:
    """How many customers are active and inactive (merged-away customers are not counted)."""
    stmt = (
        select(Customer.active, func.count())
        .where(Customer.team_id == team_id, col(Customer.name_key).is_not(None))
        .group_by(col(Customer.active))
    )
    found = {bool(active): int(n) for active, n in session.exec(stmt)}
    return Counts(active=found.get(True, 0), inactive=found.get(False, 0))


def recent_changes(session: Session, *, team_id: str, limit: int = 5) -> list[Change]:
    """The workspace's latest changes, newest first, with their customers' current names."""
    events = list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.team_id == team_id)
            .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
            .limit(limit)
        )
    )
    named = customers.get_many(session, team_id=team_id, include_merged=True,
                               ids=(e.customer_id for e in events if e.customer_id is not None))
    changes = []
    for e in events:
        c = named.get(e.customer_id) if e.customer_id is not None else None
        changes.append(Change(e, c.display_name if c else None, c.active if c else True))
    return changes


def history_page(
    session: Session, *, team_id: str, customer_id: int, offset: int = 0, limit: int = 10
) -> HistoryPage:
    """One page of a customer's changes, newest first, with the total count and the full names of the
    parent customers its edits moved it between."""
    events = audit.history(session, team_id, customer_id, offset=offset, limit=limit)
    total = audit.history_count(session, team_id, customer_id)
    return HistoryPage(events, total, max(offset, 0), parent_names(session, team_id=team_id, events=events))


def parent_names(session: Session, *, team_id: str, events: Sequence[AuditEvent]) -> dict[int, str]:
    """Customer id → fully qualified name of the parents that ``events``' edits moved a customer between
    (an edit records parent ids; history shows names, current ones, merged-away parents included)."""
    ids = {
        v for e in events if e.action == "edit"
        for v in ((e.before or {}).get("parent_id"), (e.after or {}).get("parent_id"))
        if isinstance(v, int) and not isinstance(v, bool)
    }
    found = customers.get_many(session, team_id=team_id, ids=ids, include_merged=True)
    return hierarchy.fully_qualified_names(session, list(found.values())) if found else {}
