"""/clients help, add, find (paging, inactive customers) and edit, end to end over signed HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from handlers import customers
from tests import factories as f
from tests.slack_fake import RESPONSE_URL, WebhookMessage, check_message, check_view
from tests.slack_harness import SlackHarness

# ------------------------------------------------------------------------------ helpers


def command(app: SlackHarness, text: str, **kw: Any) -> WebhookMessage:
    """Send ``/clients <text>`` and return the answer it posted to the response_url (limits checked)."""
    before = len(app.fake.responses())
    assert app.slack.command(text, **kw).status == 200
    app.fake.wait_for(RESPONSE_URL, before + 1)
    answer = app.fake.responses()[before]
    check_message(answer.body.get("text"), answer.body.get("blocks"))
    return answer


def click(app: SlackHarness, action_id: str, value: str, **kw: Any) -> WebhookMessage:
    """Click a button and return the message it posted to the response_url (limits checked)."""
    before = len(app.fake.responses())
    assert app.slack.block_action(action_id, value=value, **kw).status == 200
    app.fake.wait_for(RESPONSE_URL, before + 1)
    answer = app.fake.responses()[before]
    check_message(answer.body.get("text"), answer.body.get("blocks"))
    return answer


def elements(message: WebhookMessage) -> Iterator[dict[str, Any]]:
    for block in message.body.get("blocks") or []:
        yield from block.get("elements") or []
        if "accessory" in block:
            yield block["accessory"]


def button(message: WebhookMessage, action_id: str, label: str | None = None) -> dict[str, Any]:
    found = [e for e in elements(message) if e.get("action_id") == action_id
             and (label is None or e["text"]["text"] == label)]
    assert found, f"no {action_id} {label or ''} button in {json.dumps(message.body)[:2000]}"
    return found[0]


def shown_text(message: WebhookMessage) -> str:
    """Everything a reader sees in the message, as one string."""
    parts = [message.body.get("text") or ""]
    for block in message.body.get("blocks") or []:
        for part in [block.get("text"), *(block.get("fields") or []), *(block.get("elements") or [])]:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
            elif isinstance(part, dict) and isinstance(part.get("text"), dict):
                parts.append(part["text"]["text"])
    return "\n".join(parts)


def rows(message: WebhookMessage) -> list[str]:
    """The customer rows of a list: the first line of each section followed by a Show button."""
    blocks = message.body["blocks"]
    return [
        blocks[i]["text"]["text"].split("\n")[0].strip("*").split("*")[0]
        for i in range(len(blocks) - 1)
        if blocks[i]["type"] == "section" and any(e.get("action_id") == "customer.show"
                                                   for e in blocks[i + 1].get("elements") or [])
    ]


def opened_view(app: SlackHarness) -> dict[str, Any]:
    call = app.fake.wait_for("views.open")[-1]
    view = call.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    check_view(view)
    return view


# ------------------------------------------------------------------------------ help


def test_help_lists_the_browse_subcommands(app):
    answer = command(app, "help")

    for usage in ("`/clients add", "`/clients find", "`/clients show", "`/clients edit"):
        assert usage in answer.text
    assert answer.body.get("response_type") == "ephemeral"


def test_bare_command_shows_help(app):
    assert "`/clients find" in command(app, "").text


def test_unknown_subcommand_names_it_and_shows_usage(app):
    answer = command(app, "frobnicate acme")

    assert "frobnicate" in answer.text
    assert "`/clients show" in answer.text


# ------------------------------------------------------------------------------ find


def test_find_lists_matching_customers_with_contacts_balance_and_actions(app):
    with app.db() as s:
        acme = f.customer(s, "Acme", email="billing@acme.test", phone="555-0100")
        f.customer(s, "Kitchen", parent=acme)
        f.customer(s, "Acme Bakery")
        f.customer(s, "Zeta")
        f.invoice(s, acme, "120.00")

    answer = command(app, "find acme")

    assert rows(answer) == ["Acme", "Acme Bakery"]
    text = shown_text(answer)
    assert "billing@acme.test" in text and "555-0100" in text and "120.00" in text
    assert button(answer, "customer.show")["value"] == str(acme.id)
    assert button(answer, "customer.edit")["value"] == str(acme.id)
    overflow = button(answer, "customer.more")
    assert [o["value"] for o in overflow["options"]] == [
        f"customer.add_sub|{acme.id}", f"customer.deactivate|{acme.id}", f"customer.merge|{acme.id}",
        f"customer.history|{acme.id}",
    ]


def test_find_shows_sub_customers_with_their_full_name(app):
    with app.db() as s:
        f.chain(s, "Acme", "Kitchen", "Phase 1")

    assert rows(command(app, "find phase")) == ["Acme:Kitchen:Phase 1"]


def test_find_in_french_with_chercher(app):
    with app.db() as s:
        f.customer(s, "Hélène Dupont")
        f.customer(s, "Bob")

    assert rows(command(app, "chercher helene")) == ["Hélène Dupont"]


def test_find_nothing_says_so_and_offers_to_add_it(app):
    with app.db() as s:
        f.customer(s, "Acme")

    answer = command(app, "find globex")

    assert "No customer matches “globex”" in shown_text(answer)
    assert button(answer, "customer.add_named")["value"] == "globex"
    assert rows(answer) == []


def test_find_without_text_lists_everyone_alphabetically(app):
    with app.db() as s:
        for name in ("zeta", "Alpha", "Éclair", "beta"):
            f.customer(s, name)

    assert rows(command(app, "find")) == ["Alpha", "beta", "Éclair", "zeta"]


def test_find_pages_with_next_and_previous_in_place(app):
    with app.db() as s:
        for i in range(23):
            f.customer(s, f"Customer {i:02d}")

    first = command(app, "find customer")
    assert rows(first) == [f"Customer {i:02d}" for i in range(10)]
    assert all(e.get("action_id") != "list.page_back" for e in elements(first))

    second = click(app, "list.page", button(first, "list.page")["value"])
    assert second.body["replace_original"] is True
    assert rows(second) == [f"Customer {i:02d}" for i in range(10, 20)]

    third = click(app, "list.page", button(second, "list.page")["value"])
    assert rows(third) == [f"Customer {i:02d}" for i in range(20, 23)]
    assert all(e.get("action_id") != "list.page" for e in elements(third))

    back = click(app, "list.page_back", button(third, "list.page_back")["value"])
    assert rows(back) == [f"Customer {i:02d}" for i in range(10, 20)]


def _with_inactive(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Acme Active")
        old = f.customer(s, "Acme Old")
        assert old.id is not None
        customers.make_inactive(s, team_id=f.TEAM, customer_id=old.id, actor=f.ACTOR)


def test_find_leaves_out_inactive_customers(app):
    _with_inactive(app)

    assert rows(command(app, "find acme")) == ["Acme Active"]


def test_find_all_includes_inactive_customers_labelled(app):
    _with_inactive(app)

    assert rows(command(app, "find acme --all")) == ["Acme Active", "Acme Old (inactive)"]


def test_find_tout_is_the_french_all(app):
    _with_inactive(app)

    assert rows(command(app, "rechercher --tout acme")) == ["Acme Active", "Acme Old (inactive)"]


def test_include_inactive_button_redraws_the_list_with_them_then_hides_them(app):
    _with_inactive(app)
    first = command(app, "find acme")

    shown = click(app, "list.toggle_inactive", button(first, "list.toggle_inactive")["value"])
    assert shown.body["replace_original"] is True
    assert rows(shown) == ["Acme Active", "Acme Old (inactive)"]
    old_row = [e for e in elements(shown) if e.get("action_id") == "customer.more"][1]
    assert any(o["value"].startswith("customer.reactivate|") for o in old_row["options"])

    hidden = click(app, "list.toggle_inactive", button(shown, "list.toggle_inactive")["value"])
    assert rows(hidden) == ["Acme Active"]


def test_find_offers_inactive_ones_when_only_they_match(app):
    _with_inactive(app)

    answer = command(app, "find old")

    assert rows(answer) == []
    again = click(app, "list.toggle_inactive", button(answer, "list.toggle_inactive")["value"])
    assert rows(again) == ["Acme Old (inactive)"]


def test_page_button_only_lists_the_clicking_workspace(app):
    with app.db() as s:
        f.customer(s, "Ours")
        f.customer(s, "Theirs", team=f.OTHER_TEAM)

    answer = click(app, "list.page", json.dumps({"q": "", "offset": 0, "all": True}))

    assert rows(answer) == ["Ours"]


def test_malformed_page_value_shows_the_first_page(app):
    with app.db() as s:
        f.customer(s, "Acme")

    assert rows(click(app, "list.page", "not json")) == ["Acme"]


# ------------------------------------------------------------------------------ add and edit


def _view_text(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def test_add_opens_the_customer_form_with_the_name_prefilled(app):
    assert app.slack.command("add Globex Corporation").status == 200

    view = opened_view(app)
    assert "Globex Corporation" in _view_text(view)


def test_ajouter_opens_the_customer_form(app):
    assert app.slack.command("ajouter Société Générale").status == 200

    assert "Société Générale" in _view_text(opened_view(app))


def test_edit_opens_the_form_prefilled_with_the_customer(app):
    with app.db() as s:
        f.customer(s, "Acme", email="billing@acme.test", phone="555-0100", bill_city="Springfield")

    assert app.slack.command("edit acme").status == 200

    text = _view_text(opened_view(app))
    for value in ("Acme", "billing@acme.test", "555-0100", "Springfield"):
        assert value in text


def test_modifier_is_the_french_edit(app):
    with app.db() as s:
        f.customer(s, "Acme", email="billing@acme.test")

    assert app.slack.command("modifier Acme").status == 200

    assert "billing@acme.test" in _view_text(opened_view(app))


def test_edit_of_an_unknown_name_says_so_without_opening_a_form(app):
    answer = command(app, "edit globex")

    assert "globex" in shown_text(answer)
    assert button(answer, "customer.add_named")["value"] == "globex"
    assert app.fake.calls("views.open") == []


def test_edit_without_a_name_asks_which_customer(app):
    answer = command(app, "edit")

    assert "/clients edit <name>" in answer.text
    assert app.fake.calls("views.open") == []


def test_add_named_button_opens_the_form_with_that_name(app):
    assert app.slack.block_action("customer.add_named", value="Globex").status == 200

    assert "Globex" in _view_text(opened_view(app))
