"""A customer's transactions as the Slack surfaces list them: open invoices, payments, projects, templates.

Reads only, always within one workspace (``team_id``). ``of_customer`` is the transactions message's
full list; the ``*_summary`` functions are the profile card's few first lines with their counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import ColumnElement, case, func
from sqlmodel import Session, col, select

from db.models import Invoice, Payment, Project, ProjectStatus, RecurringTemplate

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Ledger:
    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    templates: list[RecurringTemplate] = field(default_factory=list)


@dataclass(frozen=True)
class InvoiceSummary:
    """The oldest open invoices, how many are open in all and what is left to pay on them."""

    shown: tuple[Invoice, ...] = ()
    count: int = 0
    total: Decimal = ZERO


@dataclass(frozen=True)
class ProjectSummary:
    """The first projects (open ones first, then by name) and how many are open and closed in all."""

    shown: tuple[Project, ...] = ()
    open: int = 0
    closed: int = 0

    @property
    def total(self) -> int:
        return self.open + self.closed


@dataclass(frozen=True)
class TemplateSummary:
    """The next recurring templates due and how many there are in all."""

    shown: tuple[RecurringTemplate, ...] = ()
    count: int = 0


def _open_invoice(team_id: str, customer_id: int) -> tuple[ColumnElement[bool], ...]:
    return (col(Invoice.team_id) == team_id, col(Invoice.customer_id) == customer_id,
            col(Invoice.amount_paid) < col(Invoice.amount))


def open_invoices(session: Session, *, team_id: str, customer_id: int, limit: int = 100) -> list[Invoice]:
    """The customer's invoices with something left to pay, oldest first."""
    stmt = (
        select(Invoice)
        .where(*_open_invoice(team_id, customer_id))
        .order_by(col(Invoice.date), col(Invoice.id))
        .limit(limit)
    )
    return list(session.exec(stmt))


def invoice_summary(session: Session, *, team_id: str, customer_id: int, limit: int = 5) -> InvoiceSummary:
    """The customer's ``limit`` oldest open invoices, the count of open invoices and their open total."""
    count, total = session.exec(
        select(func.count(), func.coalesce(func.sum(col(Invoice.amount) - col(Invoice.amount_paid)), 0))
        .where(*_open_invoice(team_id, customer_id))
    ).one()
    if not count:
        return InvoiceSummary()
    shown = open_invoices(session, team_id=team_id, customer_id=customer_id, limit=limit)
    return InvoiceSummary(tuple(shown), int(count), Decimal(total).quantize(ZERO))


def project_summary(session: Session, *, team_id: str, customer_id: int, limit: int = 5) -> ProjectSummary:
    """The customer's first ``limit`` projects (open first, then by name) and its counts by status."""
    mine = (Project.team_id == team_id, Project.customer_id == customer_id)
    counts = dict(session.exec(select(Project.status, func.count()).where(*mine).group_by(Project.status)).all())
    if not counts:
        return ProjectSummary()
    open_first = case((col(Project.status) == ProjectStatus.OPEN.value, 0), else_=1)
    shown = session.exec(
        select(Project).where(*mine).order_by(open_first, col(Project.name), col(Project.id)).limit(limit)
    )
    return ProjectSummary(tuple(shown), int(counts.get(ProjectStatus.OPEN, 0)),
                          int(counts.get(ProjectStatus.CLOSED, 0)))


def recurring_templates(session: Session, *, team_id: str, customer_id: int,
                        limit: int = 10) -> list[RecurringTemplate]:
    """The customer's recurring templates, the next due first."""
    stmt = (
        select(RecurringTemplate)
        .where(RecurringTemplate.team_id == team_id, RecurringTemplate.customer_id == customer_id)
        .order_by(col(RecurringTemplate.next_date), col(RecurringTemplate.id))
        .limit(limit)
    )
    return list(session.exec(stmt))


def template_summary(session: Session, *, team_id: str, customer_id: int, limit: int = 5) -> TemplateSummary:
    """The customer's ``limit`` next recurring templates and how many it has."""
    count = int(session.exec(
        select(func.count()).select_from(RecurringTemplate)
        .where(RecurringTemplate.team_id == team_id, RecurringTemplate.customer_id == customer_id)
    ).one())
    if not count:
        return TemplateSummary()
    shown = recurring_templates(session, team_id=team_id, customer_id=customer_id, limit=limit)
    return TemplateSummary(tuple(shown), count)


def of_customer(session: Session, *, team_id: str, customer_id: int, limit: int = 10) -> Ledger:
    """The customer's open invoices, latest payments, open projects and recurring templates."""
    payments = select(Payment).where(Payment.team_id == team_id, Payment.customer_id == customer_id)
    projects = select(Project).where(
        Project.team_id == team_id, Project.customer_id == customer_id, Project.status == ProjectStatus.OPEN
    )
    return Ledger(
        invoices=open_invoices(session, team_id=team_id, customer_id=customer_id, limit=limit),
        payments=list(session.exec(payments.order_by(col(Payment.date).desc(), col(Payment.id).desc()).limit(limit))),
        projects=list(session.exec(projects.order_by(col(Project.name)).limit(limit))),
        templates=recurring_templates(session, team_id=team_id, customer_id=customer_id, limit=limit),
    )


def get_project(session: Session, *, team_id: str, project_id: int) -> Project | None:
    """The workspace's project ``project_id``, if any."""
    return session.exec(select(Project).where(Project.team_id == team_id, Project.id == project_id)).first()


def open_projects_of(session: Session, *, team_id: str,
                     customer_ids: Iterable[int]) -> dict[int, list[Project]]:
    """The open projects of each of ``customer_ids`` (by customer id, oldest first)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    stmt = (
        select(Project)
        .where(Project.team_id == team_id, col(Project.customer_id).in_(ids),
               Project.status == ProjectStatus.OPEN)
        .order_by(col(Project.id))
    )
    found: dict[int, list[Project]] = {}
    for project in session.exec(stmt):
        found.setdefault(project.customer_id, []).append(project)
    return found


def get_invoice(session: Session, *, team_id: str, invoice_id: int) -> Invoice | None:
    """The workspace's invoice ``invoice_id``, if any."""
    return session.exec(select(Invoice).where(Invoice.team_id == team_id, Invoice.id == invoice_id)).first()
