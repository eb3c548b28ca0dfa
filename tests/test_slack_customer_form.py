"""The customer form over real HTTP: open, validate, warn about duplicates, save, confirm.

The form is opened through ``open_customer_form`` (as ``/clients add`` and the card's buttons do) with
a trigger issued by the fake Slack; submissions, button clicks and typeahead are signed requests to
the running app. ``initial_state`` plays a user who leaves the prefilled inputs as they are.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.blocks.ids import Action, Callback, FormBlock, Suggest
from bot.listeners.customer_form import open_customer_form
from db.models import Customer
from handlers import customers
from tests import factories
from tests.factories import OTHER_TEAM, TEAM, chain, customer, list_held
from tests.slack_fake import check_message, check_view, checkboxes, date, external_select, option, plain_text, radio
from tests.slack_harness import BOT_TOKEN, SlackHarness
from tests.test_blocks_customer_form import initial_state

USER, CHANNEL = "U0001", "C0001"
Json = dict[str, Any]
Values = dict[str, dict[str, Json]]


# ------------------------------------------------------------------------------ helpers


def open_form(app: SlackHarness, channel_id: str = CHANNEL, **prefill: Any) -> Json:
    """Open the form as the browse listeners do; the modal as the fake holds it (checked)."""
    client = WebClient(base_url=app.fake.api_url, token=BOT_TOKEN)
    open_customer_form(client, app.fake.new_trigger(user_id=USER), db=app.db, tenant=TEAM,
                       channel_id=channel_id, **prefill)
    view = app.fake.open_views(USER)[-1]
    check_view(view)
    return view


def tick_sub_customer(app: SlackHarness, view: Json) -> Json:
    """Tick "Is a sub-customer" on an open form; the form as updated (with the parent inputs)."""
    values = initial_state(view) | {FormBlock.IS_SUB: {Action.FORM_IS_SUB: checkboxes(["yes"])}}
    updates = len(app.fake.calls("views.update"))
    app.slack.block_action(Action.FORM_IS_SUB, action_type="checkboxes", block_id=FormBlock.IS_SUB,
                           container="view", view=view, values=values,
                           extra={"selected_options": [option("yes")]})
    app.fake.wait_for("views.update", updates + 1)
    updated = app.fake.view(view["id"])
    check_view(updated)
    return updated


def typed(view: Json, **fields: str | None) -> Values:
    """The form's state after the user typed ``fields`` into their inputs."""
    values = initial_state(view)
    for name, value in fields.items():
        values[name] = {name: plain_text(value)}
    return values


def as_sub_customer(values: Values, parent: Customer | None, *, bill_with_parent: bool = False) -> Values:
    """Tick "Is a sub-customer" and pick ``parent`` (as the typeahead gives it)."""
    values[FormBlock.IS_SUB] = {Action.FORM_IS_SUB: checkboxes(["yes"])}
    values[FormBlock.PARENT] = {
        Suggest.PARENT: external_select(str(parent.id) if parent else None, parent.display_name if parent else None)
    }
    values[FormBlock.BILL_WITH_PARENT] = {
        FormBlock.BILL_WITH_PARENT: radio("parent" if bill_with_parent else "self")
    }
    return values


def submit(app: SlackHarness, view: Json, values: Values | None = None) -> Json | None:
    """Submit ``view``; the app's ack body (None for a bare ack, which closes the modal)."""
    response = app.slack.view_submission(view, initial_state(view) if values is None else values)
    assert response.status == 200, response.text
    return response.json()


def errors_of(answer: Json | None) -> dict[str, str]:
    assert answer is not None and answer["response_action"] == "errors", answer
    return answer["errors"]


def confirmation(app: SlackHarness) -> Json:
    """The ephemeral confirmation the user got in the channel (checked against Slack's limits)."""
    app.fake.wait_for("chat.postEphemeral")
    message = app.fake.ephemerals(channel=CHANNEL, user=USER)[-1]
    check_message(message["text"], message.get("blocks"))
    return message


def stored(app: SlackHarness, team: str = TEAM) -> list[Customer]:
    with app.db(read_only=True) as session:
        return list(session.exec(select(Customer).where(Customer.team_id == team).order_by(Customer.id)))


def by_name(app: SlackHarness, name: str) -> Customer:
    with app.db(read_only=True) as session:
        found = customers.find_by_name(session, team_id=TEAM, name=name)
    assert found is not None, name
    return found


