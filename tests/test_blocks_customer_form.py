"""The customer form's builder and parser: what is built is what is read back, within Slack's limits.

``initial_state`` (used by the Slack tests too) gives the ``view.state.values`` Slack sends for a
form the user submits untouched.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.blocks.customer_form import (
    ADD_FIELDS,
    EDIT_FIELDS,
    Draft,
    DuplicateRow,
    FormMeta,
    build_form,
    customer_option,
    draft_from_customer,
    duplicate_notice,
    form_errors,
    merge_offer,
    new_draft,
    notice_view,
    parse_form,
    reactivate_offer,
    short_label,
)
from bot.blocks.ids import Action, Callback, FormBlock, Suggest
from db.models import BILL_ADDRESS_FIELDS, FIELD_MAX_LENGTHS, SHIP_ADDRESS_FIELDS
from handlers.errors import Problem
from handlers.fields import EDITABLE_FIELDS
from tests.factories import customer
from tests.slack_fake import check_view

Json = dict[str, Any]

_STATE_KEYS = {
    "plain_text_input": ("value", "initial_value", None),
    "checkboxes": ("selected_options", "initial_options", []),
    "static_select": ("selected_option", "initial_option", None),
    "external_select": ("selected_option", "initial_option", None),
    "radio_buttons": ("selected_option", "initial_option", None),
    "datepicker": ("selected_date", "initial_date", None),
}


def initial_state(view: Json) -> dict[str, dict[str, Json]]:
    """``state.values`` of ``view`` as Slack sends them when nothing was changed."""
    values: dict[str, dict[str, Json]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        key, initial, empty = _STATE_KEYS[element["type"]]
        values[block["block_id"]] = {
            element["action_id"]: {"type": element["type"], key: copy.deepcopy(element.get(initial, empty))}
        }
    return values


def submitted(view: Json, values: dict[str, dict[str, Json]] | None = None) -> Json:
    """``view`` as a payload carries it, with ``values`` (default: untouched) as its state."""
    return {**view, "state": {"values": initial_state(view) if values is None else values}}


def full_draft(*, same_as_billing: bool, editing: bool) -> Draft:
    """A draft with a distinct value in every field the form shows."""
    fields: dict[str, Any] = {}
    for name in EDIT_FIELDS if editing else ADD_FIELDS:
        fields[name] = f"{name[:10]}-x"
    fields.update(display_name="Hélène Dupont", email="helene@example.com", notes="line 1\nline 2",
                  bill_street="1 Main St\nSuite 2", delivery_method="email", tax_exempt=True, bill_with_parent=True)
    if not editing:
        fields.update(opening_balance="1250.00", opening_balance_date="2026-01-31")
    if same_as_billing:
        fields.update({s: fields[b] for b, s in zip(BILL_ADDRESS_FIELDS, SHIP_ADDRESS_FIELDS, strict=True)})
    return Draft(fields, is_sub=True, parent_id=42, parent_label="Acme:West", same_as_billing=same_as_billing)


def test_add_form_round_trips_every_field() -> None:
    draft = full_draft(same_as_billing=False, editing=False)
    view = build_form(draft, FormMeta(channel_id="C0001"))
    assert set(draft.fields) == set(EDITABLE_FIELDS)
    assert parse_form(submitted(view)) == draft


def test_edit_form_round_trips_every_field_but_the_opening_balance() -> None:
    draft = full_draft(same_as_billing=False, editing=True)
    view = build_form(draft, FormMeta(customer_id=7, version=3))
    assert parse_form(submitted(view)) == draft
    assert "opening_balance" not in parse_form(submitted(view)).fields


def test_same_as_billing_hides_shipping_and_copies_the_billing_address() -> None:
    draft = full_draft(same_as_billing=True, editing=False)
    view = build_form(draft, FormMeta())
    assert not {b.get("block_id") for b in view["blocks"]} & set(SHIP_ADDRESS_FIELDS)
    parsed = parse_form(submitted(view))
    assert parsed == draft
    assert parsed.fields["ship_street"] == "1 Main St\nSuite 2"


def test_empty_add_form_round_trips() -> None:
    draft = new_draft(display_name="Acme")
    assert parse_form(submitted(build_form(draft, FormMeta()))) == draft


def test_edit_form_of_a_stored_customer_round_trips(session) -> None:
    parent = customer(session, "Acme")
    child = customer(session, "West", parent=parent, email="w@acme.test", bill_street="1 Main",
                     ship_street="2 Side", tax_exempt=True, delivery_method="print", bill_with_parent=True)
    draft = draft_from_customer(child, parent_label="Acme")
    parsed = parse_form(submitted(build_form(draft, FormMeta(customer_id=child.id, version=child.version))))
    assert parsed == draft
    assert (parsed.parent_id, parsed.fields["delivery_method"], parsed.fields["bill_with_parent"]) == (
        parent.id, "print", True)


def test_sub_customer_inputs_show_only_when_ticked() -> None:
    top = build_form(new_draft(), FormMeta())
    sub = build_form(new_draft(parent_id=5, parent_label="Acme"), FormMeta())
    ids = lambda v: {b.get("block_id") for b in v["blocks"]}  # noqa: E731
    assert FormBlock.PARENT not in ids(top) and FormBlock.BILL_WITH_PARENT not in ids(top)
    assert {FormBlock.PARENT, FormBlock.BILL_WITH_PARENT} <= ids(sub)
    picker = next(b for b in sub["blocks"] if b.get("block_id") == FormBlock.PARENT)["element"]
    assert picker["action_id"] == Suggest.PARENT and picker["min_query_length"] == 1
    assert picker["initial_option"]["value"] == "5"


def test_unticking_sub_customer_gives_no_parent_to_save() -> None:
    view = build_form(full_draft(same_as_billing=True, editing=True), FormMeta(customer_id=7, version=1))
    values = initial_state(view)
    values[FormBlock.IS_SUB][Action.FORM_IS_SUB]["selected_options"] = []
    parsed = parse_form(submitted(view, values))
    assert parsed.is_sub is False and parsed.handler_parent_id is None


def test_inputs_carry_quickbooks_labels_and_field_limits() -> None:
    view = build_form(full_draft(same_as_billing=False, editing=False), FormMeta())
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert inputs["display_name"]["label"]["text"] == "Display name"
    assert inputs["print_on_check_name"]["label"]["text"] == "Print on check as"
    for name, limit in FIELD_MAX_LENGTHS.items():
        assert inputs[name]["element"]["max_length"] == min(limit, 3000)
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == ["Name and contact", "Addresses", "Notes", "Payments", "Additional info"]


def test_every_form_variant_is_within_slack_limits() -> None:
    rows = [DuplicateRow(i, f"Customer {i}:" + "x" * 200, ("name", "email"), 90, active=i % 2 == 0)
            for i in range(5)]
    for editing in (False, True):
        for same in (False, True):
            draft = full_draft(same_as_billing=same, editing=editing)
            meta = FormMeta(customer_id=7 if editing else None, version=1, channel_id="C0001",
                            warned=tuple(range(5)))
            check_view(build_form(draft, meta))
            check_view(build_form(draft, meta, notice=duplicate_notice(rows, "en"), warning=True))


def test_long_values_fill_every_input_to_its_limit_within_slack_limits() -> None:
    draft = full_draft(same_as_billing=False, editing=False)
    long = {name: "x" * limit for name, limit in FIELD_MAX_LENGTHS.items()}
    view = build_form(Draft({**draft.fields, **long}, is_sub=True, parent_id=1, parent_label="P" * 600,
                            same_as_billing=False), FormMeta())
    check_view(view)


def test_offers_are_within_slack_limits() -> None:
    check_view(reactivate_offer(3, "Old Name " * 60, FormMeta(channel_id="C1")))
    offer = merge_offer(3, "This" * 200, 4, "Other" * 200, FormMeta(channel_id="C1"))
    check_view(offer)
    button = offer["blocks"][1]["elements"][0]
    assert (button["action_id"], button["value"]) == (Action.MERGE_INTO, "3:4")
    assert reactivate_offer(3, "Old", FormMeta())["callback_id"] == Callback.REACTIVATE_OFFER


def test_metadata_holds_ids_only_and_survives_garbage() -> None:
    meta = FormMeta(customer_id=12, version=3, channel_id="C0001", warned=(4, 5))
    assert FormMeta.load(meta.dump()) == meta
    assert FormMeta.load("not json") == FormMeta()
    assert FormMeta.load('{"customer_id": "x; drop", "channel_id": "<@U1>", "warned": "7"}') == FormMeta()


def test_errors_go_under_their_input_or_else_under_display_name() -> None:
    view = build_form(new_draft(), FormMeta())
    problems = [Problem("bad_email", "email", {"value": "nope"}),
                Problem("too_long", "phone", {"length": 31, "max": 30}),
                Problem("stale_version", None, {"name": "A", "by": "U1", "at": "now"}),
                Problem("too_deep", "parent_id", {"parent": "P", "max": 4, "levels_below": 0})]
    errors = form_errors(problems, view, "en")
    assert set(errors) == {"email", "phone", "display_name"}  # no parent input on a top-level form
    assert "isn't an email address" in errors["email"]
    assert "Too deep" in errors["display_name"]


def test_short_label_keeps_the_top_and_the_customer_itself() -> None:
    name = "Acme Holdings:" + "Region West " * 4 + ":Store 12:Kitchen remodel"
    label = short_label(name, 60)
    assert len(label) <= 60 and label.startswith("Acme Holdings:…:") and label.endswith(":Store 12:Kitchen remodel")
    assert short_label("A" * 100, 75) == "A" * 74 + "…"
    assert short_label("Top:" + "B" * 90, 75) == "B" * 74 + "…"
    assert short_label("Short:Name") == "Short:Name"


def test_inactive_option_is_labelled_and_fits() -> None:
    option = customer_option(9, "Z" * 200, active=False)
    assert option["value"] == "9"
    assert option["text"]["text"].endswith(" (inactive)") and len(option["text"]["text"]) <= 75


def test_notice_view_is_within_slack_limits() -> None:
    check_view(notice_view("x" * 5000, "en"))
