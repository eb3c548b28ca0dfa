"""A customer's transactions as the Slack surfaces list them: open invoices, payments, projects, templates."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from db.models import Invoice, Payment, Project, ProjectStatus, RecurringTemplate


@dataclass(frozen=True)
class Ledger:
    invoices: list[Invoice] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    templates: list[RecurringTemplate] = field(default_factory=list)


def open_invoices(session: Session, *, team_id: str, customer_id: int, limit: int = 100) -> list[Invoice]:
    """The customer's invoices with something left to pay, oldest first."""
    stmt = (
        select(Invoice)
        .where(
            Invoice.team_id == team_id,
            Invoice.customer_id == customer_id,
            col(Invoice.amount_paid) < col(Invoice.amount),
        )
        .order_by(col(Invoice.date), col(Invoice.id))
        .limit(limit)
    )
    return list(session.exec(stmt))


def of_customer(session: Session, *, team_id: str, customer_id: int, limit: int = 10) -> Ledger:
    """The customer's open invoices, latest payments, open projects and recurring templates."""
    payments = select(Payment).where(Payment.team_id == team_id, Payment.customer_id == customer_id)
    projects = select(Project).where(
        Project.team_id == team_id, Project.customer_id == customer_id, Project.status == ProjectStatus.OPEN
    )
    templates = select(RecurringTemplate).where(
        RecurringTemplate.team_id == team_id, RecurringTemplate.customer_id == customer_id
    )
    return Ledger(
        invoices=open_invoices(session, team_id=team_id, customer_id=customer_id, limit=limit),
        payments=list(session.exec(payments.order_by(col(Payment.date).desc(), col(Payment.id).desc()).limit(limit))),
        projects=list(session.exec(projects.order_by(col(Project.name)).limit(limit))),
        templates=list(session.exec(templates.order_by(col(RecurringTemplate.next_date)).limit(limit))),
    )


def get_project(session: Session, *, team_id: str, project_id: int) -> Project | None:
    """The workspace's project ``project_id``, if any."""
    return session.exec(select(Project).where(Project.team_id == team_id, Project.id == project_id)).first()


def open_projects_of(session: Session, *, team_id: str, customer_ids: list[int]) -> dict[int, list[Project]]:
    """The open projects of each of ``customer_ids`` (by customer id, by name)."""
    if not customer_ids:
        return {}
    stmt = (
        select(Project)
        .where(Project.team_id == team_id, col(Project.customer_id).in_(customer_ids),
               Project.status == ProjectStatus.OPEN)
        .order_by(col(Project.name), col(Project.id))
    )
    found: dict[int, list[Project]] = {}
    for project in session.exec(stmt):
        found.setdefault(project.customer_id, []).append(project)
    return found


def get_invoice(session: Session, *, team_id: str, invoice_id: int) -> Invoice | None:
    """The workspace's invoice ``invoice_id``, if any."""
    return session.exec(select(Invoice).where(Invoice.team_id == team_id, Invoice.id == invoice_id)).first()
