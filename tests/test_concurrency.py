"""Concurrent writers, each with its own session: unique names, version checks and crossed merges hold."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from db.models import Customer, MergeRecord
from db.session import session_factory
from handlers import customers, merge
from handlers.errors import Busy, Conflict, NotFound
from tests.factories import ACTOR, TEAM, customer, list_held

NAME_VARIANTS = [
    "Hélène Dupont", "helene dupont", "HELENE  DUPONT", "  Hélène Dupont ", "He\u0301le\u0300ne Dupont",
    "HÉLÈNE DUPONT", "Hélène\u00a0Dupont", "hélène DUPONT",
]


def _race(db, jobs: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each job in its own thread and session, all released at once; results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        with db() as s:
            barrier.wait()
            try:
                results[i] = jobs[i](s)
            except Exception as e:  # collected and asserted on by the test
                results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


def test_eight_concurrent_adds_of_one_name_make_exactly_one_customer(db) -> None:
    def adder(name: str) -> Callable[[Any], Any]:
        return lambda s: customers.add(s, team_id=TEAM, fields={"display_name": name}, actor=ACTOR).id

    results = _race(db, [adder(n) for n in NAME_VARIANTS])
    winners = [r for r in results if isinstance(r, int)]
    losers = [r for r in results if not isinstance(r, int)]
    assert len(winners) == 1, results
    assert len(losers) == 7
    assert all(isinstance(e, Conflict) and e.code == "name_taken" for e in losers), losers
    assert all(e.params["customer_id"] == winners[0] for e in losers)
    with db() as s:
        assert [c.id for c in s.exec(select(Customer)).all()] == winners


def test_two_concurrent_edits_with_the_same_version_one_wins_the_other_is_stale(db, session) -> None:
    c = customer(session, "Acme")
    session.close()

    def editor(notes: str) -> Callable[[Any], Any]:
        return lambda s: customers.edit(s, team_id=TEAM, customer_id=c.id, expected_version=1,
                                        changes={"notes": notes}, actor=ACTOR).notes

    results = _race(db, [editor("first"), editor("second")])
    winners = [r for r in results if isinstance(r, str)]
    [loser] = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1
    assert isinstance(loser, Conflict) and loser.code == "stale_version"
    assert "changed by someone else" in str(loser)
    with db() as s:
        stored = customers.get(s, team_id=TEAM, customer_id=c.id)
        assert (stored.notes, stored.version) == (winners[0], 2)


def test_crossed_merges_exactly_one_succeeds_and_the_other_gets_a_clear_error(db, session) -> None:
    a = customer(session, "Acme A")
    b = customer(session, "Acme B")
    session.close()
    results = _race(db, [
        lambda s: merge.merge(s, team_id=TEAM, duplicate_id=a.id, kept_id=b.id, actor=ACTOR).kept.id,
        lambda s: merge.merge(s, team_id=TEAM, duplicate_id=b.id, kept_id=a.id, actor=ACTOR).kept.id,
    ])
    [kept_id] = [r for r in results if isinstance(r, int)]
    [error] = [r for r in results if isinstance(r, Exception)]
    assert isinstance(error, NotFound) and error.code == "customer_merged", error
    assert str(error).endswith("was merged into another customer.")
    with db() as s:
        assert len(s.exec(select(MergeRecord)).all()) == 1
        listed = customers.search(s, team_id=TEAM, include_inactive=True).customers
        assert [c.id for c in listed] == [kept_id]


def test_concurrent_adds_of_different_names_all_succeed(db) -> None:
    def adder(name: str) -> Callable[[Any], Any]:
        return lambda s: customers.add(s, team_id=TEAM, fields={"display_name": name}, actor=ACTOR).id

    results = _race(db, [adder(f"Customer {i}") for i in range(6)])
    assert not [r for r in results if isinstance(r, Exception)], results
    with db() as s:
        assert len(s.exec(select(Customer)).all()) == 6


def test_a_name_taken_between_the_check_and_the_insert_still_says_name_taken(session, db, monkeypatch) -> None:
    # What the losers of a real race go through: the check saw the name free, the insert collides.
    holder = customer(session, "Hélène Dupont")
    real = customers.find_by_key
    calls = []

    def blind_first_look(*args: Any) -> Any:
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(customers, "find_by_key", blind_first_look)
    with db() as s, pytest.raises(Conflict) as caught:
        customers.add(s, team_id=TEAM, fields={"display_name": "HELENE DUPONT"}, actor=ACTOR)
    assert (caught.value.code, caught.value.params["customer_id"]) == ("name_taken", holder.id)
    assert len(calls) == 2


def test_sub_customer_added_while_its_parent_is_made_inactive_is_made_inactive_too(db) -> None:
    from handlers import hierarchy

    with db() as s:
        top = customer(s, "Top")
        assert top.id is not None
        top_id = top.id
    adder = db()
    # The adder has checked the parent (and holds it) when the other person asks to make it inactive.
    hierarchy.check_parent(adder, TEAM, None, top_id, lock=True)
    done = threading.Event()

    def deactivate() -> None:
        with db() as s:
            customers.make_inactive(s, team_id=TEAM, customer_id=top_id, actor="U0002")
        done.set()

    worker = threading.Thread(target=deactivate)
    worker.start()
    assert not done.wait(0.5), "making the parent inactive waited for the add to finish"
    child = customers.add(adder, team_id=TEAM, fields={"display_name": "Child"}, actor=ACTOR, parent_id=top_id)
    adder.close()
    worker.join(timeout=60)
    with db() as s:
        stored = s.get(Customer, child.id)
        assert stored is not None and stored.active is False


def test_invoice_for_the_duplicate_during_a_merge_ends_up_with_the_kept_customer(db) -> None:
    from datetime import date

    from db.models import Invoice
    from handlers import transactions

    with db() as s:
        kept, duplicate = customer(s, "Acme Corp"), customer(s, "ACME Corporation")
        kept_id, duplicate_id = kept.id, duplicate.id
    merger = db()
    at_commit, release = threading.Event(), threading.Event()
    commit = merger.commit

    def held_commit() -> None:  # the merge has moved everything and is about to commit
        at_commit.set()
        release.wait(30)
        commit()

    merger.commit = held_commit  # type: ignore[method-assign]
    merging = threading.Thread(
        target=lambda: merge.merge(merger, team_id=TEAM, duplicate_id=duplicate_id, kept_id=kept_id, actor=ACTOR)
    )
    merging.start()
    assert at_commit.wait(30)

    def invoice() -> None:  # someone invoices the duplicate from an old card meanwhile
        with db() as s:
            transactions.add_invoice(
                s, team_id=TEAM, customer_id=duplicate_id, number="INV-RACE", amount="50.00",
                invoice_date=date(2026, 11, 27), actor="U0002",
            )

    invoicing = threading.Thread(target=invoice)
    invoicing.start()
    invoicing.join(timeout=0.5)
    release.set()
    merging.join(timeout=60)
    invoicing.join(timeout=60)
    merger.close()
    with db() as s:
        stored = s.exec(select(Invoice).where(Invoice.number == "INV-RACE")).one()
        assert stored.customer_id == kept_id
        assert customers.balance(s, team_id=TEAM, customer_id=kept_id) == Decimal("50.00")


def test_a_write_that_cannot_get_the_list_within_its_wait_is_refused_as_busy_and_changes_nothing(
        engine: Engine, db) -> None:
    with db() as s:
        acme = customer(s, "Acme")
    impatient = session_factory(engine, lock_wait=0.2)
    with list_held(engine):  # another transaction (an import's) holds the list
        started = time.monotonic()
        with impatient() as s, pytest.raises(Busy) as refused:
            customers.make_inactive(s, team_id=TEAM, customer_id=acme.id, actor=ACTOR)
        waited = time.monotonic() - started
    assert waited < 5  # its own short wait, not the 30 s a background job waits
    assert "busy" in refused.value.message()
    with db(read_only=True) as s:
        assert customers.get(s, team_id=TEAM, customer_id=acme.id).active  # nothing changed
    with impatient() as s:  # once the other transaction ended, the same write goes through
        customers.make_inactive(s, team_id=TEAM, customer_id=acme.id, actor=ACTOR)


def test_a_read_session_sees_one_state_of_the_list_while_others_write(db) -> None:
    """An export reads its pages in one read session: a customer added or renamed meanwhile is in none
    of them or, read afresh, in the new state — never half of each."""
    with db() as s:
        acme = customer(s, "Acme")
        customer(s, "Globex")
    with db(read_only=True) as reading:
        before = sorted(c.display_name for c in reading.exec(select(Customer)))
        with db() as s:
            customer(s, "Initech")
            customers.edit(s, team_id=TEAM, customer_id=acme.id, expected_version=acme.version,
                           changes={"display_name": "Acme Renamed"}, actor=ACTOR)
        reading.expunge_all()
        during = sorted(c.display_name for c in reading.exec(select(Customer)))
    with db(read_only=True) as s:
        after = sorted(c.display_name for c in s.exec(select(Customer)))
    assert before == during == ["Acme", "Globex"]
    assert after == ["Acme Renamed", "Globex", "Initech"]
