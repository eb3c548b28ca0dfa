"""Editing a customer: version check, renames, no-op edits, template propagation, moves."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.models import AuditEvent, DeliveryMethod, RecurringTemplate
from handlers import customers, hierarchy, merge
from handlers.errors import Conflict, InvalidInput, NotFound, Refused
from tests.factories import ACTOR, TEAM, chain, customer, edit, invoice, move, template


def _edit(session, c, version: int, **changes):
    return customers.edit(session, team_id=TEAM, customer_id=c.id, expected_version=version, changes=changes,
                          actor="U0002")


def _audit_count(session, c) -> int:
    return len(session.exec(select(AuditEvent).where(AuditEvent.customer_id == c.id)).all())


def _fresh(session, c):
    """The customer as stored: whatever the handler left pending in the session is discarded first."""
    session.rollback()
    session.expire_all()
    return customers.get(session, team_id=TEAM, customer_id=c.id)


def test_edit_changes_the_given_fields_only_and_bumps_the_version(session) -> None:
    c = customer(session, "Acme", email="old@acme.test", phone="555 0100")
    _edit(session, c, 1, email="new@acme.test")
    stored = _fresh(session, c)
    assert (stored.email, stored.phone, stored.version, stored.updated_by) == (
        "new@acme.test", "555 0100", 2, "U0002",
    )


def test_edit_with_a_stale_version_writes_nothing_and_says_someone_else_changed_it(session) -> None:
    c = customer(session, "Acme", email="old@acme.test")
    _edit(session, c, 1, phone="555 0100")
    audits = _audit_count(session, c)
    with pytest.raises(Conflict) as caught:
        _edit(session, c, 1, email="mine@acme.test", display_name="Acme Two")
    assert caught.value.code == "stale_version"
    assert "changed by someone else since you opened it" in str(caught.value)
    assert "Nothing was saved" in str(caught.value)
    stored = _fresh(session, c)
    assert (stored.display_name, stored.email, stored.version) == ("Acme", "old@acme.test", 2)
    assert _audit_count(session, c) == audits


def test_renaming_to_another_customers_name_offers_to_merge_into_it(session) -> None:
    other = customer(session, "Hélène Dupont")
    c = customer(session, "H. Dupont")
    with pytest.raises(Conflict) as caught:
        _edit(session, c, 1, display_name="helene dupont")
    assert caught.value.code == "name_belongs_to"
    assert caught.value.params["customer_id"] == other.id
    assert str(caught.value) == "This name belongs to Hélène Dupont. Merge this customer into Hélène Dupont?"
    assert _fresh(session, c).display_name == "H. Dupont"


def test_renaming_to_an_inactive_customers_name_says_it_is_inactive(session) -> None:
    other = customer(session, "Old Acme")
    customers.make_inactive(session, team_id=TEAM, customer_id=other.id, actor=ACTOR)
    c = customer(session, "Acme")
    with pytest.raises(Conflict) as caught:
        _edit(session, c, 1, display_name="OLD ACME")
    assert caught.value.code == "name_taken_inactive"
    assert caught.value.params["customer_id"] == other.id


def test_renaming_with_only_a_change_of_case_is_allowed(session) -> None:
    c = customer(session, "acme corp")
    _edit(session, c, 1, display_name="ACME Corp")
    stored = _fresh(session, c)
    assert (stored.display_name, stored.version) == ("ACME Corp", 2)


def test_renaming_frees_the_old_name(session) -> None:
    c = customer(session, "Acme")
    _edit(session, c, 1, display_name="Acme West")
    assert customer(session, "acme").display_name == "acme"


def test_edit_to_an_empty_display_name_is_refused(session) -> None:
    c = customer(session, "Acme")
    with pytest.raises(InvalidInput) as caught:
        _edit(session, c, 1, display_name="  ")
    assert caught.value.code == "display_name_required"
    assert _fresh(session, c).display_name == "Acme"


def test_edit_reports_every_field_problem_at_once_and_writes_nothing(session) -> None:
    c = customer(session, "Acme")
    with pytest.raises(InvalidInput) as caught:
        _edit(session, c, 1, display_name="A:B", email="nope", notes="fine")
    assert {p.code for p in caught.value.problems} == {"forbidden_character", "bad_email"}
    assert _fresh(session, c).notes is None


def test_edit_that_changes_nothing_keeps_the_version_and_writes_no_audit(session) -> None:
    c = customer(session, "Acme Corp", email="a@acme.test", opening_balance="10")
    before = _audit_count(session, c)
    result = _edit(session, c, 1, display_name="  Acme   Corp ", email="a@acme.test", opening_balance="10.00")
    assert result.version == 1
    assert _fresh(session, c).version == 1
    assert _audit_count(session, c) == before


def test_edit_of_a_merged_away_customer_is_refused(session) -> None:
    dup = customer(session, "Acme Dup")
    kept = customer(session, "Acme")
    merge.merge(session, team_id=TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=ACTOR)
    with pytest.raises(NotFound) as caught:
        _edit(session, dup, 2, notes="x")
    assert caught.value.code == "customer_merged"
    assert str(caught.value) == "Acme Dup was merged into another customer."


# -------------------------------------------------------------------- recurring templates


_BILLING = {
    "bill_street": "1 Old St", "bill_city": "Lyon", "bill_state": "ARA", "bill_postal_code": "69001",
    "bill_country": "France", "ship_street": "2 Dock Rd", "ship_city": "Lyon", "ship_postal_code": "69002",
    "email": "old@acme.test", "payment_method": "Cheque", "terms": "Net 30", "delivery_method": "print",
}


def _templates(session, c) -> dict[str, RecurringTemplate]:
    session.expire_all()
    rows = session.exec(select(RecurringTemplate).where(RecurringTemplate.customer_id == c.id)).all()
    return {t.name: t for t in rows}


def _diverge(session, t: RecurringTemplate, **values) -> None:
    """Someone edited the template's own copy (as QuickBooks allows)."""
    for k, v in values.items():
        setattr(t, k, v)
    session.add(t)
    session.commit()


