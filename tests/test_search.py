"""Search and resolve: by any part of name, company, email or phone; accents; ranking; paging."""

from __future__ import annotations

import pytest

from handlers import customers, merge
from handlers.errors import Ambiguous, InvalidInput, NotFound
from tests.factories import ACTOR, TEAM, chain, customer


def _names(session, text: str = "", **kw) -> list[str]:
    return [c.display_name for c in customers.search(session, team_id=TEAM, text=text, **kw).customers]


@pytest.fixture
def people(session):
    customer(session, "Hélène Dupont", company_name="Boulangerie Ducros", email="helene@ducros.test",
             phone="+33 6 12 34 56 78")
    customer(session, "Jean Martin", company_name="Martin & Fils", email="JEAN@martin.test", mobile="(555) 010-2030")
    customer(session, "Zoé Dupontel")
    customer(session, "Acme", email="dupont@acme.test")


@pytest.mark.parametrize(("text", "expected"), [
    ("Dupont", ["Hélène Dupont", "Zoé Dupontel", "Acme"]),
    ("lène dup", ["Hélène Dupont"]),
    ("ducros", ["Hélène Dupont"]),
    ("& fils", ["Jean Martin"]),
    ("jean@MARTIN", ["Jean Martin"]),
    ("ducros.test", ["Hélène Dupont"]),
    ("010-2030", ["Jean Martin"]),
    ("5550102030", ["Jean Martin"]),
    ("12 34 56", ["Hélène Dupont"]),
])
def test_search_finds_any_part_of_name_company_email_or_phone(session, people, text, expected) -> None:
    assert sorted(_names(session, text)) == sorted(expected)


def test_search_finds_a_phone_typed_in_its_national_format(session, people) -> None:
    assert _names(session, "06 12 34 56 78") == ["Hélène Dupont"]


@pytest.mark.parametrize("text", ["HELENE", "hélène", "Hélène", "  helene  ", "HÉLÈNE"])
def test_search_is_case_and_accent_insensitive(session, people, text) -> None:
    assert _names(session, text) == ["Hélène Dupont"]


def test_search_for_an_accented_query_finds_unaccented_names(session) -> None:
    customer(session, "Zoe Martin")
    assert _names(session, "zoé") == ["Zoe Martin"]


def test_display_names_starting_with_the_text_come_first(session) -> None:
    for name in ("Big Acme", "Acme West", "Small Acme", "Acme East"):
        customer(session, name)
    assert _names(session, "acme") == ["Acme East", "Acme West", "Big Acme", "Small Acme"]


def test_no_text_lists_everyone_alphabetically(session) -> None:
    for name in ("beta", "Alpha", "Gamma"):
        customer(session, name)
    assert _names(session) == ["Alpha", "beta", "Gamma"]


def test_paging_says_whether_there_is_more(session) -> None:
    for i in range(5):
        customer(session, f"Customer {i}")
    first = customers.search(session, team_id=TEAM, text="customer", limit=2)
    last = customers.search(session, team_id=TEAM, text="customer", limit=2, offset=4)
    middle = customers.search(session, team_id=TEAM, text="customer", limit=2, offset=2)
    assert ([c.display_name for c in first.customers], first.has_more) == (["Customer 0", "Customer 1"], True)
    assert ([c.display_name for c in middle.customers], middle.has_more) == (["Customer 2", "Customer 3"], True)
    assert ([c.display_name for c in last.customers], last.has_more) == (["Customer 4"], False)


def test_exactly_a_full_page_has_no_more(session) -> None:
    for i in range(3):
        customer(session, f"Customer {i}")
    page = customers.search(session, team_id=TEAM, limit=3)
    assert (len(page.customers), page.has_more) == (3, False)


