"""Making customers inactive (cascading, refused while money or work is open) and reactivating them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.models import AuditEvent, Customer
from handlers import audit, customers, transactions
from handlers.errors import Refused
from tests.factories import ACTOR, TEAM, chain, customer, invoice, payment, project


def _inactive(session, c):
    return customers.make_inactive(session, team_id=TEAM, customer_id=c.id, actor=ACTOR)


def _reactivate(session, c):
    return customers.reactivate(session, team_id=TEAM, customer_id=c.id, actor=ACTOR)


def _active(session, *cs) -> list[bool]:
    session.rollback()
    session.expire_all()
    return [customers.get(session, team_id=TEAM, customer_id=c.id).active for c in cs]


def test_make_inactive_cascades_to_every_level(session) -> None:
    levels = chain(session, "L0", "L1", "L2", "L3", "L4")
    sibling = customer(session, "L1b", parent=levels[0])
    result = _inactive(session, levels[0])
    assert _active(session, *levels, sibling) == [False] * 6
    assert {c.id for c in result.sub_customers} == {c.id for c in [*levels[1:], sibling]}


def test_make_inactive_leaves_the_parent_and_siblings_alone(session) -> None:
    top, mid, leaf = chain(session, "Top", "Mid", "Leaf")
    sibling = customer(session, "Sibling", parent=top)
    _inactive(session, mid)
    assert _active(session, top, mid, leaf, sibling) == [True, False, False, True]


def test_make_inactive_is_refused_when_the_customer_has_a_balance(session) -> None:
    c = customer(session, "Acme")
    invoice(session, c, "1,250.00")
    with pytest.raises(Refused) as caught:
        _inactive(session, c)
    assert caught.value.code == "inactive_blocked_balance"
    assert str(caught.value) == "Acme has a balance of 1,250.00: settle it before making it inactive."
    assert _active(session, c) == [True]


def test_make_inactive_refused_when_sub_customer_has_balance(session) -> None:
    top, mid, leaf = chain(session, "Top", "Mid", "Leaf")
    invoice(session, leaf, "10.00")
    with pytest.raises(Refused) as caught:
        _inactive(session, top)
    assert [(p.code, p.params["name"]) for p in caught.value.problems] == [
        ("inactive_blocked_balance", "Top:Mid:Leaf"),
    ]
    assert _active(session, top, mid, leaf) == [True, True, True]


def test_make_inactive_refusal_names_each_blocking_customer(session) -> None:
    top, mid, leaf = chain(session, "Top", "Mid", "Leaf")
    other = customer(session, "Other job", parent=top)
    customer(session, "Clean job", parent=top)
    invoice(session, mid, "10.00")
    project(session, leaf, "Roof")
    project(session, leaf, "Deck")
    customers.edit(session, team_id=TEAM, customer_id=other.id, expected_version=1,
                   changes={"opening_balance": "-5"}, actor=ACTOR)
    with pytest.raises(Refused) as caught:
        _inactive(session, top)
    message = str(caught.value)
    assert sorted(message.splitlines()) == sorted([
        "Top:Mid has a balance of 10.00: settle it before making it inactive.",
        "Top:Mid:Leaf has open projects (Roof, Deck): close them before making it inactive.",
        "Top:Other job has a balance of -5.00: settle it before making it inactive.",
    ])
    assert "Clean job" not in message
    assert all(_active(session, top, mid, leaf, other))


def test_make_inactive_refusal_gives_both_reasons_when_a_customer_has_both(session) -> None:
    c = customer(session, "Acme")
    invoice(session, c, "10.00")
    project(session, c, "Roof")
    with pytest.raises(Refused) as caught:
        _inactive(session, c)
    assert [p.code for p in caught.value.problems] == ["inactive_blocked_balance", "inactive_blocked_project"]


def test_a_settled_balance_does_not_block(session) -> None:
    c = customer(session, "Acme", opening_balance="20.00")
    invoice(session, c, "100.00")
    payment(session, c, "120.00")
    _inactive(session, c)
    assert _active(session, c) == [False]


def test_a_closed_project_does_not_block(session) -> None:
    c = customer(session, "Acme")
    p = project(session, c, "Roof")
    transactions.close_project(session, team_id=TEAM, project_id=p.id, actor=ACTOR)
    _inactive(session, c)
    assert _active(session, c) == [False]


def test_make_inactive_twice_is_refused(session) -> None:
    c = customer(session, "Acme")
    _inactive(session, c)
    with pytest.raises(Refused) as caught:
        _inactive(session, c)
    assert caught.value.code == "already_inactive"
    assert str(caught.value) == "Acme is already inactive."


def test_make_inactive_is_one_transaction(session, db, monkeypatch) -> None:
    levels = chain(session, "L0", "L1", "L2", "L3")
    calls = []
    real_record = audit.record

    def failing_record(*args, **kwargs):
        calls.append(kwargs["action"])
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_record(*args, **kwargs)

    monkeypatch.setattr(audit, "record", failing_record)
    with pytest.raises(RuntimeError):
        _inactive(session, levels[0])
    session.rollback()
    with db() as fresh:
        assert [c.active for c in fresh.exec(select(Customer).order_by(Customer.id)).all()] == [True] * 4


def test_inactive_customers_are_left_out_of_search_unless_asked_for(session) -> None:
    active = customer(session, "Acme West")
    gone = customer(session, "Acme East")
    _inactive(session, gone)
    assert [c.id for c in customers.search(session, team_id=TEAM, text="acme").customers] == [active.id]
    everyone = customers.search(session, team_id=TEAM, text="acme", include_inactive=True).customers
    assert {c.id for c in everyone} == {active.id, gone.id}


def test_a_transactions_customer_label_says_inactive(session) -> None:
    c = customer(session, "Acme")
    inv = invoice(session, c, "10.00")
    payment(session, c, "10.00")
    _inactive(session, c)
    session.expire_all()
    owner = customers.get(session, team_id=TEAM, customer_id=inv.customer_id)
    assert customers.transaction_label(owner) == "Acme (inactive)"


def test_an_active_customers_label_is_its_name(session) -> None:
    assert customers.transaction_label(customer(session, "Acme")) == "Acme"


def test_inactive_customer_cannot_be_invoiced(session) -> None:
    c = customer(session, "Acme")
    _inactive(session, c)
    with pytest.raises(Refused) as caught:
        invoice(session, c, "10.00")
    assert caught.value.code == "customer_inactive"
    assert str(caught.value) == "Acme is inactive: reactivate it first."


def test_make_inactive_writes_one_audit_event_per_customer(session) -> None:
    top, mid = chain(session, "Top", "Mid")
    _inactive(session, top)
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "make_inactive")).all()
    assert {(e.customer_id, e.actor) for e in events} == {(top.id, ACTOR), (mid.id, ACTOR)}
    cascaded = next(e for e in events if e.customer_id == mid.id)
    assert cascaded.after == {"active": False, "cascaded_from": "Top"}


# ------------------------------------------------------------------------------ reactivate


def test_reactivate_makes_the_customer_active_again(session) -> None:
    c = customer(session, "Acme")
    _inactive(session, c)
    result = _reactivate(session, c)
    assert _active(session, c) == [True]
    assert result.ancestors == []


def test_reactivating_a_sub_customer_reactivates_its_inactive_ancestors_and_says_which(session) -> None:
    top, mid, leaf = chain(session, "Top", "Mid", "Leaf")
    _inactive(session, top)
    result = _reactivate(session, leaf)
    assert _active(session, top, mid, leaf) == [True, True, True]
    assert [a.display_name for a in result.ancestors] == ["Top", "Mid"]


def test_reactivating_only_reactivates_the_ancestors_that_were_inactive(session) -> None:
    top, mid, leaf = chain(session, "Top", "Mid", "Leaf")
    _inactive(session, mid)
    result = _reactivate(session, leaf)
    assert [a.display_name for a in result.ancestors] == ["Mid"]
    assert _active(session, top, mid, leaf) == [True, True, True]


def test_reactivate_leaves_sub_customers_inactive(session) -> None:
    top, mid, leaf = chain(session, "Top", "Mid", "Leaf")
    _inactive(session, top)
    _reactivate(session, top)
    assert _active(session, top, mid, leaf) == [True, False, False]


def test_reactivating_an_active_customer_is_refused(session) -> None:
    c = customer(session, "Acme")
    with pytest.raises(Refused) as caught:
        _reactivate(session, c)
    assert caught.value.code == "already_active"
    assert str(caught.value) == "Acme is already active."


def test_inactive_customer_keeps_its_name_taken_and_can_be_found_with_include_inactive(session) -> None:
    c = customer(session, "Acme")
    _inactive(session, c)
    assert customers.resolve(session, team_id=TEAM, text="acme").id == c.id
