"""Customer pickers' typeahead over real HTTP: what a user sees in the list as they type."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.blocks.customer_form import FormMeta, build_form, new_draft
from bot.blocks.ids import FormBlock, Suggest
from handlers import customers
from tests.factories import OTHER_TEAM, TEAM, chain, customer
from tests.slack_harness import SlackHarness

Json = dict[str, Any]


def suggest(app: SlackHarness, suggest_id: Suggest, text: str, *, view: Json | None = None) -> list[Json]:
    """The options the app offers for ``text`` (each checked against Slack's option limits)."""
    response = app.slack.block_suggestion(suggest_id, text, block_id="picker", view=view)
    assert response.status == 200, response.text
    options = response.json()["options"]
    assert len(options) <= 100
    for option in options:
        assert len(option["text"]["text"]) <= 75 and len(option["value"]) <= 150
    return options


def texts(options: list[Json]) -> list[str]:
    return [o["text"]["text"] for o in options]


def edit_form_of(customer_id: int | None) -> Json:
    """A parent picker's view: the edit form of ``customer_id``."""
    return build_form(new_draft(parent_id=1, parent_label="x"), FormMeta(customer_id=customer_id, version=1))


def deactivate(session: Session, customer_id: int | None) -> None:
    assert customer_id is not None
    customers.make_inactive(session, team_id=TEAM, customer_id=customer_id, actor="U0001")


def test_typing_without_accents_or_case_finds_the_customer(app: SlackHarness) -> None:
    with app.db() as session:
        helene = customer(session, "Hélène Dupont")
        customer(session, "Bob Martin")
    options = suggest(app, Suggest.CUSTOMER, "HELENE")
    assert options == [{"text": {"type": "plain_text", "text": "Hélène Dupont", "emoji": True},
                        "value": str(helene.id)}]


def test_names_starting_with_the_text_come_first(app: SlackHarness) -> None:
    with app.db() as session:
        for name in ("Big Acme Stores", "Acme Zeta", "The Acme Company", "Acme Alpha"):
            customer(session, name)
    assert texts(suggest(app, Suggest.CUSTOMER, "acme")) == [
        "Acme Alpha", "Acme Zeta", "Big Acme Stores", "The Acme Company"]


def test_an_empty_query_lists_the_first_customers_alphabetically(app: SlackHarness) -> None:
    with app.db() as session:
        for name in ("Zed", "alpha", "Émile", "Bravo"):
            customer(session, name)
    assert texts(suggest(app, Suggest.CUSTOMER, "")) == ["alpha", "Bravo", "Émile", "Zed"]


def test_sub_customers_show_their_full_name(app: SlackHarness) -> None:
    with app.db() as session:
        chain(session, "Acme", "West", "Kitchen remodel")
    assert texts(suggest(app, Suggest.CUSTOMER, "kitchen")) == ["Acme:West:Kitchen remodel"]


def test_inactive_customers_are_not_offered_by_the_customer_picker(app: SlackHarness) -> None:
    with app.db() as session:
        customer(session, "Acme Active")
        deactivate(session, customer(session, "Acme Gone").id)
    assert texts(suggest(app, Suggest.CUSTOMER, "acme")) == ["Acme Active"]


def test_the_any_customer_picker_labels_inactive_customers(app: SlackHarness) -> None:
    with app.db() as session:
        customer(session, "Acme Active")
        deactivate(session, customer(session, "Acme Gone").id)
    assert texts(suggest(app, Suggest.CUSTOMER_ANY, "acme")) == ["Acme Active", "Acme Gone (inactive)"]


def test_the_parent_picker_offers_no_inactive_customer(app: SlackHarness) -> None:
    with app.db() as session:
        customer(session, "Acme Active")
        deactivate(session, customer(session, "Acme Gone").id)
    assert texts(suggest(app, Suggest.PARENT, "acme")) == ["Acme Active"]


def test_the_parent_picker_offers_no_customer_at_the_deepest_level(app: SlackHarness) -> None:
    with app.db() as session:
        chain(session, "L0", "L1", "L2", "L3", "L4")
    assert texts(suggest(app, Suggest.PARENT, "l")) == ["L0", "L0:L1", "L0:L1:L2", "L0:L1:L2:L3"]


def test_the_parent_picker_looks_past_a_first_page_of_customers_that_cannot_be_parents(app: SlackHarness) -> None:
    with app.db() as session:
        *_, deepest_parent = chain(session, "L0", "L1", "L2", "L3")
        for n in range(120):  # first alphabetically, all at the deepest level
            customer(session, f"Aa {n:03d}", parent=deepest_parent)
        customer(session, "Ab Parent")
    assert texts(suggest(app, Suggest.PARENT, "a")) == ["Ab Parent"]


def test_the_parent_picker_excludes_the_edited_customer_and_its_sub_customers(app: SlackHarness) -> None:
    with app.db() as session:
        top, west, _ = chain(session, "Acme", "Acme West", "Acme West Kitchen")
        customer(session, "Acme East", parent=top)
    offered = texts(suggest(app, Suggest.PARENT, "acme", view=edit_form_of(west.id)))
    assert offered == ["Acme", "Acme:Acme East"]


def test_the_parent_picker_excludes_parents_too_deep_for_the_edited_customers_sub_customers(
        app: SlackHarness) -> None:
    with app.db() as session:
        chain(session, "A0", "A1", "A2", "A3")
        moved, _ = chain(session, "B0", "B1")  # B0 has one level below it
    offered = texts(suggest(app, Suggest.PARENT, "a", view=edit_form_of(moved.id)))
    assert offered == ["A0", "A0:A1", "A0:A1:A2"]  # under A3, B1 would sit 5 levels below the top


def test_another_workspaces_customers_are_never_offered(app: SlackHarness) -> None:
    with app.db() as session:
        customer(session, "Acme Here")
        customer(session, "Acme There", team=OTHER_TEAM)
    for picker in Suggest:
        assert texts(suggest(app, picker, "acme")) == ["Acme Here"]


def test_a_forged_edited_customer_of_another_workspace_excludes_nothing(app: SlackHarness) -> None:
    with app.db() as session:
        mine = customer(session, "Acme")
        theirs = customer(session, "Other", team=OTHER_TEAM)
    assert mine.id != theirs.id
    offered = suggest(app, Suggest.PARENT, "acme", view=edit_form_of(theirs.id))
    assert [o["value"] for o in offered] == [str(mine.id)]


def test_at_most_a_hundred_options_with_long_names_cut_to_fit(app: SlackHarness) -> None:
    with app.db() as session:
        top = customer(session, "Holding " + "H" * 80)
        mid = customer(session, "Region " + "R" * 80, parent=top)
        for n in range(120):
            customer(session, f"Store {n:03d} " + "S" * 40, parent=mid)
    options = suggest(app, Suggest.CUSTOMER, "store")
    assert len(options) == 100
    assert options[0]["text"]["text"].startswith("…:Store 000 ")  # the customer's own name is kept


def test_the_parent_pickers_on_the_form_need_one_typed_character(app: SlackHarness) -> None:
    view = build_form(new_draft(parent_id=3, parent_label="Acme"), FormMeta())
    picker = next(b for b in view["blocks"] if b.get("block_id") == FormBlock.PARENT)["element"]
    assert picker["min_query_length"] == 1