# ------------------------------------------------------------------------------ adding


def test_add_saves_the_customer_and_confirms_with_its_card(app: SlackHarness) -> None:
    view = open_form(app, display_name="Hélène Dupont")
    answer = submit(app, view, typed(view, email="helene@example.com", phone="+33 6 12 34 56 78",
                                     bill_street="1 rue de la Paix", bill_city="Paris",
                                     opening_balance="1,250.50") | {
        "opening_balance_date": {"opening_balance_date": date("2026-01-31")}})
    assert answer is None  # a bare ack closes the modal
    [added] = stored(app)
    assert (added.display_name, added.email, added.bill_city, added.ship_city) == (
        "Hélène Dupont", "helene@example.com", "Paris", "Paris")  # "Same as billing" is ticked by default
    assert (str(added.opening_balance), str(added.opening_balance_date)) == ("1250.50", "2026-01-31")
    message = confirmation(app)
    assert "Added Hélène Dupont" in message["text"]
    assert len(message["blocks"]) > 1 and "Hélène Dupont" in str(message["blocks"][1:])  # the profile card


def test_add_from_the_clients_command_prefills_the_display_name(app: SlackHarness) -> None:
    assert app.slack.command("add Acme Corp").status == 200
    app.fake.wait_for("views.open")
    view = app.fake.open_views(USER)[-1]
    check_view(view)
    assert view["callback_id"] == Callback.CUSTOMER_FORM
    assert initial_state(view)["display_name"]["display_name"]["value"] == "Acme Corp"


def test_confirmation_goes_by_direct_message_when_the_form_has_no_channel(app: SlackHarness) -> None:
    view = open_form(app, channel_id="", display_name="Acme")
    assert submit(app, view) is None
    app.fake.wait_for("chat.postMessage")
    [message] = app.fake.messages(USER)
    assert "Added Acme" in message["text"]


def test_form_with_a_display_name_built_from_the_name_parts(app: SlackHarness) -> None:
    view = open_form(app)
    assert submit(app, view, typed(view, given_name="Jane", family_name="Doe")) is None
    assert [c.display_name for c in stored(app)] == ["Jane Doe"]


@pytest.mark.parametrize(
    ("block", "value", "expected"),
    [
        ("display_name", None, "Enter a display name"),
        ("display_name", "Acme: West", "can't contain a colon"),
        ("display_name", "x" * 501, "Too long: 501 characters, at most 500"),
        ("phone", "1" * 31, "Too long: 31 characters, at most 30"),
        ("email", "jane at example", "isn't an email address"),
        ("opening_balance", "twelve", "isn't an amount"),
        ("opening_balance", "12.345", "more than 2 decimals"),
    ],
)
def test_each_invalid_input_is_reported_under_it(app: SlackHarness, block: str, value: str | None,
                                                  expected: str) -> None:
    view = open_form(app, display_name="Acme")
    errors = errors_of(submit(app, view, typed(view, **{block: value})))
    assert list(errors) == [block] and expected in errors[block]
    assert stored(app) == []


def test_a_bad_date_is_reported_under_the_as_of_input(app: SlackHarness) -> None:
    view = open_form(app, display_name="Acme")
    values = typed(view, opening_balance="10") | {"opening_balance_date": {"opening_balance_date": date("2026-02-30")}}
    assert "isn't a date" in errors_of(submit(app, view, values))["opening_balance_date"]


def test_every_problem_is_reported_at_once(app: SlackHarness) -> None:
    with app.db() as session:
        deep = chain(session, "L0", "L1", "L2", "L3", "L4")
    view = open_form(app, parent_id=deep[3].id)
    values = as_sub_customer(typed(view, display_name="Bad:Name", email="nope", fax="9" * 40), deep[4])
    errors = errors_of(submit(app, view, values))
    assert set(errors) == {"display_name", "email", "fax", FormBlock.PARENT}
    assert "Too deep" in errors[FormBlock.PARENT]


def test_a_display_name_already_taken_is_refused_under_display_name(app: SlackHarness) -> None:
    with app.db() as session:
        customer(session, "Acme")
    view = open_form(app, display_name="  ACME ")
    errors = errors_of(submit(app, view))
    assert "already a customer named Acme" in errors["display_name"]
    assert len(stored(app)) == 1


