"""Every change writes an AuditEvent: who, when, what, before and after; a refused change writes none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from db.models import AuditEvent
from handlers import audit, customers, merge, transactions
from handlers.errors import ClientDeskError
from tests.factories import ACTOR, TEAM, applied_payment, customer, edit, invoice, payment, project, template

OTHER_ACTOR = "U0777"


def _events(session, c=None, action: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if c is not None:
        stmt = stmt.where(AuditEvent.customer_id == c.id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    return list(session.exec(stmt))


def test_add_records_who_and_the_fields_given(session) -> None:
    c = customers.add(session, team_id=TEAM, fields={"display_name": "Acme", "email": "ap@acme.test",
                                                     "opening_balance": "12.50", "delivery_method": "email"},
                      actor=OTHER_ACTOR)
    [event] = _events(session, c)
    assert (event.action, event.actor, event.team_id, event.before) == ("add", OTHER_ACTOR, TEAM, {})
    assert event.after == {"display_name": "Acme", "email": "ap@acme.test", "opening_balance": "12.50",
                           "delivery_method": "email"}
    assert abs(event.at - datetime.now(UTC)) < timedelta(minutes=1)


def test_add_of_a_sub_customer_records_its_parent(session) -> None:
    parent = customer(session, "Acme")
    job = customer(session, "Job", parent=parent)
    assert _events(session, job)[0].after["parent_id"] == parent.id


def test_edit_records_only_the_changed_fields_before_and_after(session) -> None:
    c = customer(session, "Acme", email="old@acme.test", phone="555")
    edit(session, c, actor=OTHER_ACTOR, email="new@acme.test", phone="555", opening_balance_date="2026-01-31")
    event = _events(session, c, "edit")[0]
    assert event.actor == OTHER_ACTOR
    assert event.before == {"email": "old@acme.test", "opening_balance_date": None}
    assert event.after == {"email": "new@acme.test", "opening_balance_date": "2026-01-31"}


def test_make_inactive_and_reactivate_are_recorded(session) -> None:
    c = customer(session, "Acme")
    customers.make_inactive(session, team_id=TEAM, customer_id=c.id, actor=ACTOR)
    customers.reactivate(session, team_id=TEAM, customer_id=c.id, actor=OTHER_ACTOR)
    assert [(e.action, e.actor, e.before, e.after) for e in _events(session, c)[1:]] == [
        ("make_inactive", ACTOR, {"active": True}, {"active": False}),
        ("reactivate", OTHER_ACTOR, {"active": False}, {"active": True}),
    ]


def test_reactivating_ancestors_records_each_of_them(session) -> None:
    top = customer(session, "Top")
    job = customer(session, "Job", parent=top)
    customers.make_inactive(session, team_id=TEAM, customer_id=top.id, actor=ACTOR)
    customers.reactivate(session, team_id=TEAM, customer_id=job.id, actor=ACTOR)
    assert {e.customer_id for e in _events(session, action="reactivate")} == {top.id, job.id}


def test_merge_and_undo_are_recorded_on_both_customers(session) -> None:
    dup = customer(session, "Dup", email="d@x.test")
    kept = customer(session, "Kept")
    invoice(session, dup, "10.00")
    result = merge.merge(session, team_id=TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=ACTOR,
                         copy_fields=["email"])
    [merged_into] = _events(session, dup, "merged_into")
    [merged] = _events(session, kept, "merge")
    assert merged_into.after == {"kept": "Kept", "merge_id": result.record.id}
    assert merged.before == {"email": None}
    assert merged.after == {"duplicate": "Dup", "merge_id": result.record.id, "invoice": 1, "payment": 0,
                            "project": 0, "recurring_template": 0, "email": "d@x.test"}
    merge.undo(session, team_id=TEAM, merge_id=result.record.id, actor=OTHER_ACTOR)
    undone = _events(session, action="undo_merge")
    assert {(e.customer_id, e.actor) for e in undone} == {(dup.id, OTHER_ACTOR), (kept.id, OTHER_ACTOR)}


def test_transactions_are_recorded_on_their_customer(session) -> None:
    c = customer(session, "Acme")
    inv = invoice(session, c, "100.00", number="INV-1")
    applied_payment(session, c, inv.id, "10.00")
    payment(session, c, "5.00")
    p = project(session, c, "Roof")
    transactions.close_project(session, team_id=TEAM, project_id=p.id, actor=ACTOR)
    template(session, c, "Retainer")
    assert [(e.action, e.after) for e in _events(session, c)[1:]] == [
        ("invoice", {"invoice": "INV-1", "amount": "100.00"}),
        ("payment", {"amount": "10.00"}),
        ("payment", {"amount": "5.00"}),
        ("project", {"project": "Roof"}),
        ("close_project", {"project": "Roof"}),
        ("template", {"template": "Retainer"}),
    ]


def test_refused_changes_write_no_audit_event(session) -> None:
    a = customer(session, "Acme")
    b = customer(session, "Beta")
    invoice(session, a, "10.00")
    count = len(_events(session))
    attempts = [
        lambda: customer(session, "ACME"),
        lambda: customers.edit(session, team_id=TEAM, customer_id=b.id, expected_version=1,
                               changes={"display_name": "acme"}, actor=ACTOR),
        lambda: customers.edit(session, team_id=TEAM, customer_id=b.id, expected_version=9,
                               changes={"notes": "x"}, actor=ACTOR),
        lambda: customers.make_inactive(session, team_id=TEAM, customer_id=a.id, actor=ACTOR),
        lambda: merge.merge(session, team_id=TEAM, duplicate_id=a.id, kept_id=a.id, actor=ACTOR),
    ]
    for attempt in attempts:
        with pytest.raises(ClientDeskError):
            attempt()
        session.rollback()
    assert len(_events(session)) == count


def test_history_lists_a_customers_changes_newest_first(session) -> None:
    c = customer(session, "Acme")
    edit(session, c, notes="one")
    edit(session, c, notes="two")
    customer(session, "Other")
    history = audit.history(session, TEAM, c.id)
    assert [e.action for e in history] == ["edit", "edit", "add"]
    assert history[0].after == {"notes": "two"}
    assert [e.action for e in audit.history(session, TEAM, c.id, limit=1)] == ["edit"]
