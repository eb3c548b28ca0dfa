"""The card, the list and the "pick one" message stay within Slack's limits whatever the data."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlmodel import Session

from bot.blocks.card import card_text, customer_card, describe_event
from bot.blocks.customer_list import (
    ListQuery,
    customer_list,
    list_text,
    no_match,
    no_match_text,
    pick_one,
    pick_text,
)
from bot.blocks.ids import Action
from db.models import FIELD_MAX_LENGTHS, AuditEvent, Customer
from handlers import profile, transactions
from tests import factories as f
from tests.slack_fake import check_message

# Characters that grow when escaped for mrkdwn, and one that folds ("é").
NASTY = "&<>é*_~`"


def fill(limit: int, tag: str = "") -> str:
    """A text of exactly ``limit`` characters, starting with ``tag``, full of characters to escape."""
    return (tag + NASTY * limit)[:limit]


def every_field_at_max(tag: str) -> dict[str, Any]:
    fields: dict[str, Any] = {name: fill(limit, tag) for name, limit in FIELD_MAX_LENGTHS.items()}
    fields["email"] = "e" * (FIELD_MAX_LENGTHS["email"] - len("@example.com")) + "@example.com"
    fields["opening_balance"] = "9999999999.99"
    fields["opening_balance_date"] = "2026-01-01"
    return fields


def long_name(tag: str) -> str:
    return fill(FIELD_MAX_LENGTHS["display_name"], tag)


def crowded_customer(s: Session) -> Customer:
    """A customer three levels down, every field at its maximum length, 60 sub-customers, 30 open
    invoices, 20 projects, 20 recurring templates and a long history."""
    top = f.customer(s, long_name("top"))
    mid = f.customer(s, long_name("mid"), parent=top)
    low = f.customer(s, long_name("low"), parent=mid)
    fields = every_field_at_max("me") | {"bill_with_parent": True}
    fields.pop("display_name")
    crowded = f.customer(s, long_name("me"), parent=low, **fields)
    assert crowded.id is not None
    for i in range(60):
        f.customer(s, long_name(f"sub{i:02d}"), parent=crowded)
    for i in range(30):
        transactions.add_invoice(s, team_id=f.TEAM, customer_id=crowded.id, number=f"{i:02d}" + "9" * 19,
                                 amount="9999999.99", invoice_date=date(2026, 1, 1), due_date=date(2026, 2, 1),
                                 actor=f.ACTOR)
    for i in range(20):
        project = f.project(s, crowded, fill(100, f"p{i:02d}"))
        if i % 2:
            transactions.close_project(s, team_id=f.TEAM, project_id=project.id, actor=f.ACTOR)
        f.template(s, crowded, fill(100, f"t{i:02d}"), amount="9999999.99")
    for i in range(12):
        f.edit(s, crowded, actor=f"U{i:010d}", notes=fill(2000, f"n{i}"), website=fill(1000, f"w{i}"),
               bill_street=fill(2000, f"s{i}"), ship_street=fill(2000, f"h{i}"), company_name=fill(100, f"c{i}"))
    return crowded


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_card_of_a_crowded_customer_stays_within_slack_limits(session):
    crowded = crowded_customer(session)

    blocks = customer_card(session, crowded, currency="USD")

    check_message(card_text(crowded), blocks)
    assert len(blocks) <= 40  # leaves room for a caller's own lines
    shown = blocks_text(blocks)
    assert "*Sub-customers (60)*" in shown and "…and" in shown
    assert "*Open invoices (30)*" in shown
    assert "10 open, 10 closed" in shown
    assert "*Recurring templates (20)*" in shown
    assert "*Recent changes*" in shown


def test_card_escapes_what_users_typed(session):
    acme = f.customer(session, "A <b> & Co", email="x@y.z", company_name="<!channel> & sons")

    shown = blocks_text(customer_card(session, acme))

    assert "&lt;!channel&gt; &amp; sons" in shown
    assert "<!channel>" not in shown


def test_card_of_a_bare_customer_stays_within_slack_limits(session):
    bare = f.customer(session, "Bare")

    blocks = customer_card(session, bare)

    check_message(card_text(bare), blocks)
    assert "No contact details yet" in blocks_text(blocks)


def test_list_page_of_long_deep_names_stays_within_slack_limits(session):
    parent = None
    for level in range(4):
        parent = f.customer(session, long_name(f"lvl{level}"), parent=parent)
    for i in range(12):
        f.customer(session, long_name(f"leaf{i:02d}"), parent=parent, email=every_field_at_max("x")["email"],
                   phone=fill(30))
    query = ListQuery(text=fill(500, "leaf"), offset=0, include_inactive=True)
    page = profile.row_page(session, team_id=f.TEAM, text="leaf", include_inactive=True)
    rows, has_more = page.rows, page.has_more
    assert len(rows) == 10 and has_more

    blocks = customer_list(rows, query=query, has_more=has_more, currency="USD")

    check_message(list_text(query), blocks)
    for element in (e for b in blocks for e in b.get("elements") or []):
        if element.get("action_id") in (Action.PAGE, Action.TOGGLE_INACTIVE):
            assert len(element["value"]) <= 2000


def test_list_page_in_the_middle_has_previous_and_next(session):
    for i in range(25):
        f.customer(session, f"C{i:02d}")
    query = ListQuery(offset=10)
    page = profile.row_page(session, team_id=f.TEAM, offset=10)
    rows, has_more = page.rows, page.has_more

    blocks = customer_list(rows, query=query, has_more=has_more)

    check_message(list_text(query), blocks)
    nav = [e["action_id"] for e in blocks[-1]["elements"]]
    assert nav == [Action.PAGE_BACK, Action.PAGE, Action.TOGGLE_INACTIVE]


def test_empty_page_offers_the_first_page(session):
    query = ListQuery(text="x", offset=30)

    blocks = customer_list([], query=query, has_more=False)

    check_message(list_text(query), blocks)
    assert json.loads(blocks[-1]["elements"][0]["value"])["offset"] == 0


def test_pick_one_among_ten_long_names_stays_within_slack_limits(session):
    found = [f.customer(session, long_name(f"dup{i}"), email=every_field_at_max("x")["email"]) for i in range(10)]

    blocks = pick_one(profile.rows(session, team_id=f.TEAM, found=found), text=fill(4000), intent=Action.EDIT,
                      currency="USD")

    check_message(pick_text(fill(4000), 10), blocks)


def test_no_match_for_a_very_long_text_stays_within_slack_limits():
    text = fill(4000)

    blocks = no_match(text, offer_inactive=True)

    check_message(no_match_text(text), blocks)


def test_history_words_for_every_kind_of_change(session):
    acme = f.customer(session, "Acme")
    assert acme.id is not None

    def words(action: str, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> str:
        event = AuditEvent(team_id=f.TEAM, customer_id=acme.id, actor=f.ACTOR, action=action,
                           before=before or {}, after=after or {})
        return describe_event(event, names={7: "Top:Parent"}, currency="EUR")

    assert words("add") == "added this customer"
    assert words("edit", {"tax_exempt": False, "email": None}, {"tax_exempt": True, "email": "a@b.c"}) == (
        "changed This customer is tax exempt: no → yes; Email: (empty) → a@b.c")
    assert words("edit", {"parent_id": None}, {"parent_id": 7}) == "changed Parent customer: (top level) → Top:Parent"
    assert words("make_inactive", after={"active": False, "cascaded_from": "Top"}) == "made it inactive with Top"
    assert words("invoice", after={"invoice": "INV-1", "amount": "12.5"}) == "invoiced INV-1 for 12.50 EUR"
    assert words("merge", after={"duplicate": "Acme Inc"}) == "merged Acme Inc into this customer"
    assert words("undo_merge", after={"other": "Acme Inc"}) == "undid the merge with Acme Inc"
    assert words("something_new") == "made a change (something_new)"