@pytest.mark.parametrize(("changes", "diverged"), [
    ({"email": "new@acme.test"}, {"email": "accounts@elsewhere.test"}),
    ({"payment_method": "Card"}, {"payment_method": "Cash"}),
    ({"terms": "Net 15"}, {"terms": "Due on receipt"}),
    ({"delivery_method": "email"}, {"delivery_method": DeliveryMethod.NONE}),
    ({"bill_street": "9 New Ave", "bill_postal_code": "69003"}, {"bill_city": "Paris"}),
    ({"ship_city": "Marseille"}, {"ship_street": "3 Quay"}),
])
def test_edit_updates_templates_still_holding_the_old_value_and_keeps_the_others(session, changes,
                                                                                  diverged) -> None:
    c = customer(session, "Acme", **_BILLING)
    following_version = template(session, c, "following").version
    own = template(session, c, "own copy")
    _diverge(session, own, **diverged)
    own_before = {f: getattr(own, f) for f in _BILLING}
    edit(session, c, **changes)
    after = _templates(session, c)
    for field in _BILLING:
        assert getattr(after["following"], field) == getattr(customers.get(session, team_id=TEAM,
                                                                             customer_id=c.id), field)
        assert getattr(after["own copy"], field) == own_before[field]
    assert after["following"].version == following_version + 1


def test_edit_of_unrelated_fields_leaves_templates_untouched(session) -> None:
    c = customer(session, "Acme", **_BILLING)
    t = template(session, c)
    edit(session, c, notes="Prefers mornings", phone="555 0100")
    assert _templates(session, c)[t.name].version == t.version


def test_billing_address_is_replaced_as_a_unit_in_templates(session) -> None:
    c = customer(session, "Acme", **_BILLING)
    t = template(session, c)
    edit(session, c, bill_street="9 New Ave", bill_city="Paris", bill_postal_code="75001")
    stored = _templates(session, c)[t.name]
    assert (stored.bill_street, stored.bill_city, stored.bill_postal_code, stored.bill_country) == (
        "9 New Ave", "Paris", "75001", "France",
    )


