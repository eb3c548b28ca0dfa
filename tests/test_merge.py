"""Merging a duplicate into the customer to keep: rules, what moves, preview, record, and undo."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from db.models import Invoice, MergeRecord, Payment, Project, RecurringTemplate
from handlers import customers, merge
from handlers.errors import InvalidInput, NotFound, Refused
from handlers.fields import EDITABLE_FIELDS
from tests.factories import (
    ACTOR,
    TEAM,
    applied_payment,
    customer,
    edit,
    invoice,
    move,
    payment,
    project,
    template,
)


def _merge(session, dup, kept, **kw):
    return merge.merge(session, team_id=TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=ACTOR, **kw)


def _undo(session, result):
    return merge.undo(session, team_id=TEAM, merge_id=result.record.id, actor="U0002")


def _balance(session, c) -> Decimal:
    return customers.balance(session, team_id=TEAM, customer_id=c.id)


def _owners(session, model) -> dict[int, int]:
    session.expire_all()
    return {r.id: r.customer_id for r in session.exec(select(model)).all()}


def _state(session, c) -> dict:
    session.expire_all()
    stored = customers.hierarchy.get_customer(session, TEAM, c.id)
    return {f: getattr(stored, f) for f in (*EDITABLE_FIELDS, "active", "parent_id", "merged_into_id",
                                              "name_key")}


@pytest.fixture
def pair(session):
    """A duplicate with every kind of record and an opening balance, and the customer to keep."""
    dup = customer(session, "Acme Corporation", email="ap@acme.test", phone="555 0100", opening_balance="30.00",
                   notes="Dup notes")
    kept = customer(session, "ACME Corp.", company_name="Acme Corp", notes="Kept notes")
    inv = invoice(session, dup, "200.00")
    applied_payment(session, dup, inv.id, "50.00")
    payment(session, dup, "10.00")
    project(session, dup, "Roof")
    template(session, dup)
    invoice(session, kept, "100.00")
    return dup, kept


# -------------------------------------------------------------------------------- refusals


def test_merging_a_customer_into_itself_is_refused(session) -> None:
    c = customer(session, "Acme")
    with pytest.raises(Refused) as caught:
        _merge(session, c, c)
    assert caught.value.code == "merge_same"
    assert str(caught.value) == "A customer can't be merged into itself."


@pytest.mark.parametrize("inactive_child", [False, True])
@pytest.mark.parametrize("side", ["duplicate", "kept"])
def test_merge_is_refused_when_either_customer_has_sub_customers(session, side, inactive_child) -> None:
    dup = customer(session, "Dup")
    kept = customer(session, "Kept")
    parent = dup if side == "duplicate" else kept
    child = customer(session, "Child", parent=parent)
    if inactive_child:
        customers.make_inactive(session, team_id=TEAM, customer_id=child.id, actor=ACTOR)
    with pytest.raises(Refused) as caught:
        _merge(session, dup, kept)
    assert caught.value.code == "merge_has_sub_customers"
    assert str(caught.value).startswith(f"{parent.display_name} has sub-customers")
    assert session.exec(select(MergeRecord)).all() == []


def test_merge_into_an_inactive_customer_is_refused(session) -> None:
    dup = customer(session, "Dup")
    kept = customer(session, "Kept")
    customers.make_inactive(session, team_id=TEAM, customer_id=kept.id, actor=ACTOR)
    with pytest.raises(Refused) as caught:
        _merge(session, dup, kept)
    assert caught.value.code == "merge_kept_inactive"
    assert "reactivate it before merging into it" in str(caught.value)


def test_merging_an_inactive_duplicate_is_allowed_and_undo_keeps_it_inactive(session) -> None:
    dup = customer(session, "Dup")
    kept = customer(session, "Kept")
    customers.make_inactive(session, team_id=TEAM, customer_id=dup.id, actor=ACTOR)
    result = _merge(session, dup, kept)
    _undo(session, result)
    assert _state(session, dup)["active"] is False


def test_merge_of_a_merged_away_customer_is_refused(session) -> None:
    dup = customer(session, "Dup")
    kept = customer(session, "Kept")
    other = customer(session, "Other")
    _merge(session, dup, kept)
    with pytest.raises(NotFound) as caught:
        _merge(session, dup, other)
    assert caught.value.code == "customer_merged"


def test_copying_a_field_a_merge_never_copies_is_refused_naming_it(session) -> None:
    dup = customer(session, "Dup")
    kept = customer(session, "Kept")
    with pytest.raises(InvalidInput) as caught:
        _merge(session, dup, kept, copy_fields=["display_name"])
    assert caught.value.code == "merge_unknown_field"
    assert str(caught.value) == "display_name can't be copied in a merge."


def test_merging_a_customer_whose_sub_customer_was_merged_away_is_allowed(session) -> None:
    parent = customer(session, "Parent")
    job = customer(session, "Job", parent=parent)
    other_job = customer(session, "Other job")
    _merge(session, job, other_job)
    kept = customer(session, "Kept")
    _merge(session, parent, kept)
    assert _state(session, parent)["merged_into_id"] == kept.id


# ------------------------------------------------------------------------------ what moves


def test_every_record_of_the_duplicate_moves_to_the_kept_customer(session, pair) -> None:
    dup, kept = pair
    result = _merge(session, dup, kept)
    assert result.moved == {"invoice": 1, "payment": 2, "project": 1, "recurring_template": 1}
    for model in (Invoice, Payment, Project, RecurringTemplate):
        assert dup.id not in _owners(session, model).values()


def test_merge_conserves_the_sum_of_balances(session, pair) -> None:
    dup, kept = pair
    assert (_balance(session, dup), _balance(session, kept)) == (Decimal("170.00"), Decimal("100.00"))
    _merge(session, dup, kept)
    assert _balance(session, kept) == Decimal("270.00")
    assert _balance(session, dup) == Decimal("0.00")


def test_merge_moves_the_opening_balance(session, pair) -> None:
    dup, kept = pair
    _merge(session, dup, kept)
    assert _state(session, kept)["opening_balance"] == Decimal("30.00")
    assert _state(session, dup)["opening_balance"] == Decimal("0.00")


def test_merge_does_not_fill_the_kept_customers_empty_fields_unless_asked(session, pair) -> None:
    dup, kept = pair
    _merge(session, dup, kept)
    state = _state(session, kept)
    assert (state["email"], state["phone"], state["notes"]) == (None, None, "Kept notes")


def test_merge_fills_only_the_requested_empty_fields(session, pair) -> None:
    dup, kept = pair
    result = _merge(session, dup, kept, copy_fields=["email"])
    state = _state(session, kept)
    assert (state["email"], state["phone"]) == ("ap@acme.test", None)
    assert result.copied_fields == ("email",)


def test_merge_never_overwrites_a_kept_field_that_has_a_value(session, pair) -> None:
    dup, kept = pair
    result = _merge(session, dup, kept, copy_fields=["notes", "phone"])
    state = _state(session, kept)
    assert (state["notes"], state["phone"]) == ("Kept notes", "555 0100")
    assert result.copied_fields == ("phone",)


def test_kept_customers_delivery_method_none_can_be_filled_from_the_duplicate(session) -> None:
    dup = customer(session, "Dup", delivery_method="email", tax_exempt=True)
    kept = customer(session, "Kept")
    assert set(merge.preview(session, team_id=TEAM, duplicate_id=dup.id, kept_id=kept.id).fillable_fields) == {
        "delivery_method", "tax_exempt",
    }
    _merge(session, dup, kept, copy_fields=["delivery_method"])
    state = _state(session, kept)
    assert (state["delivery_method"], state["tax_exempt"]) == ("email", False)


def test_the_duplicate_leaves_every_list_and_its_name_becomes_free(session, pair) -> None:
    dup, kept = pair
    _merge(session, dup, kept)
    listed = customers.search(session, team_id=TEAM, include_inactive=True).customers
    assert [c.id for c in listed] == [kept.id]
    with pytest.raises(NotFound) as caught:
        customers.get(session, team_id=TEAM, customer_id=dup.id)
    assert caught.value.code == "customer_merged"
    with pytest.raises(NotFound) as caught:
        customers.resolve(session, team_id=TEAM, text="Acme Corporation")
    assert caught.value.code == "no_customer_matches"
    reused = customer(session, "acme corporation")
    assert reused.id != dup.id


def test_a_sub_customer_merged_away_leaves_its_parent(session) -> None:
    parent = customer(session, "Parent")
    job = customer(session, "Job", parent=parent, bill_with_parent=True)
    kept = customer(session, "Kept")
    _merge(session, job, kept)
    assert customers.hierarchy.descendants(session, parent) == []


def test_merge_writes_a_merge_record(session, pair) -> None:
    dup, kept = pair
    result = _merge(session, dup, kept, copy_fields=["email"])
    record = session.exec(select(MergeRecord)).one()
    assert (record.id, record.duplicate_id, record.kept_id, record.actor) == (
        result.record.id, dup.id, kept.id, ACTOR,
    )
    assert {k: len(v) for k, v in record.moved.items()} == result.moved
    assert record.copied_fields == {"email": [None, "ap@acme.test"]}
    assert record.opening_balance_moved == Decimal("30.00")
    assert record.undone_at is None


def test_preview_announces_exactly_what_merge_then_does(session, pair) -> None:
    dup, kept = pair
    before = merge.preview(session, team_id=TEAM, duplicate_id=dup.id, kept_id=kept.id)
    assert {k: v.count for k, v in before.moved.items()} == {
        "invoice": 1, "payment": 2, "project": 1, "recurring_template": 1,
    }
    assert (before.moved["invoice"].amount, before.moved["payment"].amount) == (Decimal("200.00"),
                                                                                  Decimal("60.00"))
    assert set(before.fillable_fields) == {"email", "phone"}
    result = _merge(session, dup, kept)
    assert {k: v.count for k, v in before.moved.items()} == result.moved
    assert (before.duplicate_balance, before.kept_balance) == (Decimal("170.00"), Decimal("100.00"))
    assert before.kept_balance_after == _balance(session, kept) == Decimal("270.00")


def test_preview_writes_nothing(session, pair) -> None:
    dup, kept = pair
    merge.preview(session, team_id=TEAM, duplicate_id=dup.id, kept_id=kept.id)
    session.rollback()
    assert session.exec(select(MergeRecord)).all() == []
    assert _balance(session, dup) == Decimal("170.00")


def test_preview_is_refused_like_the_merge(session) -> None:
    c = customer(session, "Acme")
    with pytest.raises(Refused) as caught:
        merge.preview(session, team_id=TEAM, duplicate_id=c.id, kept_id=c.id)
    assert caught.value.code == "merge_same"


# ------------------------------------------------------------------------------------ undo


def test_undo_restores_exactly_the_state_before_the_merge(session, pair) -> None:
    dup, kept = pair
    before = {c.id: _state(session, c) for c in pair}
    balances = {c.id: _balance(session, c) for c in pair}
    owners = {m: _owners(session, m) for m in (Invoice, Payment, Project, RecurringTemplate)}
    result = _merge(session, dup, kept, copy_fields=["email", "phone"])
    undone = _undo(session, result)
    assert {c.id: _state(session, c) for c in pair} == before
    assert {c.id: _balance(session, c) for c in pair} == balances
    assert {m: _owners(session, m) for m in owners} == owners
    assert undone.moved_back == result.moved
    listed = customers.search(session, team_id=TEAM).customers
    assert {c.id for c in listed} == {dup.id, kept.id}


def test_undo_puts_a_sub_customer_back_under_its_parent(session) -> None:
    parent = customer(session, "Parent")
    job = customer(session, "Job", parent=parent, bill_with_parent=True)
    kept = customer(session, "Kept")
    result = _merge(session, job, kept)
    _undo(session, result)
    state = _state(session, job)
    assert (state["parent_id"], state["bill_with_parent"]) == (parent.id, True)


def test_undo_keeps_records_added_to_the_kept_customer_since(session, pair) -> None:
    dup, kept = pair
    result = _merge(session, dup, kept)
    invoice(session, kept, "5.00")
    _undo(session, result)
    assert (_balance(session, dup), _balance(session, kept)) == (Decimal("170.00"), Decimal("105.00"))


def test_undo_is_refused_when_a_payment_was_applied_to_a_moved_invoice(session) -> None:
    dup = customer(session, "Dup")
    kept = customer(session, "Kept")
    inv = invoice(session, dup, "100.00")
    result = _merge(session, dup, kept)
    applied_payment(session, kept, inv.id, "40.00")
    with pytest.raises(Refused) as caught:
        _undo(session, result)
    assert caught.value.code == "undo_records_changed"
    assert str(caught.value) == (
        "This merge can't be undone any more: 1 of the records it moved changed since (invoice)."
    )
    assert _owners(session, Invoice)[inv.id] == kept.id
    assert _state(session, dup)["merged_into_id"] == kept.id


def test_undo_is_refused_when_the_moved_records_were_merged_on_elsewhere(session, pair) -> None:
    dup, kept = pair
    result = _merge(session, dup, kept)
    elsewhere = customer(session, "Elsewhere")
    _merge(session, kept, elsewhere)
    with pytest.raises(Refused) as caught:
        _undo(session, result)
    assert caught.value.code == "undo_kept_merged"
    assert set(_owners(session, Invoice).values()) == {elsewhere.id}
    assert _balance(session, elsewhere) == Decimal("270.00")


def test_merges_undone_in_reverse_order_restore_everything(session, pair) -> None:
    dup, kept = pair
    balances = {c.id: _balance(session, c) for c in pair}
    first = _merge(session, dup, kept)
    elsewhere = customer(session, "Elsewhere")
    second = _merge(session, kept, elsewhere)
    _undo(session, second)
    _undo(session, first)
    assert {c.id: _balance(session, c) for c in pair} == balances
    assert _balance(session, elsewhere) == Decimal("0.00")


def test_undo_is_refused_when_the_kept_customer_was_merged_away_since(session) -> None:
    dup = customer(session, "Dup", opening_balance="100.00")
    kept = customer(session, "Kept")
    result = _merge(session, dup, kept)
    final = customer(session, "Final")
    _merge(session, kept, final)
    with pytest.raises(Refused) as caught:
        _undo(session, result)
    assert caught.value.code == "undo_kept_merged"
    assert str(caught.value) == (
        "This merge can't be undone: Kept was itself merged into another customer since. Undo that merge first."
    )
    assert _balance(session, final) == Decimal("100.00")
    assert _state(session, dup)["merged_into_id"] == kept.id


def test_undo_is_refused_when_a_copied_field_was_edited_since(session) -> None:
    dup = customer(session, "Acme Corporation", email="ap@acme.test")
    kept = customer(session, "ACME Corp.")
    result = _merge(session, dup, kept, copy_fields=["email"])
    edit(session, kept, email="new@acme.test")
    with pytest.raises(Refused) as caught:
        _undo(session, result)
    assert caught.value.code == "undo_fields_changed"
    assert str(caught.value) == "This merge can't be undone any more: ACME Corp. was edited since (email)."


def test_undo_is_refused_when_the_duplicates_name_was_taken_meanwhile(session, pair) -> None:
    dup, kept = pair
    result = _merge(session, dup, kept)
    customer(session, "ACME CORPORATION")
    with pytest.raises(Refused) as caught:
        _undo(session, result)
    assert caught.value.code == "undo_name_taken"
    assert "the name Acme Corporation is now used by another customer" in str(caught.value)


def test_undo_twice_is_refused(session, pair) -> None:
    dup, kept = pair
    result = _merge(session, dup, kept)
    _undo(session, result)
    with pytest.raises(Refused) as caught:
        _undo(session, result)
    assert caught.value.code == "merge_already_undone"
    assert _balance(session, dup) == Decimal("170.00")


def test_undo_is_refused_when_the_parent_was_made_inactive(session) -> None:
    parent = customer(session, "Parent")
    job = customer(session, "Job", parent=parent)
    kept = customer(session, "Kept")
    result = _merge(session, job, kept)
    customers.make_inactive(session, team_id=TEAM, customer_id=parent.id, actor=ACTOR)
    with pytest.raises(Refused) as caught:
        _undo(session, result)
    assert caught.value.code == "undo_parent_gone"


def test_undo_is_refused_when_the_parent_now_sits_at_the_fourth_level(session) -> None:
    parent = customer(session, "Parent")
    job = customer(session, "Job", parent=parent)
    kept = customer(session, "Kept")
    result = _merge(session, job, kept)
    levels = [customer(session, "L0")]
    for name in ("L1", "L2", "L3"):
        levels.append(customer(session, name, parent=levels[-1]))
    move(session, parent, levels[-1])
    with pytest.raises(Refused) as caught:
        _undo(session, result)
    assert caught.value.code == "undo_too_deep"
    assert str(caught.value) == (
        "This merge can't be undone: Job would sit more than 4 levels below the top under L0:L1:L2:L3:Parent."
    )


def test_undo_of_an_unknown_merge_is_not_found(session) -> None:
    with pytest.raises(NotFound) as caught:
        merge.undo(session, team_id=TEAM, merge_id=999, actor=ACTOR)
    assert caught.value.code == "merge_not_found"
