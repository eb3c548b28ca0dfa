"""The App Home tab end to end: counts, searchable paged list, include-inactive toggle, recent changes."""

from __future__ import annotations

import json
from typing import Any

from handlers import customers, settings
from handlers.permissions import Actor
from tests import factories as f
from tests.slack_fake import check_view
from tests.slack_harness import SlackHarness
from tests.test_slack_lifecycle import ADMIN, MEMBER, buttons, reply, texts


def open_home(app: SlackHarness, user: str = ADMIN, view: dict[str, Any] | None = None) -> dict[str, Any]:
    before = len(app.fake.calls("views.publish"))
    event: dict[str, Any] = {"type": "app_home_opened", "user": user, "channel": "D0001", "tab": "home"}
    if view is not None:
        event["view"] = view
    app.slack.event(event)
    return published(app, before + 1, user)


def published(app: SlackHarness, count: int, user: str = ADMIN) -> dict[str, Any]:
    call = app.fake.wait_for("views.publish", count)[count - 1]
    assert call.ok, app.fake.transcript()
    home = app.fake.home(user)
    assert home is not None
    check_view(home)
    return home


def rows(home: dict[str, Any]) -> list[str]:
    """The customer names listed, in order (each row is a section followed by its Show/Edit/menu actions)."""
    blocks = home["blocks"]
    return [
        blocks[i]["text"]["text"].split("\n")[0].strip("*")
        for i in range(len(blocks) - 1)
        if blocks[i]["type"] == "section"
        and any(e.get("action_id") == "customer.show" for e in blocks[i + 1].get("elements") or [])
    ]


def click(app: SlackHarness, home: dict[str, Any], action_id: str, **kw: Any) -> dict[str, Any]:
    before = len(app.fake.calls("views.publish"))
    app.slack.block_action(action_id, container="view", view=home["id"], **kw)
    return published(app, before + 1)


def button_value(home: dict[str, Any], action_id: str) -> str:
    return next(b["value"] for b in buttons(home["blocks"]) if b["action_id"] == action_id)


def test_home_shows_counts_the_active_customers_and_recent_changes(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Alpha")
        f.customer(s, "Bravo")
        gone = f.customer(s, "Gone")
        customers.make_inactive(s, team_id=f.TEAM, customer_id=gone.id, actor=MEMBER)
    home = open_home(app)
    shown = texts(home)
    assert "*2* active customer(s) · *1* inactive" in shown
    assert rows(home) == ["Alpha", "Bravo"]
    assert "Active customers only" in shown
    assert f"<@{MEMBER}> made it inactive · *Gone (inactive)*" in shown
    assert f"<@{ADMIN}> added this customer · *Bravo*" in shown


def test_home_offers_import_export_and_settings(app: SlackHarness) -> None:
    home = open_home(app)
    assert [b["action_id"] for b in buttons(home["blocks"])[:3]] == ["import.start", "export.start", "settings.open"]


def test_home_of_an_empty_workspace_says_how_to_start(app: SlackHarness) -> None:
    shown = texts(open_home(app))
    assert "No customers yet" in shown and "Nothing changed yet." in shown


def test_opening_the_messages_tab_publishes_nothing(app: SlackHarness) -> None:
    app.slack.event({"type": "app_home_opened", "user": ADMIN, "channel": "D0001", "tab": "messages"})
    open_home(app)
    assert len(app.fake.calls("views.publish")) == 1


def test_search_lists_only_the_matches(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Alpha Builders")
        f.customer(s, "Bravo")
    home = open_home(app)
    found = click(app, home, "home.search", value="alpha", action_type="plain_text_input", block_id="home_search")
    assert rows(found) == ["Alpha Builders"]
    assert "*Customers matching “alpha”* — 1–1" in texts(found)
    assert json.loads(found["private_metadata"])["q"] == "alpha"


def test_search_matching_nothing_says_so(app: SlackHarness) -> None:
    home = open_home(app)
    found = click(app, home, "home.search", value="zzz", action_type="plain_text_input", block_id="home_search")
    assert "No customer matches “zzz”." in texts(found)


def test_include_inactive_toggle_lists_inactive_customers_labelled(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Alpha")
        gone = f.customer(s, "Gone")
        customers.make_inactive(s, team_id=f.TEAM, customer_id=gone.id, actor=ADMIN)
    home = open_home(app)
    shown = click(app, home, "home.toggle_inactive", value=button_value(home, "home.toggle_inactive"))
    assert rows(shown) == ["Alpha", "Gone (inactive)"]
    assert "Including inactive customers" in texts(shown)
    hidden = click(app, shown, "home.toggle_inactive", value=button_value(shown, "home.toggle_inactive"))
    assert rows(hidden) == ["Alpha"]


def test_paging_moves_through_the_list(app: SlackHarness) -> None:
    with app.db() as s:
        for n in range(23):
            f.customer(s, f"Customer {n:02d}")
    home = open_home(app)
    assert rows(home)[0] == "Customer 00" and len(rows(home)) == 10
    second = click(app, home, "home.page", value=button_value(home, "home.page"))
    assert rows(second)[0] == "Customer 10" and "— 11–20" in texts(second)
    third = click(app, second, "home.page", value=button_value(second, "home.page"))
    assert rows(third) == ["Customer 20", "Customer 21", "Customer 22"]
    assert "home.page" not in [b["action_id"] for b in buttons(third["blocks"])]
    back = click(app, third, "home.page_back", value=button_value(third, "home.page_back"))
    assert rows(back)[0] == "Customer 10"


def test_reopening_the_home_tab_keeps_the_search(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Alpha")
        f.customer(s, "Bravo")
    home = open_home(app)
    found = click(app, home, "home.search", value="bravo", action_type="plain_text_input", block_id="home_search")
    again = open_home(app, view=found)
    assert rows(again) == ["Bravo"]


def test_home_command_refreshes_the_home_tab(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Alpha")
    app.slack.command("home")
    assert reply(app)["text"] == "Your ClientDesk Home tab is up to date."
    assert rows(published(app, 1)) == ["Alpha"]


def test_recent_changes_include_a_settings_change(app: SlackHarness) -> None:
    with app.db() as s:
        settings.update(s, team_id=f.TEAM, actor=Actor(ADMIN, is_admin=True), expected_version=0,
                        permission_mode="everyone")
    assert f"<@{ADMIN}> changed ClientDesk's settings" in texts(open_home(app))


def test_list_rows_carry_the_customer_actions(app: SlackHarness) -> None:
    with app.db() as s:
        alpha = f.customer(s, "Alpha")
    home = open_home(app)
    menus = [e for b in home["blocks"] for e in b.get("elements") or [] if e.get("action_id") == "customer.more"]
    values = [o["value"] for o in menus[0]["options"]]
    assert f"customer.deactivate|{alpha.id}" in values and f"customer.merge|{alpha.id}" in values


def test_home_with_long_names_stays_within_slack_limits(app: SlackHarness) -> None:
    with app.db() as s:
        top = f.customer(s, "T" * 500)
        parent = top
        for level in range(4):
            parent = f.customer(s, f"{level}" + "S" * 499, parent=parent, email="a" * 80 + "@x.test")
        for n in range(12):
            f.customer(s, f"{n:02d}" + "C" * 498)
    open_home(app)
