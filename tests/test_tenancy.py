"""Two workspaces with look-alike customers: nothing done for one reads or changes the other."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from db.models import AuditEvent, Customer, Invoice, MergeRecord
from handlers import audit, customers, hierarchy, merge, transactions
from handlers.errors import Ambiguous, NotFound
from tests.factories import ACTOR, OTHER_TEAM, TEAM, customer, invoice, project

A, B = TEAM, OTHER_TEAM


@pytest.fixture
def two(session):
    """Look-alike customers in both workspaces; returns (team A's, team B's) by name."""
    made = {}
    for team in (A, B):
        made[team] = {
            "acme": customer(session, "Acme Corp", team=team, email="ap@acme.test", phone="+33 6 12 34 56 78"),
            "beta": customer(session, "Beta", team=team, opening_balance="10.00"),
        }
        made[team]["job"] = customer(session, "Acme job", team=team, parent=made[team]["acme"])
        invoice(session, made[team]["beta"], "100.00")
    return made[A], made[B]


def _snapshot_b(session) -> list[tuple]:
    session.expire_all()
    rows = session.exec(select(Customer).where(Customer.team_id == B).order_by(Customer.id)).all()
    return [(c.id, c.display_name, c.active, c.version, c.parent_id, c.opening_balance, c.email) for c in rows]


def test_search_sees_only_its_workspace(session, two) -> None:
    a, _b = two
    found = customers.search(session, team_id=A, text="acme", include_inactive=True).customers
    assert {c.id for c in found} == {a["acme"].id, a["job"].id}
    phone = customers.search(session, team_id=A, text="06 12 34 56 78").customers
    assert [c.id for c in phone] == [a["acme"].id]


def test_resolve_sees_only_its_workspace(session, two) -> None:
    a, _b = two
    assert customers.resolve(session, team_id=A, text="Acme Corp").id == a["acme"].id
    assert customers.resolve(session, team_id=A, text="beta").id == a["beta"].id
    with pytest.raises(Ambiguous) as caught:
        customers.resolve(session, team_id=A, text="acm")
    assert set(caught.value.params["candidates"]) == {a["acme"].id, a["job"].id}


def test_possible_duplicates_see_only_their_workspace(session, two) -> None:
    a, _b = two
    found = customers.possible_duplicates(session, team_id=A, fields={
        "display_name": "ACME Corporation", "email": "AP@acme.test", "phone": "0612345678",
    })
    assert [m.customer.id for m in found] == [a["acme"].id]


def test_get_of_another_workspaces_customer_is_not_found(session, two) -> None:
    _a, b = two
    with pytest.raises(NotFound) as caught:
        customers.get(session, team_id=A, customer_id=b["acme"].id)
    assert caught.value.code == "customer_not_found"


def test_edit_of_another_workspaces_customer_is_refused_and_changes_nothing(session, two) -> None:
    a, b = two
    before = _snapshot_b(session)
    with pytest.raises(NotFound):
        customers.edit(session, team_id=A, customer_id=b["beta"].id, expected_version=1,
                       changes={"notes": "hijacked"}, actor=ACTOR)
    session.rollback()
    with pytest.raises(NotFound):
        customers.edit(session, team_id=A, customer_id=a["beta"].id, expected_version=1, changes={},
                       actor=ACTOR, parent_id=b["acme"].id)
    session.rollback()
    assert _snapshot_b(session) == before


def test_adding_under_another_workspaces_customer_is_refused(session, two) -> None:
    _a, b = two
    with pytest.raises(NotFound):
        customers.add(session, team_id=A, fields={"display_name": "Sneaky"}, actor=ACTOR, parent_id=b["acme"].id)


def test_make_inactive_and_reactivate_with_another_workspaces_ids_are_refused(session, two) -> None:
    _a, b = two
    before = _snapshot_b(session)
    with pytest.raises(NotFound):
        customers.make_inactive(session, team_id=A, customer_id=b["acme"].id, actor=ACTOR)
    session.rollback()
    with pytest.raises(NotFound):
        customers.reactivate(session, team_id=A, customer_id=b["acme"].id, actor=ACTOR)
    session.rollback()
    assert _snapshot_b(session) == before


def test_merge_with_another_workspaces_ids_is_refused(session, two) -> None:
    a, b = two
    before = _snapshot_b(session)
    for dup, kept in ((b["beta"].id, a["beta"].id), (a["beta"].id, b["beta"].id), (b["beta"].id, b["acme"].id)):
        with pytest.raises(NotFound):
            merge.merge(session, team_id=A, duplicate_id=dup, kept_id=kept, actor=ACTOR)
        session.rollback()
        with pytest.raises(NotFound):
            merge.preview(session, team_id=A, duplicate_id=dup, kept_id=kept)
        session.rollback()
    assert _snapshot_b(session) == before
    assert session.exec(select(MergeRecord)).all() == []


def test_undo_of_another_workspaces_merge_is_refused(session, two) -> None:
    _a, b = two
    other = customer(session, "Gamma", team=B)
    result = merge.merge(session, team_id=B, duplicate_id=other.id, kept_id=b["beta"].id, actor=ACTOR)
    with pytest.raises(NotFound) as caught:
        merge.undo(session, team_id=A, merge_id=result.record.id, actor=ACTOR)
    assert caught.value.code == "merge_not_found"


def test_balances_count_only_the_workspaces_own_records(session, two) -> None:
    a, b = two
    assert customers.balance(session, team_id=A, customer_id=a["beta"].id) == Decimal("110.00")
    assert customers.balance(session, team_id=A, customer_id=b["beta"].id) == Decimal("0.00")
    assert customers.balances(session, team_id=A, customer_ids=[a["beta"].id, b["beta"].id]) == {
        a["beta"].id: Decimal("110.00"),
    }
    with pytest.raises(NotFound):
        customers.balance_with_sub_customers(session, team_id=A, customer_id=b["acme"].id)


def test_transactions_cannot_reach_another_workspace(session, two) -> None:
    a, b = two
    b_invoice = session.exec(select(Invoice).where(Invoice.team_id == B)).one()
    with pytest.raises(NotFound):
        transactions.add_invoice(session, team_id=A, customer_id=b["beta"].id, number="X-1", amount="1",
                                 invoice_date=date(2026, 1, 1), actor=ACTOR)
    session.rollback()
    with pytest.raises(NotFound):
        transactions.receive_payment(session, team_id=A, customer_id=a["beta"].id, amount="1",
                                     payment_date=date(2026, 1, 1), invoice_id=b_invoice.id, actor=ACTOR)
    session.rollback()
    b_project = project(session, b["beta"], "Roof")
    with pytest.raises(NotFound):
        transactions.close_project(session, team_id=A, project_id=b_project.id, actor=ACTOR)
    session.rollback()
    assert customers.balance(session, team_id=B, customer_id=b["beta"].id) == Decimal("110.00")


def test_invoice_numbers_are_unique_per_workspace_only(session, two) -> None:
    a, b = two
    first = invoice(session, a["beta"], "1.00", number="2026-1")
    second = invoice(session, b["beta"], "1.00", number="2026-1")
    assert (first.team_id, second.team_id, first.number, second.number) == (A, B, "2026-1", "2026-1")


def test_hierarchy_and_history_stay_in_their_workspace(session, two) -> None:
    a, b = two
    assert [c.id for c in hierarchy.descendants(session, a["acme"])] == [a["job"].id]
    assert audit.history(session, A, b["acme"].id) == []
    a_events = session.exec(select(AuditEvent).where(AuditEvent.team_id == A)).all()
    assert {e.customer_id for e in a_events} <= {c.id for c in a.values()}


def test_making_a_look_alike_inactive_leaves_the_other_workspace_active(session, two) -> None:
    a, _b = two
    before = _snapshot_b(session)
    customers.make_inactive(session, team_id=A, customer_id=a["acme"].id, actor=ACTOR)
    assert _snapshot_b(session) == before