def test_an_inactive_customers_name_offers_reactivation_in_one_click(app: SlackHarness) -> None:
    with app.db() as session:
        old = customer(session, "Hélène Dupont")
        customers.make_inactive(session, team_id=TEAM, customer_id=old.id, actor=USER)
    view = open_form(app, display_name="helene dupont")
    answer = submit(app, view)
    assert answer is not None and answer["response_action"] == "push"
    offer = answer["view"]
    check_view(offer)
    assert offer["callback_id"] == Callback.REACTIVATE_OFFER
    assert "Hélène Dupont* is an inactive customer" in str(offer["blocks"])
    assert submit(app, offer, {}) == {"response_action": "clear"}
    [again] = stored(app)
    assert again.active and again.id == old.id
    assert "Hélène Dupont is active again" in confirmation(app)["text"]


def test_possible_duplicates_are_shown_before_saving_then_save_anyway_adds_exactly_one(app: SlackHarness) -> None:
    with app.db() as session:
        existing = customer(session, "Acme Corp.", email="billing@acme.test")
    view = open_form(app, display_name="ACME Corporation")
    first = submit(app, view, typed(view, email="Billing@Acme.test", notes="Met at the fair"))
    assert first is not None and first["response_action"] == "update"
    warning = first["view"]
    check_view(warning)
    assert warning["callback_id"] == Callback.DUPLICATE_WARNING
    assert warning["submit"]["text"] == "Save anyway"
    [row] = [b for b in warning["blocks"] if b.get("accessory", {}).get("action_id") == Action.OPEN_EXISTING]
    assert row["accessory"]["value"] == str(existing.id)
    assert "Acme Corp." in row["text"]["text"] and "same email" in row["text"]["text"]
    assert len(stored(app)) == 1
    # Everything typed is still in the warning's inputs; saving it anyway adds the customer once.
    kept = initial_state(warning)
    assert kept["notes"]["notes"]["value"] == "Met at the fair"
    assert submit(app, warning, kept) is None
    names = [c.display_name for c in stored(app)]
    assert names == ["Acme Corp.", "ACME Corporation"]
    assert by_name(app, "ACME Corporation").email == "Billing@Acme.test"


def test_open_existing_from_the_warning_pushes_that_customers_edit_form(app: SlackHarness) -> None:
    with app.db() as session:
        existing = customer(session, "Acme Corp.", phone="555 0100")
    view = open_form(app, display_name="Acme Corporation")
    warning = submit(app, view)["view"]  # type: ignore[index]
    response = app.slack.block_action(Action.OPEN_EXISTING, value=str(existing.id), container="view",
                                      view=warning, block_id=f"{FormBlock.NOTICE}.{existing.id}")
    assert response.status == 200
    app.fake.wait_for("views.push")
    pushed = app.fake.open_views(USER)[-1]
    check_view(pushed)
    assert pushed["callback_id"] == Callback.CUSTOMER_FORM and pushed["title"]["text"] == "Edit customer"
    assert initial_state(pushed)["phone"]["phone"]["value"] == "555 0100"


# ------------------------------------------------------------------------------ sub-customers


def test_ticking_sub_customer_shows_the_parent_typeahead(app: SlackHarness) -> None:
    updated = tick_sub_customer(app, open_form(app, display_name="West"))
    blocks = {b.get("block_id"): b for b in updated["blocks"]}
    assert blocks[FormBlock.PARENT]["element"]["action_id"] == Suggest.PARENT
    assert initial_state(updated)["display_name"]["display_name"]["value"] == "West"


def test_untick_same_as_billing_shows_the_shipping_inputs(app: SlackHarness) -> None:
    view = open_form(app, display_name="West")
    values = initial_state(view) | {FormBlock.SAME_AS_BILLING: {Action.FORM_SAME_AS_BILLING: checkboxes([])}}
    app.slack.block_action(Action.FORM_SAME_AS_BILLING, action_type="checkboxes", block_id=FormBlock.SAME_AS_BILLING,
                           container="view", view=view, values=values, extra={"selected_options": []})
    app.fake.wait_for("views.update")
    updated = app.fake.view(view["id"])
    check_view(updated)
    assert "ship_street" in {b.get("block_id") for b in updated["blocks"]}