def test_transactions_show_the_customers_current_name_after_a_rename(session) -> None:
    c = customer(session, "Acme")
    inv = invoice(session, c, "100.00")
    edit(session, c, display_name="Acme Industries")
    session.expire_all()
    owner = customers.get(session, team_id=TEAM, customer_id=inv.customer_id)
    assert customers.transaction_label(owner) == "Acme Industries"


# -------------------------------------------------------------------------------- moves


def test_parent_none_makes_a_sub_customer_top_level_and_clears_bill_with_parent(session) -> None:
    parent = customer(session, "Acme")
    job = customer(session, "Acme job", parent=parent, bill_with_parent=True)
    move(session, job, None)
    stored = _fresh(session, job)
    assert (stored.parent_id, stored.bill_with_parent) == (None, False)
    assert hierarchy.fully_qualified_name(session, stored) == "Acme job"


def test_setting_bill_with_parent_while_making_it_top_level_is_refused_and_nothing_changes(session) -> None:
    parent = customer(session, "Acme")
    job = customer(session, "Acme job", parent=parent)
    with pytest.raises(Refused) as caught:
        customers.edit(session, team_id=TEAM, customer_id=job.id, expected_version=1,
                       changes={"bill_with_parent": True, "notes": "n"}, actor=ACTOR, parent_id=None)
    assert caught.value.code == "bill_with_parent_needs_parent"
    # The same session goes on to another change: the refused one must not ride along.
    customer(session, "Someone else")
    session.expire_all()
    stored = customers.get(session, team_id=TEAM, customer_id=job.id)
    assert (stored.parent_id, stored.bill_with_parent, stored.notes, stored.version) == (parent.id, False, None, 1)


def test_bill_with_parent_on_a_top_level_customer_is_refused(session) -> None:
    c = customer(session, "Acme")
    with pytest.raises(Refused) as caught:
        _edit(session, c, 1, bill_with_parent=True)
    assert caught.value.code == "bill_with_parent_needs_parent"


def test_moving_a_customer_takes_its_sub_customers_along(session) -> None:
    a, b, c = chain(session, "A", "B", "C")
    other = customer(session, "Other")
    move(session, b, other)
    session.expire_all()
    assert hierarchy.fully_qualified_name(session, c) == "Other:B:C"
    assert hierarchy.descendants(session, a) == []


def test_moving_a_subtree_so_that_its_bottom_would_exceed_four_levels_is_refused(session) -> None:
    top = chain(session, "T0", "T1", "T2")
    sub = chain(session, "S0", "S1", "S2")
    with pytest.raises(Refused) as caught:
        move(session, sub[0], top[2])
    assert caught.value.code == "too_deep"
    assert "more than 4 levels" in str(caught.value)
    assert _fresh(session, sub[0]).parent_id is None


def test_moving_a_customer_under_its_own_sub_customer_is_refused(session) -> None:
    a, _b, c = chain(session, "A", "B", "C")
    with pytest.raises(Refused) as caught:
        move(session, a, c)
    assert caught.value.code == "parent_cycle"
    assert str(caught.value) == "C is a sub-customer of A: a customer can't sit under its own sub-customer."
    assert _fresh(session, a).parent_id is None


def test_moving_a_customer_under_itself_is_refused(session) -> None:
    a = customer(session, "A")
    with pytest.raises(Refused) as caught:
        move(session, a, a)
    assert caught.value.code == "parent_is_self"


def test_move_is_recorded_with_the_old_and_new_parent(session) -> None:
    a = customer(session, "A")
    b = customer(session, "B")
    move(session, b, a)
    event = session.exec(select(AuditEvent).where(AuditEvent.customer_id == b.id, AuditEvent.action == "edit")).one()
    assert (event.before, event.after) == ({"parent_id": None}, {"parent_id": a.id})
