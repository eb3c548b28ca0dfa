"""Sub-customers: at most four levels below the top, no cycles, derived fully qualified names."""

from __future__ import annotations

import pytest

from handlers import customers, hierarchy, merge
from handlers.errors import NotFound, Refused
from tests.factories import ACTOR, TEAM, chain, customer, edit, move


def test_five_levels_top_plus_four_sub_levels_are_allowed(session) -> None:
    levels = chain(session, "L0", "L1", "L2", "L3", "L4")
    assert [hierarchy.level(session, c) for c in levels] == [0, 1, 2, 3, 4]
    assert hierarchy.fully_qualified_name(session, levels[-1]) == "L0:L1:L2:L3:L4"


def test_a_sixth_level_is_refused(session) -> None:
    levels = chain(session, "L0", "L1", "L2", "L3", "L4")
    with pytest.raises(Refused) as caught:
        customer(session, "L5", parent=levels[-1])
    assert caught.value.code == "too_deep"
    assert str(caught.value) == (
        "Too deep: under L0:L1:L2:L3:L4 this customer (with 0 level(s) of sub-customers below it) would sit"
        " more than 4 levels below the top-level customer."
    )
    assert customers.find_by_name(session, team_id=TEAM, name="L5") is None


def test_moving_a_subtree_exactly_to_the_fourth_level_is_allowed(session) -> None:
    top = chain(session, "T0", "T1")
    sub = chain(session, "S0", "S1", "S2")
    move(session, sub[0], top[1])
    session.expire_all()
    assert hierarchy.fully_qualified_name(session, sub[2]) == "T0:T1:S0:S1:S2"
    assert hierarchy.level(session, sub[2]) == 4


def test_moving_a_subtree_one_level_too_deep_is_refused_naming_its_depth(session) -> None:
    top = chain(session, "T0", "T1", "T2")
    sub = chain(session, "S0", "S1", "S2")
    with pytest.raises(Refused) as caught:
        move(session, sub[0], top[2])
    assert caught.value.code == "too_deep"
    assert caught.value.params["levels_below"] == 2
    session.rollback()
    session.expire_all()
    assert hierarchy.fully_qualified_name(session, sub[2]) == "S0:S1:S2"


def test_moving_a_subtree_counts_inactive_sub_customers_too(session) -> None:
    top = chain(session, "T0", "T1", "T2")
    sub = chain(session, "S0", "S1", "S2")
    customers.make_inactive(session, team_id=TEAM, customer_id=sub[1].id, actor=ACTOR)
    with pytest.raises(Refused) as caught:
        move(session, sub[0], top[2])
    assert caught.value.code == "too_deep"


def test_moving_a_customer_under_a_deeper_sub_customer_is_refused_as_a_cycle(session) -> None:
    a, _b, _c, d = chain(session, "A", "B", "C", "D")
    with pytest.raises(Refused) as caught:
        move(session, a, d)
    assert caught.value.code == "parent_cycle"
    assert caught.value.params == {"name": "A", "parent": "D"}


def test_adding_under_an_inactive_parent_is_refused(session) -> None:
    parent = customer(session, "Acme")
    customers.make_inactive(session, team_id=TEAM, customer_id=parent.id, actor=ACTOR)
    with pytest.raises(Refused) as caught:
        customer(session, "Acme job", parent=parent)
    assert caught.value.code == "parent_inactive"
    assert str(caught.value) == "Acme is inactive: reactivate it before adding sub-customers under it."


def test_moving_under_an_inactive_parent_is_refused(session) -> None:
    parent = customer(session, "Acme")
    customers.make_inactive(session, team_id=TEAM, customer_id=parent.id, actor=ACTOR)
    job = customer(session, "Job")
    with pytest.raises(Refused) as caught:
        move(session, job, parent)
    assert caught.value.code == "parent_inactive"


def test_adding_under_a_merged_away_customer_is_refused(session) -> None:
    dup = customer(session, "Acme Dup")
    kept = customer(session, "Acme")
    merge.merge(session, team_id=TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=ACTOR)
    with pytest.raises(NotFound) as caught:
        customer(session, "Job", parent=dup)
    assert caught.value.code == "customer_not_found"


def test_fully_qualified_name_follows_a_renamed_ancestor(session) -> None:
    top, _mid, leaf = chain(session, "Acme", "West", "Site 1")
    edit(session, top, display_name="Acme Industries")
    assert hierarchy.fully_qualified_name(session, leaf) == "Acme Industries:West:Site 1"
    assert hierarchy.fully_qualified_names(session, [leaf]) == {leaf.id: "Acme Industries:West:Site 1"}


def test_fully_qualified_name_follows_a_rename_made_in_another_session(session, db) -> None:
    top, leaf = chain(session, "Acme", "Site 1")
    with db() as other:
        edit(other, top, display_name="Acme Industries")
    with db() as reader:
        fresh_leaf = customers.get(reader, team_id=TEAM, customer_id=leaf.id)
        assert hierarchy.fully_qualified_name(reader, fresh_leaf) == "Acme Industries:Site 1"


def test_fully_qualified_names_in_batch_equal_one_by_one(session) -> None:
    first = chain(session, "A", "B", "C", "D", "E")
    second = chain(session, "X", "Y")
    loose = customer(session, "Z")
    mixed = [first[4], second[1], first[0], loose, first[2]]
    assert hierarchy.fully_qualified_names(session, mixed) == {
        c.id: hierarchy.fully_qualified_name(session, c) for c in mixed
    }
    assert hierarchy.fully_qualified_names(session, mixed)[first[4].id] == "A:B:C:D:E"


def test_fully_qualified_names_of_nothing_is_empty(session) -> None:
    assert hierarchy.fully_qualified_names(session, []) == {}


def test_descendants_lists_every_level(session) -> None:
    a, b, c = chain(session, "A", "B", "C")
    b2 = customer(session, "B2", parent=a)
    assert {x.id for x in hierarchy.descendants(session, a)} == {b.id, c.id, b2.id}


def test_can_take_child_only_above_the_fourth_level_and_when_active(session) -> None:
    levels = chain(session, "L0", "L1", "L2", "L3", "L4")
    assert [hierarchy.can_take_child(session, c) for c in levels] == [True, True, True, True, False]
    loose = customer(session, "Loose")
    customers.make_inactive(session, team_id=TEAM, customer_id=loose.id, actor=ACTOR)
    assert hierarchy.can_take_child(session, loose) is False


def test_a_merged_away_sub_customer_no_longer_counts_in_the_depth_of_a_move(session) -> None:
    # A merged-away customer has left the list: it is nobody's sub-customer any more.
    _top, mid = chain(session, "T0", "T1")
    gone = customer(session, "Gone", parent=mid)
    keeper = customer(session, "Keeper")
    merge.merge(session, team_id=TEAM, duplicate_id=gone.id, kept_id=keeper.id, actor=ACTOR)
    deep = chain(session, "D0", "D1", "D2", "D3")
    move(session, mid, deep[3])
    session.expire_all()
    assert hierarchy.fully_qualified_name(session, mid) == "D0:D1:D2:D3:T1"
    assert hierarchy.descendants(session, mid) == []
