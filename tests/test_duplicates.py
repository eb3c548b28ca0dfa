"""Possible duplicates: same email or phone, or a display/company name that looks the same."""

from __future__ import annotations

from handlers import customers, merge
from tests.factories import ACTOR, TEAM, customer


def _dups(session, exclude_id: int | None = None, **draft) -> list[tuple[str, int, tuple[str, ...]]]:
    found = customers.possible_duplicates(session, team_id=TEAM, fields=draft, exclude_id=exclude_id)
    return [(m.customer.display_name, m.score, m.reasons) for m in found]


def test_company_names_differing_only_by_legal_form_and_punctuation_are_duplicates(session) -> None:
    customer(session, "ACME Corp.")
    assert _dups(session, display_name="Acme Corporation") == [("ACME Corp.", 100, ("name",))]


def test_a_near_identical_name_is_a_duplicate_below_a_perfect_score(session) -> None:
    customer(session, "Boulangerie Ducros")
    [(name, score, reasons)] = _dups(session, display_name="Boulangerie Ducross")
    assert name == "Boulangerie Ducros"
    assert customers.NAME_SIMILARITY_THRESHOLD <= score < 100
    assert reasons == ("name",)


def test_the_drafts_company_name_is_compared_too(session) -> None:
    customer(session, "Acme Corporation")
    assert [d[0] for d in _dups(session, display_name="Jane Doe", company_name="ACME Inc")] == ["Acme Corporation"]


def test_same_email_in_another_case_is_a_duplicate(session) -> None:
    customer(session, "Jane Doe", email="Jane.Doe@Example.com")
    assert _dups(session, display_name="J. Doe (billing)", email=" jane.doe@example.COM ") == [
        ("Jane Doe", 100, ("email",)),
    ]


def test_same_phone_in_another_format_is_a_duplicate(session) -> None:
    customer(session, "Hélène Dupont", phone="+33 6 12 34 56 78")
    assert _dups(session, display_name="H. D.", phone="06 12 34 56 78") == [("Hélène Dupont", 95, ("phone",))]


def test_a_mobile_number_matches_a_stored_phone(session) -> None:
    customer(session, "Hélène Dupont", phone="+33 6 12 34 56 78")
    assert [d[0] for d in _dups(session, display_name="Other", mobile="0612345678")] == ["Hélène Dupont"]


def test_several_reasons_are_all_given_with_the_best_score(session) -> None:
    customer(session, "Acme Corp", email="ap@acme.test", phone="555 010 2030")
    assert _dups(session, display_name="ACME Corporation", email="AP@acme.test", phone="(555) 010-2030") == [
        ("Acme Corp", 100, ("email", "phone", "name")),
    ]


def test_matches_are_ordered_by_score(session) -> None:
    customer(session, "Zeta Holdings", email="ap@acme.test")
    customer(session, "Yankee Supplies", phone="555 010 2030")
    customer(session, "Acmee Corp")
    found = _dups(session, display_name="Acme Corp", email="ap@acme.test", phone="555-010-2030")
    assert [name for name, _, _ in found] == ["Zeta Holdings", "Yankee Supplies", "Acmee Corp"]
    scores = [score for _, score, _ in found]
    assert scores == sorted(scores, reverse=True)
    assert scores[:2] == [100, 95]


def test_unrelated_names_are_not_returned(session) -> None:
    customer(session, "Acme Corporation")
    customer(session, "Acorn Bakery")
    customer(session, "Beta Ltd")
    assert _dups(session, display_name="Acme Industries West") == []
    assert _dups(session, display_name="Zebra Studio") == []


def test_exclude_id_leaves_the_customer_being_edited_out(session) -> None:
    acme = customer(session, "Acme Corp", email="ap@acme.test")
    other = customer(session, "Acme Corporation Ltd")
    found = customers.possible_duplicates(
        session, team_id=TEAM, fields={"display_name": "Acme Corp", "email": "ap@acme.test"}, exclude_id=acme.id,
    )
    assert [m.customer.id for m in found] == [other.id]


def test_inactive_customers_are_possible_duplicates(session) -> None:
    old = customer(session, "Acme Corp")
    customers.make_inactive(session, team_id=TEAM, customer_id=old.id, actor=ACTOR)
    assert [d[0] for d in _dups(session, display_name="ACME Corporation")] == ["Acme Corp"]


def test_merged_away_customers_are_not_possible_duplicates(session) -> None:
    dup = customer(session, "Acme Corp", email="ap@acme.test")
    kept = customer(session, "Acme Holdings")
    merge.merge(session, team_id=TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=ACTOR)
    assert _dups(session, display_name="Acme Corporation", email="ap@acme.test") == []


def test_a_draft_without_name_email_or_phone_has_no_duplicates(session) -> None:
    customer(session, "Acme")
    assert _dups(session, notes="anything") == []
