"""A customer's history in Slack: who, when, what changed, page by page, end to end."""

from __future__ import annotations

from typing import Any

from handlers import customers
from tests import factories as f
from tests.slack_fake import RESPONSE_URL, check_message, date, option, plain_text
from tests.slack_harness import SlackHarness
from tests.test_slack_lifecycle import ADMIN, MEMBER, buttons, ephemeral, opened, reply, submit, texts


def history(app: SlackHarness, name: str, count: int = 1) -> dict[str, Any]:
    app.slack.command(f"history {name}")
    return reply(app, count)


def test_history_shows_who_when_and_every_field_changed_before_and_after(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME", phone="555-0100")
        f.edit(s, acme, actor=MEMBER, email="billing@acme.test", phone="555-0199", tax_exempt=True,
               delivery_method="email")
    shown = texts(history(app, "ACME"))
    assert "*History of ACME* — changes 1–2 of 2, newest first" in shown
    assert (f"<@{MEMBER}> changed Email: (empty) → billing@acme.test; Phone: 555-0100 → 555-0199;"
            " Preferred delivery method: None → Send later; This customer is tax exempt: no → yes") in shown
    assert f"<@{ADMIN}> added this customer" in shown
    assert "<!date^" in shown and "^{date_short_pretty} {time}|" in shown


def test_history_names_parents_when_a_customer_moved(app: SlackHarness) -> None:
    with app.db() as s:
        top = f.customer(s, "Top")
        site = f.customer(s, "Site")
        f.move(s, site, top)
    assert "Parent customer: (top level) → Top" in texts(history(app, "Site"))


def test_history_of_a_fully_qualified_name(app: SlackHarness) -> None:
    with app.db() as s:
        _, kitchen = f.chain(s, "Acme", "Kitchen")
        f.customer(s, "Kitchen remodel")
        f.edit(s, kitchen, actor=MEMBER, email="k@acme.test")
    shown = texts(history(app, "Acme:Kitchen"))
    assert "*History of Acme:Kitchen*" in shown
    assert "k@acme.test" in shown


def test_changes_made_through_slack_appear_in_the_history(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    app.slack.block_action("customer.new_invoice", value=str(acme.id))
    submit(app, opened(app), {"number": {"value": plain_text("INV-9")}, "invoice_date": {"value": date("2026-03-01")},
                              "due_date": {"value": date(None)}, "amount": {"value": plain_text("10")}})
    ephemeral(app)
    app.slack.block_action("customer.receive_payment", value=str(acme.id))
    submit(app, opened(app, 2), {"amount": {"value": plain_text("10")},
                                 "payment_date": {"value": date("2026-03-02")}})
    ephemeral(app, 2)
    app.slack.command("deactivate ACME")
    submit(app, opened(app, 3))
    ephemeral(app, 3)
    app.slack.command("reactivate ACME")
    reply(app)
    shown = texts(history(app, "ACME", 2))
    for line in (f"<@{ADMIN}> reactivated it", f"<@{ADMIN}> made it inactive",
                 f"<@{ADMIN}> recorded a payment of 10.00", f"<@{ADMIN}> invoiced INV-9 for 10.00"):
        assert line in shown


def test_history_of_a_merged_customer_says_what_was_merged(app: SlackHarness) -> None:
    from handlers import merge

    with app.db() as s:
        kept, dup = f.customer(s, "ACME"), f.customer(s, "Acme Inc")
        merge.merge(s, team_id=f.TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=MEMBER)
    assert f"<@{MEMBER}> merged Acme Inc into this customer" in texts(history(app, "ACME"))


def test_history_is_paged_with_older_and_newer_buttons(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        for n in range(24):
            f.edit(s, acme, notes=f"note {n}")
    first = history(app, "ACME")
    assert "changes 1–10 of 25" in texts(first)
    assert [(b["action_id"], b["value"]) for b in buttons(first["blocks"])] == [
        ("customer.history_page", f"{acme.id}:10")]
    app.slack.block_action("customer.history_page", value=f"{acme.id}:10")
    app.fake.wait_for(RESPONSE_URL, 2)
    second = app.fake.responses()[1].body
    check_message(second["text"], second["blocks"])
    assert second["replace_original"] is True
    assert "changes 11–20 of 25" in texts(second) and "Notes: note 12 → note 13" in texts(second)
    assert [(b["action_id"], b["value"]) for b in buttons(second["blocks"])] == [
        ("customer.history_back", f"{acme.id}:0"), ("customer.history_page", f"{acme.id}:20")]


def test_history_button_on_a_card(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    app.slack.block_action("customer.history", value=str(acme.id))
    assert "*History of ACME*" in texts(ephemeral(app))


def test_history_from_a_list_row_menu(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    app.slack.block_action("customer.more", selected_option=option(f"customer.history|{acme.id}"),
                           action_type="overflow")
    assert "*History of ACME*" in texts(ephemeral(app))


def test_history_of_another_workspace_customer_is_not_found(app: SlackHarness) -> None:
    with app.db() as s:
        theirs = f.customer(s, "Theirs", team=f.OTHER_TEAM)
    app.slack.block_action("customer.history_page", value=f"{theirs.id}:0")
    assert "doesn't exist" in reply(app)["text"]


def test_history_of_an_inactive_customer_by_name(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        customers.make_inactive(s, team_id=f.TEAM, customer_id=acme.id, actor=ADMIN)
    assert f"<@{ADMIN}> made it inactive" in texts(history(app, ["historique", "ACME"][1]))


def test_history_of_long_edits_stays_within_slack_limits(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "A" * 500)
        for n in range(12):
            f.edit(s, acme, notes=f"{n:02d}" + "n" * 1990, bill_street="s" * 1990 + f"{n:02d}")
    assert "changes 1–10 of 13" in texts(history(app, "A" * 500))