@pytest.mark.parametrize(("text", "expected"), [
    ("100%", ["100% Organic"]),
    ("%", ["100% Organic"]),
    ("a_b", ["a_b Studio"]),
    ("_", ["a_b Studio"]),
    ("\\", ["Back\\slash"]),
])
def test_like_wildcards_in_the_query_are_literal(session, text, expected) -> None:
    for name in ("100% Organic", "1000 Organics", "a_b Studio", "axb Studio", "Back\\slash"):
        customer(session, name)
    assert _names(session, text) == expected


def test_merged_customers_are_never_listed(session) -> None:
    dup = customer(session, "Acme Dup")
    kept = customer(session, "Acme")
    merge.merge(session, team_id=TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=ACTOR)
    assert _names(session, "acme", include_inactive=True) == ["Acme"]
    assert _names(session, include_inactive=True) == ["Acme"]


# ----------------------------------------------------------------------------------- resolve


def test_resolve_prefers_the_exact_display_name(session) -> None:
    acme = customer(session, "Acme")
    customer(session, "Acme West")
    assert customers.resolve(session, team_id=TEAM, text="  ACME ").id == acme.id


def test_resolve_takes_the_only_search_match(session) -> None:
    west = customer(session, "Acme West")
    customer(session, "Beta")
    assert customers.resolve(session, team_id=TEAM, text="west").id == west.id


def test_resolve_with_no_match_says_so(session) -> None:
    customer(session, "Acme")
    with pytest.raises(NotFound) as caught:
        customers.resolve(session, team_id=TEAM, text="Zebra")
    assert caught.value.code == "no_customer_matches"
    assert str(caught.value) == 'No customer matches "Zebra".'


def test_resolve_with_several_matches_lists_the_candidates(session) -> None:
    east = customer(session, "Acme East")
    west = customer(session, "Acme West")
    with pytest.raises(Ambiguous) as caught:
        customers.resolve(session, team_id=TEAM, text="acme")
    assert caught.value.code == "several_customers_match"
    assert caught.value.params["candidates"] == [east.id, west.id]
    assert str(caught.value) == '2 customers match "acme": pick one.'


def test_resolve_without_text_asks_for_a_name(session) -> None:
    with pytest.raises(InvalidInput) as caught:
        customers.resolve(session, team_id=TEAM, text="   ")
    assert caught.value.code == "name_missing"


def test_resolve_active_only_skips_an_inactive_exact_match(session) -> None:
    old = customer(session, "Acme")
    customers.make_inactive(session, team_id=TEAM, customer_id=old.id, actor=ACTOR)
    assert customers.resolve(session, team_id=TEAM, text="acme").id == old.id
    with pytest.raises(NotFound):
        customers.resolve(session, team_id=TEAM, text="acme", include_inactive=False)


def test_resolve_takes_a_fully_qualified_name(session) -> None:
    _, _, kitchen = chain(session, "Acme", "West", "Kitchen")
    customer(session, "Kitchen remodel")
    assert customers.resolve(session, team_id=TEAM, text="acme : WEST:kitchen").id == kitchen.id


def test_resolve_refuses_a_qualified_name_whose_parents_do_not_match(session) -> None:
    chain(session, "Acme", "West", "Kitchen")
    with pytest.raises(NotFound):
        customers.resolve(session, team_id=TEAM, text="Acme:Kitchen")
    with pytest.raises(NotFound):
        customers.resolve(session, team_id=TEAM, text="Beta:West")


def test_resolve_of_another_workspaces_qualified_name_finds_nothing(session) -> None:
    chain(session, "Acme", "Kitchen", team="T_OTHER")
    with pytest.raises(NotFound):
        customers.resolve(session, team_id=TEAM, text="Acme:Kitchen")


def test_resolve_active_only_skips_an_inactive_qualified_name(session) -> None:
    _, kitchen = chain(session, "Acme", "Kitchen")
    customers.make_inactive(session, team_id=TEAM, customer_id=kitchen.id, actor=ACTOR)
    assert customers.resolve(session, team_id=TEAM, text="Acme:Kitchen").id == kitchen.id
    with pytest.raises(NotFound):
        customers.resolve(session, team_id=TEAM, text="Acme:Kitchen", include_inactive=False)
