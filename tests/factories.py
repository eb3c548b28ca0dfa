"""Builders for test data, through the real handlers (so every rule applies)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine
from sqlmodel import Session

from db.models import Customer
from handlers import customers, transactions

_numbers = itertools.count(1001)

TEAM = "T0001"
OTHER_TEAM = "T0002"
ACTOR = "U0001"


def customer(session: Session, name: str, *, team: str = TEAM, parent: Customer | None = None,
             **fields: Any) -> Customer:
    return customers.add(
        session, team_id=team, fields={"display_name": name, **fields}, actor=ACTOR,
        parent_id=parent.id if parent else None,
    )


def invoice(session: Session, c: Customer, amount: str, *, number: str | None = None) -> Any:
    assert c.id is not None
    return transactions.add_invoice(
        session, team_id=c.team_id, customer_id=c.id, number=number or f"INV-{next(_numbers)}",
        amount=amount, invoice_date=date(2026, 1, 15), actor=ACTOR,
    )


def payment(session: Session, c: Customer, amount: str) -> Any:
    assert c.id is not None
    return transactions.receive_payment(
        session, team_id=c.team_id, customer_id=c.id, amount=amount, payment_date=date(2026, 2, 1), actor=ACTOR,
    )


def chain(session: Session, *names: str, team: str = TEAM) -> list[Customer]:
    """A top-level customer and sub-customers each under the previous one."""
    made: list[Customer] = []
    for name in names:
        made.append(customer(session, name, team=team, parent=made[-1] if made else None))
    return made


def project(session: Session, c: Customer, name: str = "Kitchen remodel") -> Any:
    assert c.id is not None
    return transactions.add_project(session, team_id=c.team_id, customer_id=c.id, name=name, actor=ACTOR)


def template(session: Session, c: Customer, name: str = "Monthly retainer", amount: str = "50.00") -> Any:
    assert c.id is not None
    return transactions.add_recurring_template(
        session, team_id=c.team_id, customer_id=c.id, name=name, next_date=date(2026, 3, 1), amount=amount,
        actor=ACTOR,
    )


def applied_payment(session: Session, c: Customer, invoice_id: int, amount: str) -> Any:
    assert c.id is not None
    return transactions.receive_payment(
        session, team_id=c.team_id, customer_id=c.id, amount=amount, payment_date=date(2026, 2, 1),
        invoice_id=invoice_id, actor=ACTOR,
    )


def edit(session: Session, c: Customer, *, actor: str = ACTOR, **changes: Any) -> Customer:
    """Edit ``c`` at its current version (re-read first, as a user reopening the form would)."""
    assert c.id is not None
    current = customers.get(session, team_id=c.team_id, customer_id=c.id)
    session.refresh(current)
    return customers.edit(
        session, team_id=c.team_id, customer_id=c.id, expected_version=current.version, changes=changes,
        actor=actor,
    )


def move(session: Session, c: Customer, parent: Customer | None) -> Customer:
    """Move ``c`` (with its sub-customers) under ``parent``; None makes it top-level."""
    assert c.id is not None
    session.refresh(c)
    return customers.edit(
        session, team_id=c.team_id, customer_id=c.id, expected_version=c.version, changes={},
        actor=ACTOR, parent_id=parent.id if parent else None,
    )


@contextmanager
def list_held(engine: Engine) -> Iterator[Connection]:
    """Another transaction holding the customer list for writing, as an import's does while it is written:
    SQLite's write lock; on PostgreSQL a table lock that makes every insert or update wait."""
    with engine.begin() as connection:  # SQLite: BEGIN IMMEDIATE (db.session)
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("LOCK TABLE customer IN EXCLUSIVE MODE")
        yield connection
