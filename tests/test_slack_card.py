"""/clients show: the profile card, picking among several matches, and the card and list buttons."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from bot.listeners import browse
from bot.listeners.browse import ButtonRequest
from handlers import customers, transactions
from tests import factories as f
from tests.slack_harness import SlackHarness
from tests.test_slack_commands import button, click, command, elements, opened_view, shown_text


def card_buttons(answer: Any) -> list[str]:
    return [e["text"]["text"] for e in elements(answer) if e.get("type") == "button"]


def _family(app: SlackHarness) -> dict[str, Any]:
    """Acme ▸ Kitchen ▸ Phase 1, Acme ▸ Bathroom; invoices, a payment, a project, a template, edits."""
    with app.db() as s:
        acme, kitchen, phase = f.chain(s, "Acme", "Kitchen", "Phase 1")
        bathroom = f.customer(s, "Bathroom", parent=acme)
        f.edit(s, kitchen, email="kitchen@acme.test", phone="555-0100", bill_with_parent=True,
               given_name="Kate", family_name="Cook", title="Dr.", company_name="Acme Kitchens Ltd",
               bill_street="1 Main St", bill_city="Springfield", ship_city="Shelbyville", website="acme.test")
        assert kitchen.id is not None
        transactions.add_invoice(s, team_id=f.TEAM, customer_id=kitchen.id, number="INV-7", amount="300.00",
                                 invoice_date=date(2026, 1, 10), due_date=date(2026, 2, 9), actor=f.ACTOR)
        f.invoice(s, kitchen, "50.00", number="INV-8")
        f.payment(s, kitchen, "25.00")
        f.invoice(s, phase, "100.00", number="INV-9")
        f.invoice(s, bathroom, "10.00", number="INV-10")
        f.invoice(s, acme, "1.00", number="INV-11")
        f.project(s, kitchen, "Cabinets")
        f.template(s, kitchen, "Monthly cleaning", amount="40.00")
        f.edit(s, kitchen, actor="U0002", phone="555-0199")
    return {"acme": acme, "kitchen": kitchen, "phase": phase, "bathroom": bathroom}


# ------------------------------------------------------------------------------ the card


def test_show_card_has_name_contacts_addresses_and_status(app):
    _family(app)

    answer = command(app, "show kitchen")

    text = shown_text(answer)
    assert answer.body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Kitchen",
                                                                    "emoji": False}}
    for seen in ("Dr. Kate Cook", "Acme Kitchens Ltd", "kitchen@acme.test", "555-0199", "acme.test",
                 "1 Main St", "Springfield", "Shelbyville", "Active"):
        assert seen in text


def test_show_card_has_parent_chain_billing_mode_and_sub_customers(app):
    _family(app)

    text = shown_text(command(app, "show kitchen"))

    assert "Sub-customer of *Acme*" in text
    assert "Billing: Bill with parent" in text
    assert "*Sub-customers (1)*\n• Phase 1" in text


def test_show_card_of_a_top_level_customer_lists_its_sub_customer_tree(app):
    _family(app)

    text = shown_text(command(app, "show acme"))

    assert "Top-level customer" in text
    assert "*Sub-customers (3)*\n• Bathroom\n• Kitchen\n    ◦ Phase 1" in text
    assert "Billing:" not in text  # the billing mode is a sub-customer's


def test_show_card_has_own_balance_and_balance_with_sub_customers(app):
    _family(app)

    text = shown_text(command(app, "show kitchen"))

    assert "*Balance*\n325.00" in text  # 300 + 50 - 25
    assert "*Balance with sub-customers*\n425.00" in text  # + Phase 1's 100


def test_show_card_lists_open_invoices_projects_and_templates(app):
    _family(app)

    text = shown_text(command(app, "show kitchen"))

    assert "*Open invoices (2)* — 350.00 open" in text
    assert "*INV-7* · 2026-01-10 · due 2026-02-09 · 300.00 open" in text
    assert "*INV-8*" in text
    assert "Cabinets — open" in text
    assert "Monthly cleaning · Monthly · next 2026-03-01 · 40.00" in text


def test_show_card_shows_recent_history_with_who_and_what(app):
    _family(app)

    text = shown_text(command(app, "show kitchen"))

    assert "<@U0002> changed Phone: 555-0100 → 555-0199" in text
    assert "<@U0001> opened project Cabinets" in text
    assert "<!date^" in text  # when, in each reader's time zone


def test_show_card_money_uses_the_workspace_currency(app):
    from db.workspace import WorkspaceSettings

    with app.db() as s:
        acme = f.customer(s, "Acme")
        f.invoice(s, acme, "12.00")
        s.add(WorkspaceSettings(team_id=f.TEAM, currency="EUR"))
        s.commit()

    assert "*Balance*\n12.00 EUR" in shown_text(command(app, "show acme"))


def test_show_card_has_the_action_buttons(app):
    parts = _family(app)

    answer = command(app, "show acme")

    assert card_buttons(answer) == ["Edit", "Add sub-customer", "New invoice", "Receive payment", "New project",
                                    "Make inactive", "Merge", "History"]
    assert {e["value"] for e in elements(answer) if e.get("type") == "button"} == {str(parts["acme"].id)}


def test_show_card_of_a_customer_at_the_deepest_level_offers_no_sub_customer(app):
    with app.db() as s:
        f.chain(s, "L0", "L1", "L2", "L3", "L4")

    assert "Add sub-customer" not in card_buttons(command(app, "show L4"))


def test_show_inactive_customer_is_labelled_and_offers_reactivation(app):
    with app.db() as s:
        old = f.customer(s, "Old Co")
        assert old.id is not None
        customers.make_inactive(s, team_id=f.TEAM, customer_id=old.id, actor=f.ACTOR)

    answer = command(app, "voir old co")

    assert answer.body["blocks"][0]["text"]["text"] == "Old Co (inactive)"
    assert "Inactive" in shown_text(answer)
    assert "made it inactive" in shown_text(answer)
    assert card_buttons(answer) == ["Edit", "Reactivate", "Merge", "History"]


def test_show_by_fully_qualified_name(app):
    with app.db() as s:
        f.chain(s, "Acme", "Kitchen")
        f.chain(s, "Beta", "Kitchen 2")

    answer = command(app, "afficher acme : kitchen")

    assert answer.body["blocks"][0]["text"]["text"] == "Kitchen"
    assert "Sub-customer of *Acme*" in shown_text(answer)


def test_show_of_a_name_matching_nothing_suggests_find_and_add(app):
    answer = command(app, "show globex")

    assert "No customer matches “globex”" in shown_text(answer)
    assert "/clients find" in shown_text(answer)
    assert button(answer, "customer.add_named")["value"] == "globex"


def test_show_without_a_name_asks_which(app):
    assert "/clients show <name>" in command(app, "fiche").text


# ------------------------------------------------------------------------------ several matches


def test_ambiguous_name_offers_a_pick_then_shows_the_picked_card_in_its_place(app):
    with app.db() as s:
        f.customer(s, "Acme East", email="east@acme.test")
        west = f.customer(s, "Acme West")

    answer = command(app, "show acme")

    assert "2 customers match “acme”: pick one." in shown_text(answer)
    assert "east@acme.test" in shown_text(answer)
    picks = [e for e in elements(answer) if e.get("action_id") == "customer.pick"]
    assert [p["value"] for p in picks][1] == f"customer.show|{west.id}"

    card = click(app, "customer.pick", picks[1]["value"])

    assert card.body["replace_original"] is True
    assert card.body["blocks"][0]["text"]["text"] == "Acme West"


def test_ambiguous_edit_pick_opens_the_form_of_the_picked_customer(app):
    with app.db() as s:
        f.customer(s, "Acme East", email="east@acme.test")
        f.customer(s, "Acme West", email="west@acme.test")

    answer = command(app, "edit acme")
    pick = next(e for e in elements(answer) if e.get("action_id") == "customer.pick")
    assert pick["text"]["text"] == "Edit"

    assert app.slack.block_action("customer.pick", value=pick["value"]).status == 200

    assert "east@acme.test" in json.dumps(opened_view(app))


# ------------------------------------------------------------------------------ buttons


def test_show_button_posts_the_card_under_the_list(app):
    with app.db() as s:
        acme = f.customer(s, "Acme")

    card = click(app, "customer.show", str(acme.id))

    assert card.body["replace_original"] is False
    assert card.body["blocks"][0]["text"]["text"] == "Acme"


def test_edit_button_opens_the_form_prefilled(app):
    with app.db() as s:
        acme = f.customer(s, "Acme", email="billing@acme.test", mobile="555-0142")

    assert app.slack.block_action("customer.edit", value=str(acme.id)).status == 200

    view = json.dumps(opened_view(app))
    assert "billing@acme.test" in view and "555-0142" in view


def test_add_sub_customer_button_opens_the_form_with_the_parent_set(app):
    with app.db() as s:
        acme = f.customer(s, "Acme Corporation")

    assert app.slack.block_action("customer.add_sub", value=str(acme.id)).status == 200

    view = opened_view(app)
    assert str(acme.id) in json.dumps(view)  # the parent picker's preset option
    assert "Acme Corporation" in json.dumps(view)


def test_add_sub_customer_under_an_inactive_customer_is_refused_with_the_reason(app):
    with app.db() as s:
        old = f.customer(s, "Old Co")
        assert old.id is not None
        customers.make_inactive(s, team_id=f.TEAM, customer_id=old.id, actor=f.ACTOR)

    answer = click(app, "customer.add_sub", str(old.id))

    assert "Old Co is inactive" in answer.text
    assert app.fake.calls("views.open") == []


@pytest.mark.parametrize("action_id", ["customer.show", "customer.edit", "customer.add_sub"])
def test_another_workspaces_customer_id_is_not_found(app, action_id):
    with app.db() as s:
        theirs = f.customer(s, "Their Secret Client", team=f.OTHER_TEAM, email="secret@other.test")

    answer = click(app, action_id, str(theirs.id))

    assert "doesn't exist" in answer.text
    assert "Their Secret Client" not in json.dumps(answer.body)
    assert app.fake.calls("views.open") == []


def test_another_workspaces_customer_id_in_an_overflow_is_not_found(app):
    with app.db() as s:
        theirs = f.customer(s, "Their Secret Client", team=f.OTHER_TEAM)

    answer = _overflow(app, f"customer.show|{theirs.id}")

    assert "doesn't exist" in answer.text
    assert "Their Secret Client" not in json.dumps(answer.body)


def test_malformed_button_value_is_not_found(app):
    assert "doesn't exist" in click(app, "customer.show", "12; DROP TABLE").text


# ------------------------------------------------------------------------------ overflow menu


def _overflow(app: SlackHarness, value: str) -> Any:
    before = len(app.fake.responses())
    option = {"text": {"type": "plain_text", "text": "…"}, "value": value}
    assert app.slack.block_action("customer.more", selected_option=option, action_type="overflow").status == 200
    app.fake.wait_for("response_url", before + 1)
    return app.fake.responses()[before]


def test_overflow_dispatches_to_the_registered_action_with_a_checked_id(app, monkeypatch):
    seen: list[ButtonRequest] = []

    def history(request: ButtonRequest) -> None:
        seen.append(request)
        request.answer("history shown")

    monkeypatch.setitem(browse._HANDLERS, "customer.history", history)
    with app.db() as s:
        acme = f.customer(s, "Acme")

    answer = _overflow(app, f"customer.history|{acme.id}")

    assert answer.text == "history shown"
    assert [(r.customer_id, r.tenant, r.user_id) for r in seen] == [(acme.id, f.TEAM, "U0001")]


def test_overflow_add_sub_customer_opens_the_form(app):
    with app.db() as s:
        acme = f.customer(s, "Acme Corporation")

    option = {"text": {"type": "plain_text", "text": "Add sub-customer"}, "value": f"customer.add_sub|{acme.id}"}
    assert app.slack.block_action("customer.more", selected_option=option, action_type="overflow").status == 200

    assert "Acme Corporation" in json.dumps(opened_view(app))


def test_overflow_action_nobody_handles_says_it_is_unavailable(app, monkeypatch):
    monkeypatch.delitem(browse._HANDLERS, "customer.merge", raising=False)
    with app.db() as s:
        acme = f.customer(s, "Acme")

    assert _overflow(app, f"customer.merge|{acme.id}").text == "That action isn't available yet."


def test_overflow_handler_refusal_is_shown_to_the_user(app, monkeypatch):
    from handlers.errors import Refused

    def refuse(request: ButtonRequest) -> None:
        raise Refused.of("already_inactive", name="Acme")

    monkeypatch.setitem(browse._HANDLERS, "customer.deactivate", refuse)
    with app.db() as s:
        acme = f.customer(s, "Acme")

    assert _overflow(app, f"customer.deactivate|{acme.id}").text == "Acme is already inactive."