def test_sub_customer_is_saved_under_the_parent_picked_in_the_typeahead(app: SlackHarness) -> None:
    with app.db() as session:
        customer(session, "Acme")
    view = open_form(app, display_name="Acme West")
    suggestion = app.slack.block_suggestion(Suggest.PARENT, "acm", block_id=FormBlock.PARENT, view=view).json()
    [picked] = suggestion["options"]
    values = initial_state(view)
    values[FormBlock.IS_SUB] = {Action.FORM_IS_SUB: checkboxes(["yes"])}
    values[FormBlock.PARENT] = {Suggest.PARENT: {"type": "external_select", "selected_option": picked}}
    values[FormBlock.BILL_WITH_PARENT] = {FormBlock.BILL_WITH_PARENT: radio("parent")}
    assert submit(app, view, values) is None
    child = by_name(app, "Acme West")
    assert (child.parent_id, child.bill_with_parent) == (int(picked["value"]), True)


def test_add_sub_customer_prefills_the_parent(app: SlackHarness) -> None:
    with app.db() as session:
        parent = chain(session, "Acme", "West")[-1]
    view = open_form(app, parent_id=parent.id)
    picker = initial_state(view)[FormBlock.PARENT][Suggest.PARENT]["selected_option"]
    assert picker["value"] == str(parent.id) and picker["text"]["text"] == "Acme:West"
    assert submit(app, view, typed(view, display_name="Kitchen")) is None
    assert by_name(app, "Kitchen").parent_id == parent.id


def test_a_parent_too_deep_is_refused_under_the_parent_input(app: SlackHarness) -> None:
    with app.db() as session:
        levels = chain(session, "L0", "L1", "L2", "L3", "L4")
    view = open_form(app, parent_id=levels[3].id)
    errors = errors_of(submit(app, view, as_sub_customer(typed(view, display_name="L5"), levels[4])))
    assert list(errors) == [FormBlock.PARENT] and "more than 4 levels" in errors[FormBlock.PARENT]


def test_an_inactive_parent_is_refused_under_the_parent_input(app: SlackHarness) -> None:
    with app.db() as session:
        gone = customer(session, "Gone")
        customers.make_inactive(session, team_id=TEAM, customer_id=gone.id, actor=USER)
    view = tick_sub_customer(app, open_form(app, display_name="Child"))
    errors = errors_of(submit(app, view, as_sub_customer(initial_state(view), gone)))
    assert "Gone is inactive" in errors[FormBlock.PARENT]


def test_another_workspaces_parent_is_refused(app: SlackHarness) -> None:
    with app.db() as session:
        foreign = customer(session, "Foreign", team=OTHER_TEAM)
    view = tick_sub_customer(app, open_form(app, display_name="Child"))
    errors = errors_of(submit(app, view, as_sub_customer(initial_state(view), foreign)))
    assert "doesn't exist" in errors[FormBlock.PARENT]
    assert stored(app) == []


def test_sub_customer_ticked_without_a_parent_asks_for_the_parent(app: SlackHarness) -> None:
    view = tick_sub_customer(app, open_form(app, display_name="Child"))
    errors = errors_of(submit(app, view, as_sub_customer(initial_state(view), None, bill_with_parent=True)))
    assert "Choose the parent customer" in errors[FormBlock.PARENT]


def test_bill_with_parent_without_a_parent_is_refused_under_billing(app: SlackHarness) -> None:
    with app.db() as session:
        parent = customer(session, "Acme")
    view = open_form(app, parent_id=parent.id)  # the billing choice is on the form...
    values = as_sub_customer(typed(view, display_name="Child"), None, bill_with_parent=True)
    values[FormBlock.IS_SUB] = {Action.FORM_IS_SUB: checkboxes([])}  # ...but the box was unticked
    errors = errors_of(submit(app, view, values))
    assert "Only a sub-customer can be billed with its parent" in errors[FormBlock.BILL_WITH_PARENT]


# ------------------------------------------------------------------------------ editing


def test_edit_saves_the_changes_and_bumps_the_version(app: SlackHarness) -> None:
    with app.db() as session:
        acme = customer(session, "Acme", phone="555 0100", opening_balance="100")
    view = open_form(app, customer_id=acme.id)
    assert view["title"]["text"] == "Edit customer"
    assert "opening_balance" not in {b.get("block_id") for b in view["blocks"]}
    assert submit(app, view, typed(view, phone="555 0199", website="acme.test")) is None
    [saved] = stored(app)
    assert (saved.phone, saved.website, saved.version, str(saved.opening_balance)) == (
        "555 0199", "acme.test", 2, "100.00")
    assert "Saved Acme" in confirmation(app)["text"]


