"""Make inactive / reactivate end to end: signed requests → the app → the fake Slack API → the database."""

from __future__ import annotations

import json
from typing import Any

from handlers import customers, settings
from handlers.permissions import Actor
from tests import factories as f
from tests.slack_fake import RESPONSE_URL, check_message, check_view, option
from tests.slack_harness import SlackHarness

ADMIN, MEMBER = "U0001", "U0002"


# ------------------------------------------------------------------------------ helpers


def texts(node: Any) -> str:
    """Every text a reader sees in a view or message, as one string."""
    found: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            if isinstance(n.get("text"), str):
                found.append(n["text"])
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(node)
    return "\n".join(found)


def buttons(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            if n.get("type") == "button":
                found.append(n)
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(node)
    return found


def menus(node: Any, action_id: str) -> list[dict[str, Any]]:
    """The select menus with ``action_id`` in a view or message."""
    found: list[dict[str, Any]] = []

    def walk(n: Any) -> None:
        if isinstance(n, dict):
            if n.get("action_id") == action_id and n.get("type") == "static_select":
                found.append(n)
            for v in n.values():
                walk(v)
        elif isinstance(n, list):
            for v in n:
                walk(v)

    walk(node)
    return found


def opened(app: SlackHarness, count: int = 1) -> dict[str, Any]:
    """The modal opened by the ``count``-th views.open, as the fake stores it (limits checked)."""
    call = app.fake.wait_for("views.open", count)[count - 1]
    assert call.ok, app.fake.transcript()
    view = app.fake.view(call.response["view"]["id"])
    check_view(view)
    return view


def reply(app: SlackHarness, count: int = 1) -> dict[str, Any]:
    """The ``count``-th answer posted to a response_url (limits checked)."""
    app.fake.wait_for(RESPONSE_URL, count)
    body = app.fake.responses()[count - 1].body
    check_message(body.get("text"), body.get("blocks"))
    return body


def ephemeral(app: SlackHarness, count: int = 1, user: str = ADMIN) -> dict[str, Any]:
    app.fake.wait_for("chat.postEphemeral", count)
    message = app.fake.ephemerals(user=user)[count - 1]
    check_message(message.get("text"), message.get("blocks"))
    return message


def submit(app: SlackHarness, view: dict[str, Any], values: dict[str, Any] | None = None,
           user_id: str = ADMIN) -> Any:
    response = app.slack.view_submission(view["id"], values or {}, user_id=user_id)
    assert response.status == 200
    answer = response.json()
    if answer and "view" in answer:
        check_view(answer["view"])
    return answer


def reload(app: SlackHarness, customer: Any) -> Any:
    with app.db() as session:
        return customers.get(session, team_id=f.TEAM, customer_id=customer.id)


def allow(app: SlackHarness, mode: str, users: tuple[str, ...] = ()) -> None:
    with app.db() as session:
        current = settings.get(session, team_id=f.TEAM)
        settings.update(session, team_id=f.TEAM, actor=Actor(ADMIN, is_admin=True),
                        expected_version=current.version, permission_mode=mode, allowed_user_ids=users)


# ------------------------------------------------------------------------------ the dialog


def test_deactivate_command_opens_a_dialog_listing_every_sub_customer(app: SlackHarness) -> None:
    with app.db() as s:
        f.chain(s, "Top", "Child", "Grand")
    app.slack.command("deactivate Top")
    view = opened(app)
    shown = texts(view)
    assert "Make *Top* inactive?" in shown
    assert "These 2 sub-customer(s) will become inactive with it" in shown
    assert "Top:Child" in shown and "Top:Child:Grand" in shown
    assert view["submit"]["text"] == "Make inactive"


def test_dialog_of_a_customer_without_sub_customers_says_nothing_else_is_affected(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Solo")
    app.slack.command("desactiver Solo")
    assert "No other customer is affected" in texts(opened(app))


def test_confirming_makes_the_customer_and_its_sub_customers_inactive(app: SlackHarness) -> None:
    with app.db() as s:
        top, child, grand = f.chain(s, "Top", "Child", "Grand")
    app.slack.command("deactivate Top")
    assert submit(app, opened(app)) is None
    assert [reload(app, c).active for c in (top, child, grand)] == [False, False, False]
    message = ephemeral(app)
    assert "*Top* is now inactive, with 2 sub-customer(s): Top:Child, Top:Child:Grand." in message["text"]
    assert [b["action_id"] for b in buttons(message["blocks"])] == ["customer.reactivate"]


def test_confirming_refreshes_the_home_tab_of_the_user(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Solo")
    app.slack.command("deactivate Solo")
    submit(app, opened(app))
    app.fake.wait_for("views.publish")
    home = app.fake.home(ADMIN)
    assert home is not None and "*0* active customer(s) · *1* inactive" in texts(home)


def test_dialog_names_a_sub_customer_with_a_balance_and_offers_to_receive_a_payment(app: SlackHarness) -> None:
    with app.db() as s:
        _top, child = f.chain(s, "Top", "Child")
        f.invoice(s, child, "120.00")
    app.slack.command("deactivate Top")
    view = opened(app)
    shown = texts(view)
    assert "*Top* can't be made inactive yet" in shown
    assert "*Top:Child* has a balance of 120.00: receive a payment" in shown
    assert "submit" not in view or not view["submit"]
    assert [(b["action_id"], b["value"]) for b in buttons(view)] == [("customer.receive_payment", str(child.id))]


def test_dialog_names_open_projects_and_closing_one_turns_it_into_the_confirmation(app: SlackHarness) -> None:
    with app.db() as s:
        top = f.customer(s, "Top")
        project = f.project(s, top, "Kitchen remodel")
    app.slack.command("deactivate Top")
    view = opened(app)
    assert "*Top* has open projects (Kitchen remodel): close them." in texts(view)
    menu = menus(view, "project.close")[0]
    assert [(o["text"]["text"], o["value"]) for o in menu["options"]] == [("Kitchen remodel", str(project.id))]
    assert menu["confirm"]["confirm"]["text"] == "Close it"
    app.slack.block_action("project.close", selected_option=option(str(project.id)), container="view",
                           view=view["id"])
    app.fake.wait_for("views.update")
    updated = app.fake.view(view["id"])
    check_view(updated)
    assert "Make *Top* inactive?" in texts(updated) and updated["submit"]["text"] == "Make inactive"
    assert "Project *Kitchen remodel* of Top is closed." in ephemeral(app)["text"]


def test_payment_received_from_the_dialog_refreshes_it(app: SlackHarness) -> None:
    with app.db() as s:
        top = f.customer(s, "Top")
        f.invoice(s, top, "50.00")
    app.slack.command("deactivate Top")
    dialog = opened(app)
    app.slack.block_action("customer.receive_payment", value=str(top.id), container="view", view=dialog["id"])
    pushed = app.fake.wait_for("views.push")[0]
    form = app.fake.view(pushed.response["view"]["id"])
    check_view(form)
    answer = submit(app, form, {"amount": {"value": {"type": "plain_text_input", "value": "50"}},
                                "payment_date": {"value": {"type": "datepicker", "selected_date": "2026-02-01"}}})
    assert answer is None
    app.fake.wait_for("views.update")
    assert "Make *Top* inactive?" in texts(app.fake.view(dialog["id"]))


def test_submit_refused_when_a_balance_appeared_after_the_dialog_opened(app: SlackHarness) -> None:
    with app.db() as s:
        top = f.customer(s, "Top")
    app.slack.command("deactivate Top")
    view = opened(app)
    with app.db() as s:
        f.invoice(s, top, "10.00")
    answer = submit(app, view)
    assert answer["response_action"] == "update"
    assert "*Top* has a balance of 10.00" in texts(answer["view"])
    assert reload(app, top).active


def test_submit_shows_the_dialog_again_when_the_sub_customers_changed(app: SlackHarness) -> None:
    with app.db() as s:
        top = f.customer(s, "Top")
    app.slack.command("deactivate Top")
    view = opened(app)
    with app.db() as s:
        f.customer(s, "Late arrival", parent=top)
    answer = submit(app, view)
    assert answer["response_action"] == "update"
    shown = texts(answer["view"])
    assert "The sub-customers changed since you opened this dialog" in shown and "Top:Late arrival" in shown
    assert reload(app, top).active


def test_already_inactive_customer_is_not_asked_again_and_reactivation_is_offered(app: SlackHarness) -> None:
    with app.db() as s:
        gone = f.customer(s, "Gone")
        customers.make_inactive(s, team_id=f.TEAM, customer_id=gone.id, actor=ADMIN)
    app.slack.command("deactivate Gone")
    answer = reply(app)
    assert answer["text"] == "Gone is already inactive."
    assert [b["action_id"] for b in buttons(answer["blocks"])] == ["customer.reactivate"]
    assert not app.fake.calls("views.open")


def test_make_inactive_button_on_a_card_opens_the_dialog(app: SlackHarness) -> None:
    with app.db() as s:
        solo = f.customer(s, "Solo")
    app.slack.block_action("customer.deactivate", value=str(solo.id))
    assert "Make *Solo* inactive?" in texts(opened(app))


def test_make_inactive_from_a_list_row_menu_opens_the_dialog(app: SlackHarness) -> None:
    with app.db() as s:
        solo = f.customer(s, "Solo")
    app.slack.block_action("customer.more", selected_option=option(f"customer.deactivate|{solo.id}"),
                           action_type="overflow")
    assert "Make *Solo* inactive?" in texts(opened(app))


def test_button_with_another_workspace_customer_id_opens_nothing(app: SlackHarness) -> None:
    with app.db() as s:
        theirs = f.customer(s, "Theirs", team=f.OTHER_TEAM)
    app.slack.block_action("customer.deactivate", value=str(theirs.id))
    assert "doesn't exist" in ephemeral(app)["text"]
    assert not app.fake.calls("views.open")


def test_ambiguous_name_offers_a_choice_of_customers_to_make_inactive(app: SlackHarness) -> None:
    with app.db() as s:
        east, west = f.customer(s, "Acme East"), f.customer(s, "Acme West")
    app.slack.command("deactivate acme")
    answer = reply(app)
    assert "2 customers match “acme”" in answer["text"]
    assert {(b["action_id"], b["value"]) for b in buttons(answer["blocks"])} == {
        ("customer.deactivate", str(east.id)), ("customer.deactivate", str(west.id))}


def test_deactivate_without_a_name_asks_which(app: SlackHarness) -> None:
    app.slack.command("deactivate")
    assert reply(app)["text"] == "Which customer? Type `/clients deactivate <name>`."


def test_deactivate_of_an_unknown_name_says_nothing_matches(app: SlackHarness) -> None:
    app.slack.command("deactivate Nobody")
    assert reply(app)["text"] == "No customer matches \"Nobody\"."


# ------------------------------------------------------------------------------ permissions


def test_member_is_refused_by_default_and_told_admins_can(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Solo")
    app.slack.command("deactivate Solo", user_id=MEMBER)
    text = reply(app)["text"]
    assert text.startswith("You can't make customers inactive in this workspace.")
    assert "Workspace admins and owners can: ask one of them." in text
    assert not app.fake.calls("views.open")


def test_member_listed_in_the_setting_may_make_inactive(app: SlackHarness) -> None:
    with app.db() as s:
        solo = f.customer(s, "Solo")
    allow(app, "users", (MEMBER,))
    app.slack.command("deactivate Solo", user_id=MEMBER)
    view = opened(app)
    assert submit(app, view, user_id=MEMBER) is None
    assert not reload(app, solo).active


def test_permission_is_checked_again_when_the_dialog_is_submitted(app: SlackHarness) -> None:
    with app.db() as s:
        solo = f.customer(s, "Solo")
    app.slack.command("deactivate Solo")
    view = opened(app)
    allow(app, "users", ("U0009",))
    answer = submit(app, view)
    assert answer["response_action"] == "update"
    shown = texts(answer["view"])
    assert "You can't make customers inactive" in shown and "<@U0009>" in shown
    assert reload(app, solo).active


def test_permission_is_checked_when_the_card_button_is_clicked(app: SlackHarness) -> None:
    with app.db() as s:
        solo = f.customer(s, "Solo")
    app.slack.block_action("customer.deactivate", value=str(solo.id), user_id=MEMBER)
    assert "You can't make customers inactive" in ephemeral(app, user=MEMBER)["text"]
    assert not app.fake.calls("views.open")


def test_guest_is_refused_even_when_everyone_may(app: SlackHarness) -> None:
    app.fake.add_user("U0003", is_restricted=True)
    with app.db() as s:
        solo = f.customer(s, "Solo")
    allow(app, "everyone")
    app.slack.block_action("customer.deactivate", value=str(solo.id), user_id="U0003")
    text = ephemeral(app, user="U0003")["text"]
    assert "Guests, people from other organisations and deactivated accounts never can" in text


def test_deactivated_account_is_refused_even_when_everyone_may(app: SlackHarness) -> None:
    app.fake.add_user("U0004", deleted=True)
    with app.db() as s:
        f.customer(s, "Solo")
    allow(app, "everyone")
    app.slack.command("deactivate Solo", user_id="U0004")
    assert "never can" in reply(app)["text"]


def test_unknown_user_is_refused(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Solo")
    allow(app, "everyone")
    app.slack.command("deactivate Solo", user_id="U0404")
    assert "never can" in reply(app)["text"]


# ------------------------------------------------------------------------------ reactivate


def test_reactivate_command_says_which_parent_customers_came_back_with_it(app: SlackHarness) -> None:
    with app.db() as s:
        top, child, grand = f.chain(s, "Top", "Child", "Grand")
        customers.make_inactive(s, team_id=f.TEAM, customer_id=top.id, actor=ADMIN)
    app.slack.command("reactivate Grand")
    answer = reply(app)
    assert answer["text"] == ("*Top:Child:Grand* is active again, and so are its parent customers (a sub-customer"
                              " can't be active under an inactive parent): *Top*, *Top:Child*.")
    assert [reload(app, c).active for c in (top, child, grand)] == [True, True, True]


def test_reactivate_button_reactivates_and_says_so(app: SlackHarness) -> None:
    with app.db() as s:
        solo = f.customer(s, "Solo")
        customers.make_inactive(s, team_id=f.TEAM, customer_id=solo.id, actor=ADMIN)
    app.slack.block_action("customer.reactivate", value=str(solo.id), user_id=MEMBER)
    assert ephemeral(app, user=MEMBER)["text"] == "*Solo* is active again."
    assert reload(app, solo).active


def test_reactivate_of_an_active_customer_says_it_already_is(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Solo")
    app.slack.command("reactiver Solo")
    assert reply(app)["text"] == "Solo is already active."


def test_reactivate_from_the_list_menu(app: SlackHarness) -> None:
    with app.db() as s:
        solo = f.customer(s, "Solo")
        customers.make_inactive(s, team_id=f.TEAM, customer_id=solo.id, actor=ADMIN)
    app.slack.block_action("customer.more", selected_option=option(f"customer.reactivate|{solo.id}"),
                           action_type="overflow")
    assert ephemeral(app)["text"] == "*Solo* is active again."
    assert reload(app, solo).active


def test_reactivate_refreshes_the_home_tab(app: SlackHarness) -> None:
    with app.db() as s:
        solo = f.customer(s, "Solo")
        customers.make_inactive(s, team_id=f.TEAM, customer_id=solo.id, actor=ADMIN)
    app.slack.command("reactivate Solo")
    app.fake.wait_for("views.publish")
    assert "*1* active customer(s) · *0* inactive" in texts(app.fake.home(ADMIN))


def test_views_are_valid_json_for_slack(app: SlackHarness) -> None:
    with app.db() as s:
        _top, child = f.chain(s, "Top & Co <x>", "Child")
        f.invoice(s, child, "5.00")
    app.slack.command("deactivate Top & Co <x>")
    view = opened(app)
    assert "Top &amp; Co &lt;x&gt;" in json.dumps(view)


def test_dialog_stays_within_slack_limits_with_hundreds_of_long_named_sub_customers() -> None:
    from decimal import Decimal

    from bot.blocks.lifecycle import BlockerLine, Deactivation, deactivate_view

    names = [f"{'Top' * 150}:{n:03d}{'x' * 480}" for n in range(300)]
    found = Deactivation(1, "Top" * 150, names, list(range(2, 302)))
    view = deactivate_view(found, channel_id="C0001")
    check_view(view)
    assert "…and " in texts(view)
    blockers = [BlockerLine(n, names[n], Decimal("1.00"), [(n * 10 + p, "P" * 100) for p in range(8)])
                for n in range(40)]
    check_view(deactivate_view(Deactivation(1, "Top", names, [2], blockers), channel_id="C0001"))


def test_accented_french_alias_opens_the_dialog(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Solo")
    app.slack.command("désactiver Solo")
    assert opened(app)["callback_id"] == "deactivate_confirm"
