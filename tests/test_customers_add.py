"""Adding a customer: display name required, built, trimmed, unique (case, accents, spaces), parent rules."""

from __future__ import annotations

import pytest
from sqlmodel import select

from db.models import Customer
from handlers import customers
from handlers.errors import Conflict, InvalidInput, NotFound, Refused
from tests.factories import ACTOR, OTHER_TEAM, TEAM, customer


def _add(session, team: str = TEAM, parent_id: int | None = None, **fields):
    return customers.add(session, team_id=team, fields=fields, actor=ACTOR, parent_id=parent_id)


def _count(session) -> int:
    return len(session.exec(select(Customer)).all())


def test_add_stores_the_customer_with_its_fields(session) -> None:
    added = _add(session, display_name="Acme", email="billing@acme.test", phone="555 0100")
    session.expire_all()
    stored = customers.get(session, team_id=TEAM, customer_id=added.id)
    assert (stored.display_name, stored.email, stored.phone, stored.active, stored.version) == (
        "Acme", "billing@acme.test", "555 0100", True, 1,
    )
    assert stored.created_by == ACTOR and stored.updated_by == ACTOR


def test_add_without_any_name_is_refused_with_display_name_required(session) -> None:
    with pytest.raises(InvalidInput) as caught:
        _add(session, display_name="   ", email="jane@example.com")
    assert caught.value.code == "display_name_required"
    assert caught.value.field == "display_name"
    assert "Enter a display name" in str(caught.value)
    assert _count(session) == 0


def test_add_trims_and_collapses_spaces_in_the_display_name(session) -> None:
    added = _add(session, display_name="  Acme \u00a0  West   Coast ")
    assert added.display_name == "Acme West Coast"


def test_add_builds_display_name_from_name_parts_in_quickbooks_order(session) -> None:
    added = _add(session, title="Dr.", given_name="Jane", middle_name="Q.", family_name="Doe", suffix="Jr.",
                 company_name="Doe Consulting")
    assert added.display_name == "Dr. Jane Q. Doe Jr."


def test_add_builds_display_name_from_company_when_no_name_part(session) -> None:
    added = _add(session, company_name="  Doe   Consulting ")
    assert added.display_name == "Doe Consulting"


def test_add_refuses_a_name_taken_whatever_the_case_accents_and_spaces(session) -> None:
    original = _add(session, display_name="Hélène Dupont")
    with pytest.raises(Conflict) as caught:
        _add(session, display_name="  helene   DUPONT")
    assert caught.value.code == "name_taken"
    assert caught.value.params["customer_id"] == original.id
    assert str(caught.value) == (
        "There's already a customer named Hélène Dupont. Choose a different display name."
    )
    assert _count(session) == 1


def test_add_refuses_a_built_display_name_that_is_taken(session) -> None:
    _add(session, display_name="Jane Doe")
    with pytest.raises(Conflict) as caught:
        _add(session, given_name="JANE", family_name="doe")
    assert caught.value.code == "name_taken"


def test_add_refuses_a_name_held_by_an_inactive_customer_and_offers_to_reactivate_it(session) -> None:
    holder = _add(session, display_name="Hélène Dupont")
    customers.make_inactive(session, team_id=TEAM, customer_id=holder.id, actor=ACTOR)
    with pytest.raises(Conflict) as caught:
        _add(session, display_name="HELENE DUPONT")
    assert caught.value.code == "name_taken_inactive"
    assert caught.value.params["customer_id"] == holder.id
    assert "inactive customer: reactivate it" in str(caught.value)
    assert _count(session) == 1


def test_same_display_name_is_allowed_in_another_workspace(session) -> None:
    _add(session, display_name="Acme")
    other = _add(session, team=OTHER_TEAM, display_name="ACME")
    assert other.team_id == OTHER_TEAM


def test_add_reports_every_problem_at_once(session) -> None:
    with pytest.raises(InvalidInput) as caught:
        _add(session, display_name="Acme:West", email="not-an-email", phone="1" * 31, opening_balance="1.234")
    assert {(p.field, p.code) for p in caught.value.problems} == {
        ("display_name", "forbidden_character"), ("email", "bad_email"), ("phone", "too_long"),
        ("opening_balance", "amount_precision"),
    }
    assert len(str(caught.value).splitlines()) == 4
    assert _count(session) == 0


def test_add_reports_bad_name_part_and_missing_name_together(session) -> None:
    with pytest.raises(InvalidInput) as caught:
        _add(session, given_name="Jane\tQ", email="bad")
    assert {(p.field, p.code) for p in caught.value.problems} == {
        ("given_name", "forbidden_character"), ("email", "bad_email"), ("display_name", "display_name_required"),
    }


def test_bill_with_parent_without_a_parent_is_refused(session) -> None:
    with pytest.raises(Refused) as caught:
        _add(session, display_name="Job 1", bill_with_parent=True)
    assert caught.value.code == "bill_with_parent_needs_parent"
    assert str(caught.value) == "Only a sub-customer can be billed with its parent."
    assert _count(session) == 0


def test_bill_with_parent_is_kept_for_a_sub_customer(session) -> None:
    parent = customer(session, "Acme")
    job = _add(session, display_name="Acme job", bill_with_parent="yes", parent_id=parent.id)
    session.expire_all()
    stored = customers.get(session, team_id=TEAM, customer_id=job.id)
    assert (stored.parent_id, stored.bill_with_parent) == (parent.id, True)


def test_add_under_a_missing_parent_is_refused(session) -> None:
    with pytest.raises(NotFound) as caught:
        _add(session, display_name="Orphan", parent_id=999)
    assert caught.value.code == "customer_not_found"
    assert _count(session) == 0


def test_add_writes_normalised_keys_used_for_search(session) -> None:
    added = _add(session, display_name="Hélène Dupont", email=" Helene@Example.COM ", phone="+33 6 12 34 56 78")
    found = customers.search(session, team_id=TEAM, text="HELENE@example.com").customers
    assert [c.id for c in found] == [added.id]
    assert added.email == "Helene@Example.COM"
