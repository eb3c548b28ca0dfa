"""Invoices, payments, projects, templates, and the balances they make."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from handlers import customers, transactions
from handlers.errors import Conflict, InvalidInput, NotFound, Refused
from tests.factories import ACTOR, TEAM, applied_payment, chain, customer, invoice, payment, project


def _balance(session, c) -> Decimal:
    return customers.balance(session, team_id=TEAM, customer_id=c.id)


def _with_subs(session, c) -> Decimal:
    return customers.balance_with_sub_customers(session, team_id=TEAM, customer_id=c.id)


def test_balance_is_opening_balance_plus_invoices_minus_payments(session) -> None:
    c = customer(session, "Acme", opening_balance="100.50")
    invoice(session, c, "1,000.25")
    invoice(session, c, "0.10")
    payment(session, c, "250.00")
    payment(session, c, "0.20")
    assert _balance(session, c) == Decimal("850.65")


def test_balance_of_a_new_customer_is_zero(session) -> None:
    assert _balance(session, customer(session, "Acme")) == Decimal("0.00")


def test_a_negative_opening_balance_is_a_credit(session) -> None:
    c = customer(session, "Acme", opening_balance="(40.00)")
    invoice(session, c, "15.00")
    assert _balance(session, c) == Decimal("-25.00")


def test_balance_with_sub_customers_adds_every_level(session) -> None:
    levels = chain(session, "L0", "L1", "L2", "L3", "L4")
    for i, c in enumerate(levels):
        invoice(session, c, f"{10 ** i}.00")
    payment(session, levels[4], "0.50")
    side = customer(session, "Side job", parent=levels[1], opening_balance="0.05")
    assert _with_subs(session, levels[0]) == Decimal("11110.55")
    assert _with_subs(session, levels[2]) == Decimal("11099.50")
    assert _with_subs(session, levels[4]) == Decimal("9999.50")
    assert _balance(session, levels[0]) == Decimal("1.00")
    assert _with_subs(session, side) == Decimal("0.05")


def test_balance_with_sub_customers_counts_inactive_sub_customers(session) -> None:
    top, job = chain(session, "Top", "Job")
    invoice(session, top, "10.00")
    customers.make_inactive(session, team_id=TEAM, customer_id=job.id, actor=ACTOR)
    customers.edit(session, team_id=TEAM, customer_id=job.id, expected_version=2,
                   changes={"opening_balance": "5.00"}, actor=ACTOR)
    assert _with_subs(session, top) == Decimal("15.00")


def test_balances_of_many_customers_at_once(session) -> None:
    a = customer(session, "A", opening_balance="1")
    b = customer(session, "B")
    invoice(session, b, "2.00")
    assert customers.balances(session, team_id=TEAM, customer_ids=[a.id, b.id]) == {
        a.id: Decimal("1.00"), b.id: Decimal("2.00"),
    }
    assert customers.balances(session, team_id=TEAM, customer_ids=[]) == {}


def test_many_cents_add_up_exactly(session) -> None:
    c = customer(session, "Acme")
    for _ in range(30):
        invoice(session, c, "0.10")
    payment(session, c, "0.30")
    assert _balance(session, c) == Decimal("2.70")


def test_large_amounts_add_up_exactly(session) -> None:
    c = customer(session, "Acme", opening_balance="9,999,999,999,999.99")
    payment(session, c, "0.01")
    payment(session, c, "9999999999999.97")
    assert _balance(session, c) == Decimal("0.01")


# ---------------------------------------------------------------------------- invoices


def test_invoice_amount_that_is_not_an_amount_is_refused_naming_it(session) -> None:
    c = customer(session, "Acme")
    with pytest.raises(InvalidInput) as caught:
        invoice(session, c, "twelve")
    assert (caught.value.code, caught.value.field) == ("bad_amount", "amount")
    assert str(caught.value) == '"twelve" isn\'t an amount.'


@pytest.mark.parametrize("amount", ["0", "-5.00", "(5.00)"])
def test_invoice_amount_must_be_positive(session, amount) -> None:
    c = customer(session, "Acme")
    with pytest.raises(InvalidInput) as caught:
        invoice(session, c, amount)
    assert caught.value.code == "amount_not_positive"


def test_invoice_number_is_unique_in_the_workspace(session) -> None:
    a = customer(session, "A")
    b = customer(session, "B")
    invoice(session, a, "1.00", number="1001")
    with pytest.raises(Conflict) as caught:
        invoice(session, b, "1.00", number=" 1001 ")
    assert caught.value.code == "invoice_number_taken"
    assert str(caught.value) == "Invoice number 1001 is already used."


def test_invoice_due_before_its_date_is_refused_under_the_due_date(session) -> None:
    c = customer(session, "Acme")
    with pytest.raises(InvalidInput) as caught:
        transactions.add_invoice(session, team_id=TEAM, customer_id=c.id, number="1001", amount="10.00",
                                 invoice_date=date(2026, 3, 10), due_date=date(2026, 3, 9), actor=ACTOR)
    assert (caught.value.field, str(caught.value)) == (
        "due_date", "The due date (2026-03-09) is before the invoice date (2026-03-10).")
    assert transactions.add_invoice(session, team_id=TEAM, customer_id=c.id, number="1001", amount="10.00",
                                    invoice_date=date(2026, 3, 10), due_date=date(2026, 3, 10),
                                    actor=ACTOR).due_date == date(2026, 3, 10)  # due on the day: fine


def test_invoice_number_longer_than_quickbooks_allows_is_refused(session) -> None:
    c = customer(session, "Acme")
    with pytest.raises(InvalidInput) as caught:
        invoice(session, c, "1.00", number="X" * 22)
    assert caught.value.code == "too_long"


def test_invoice_of_an_unknown_customer_is_not_found(session) -> None:
    with pytest.raises(NotFound):
        transactions.add_invoice(session, team_id=TEAM, customer_id=999, number="1", amount="1",
                                 invoice_date=date(2026, 1, 1), actor=ACTOR)


# ---------------------------------------------------------------------------- payments


def test_payment_applied_to_an_invoice_reduces_what_is_left_on_it(session) -> None:
    c = customer(session, "Acme")
    inv = invoice(session, c, "100.00")
    applied_payment(session, c, inv.id, "60.00")
    session.expire_all()
    stored = session.get(type(inv), inv.id)
    assert (stored.amount_paid, stored.version) == (Decimal("60.00"), 2)
    assert _balance(session, c) == Decimal("40.00")


def test_payment_larger_than_what_is_left_on_the_invoice_is_refused(session) -> None:
    c = customer(session, "Acme")
    inv = invoice(session, c, "100.00", number="INV-7")
    applied_payment(session, c, inv.id, "60.00")
    with pytest.raises(InvalidInput) as caught:
        applied_payment(session, c, inv.id, "40.01")
    assert caught.value.code == "payment_exceeds_invoice"
    assert str(caught.value) == "The payment (40.01) is more than what's left on invoice INV-7 (40.00)."


def test_payment_to_another_customers_invoice_is_refused(session) -> None:
    a = customer(session, "A")
    b = customer(session, "B")
    inv = invoice(session, a, "100.00")
    with pytest.raises(NotFound) as caught:
        applied_payment(session, b, inv.id, "10.00")
    assert caught.value.code == "invoice_not_found"


# ---------------------------------------------------------------------------- projects


def test_closing_a_project_twice_is_refused(session) -> None:
    p = project(session, customer(session, "Acme"), "Roof")
    transactions.close_project(session, team_id=TEAM, project_id=p.id, actor=ACTOR)
    with pytest.raises(Refused) as caught:
        transactions.close_project(session, team_id=TEAM, project_id=p.id, actor=ACTOR)
    assert caught.value.code == "project_closed"
    assert str(caught.value) == "Project Roof is already closed."


def test_recurring_template_takes_its_own_copy_of_the_billing_details(session) -> None:
    c = customer(session, "Acme", email="ap@acme.test", bill_city="Lyon", terms="Net 30", delivery_method="email")
    t = transactions.add_recurring_template(session, team_id=TEAM, customer_id=c.id, name="Retainer",
                                            next_date=date(2026, 3, 1), amount="1,200", actor=ACTOR)
    assert (t.email, t.bill_city, t.terms, t.delivery_method, t.amount) == (
        "ap@acme.test", "Lyon", "Net 30", "email", Decimal("1200.00"),
    )


def test_recurring_template_with_a_bad_amount_is_refused(session) -> None:
    c = customer(session, "Acme")
    with pytest.raises(InvalidInput) as caught:
        transactions.add_recurring_template(session, team_id=TEAM, customer_id=c.id, name="Retainer",
                                            next_date=date(2026, 3, 1), amount="12.345", actor=ACTOR)
    assert (caught.value.code, caught.value.field) == ("amount_precision", "amount")
