"""Invoices, payments, projects and recurring templates: the records that reference a customer.

They exist so balances, "(inactive)" labels, merges and template propagation are real. Amounts are
``Decimal`` with two places; a new record needs an active customer.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from db.models import (
    BILL_ADDRESS_FIELDS,
    SHIP_ADDRESS_FIELDS,
    Customer,
    Interval,
    Invoice,
    Payment,
    Project,
    ProjectStatus,
    RecurringTemplate,
)
from handlers import audit
from handlers.errors import Conflict, InvalidInput, NotFound, Refused
from handlers.fields import parse_money_field
from handlers.hierarchy import get_customer
from handlers.unit_of_work import transactional

INVOICE_NUMBER_MAX = 21  # QuickBooks' DocNumber limit
TEMPLATE_COPIED_FIELDS = (
    *BILL_ADDRESS_FIELDS, *SHIP_ADDRESS_FIELDS, "email", "payment_method", "terms", "delivery_method"
)


def parse_amount(value: Any, field: str = "amount") -> Decimal:
    """A positive amount with at most two decimals. Raises ``InvalidInput`` naming ``field``."""
    amount = parse_money_field(value, field)
    if amount <= 0:
        raise InvalidInput.of("amount_not_positive", field)
    return amount


def _active_customer(session: Session, team_id: str, customer_id: int) -> Customer:
    """The customer a new record goes to, row-locked so a merge under way finishes first; a customer
    merged meanwhile hands the record to the customer it was merged into."""
    customer = get_customer(session, team_id, customer_id, for_update=True)
    seen: set[int | None] = set()
    while customer.merged_into_id is not None and customer.id not in seen:
        seen.add(customer.id)
        customer = get_customer(session, team_id, customer.merged_into_id, for_update=True)
    if customer.merged_into_id is not None:
        raise NotFound.of("customer_merged", name=customer.display_name)
    if not customer.active:
        raise Refused.of("customer_inactive", name=customer.display_name)
    return customer


def _customer_id(customer: Customer) -> int:
    assert customer.id is not None
    return customer.id


@transactional
def add_invoice(
    session: Session, *, team_id: str, customer_id: int, number: str, amount: Any, invoice_date: date,
    due_date: date | None = None, actor: str,
) -> Invoice:
    """Invoice an active customer. Invoice numbers are unique in the workspace (``Conflict``); the due
    date, when given, is on or after the invoice date (``InvalidInput``)."""
    customer_id = _customer_id(_active_customer(session, team_id, customer_id))
    number = number.strip()
    if not number:
        raise InvalidInput.of("required", "number")
    if due_date is not None and due_date < invoice_date:
        raise InvalidInput.of("due_before_invoice_date", "due_date", due=due_date.isoformat(),
                              date=invoice_date.isoformat())
    if len(number) > INVOICE_NUMBER_MAX:
        raise InvalidInput.of("too_long", "number", max=INVOICE_NUMBER_MAX, length=len(number))
    taken = session.exec(select(Invoice).where(Invoice.team_id == team_id, Invoice.number == number)).first()
    if taken is not None:
        raise Conflict.of("invoice_number_taken", "number", number=number)
    invoice = Invoice(
        team_id=team_id, customer_id=customer_id, number=number, date=invoice_date, due_date=due_date,
        amount=parse_amount(amount), created_by=actor,
    )
    session.add(invoice)
    session.flush()
    audit.record(session, team_id=team_id, actor=actor, action="invoice", customer_id=customer_id,
                 after={"invoice": number, "amount": invoice.amount})
    session.commit()
    return invoice


@transactional
def receive_payment(
    session: Session, *, team_id: str, customer_id: int, amount: Any, payment_date: date,
    invoice_id: int | None = None, actor: str,
) -> Payment:
    """Record a payment from a customer, applied to one of its invoices when given."""
    customer_id = _customer_id(_active_customer(session, team_id, customer_id))
    value = parse_amount(amount)
    if invoice_id is not None:
        invoice = session.exec(
            select(Invoice).where(
                Invoice.team_id == team_id, Invoice.id == invoice_id, Invoice.customer_id == customer_id
            )
        ).first()
        if invoice is None:
            raise NotFound.of("invoice_not_found", "invoice_id")
        open_amount = invoice.amount - invoice.amount_paid
        if value > open_amount:
            raise InvalidInput.of("payment_exceeds_invoice", "amount", amount=value, number=invoice.number,
                                  open=open_amount)
        invoice.amount_paid += value
        invoice.version += 1
    payment = Payment(team_id=team_id, customer_id=customer_id, invoice_id=invoice_id, date=payment_date,
                      amount=value, created_by=actor)
    session.add(payment)
    session.flush()
    audit.record(session, team_id=team_id, actor=actor, action="payment", customer_id=customer_id,
                 after={"amount": value})
    session.commit()
    return payment


@transactional
def add_project(session: Session, *, team_id: str, customer_id: int, name: str, actor: str) -> Project:
    """Open a project for an active customer."""
    customer_id = _customer_id(_active_customer(session, team_id, customer_id))
    name = name.strip()
    if not name:
        raise InvalidInput.of("required", "name")
    project = Project(team_id=team_id, customer_id=customer_id, name=name[:100], created_by=actor)
    session.add(project)
    session.flush()
    audit.record(session, team_id=team_id, actor=actor, action="project", customer_id=customer_id,
                 after={"project": project.name})
    session.commit()
    return project


@transactional
def close_project(session: Session, *, team_id: str, project_id: int, actor: str) -> Project:
    """Close an open project (a closed project no longer keeps its customer active)."""
    project = session.exec(select(Project).where(Project.team_id == team_id, Project.id == project_id)).first()
    if project is None:
        raise NotFound.of("project_not_found")
    if project.status == ProjectStatus.CLOSED:
        raise Refused.of("project_closed", name=project.name)
    project.status = ProjectStatus.CLOSED
    project.version += 1
    audit.record(session, team_id=team_id, actor=actor, action="close_project",
                 customer_id=project.customer_id, after={"project": project.name})
    session.commit()
    return project


@transactional
def add_recurring_template(
    session: Session, *, team_id: str, customer_id: int, name: str, next_date: date,
    interval: Interval = Interval.MONTHLY, amount: Any = "0", actor: str,
) -> RecurringTemplate:
    """A recurring invoice template, taking its own copy of the customer's billing details."""
    customer = _active_customer(session, team_id, customer_id)
    name = name.strip()
    if not name:
        raise InvalidInput.of("required", "name")
    template = RecurringTemplate(
        team_id=team_id, customer_id=customer_id, name=name[:100], interval=interval, next_date=next_date,
        amount=parse_money_field(amount, "amount"), created_by=actor,
        **{f: getattr(customer, f) for f in TEMPLATE_COPIED_FIELDS},
    )
    session.add(template)
    session.flush()
    audit.record(session, team_id=team_id, actor=actor, action="template", customer_id=customer_id,
                 after={"template": template.name})
    session.commit()
    return template