def test_edit_without_changes_says_nothing_changed(app: SlackHarness) -> None:
    with app.db() as session:
        acme = customer(session, "Acme", phone="555 0100", ship_street="Dock 4")
    view = open_form(app, customer_id=acme.id)
    assert submit(app, view) is None
    assert stored(app)[0].version == 1
    assert "Nothing changed on Acme" in confirmation(app)["text"]


def test_a_stale_edit_is_refused_and_the_form_keeps_what_was_typed(app: SlackHarness) -> None:
    with app.db() as session:
        acme = customer(session, "Acme", phone="555 0100")
    view = open_form(app, customer_id=acme.id)
    with app.db() as session:
        factories.edit(session, acme, actor="U0002", phone="555 0222")
    errors = errors_of(submit(app, view, typed(view, phone="555 0199")))
    assert "changed by someone else" in errors["display_name"]
    assert stored(app)[0].phone == "555 0222"
    # An errors answer leaves the modal (and every typed value) as it is.
    assert app.fake.calls("views.update") == []


def test_renaming_to_another_active_customers_name_offers_the_merge(app: SlackHarness) -> None:
    with app.db() as session:
        kept = customer(session, "Acme Corp")
        dup = customer(session, "ACME Corporation")
    view = open_form(app, customer_id=dup.id)
    answer = submit(app, view, typed(view, display_name="acme corp"))
    assert answer is not None and answer["response_action"] == "push"
    offer = answer["view"]
    check_view(offer)
    assert "Merge *ACME Corporation* into *Acme Corp*?" in str(offer["blocks"])
    [button] = [e for b in offer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (button["action_id"], button["value"]) == (Action.MERGE_INTO, f"{dup.id}:{kept.id}")
    assert offer["close"]["text"] == "Back"
    assert by_name(app, "ACME Corporation").version == 1


def test_renaming_to_an_inactive_customers_name_is_refused_under_display_name(app: SlackHarness) -> None:
    with app.db() as session:
        old = customer(session, "Old Acme")
        customers.make_inactive(session, team_id=TEAM, customer_id=old.id, actor=USER)
        acme = customer(session, "Acme")
    view = open_form(app, customer_id=acme.id)
    errors = errors_of(submit(app, view, typed(view, display_name="old acme")))
    assert "Old Acme is an inactive customer's name" in errors["display_name"]


def test_unticking_sub_customer_makes_the_customer_top_level(app: SlackHarness) -> None:
    with app.db() as session:
        _, west = chain(session, "Acme", "West")
        factories.edit(session, west, bill_with_parent=True)
    view = open_form(app, customer_id=west.id)
    values = initial_state(view)
    values[FormBlock.IS_SUB] = {Action.FORM_IS_SUB: checkboxes([])}
    del values[FormBlock.PARENT], values[FormBlock.BILL_WITH_PARENT]  # hidden once unticked
    assert submit(app, view, values) is None
    moved = by_name(app, "West")
    assert (moved.parent_id, moved.bill_with_parent) == (None, False)


def test_moving_a_customer_under_its_own_sub_customer_is_refused(app: SlackHarness) -> None:
    with app.db() as session:
        acme, west = chain(session, "Acme", "West")
    view = tick_sub_customer(app, open_form(app, customer_id=acme.id))
    errors = errors_of(submit(app, view, as_sub_customer(initial_state(view), west)))
    assert "can't sit under its own sub-customer" in errors[FormBlock.PARENT]


def test_a_forged_customer_id_of_another_workspace_is_never_edited(app: SlackHarness) -> None:
    with app.db() as session:
        mine = customer(session, "Mine")
        theirs = customer(session, "Theirs", team=OTHER_TEAM)
    view = open_form(app, customer_id=mine.id)
    forged = {**view, "private_metadata": view["private_metadata"].replace(f'"customer_id":{mine.id}',
                                                                           f'"customer_id":{theirs.id}')}
    errors = errors_of(submit(app, forged, typed(view, display_name="Hijacked")))
    assert "doesn't exist" in errors["display_name"]
    assert stored(app, OTHER_TEAM)[0].display_name == "Theirs"


def test_a_name_built_from_the_name_parts_is_checked_for_duplicates(app: SlackHarness) -> None:
    with app.db() as session:
        customer(session, "Jane Doe Consulting", company_name="Jane Doe")
    view = open_form(app)
    answer = submit(app, view, typed(view, given_name="Jane", family_name="Doe"))
    assert answer is not None and answer["view"]["callback_id"] == Callback.DUPLICATE_WARNING


def test_reactivation_offer_accepted_after_someone_else_reactivated_says_so(app: SlackHarness) -> None:
    with app.db() as session:
        old = customer(session, "Old Acme")
        customers.make_inactive(session, team_id=TEAM, customer_id=old.id, actor=USER)
    view = open_form(app, display_name="Old Acme")
    offer = submit(app, view)["view"]  # type: ignore[index]
    with app.db() as session:
        customers.reactivate(session, team_id=TEAM, customer_id=old.id, actor="U0002")
    answer = submit(app, offer, {})
    assert answer is not None and answer["response_action"] == "update"
    check_view(answer["view"])
    assert "Old Acme is already active" in str(answer["view"]["blocks"])


def test_open_existing_from_a_message_opens_the_edit_form(app: SlackHarness) -> None:
    with app.db() as session:
        existing = customer(session, "Acme Corp.")
    assert app.slack.block_action(Action.OPEN_EXISTING, value=str(existing.id)).status == 200
    app.fake.wait_for("views.open")
    view = app.fake.open_views(USER)[-1]
    check_view(view)
    assert initial_state(view)["display_name"]["display_name"]["value"] == "Acme Corp."
    assert '"channel_id":"C0001"' in view["private_metadata"]  # confirmed where the button was


def test_a_forged_sub_customer_edit_reports_the_customer_not_the_parent(app: SlackHarness) -> None:
    with app.db() as session:
        _, west = chain(session, "Acme", "West")
        theirs = customer(session, "Theirs", team=OTHER_TEAM)
    view = open_form(app, customer_id=west.id)
    forged = {**view, "private_metadata": view["private_metadata"].replace(f'"customer_id":{west.id}',
                                                                           f'"customer_id":{theirs.id}')}
    errors = errors_of(submit(app, forged, initial_state(view)))
    assert list(errors) == ["display_name"] and "doesn't exist" in errors["display_name"]


# ------------------------------------------------------------------------------ while another change holds the list


def test_a_save_while_the_list_is_held_says_saving_then_completes_after_the_ack(
        app: SlackHarness, engine: Engine) -> None:
    view = open_form(app, display_name="Hélène Dupont")
    with list_held(engine):
        started = time.monotonic()
        answer = submit(app, view)
        acked_in = time.monotonic() - started
        assert answer is not None and answer["response_action"] == "update", answer
        check_view(answer["view"])
        assert "Saving *Hélène Dupont*" in str(answer["view"]["blocks"])
        assert stored(app) == []  # nothing saved while the other transaction holds the list
    assert acked_in < 2.5  # within Slack's 3 s, however long the other transaction lasts
    update = app.fake.wait_for("views.update", timeout=30)[-1]
    assert update.params["view_id"] == view["id"]
    assert "Added Hélène Dupont" in str(app.fake.view(view["id"])["blocks"])
    [added] = stored(app)
    assert added.display_name == "Hélène Dupont"
    assert "Added Hélène Dupont" in confirmation(app)["text"]


def test_a_save_deferred_by_a_held_list_shows_the_form_again_when_the_name_was_taken_meanwhile(
        app: SlackHarness, engine: Engine) -> None:
    view = open_form(app, display_name="Acme")
    with list_held(engine) as holder:
        answer = submit(app, view, typed(view, email="billing@acme.test"))
        assert answer is not None and answer["response_action"] == "update", answer
        # The other transaction (an import, say) adds the same name before it ends.
        other = Session(bind=holder)
        other.add(Customer(team_id=TEAM, display_name="ACME", **customers.customer_keys({"display_name": "ACME"})))
        other.flush()
    app.fake.wait_for("views.update", timeout=30)
    shown = app.fake.view(view["id"])
    check_view(shown)
    assert shown["callback_id"] == Callback.CUSTOMER_FORM  # the form again, as typed, to change and resubmit
    assert "already a customer named" in str(shown["blocks"]).lower()
    assert "billing@acme.test" in str(shown["blocks"])
    assert [c.display_name for c in stored(app)] == ["ACME"]
