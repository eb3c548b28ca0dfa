"""Invoices, payments, projects and recurring templates from Slack, end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from db.models import Invoice, Payment, Project, ProjectStatus, RecurringTemplate
from db.session import SessionFactory
from handlers import customers, settings
from handlers.permissions import Actor
from tests import factories as f
from tests.slack_fake import date, option, plain_text, static_select
from tests.slack_harness import SlackHarness, running_app
from tests.test_slack_lifecycle import ADMIN, buttons, ephemeral, menus, opened, reply, submit, texts


def invoice_values(number: str = "INV-9", amount: str = "1,250", day: str = "2026-03-01",
                   due: str | None = "2026-03-31") -> dict[str, Any]:
    return {"number": {"value": plain_text(number)}, "invoice_date": {"value": date(day)},
            "due_date": {"value": date(due)}, "amount": {"value": plain_text(amount)}}


def payment_values(amount: str, invoice_id: int | None = None) -> dict[str, Any]:
    values = {"amount": {"value": plain_text(amount)}, "payment_date": {"value": date("2026-03-02")}}
    if invoice_id is not None:
        values["invoice_id"] = {"value": static_select(str(invoice_id))}
    return values


def open_form(app: SlackHarness, action: str, customer: Any, count: int = 1) -> dict[str, Any]:
    app.slack.block_action(action, value=str(customer.id))
    return opened(app, count)


def with_currency(app: SlackHarness, code: str) -> None:
    with app.db() as s:
        settings.update(s, team_id=f.TEAM, actor=Actor(ADMIN, is_admin=True), expected_version=0,
                        permission_mode="admins", currency=code)


# ------------------------------------------------------------------------------ invoices


def test_new_invoice_form_shows_the_customer_the_currency_and_today(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    with_currency(app, "EUR")
    form = open_form(app, "customer.new_invoice", acme)
    inputs = {b["block_id"]: b for b in form["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["number", "invoice_date", "due_date", "amount"]
    assert inputs["amount"]["label"]["text"] == "Amount (EUR)"
    assert inputs["invoice_date"]["element"]["type"] == "datepicker"
    assert inputs["invoice_date"]["element"]["initial_date"] == datetime.now(UTC).date().isoformat()
    assert inputs["due_date"]["optional"] is True
    assert "For *ACME* · balance 0.00 EUR" in texts(form)


def test_invoice_is_saved_and_confirmed_with_the_customer_name(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    assert submit(app, open_form(app, "customer.new_invoice", acme), invoice_values()) is None
    assert ephemeral(app)["text"] == "Invoice *INV-9* for ACME: 1,250.00, dated 2026-03-01, due 2026-03-31."
    with app.db() as s:
        assert customers.balance(s, team_id=f.TEAM, customer_id=acme.id) == Decimal("1250.00")


@pytest.mark.parametrize(("amount", "message"), [
    ("abc", "\"abc\" isn't an amount."),
    ("0", "The amount must be more than zero."),
    ("1.234", "\"1.234\" has more than 2 decimals."),
])
def test_invoice_amount_problems_are_shown_under_the_amount(app: SlackHarness, amount: str, message: str) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    answer = submit(app, open_form(app, "customer.new_invoice", acme), invoice_values(amount=amount))
    assert answer == {"response_action": "errors", "errors": {"amount": message}}


def test_taken_invoice_number_is_shown_under_the_number(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        f.invoice(s, acme, "5.00", number="INV-9")
    answer = submit(app, open_form(app, "customer.new_invoice", acme), invoice_values())
    assert answer["errors"] == {"number": "Invoice number INV-9 is already used."}


def test_due_date_before_the_invoice_date_is_shown_under_the_due_date(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    answer = submit(app, open_form(app, "customer.new_invoice", acme), invoice_values(due="2026-02-28"))
    assert answer["errors"] == {"due_date": "The due date (2026-02-28) is before the invoice date (2026-03-01)."}
    with app.db() as s:
        assert customers.balance(s, team_id=f.TEAM, customer_id=acme.id) == Decimal("0")


def test_invoice_for_a_customer_made_inactive_meanwhile_is_refused(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    form = open_form(app, "customer.new_invoice", acme)
    with app.db() as s:
        customers.make_inactive(s, team_id=f.TEAM, customer_id=acme.id, actor=ADMIN)
    answer = submit(app, form, invoice_values())
    assert answer["errors"] == {"amount": "ACME is inactive: reactivate it first."}


def test_transaction_buttons_of_an_inactive_customer_offer_reactivation(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        customers.make_inactive(s, team_id=f.TEAM, customer_id=acme.id, actor=ADMIN)
    app.slack.block_action("customer.new_invoice", value=str(acme.id))
    message = ephemeral(app)
    assert message["text"] == "ACME is inactive: reactivate it first."
    assert [b["action_id"] for b in buttons(message["blocks"])] == ["customer.reactivate"]
    assert not app.fake.calls("views.open")


# ------------------------------------------------------------------------------ payments


def test_payment_form_lists_the_open_invoices(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        inv = f.invoice(s, acme, "120.00", number="INV-1")
    form = open_form(app, "customer.receive_payment", acme)
    select_block = next(b for b in form["blocks"] if b.get("block_id") == "invoice_id")
    assert [(o["text"]["text"], o["value"]) for o in select_block["element"]["options"]] == [
        ("INV-1 · 120.00 open", str(inv.id))]
    assert select_block["optional"] is True


def test_payment_applied_to_an_invoice_is_recorded_and_confirmed(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        inv = f.invoice(s, acme, "120.00", number="INV-1")
    assert submit(app, open_form(app, "customer.receive_payment", acme), payment_values("20", inv.id)) is None
    assert ephemeral(app)["text"] == ("Payment of 20.00 from ACME recorded against invoice *INV-1*."
                                      " Balance now 100.00.")
    with app.db() as s:
        assert s.exec(select(Invoice)).one().amount_paid == Decimal("20.00")


def test_payment_over_what_is_left_on_the_invoice_is_shown_under_the_amount(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        inv = f.invoice(s, acme, "120.00", number="INV-1")
    answer = submit(app, open_form(app, "customer.receive_payment", acme), payment_values("500", inv.id))
    assert answer["errors"] == {"amount": "The payment (500.00) is more than what's left on invoice INV-1 (120.00)."}


def test_payment_form_without_open_invoices_says_so(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    assert "No open invoices" in texts(open_form(app, "customer.receive_payment", acme))


def test_a_form_submitted_twice_records_one_payment(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    form = open_form(app, "customer.receive_payment", acme)
    assert submit(app, form, payment_values("20")) is None
    assert submit(app, form, payment_values("20")) is None
    with app.db() as s:
        assert len(s.exec(select(Payment)).all()) == 1


# ------------------------------------------------------------------------------ projects and templates


def test_new_project_is_opened_and_confirmed(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    assert submit(app, open_form(app, "customer.new_project", acme), {"name": {"value": plain_text("Roof")}}) is None
    assert ephemeral(app)["text"] == "Project *Roof* opened for ACME."


def test_project_without_a_name_is_refused_under_the_name(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    answer = submit(app, open_form(app, "customer.new_project", acme), {"name": {"value": plain_text("  ")}})
    assert answer["errors"] == {"name": "This is required."}


def test_project_is_closed_from_the_transactions_message(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        project = f.project(s, acme, "Roof")
    app.slack.command("transactions ACME")
    message = reply(app)
    menu = menus(message["blocks"], "project.close")[0]
    assert [o["value"] for o in menu["options"]] == [str(project.id)]
    app.slack.block_action("project.close", selected_option=option(str(project.id)))
    assert ephemeral(app)["text"] == "Project *Roof* of ACME is closed."
    with app.db() as s:
        assert s.exec(select(Project)).one().status == ProjectStatus.CLOSED


def test_closing_a_closed_project_says_so(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        project = f.project(s, acme, "Roof")
    app.slack.block_action("project.close", value=str(project.id))
    ephemeral(app)
    app.slack.block_action("project.close", value=str(project.id))
    assert ephemeral(app, 2)["text"] == "Project Roof is already closed."


def test_closing_another_workspace_project_is_not_found(app: SlackHarness) -> None:
    with app.db() as s:
        theirs = f.customer(s, "Theirs", team=f.OTHER_TEAM)
        project = f.project(s, theirs, "Roof")
    app.slack.block_action("project.close", value=str(project.id))
    assert ephemeral(app)["text"] == "That project doesn't exist."


def test_recurring_template_is_created_with_its_interval(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    form = open_form(app, "customer.new_template", acme)
    interval = next(b for b in form["blocks"] if b.get("block_id") == "interval")
    assert interval["element"]["initial_option"]["value"] == "monthly"
    values = {"name": {"value": plain_text("Retainer")}, "interval": {"value": static_select("quarterly")},
              "next_date": {"value": date("2026-04-01")}, "amount": {"value": plain_text("300")}}
    assert submit(app, form, values) is None
    assert ephemeral(app)["text"] == ("Recurring template *Retainer* for ACME: Quarterly, next on 2026-04-01,"
                                      " 300.00.")
    with app.db() as s:
        assert s.exec(select(RecurringTemplate)).one().interval == "quarterly"


# ------------------------------------------------------------------------------ the transactions message


def test_transactions_message_lists_records_with_the_current_name_and_inactive_label(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        f.invoice(s, acme, "120.00", number="INV-1")
        f.payment(s, acme, "120.00")
        f.template(s, acme, "Retainer", "50.00")
        f.edit(s, acme, display_name="ACME Holdings")
        customers.make_inactive(s, team_id=f.TEAM, customer_id=acme.id, actor=ADMIN)
    app.slack.command("transactions ACME Holdings")
    shown = texts(reply(app))
    assert "*Transactions of ACME Holdings (inactive)* · balance 0.00" in shown
    assert "• *Retainer* · ACME Holdings (inactive) · Monthly · next 2026-03-01 · 50.00" in shown
    assert "• 2026-02-01 · 120.00" in shown
    assert "customer.new_invoice" not in str(reply(app)["blocks"])


def test_transactions_message_offers_every_new_transaction(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        f.invoice(s, acme, "120.00", number="INV-1")
    app.slack.command("operations ACME")
    message = reply(app)
    assert "• *INV-1* · ACME · 2026-01-15 · 120.00 open of 120.00" in texts(message)
    assert [b["action_id"] for b in buttons(message["blocks"])] == [
        "customer.new_invoice", "customer.receive_payment", "customer.new_project", "customer.new_template"]


@pytest.fixture
def dollars(engine: Engine, db: SessionFactory) -> Iterator[SlackHarness]:
    """The app started with CLIENTDESK_CURRENCY=USD."""
    with running_app(engine, db, currency="USD") as harness:
        yield harness


def test_the_bot_currency_is_shown_when_the_workspace_set_none(dollars: SlackHarness) -> None:
    with dollars.db() as s:
        acme = f.customer(s, "ACME")
    form = open_form(dollars, "customer.new_invoice", acme)
    assert next(b for b in form["blocks"] if b.get("block_id") == "amount")["label"]["text"] == "Amount (USD)"


def test_transactions_message_with_many_long_records_stays_within_slack_limits(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "A" * 500)
        for n in range(15):
            f.invoice(s, acme, "10.00", number=f"N{n:020d}")
            f.project(s, acme, f"{n:02d}" + "P" * 98)
            f.template(s, acme, f"{n:02d}" + "T" * 98)
    app.slack.command("transactions " + "A" * 500)
    message = reply(app)
    assert len(menus(message["blocks"], "project.close")[0]["options"]) == 10


def test_ambiguous_transactions_name_offers_a_choice(app: SlackHarness) -> None:
    with app.db() as s:
        east = f.customer(s, "Acme East")
        f.customer(s, "Acme West")
    app.slack.command("transactions acme")
    choice = next(b for b in buttons(reply(app)["blocks"]) if b["value"] == str(east.id))
    app.slack.block_action(choice["action_id"], value=choice["value"])
    assert "*Transactions of Acme East*" in texts(ephemeral(app))
