"""Random sequences of changes keep the customer list's invariants (hypothesis state machine).

Each example works in a workspace of its own (a fresh ``team_id``) of the test's database, so examples
never see each other. After every step: no cycle, depth ≤ 4, no active customer under an inactive
parent, the workspace's total balance equals what was invoiced and opened minus what was paid, and no
record or sub-customer points at a merged-away customer.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlmodel import select

from db.models import Customer, Invoice, Payment, Project, RecurringTemplate
from db.session import SessionFactory
from handlers import customers, hierarchy, merge, transactions
from handlers.errors import ClientDeskError

ACTOR = "U0PROP"
NAMES = ["Acme", "ACME ", "Hélène", "helene", "Beta", "Gamma"]
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
picks = st.integers(min_value=0, max_value=1000)
_invoice_numbers = itertools.count(1)


def _machine(db: SessionFactory) -> type[RuleBasedStateMachine]:
    class CustomerList(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.team = f"P{uuid.uuid4().hex[:12]}"
            self.ids: list[int] = []
            self.merges: list[int] = []
            self.total = Decimal("0.00")

        def _pick(self, n: int) -> int:
            return self.ids[n % len(self.ids)]

        def _try(self, action: Any) -> Any:
            """Run one change in its own session; a refusal is a fine outcome, anything else fails."""
            with db() as s:
                try:
                    return action(s)
                except ClientDeskError:
                    return None

        # ------------------------------------------------------------------------------ rules

        @rule(name=st.sampled_from(NAMES), n=st.integers(0, 4), parent=st.none() | st.just(-1) | picks,
              opening=st.sampled_from(["0", "10.00", "-2.50"]))
        def add(self, name: str, n: int, parent: int | None, opening: str) -> None:
            """Top-level, under the last customer added (deep chains) or under any customer."""
            parent_id = self._pick(parent) if parent is not None and self.ids else None
            added = self._try(lambda s: customers.add(
                s, team_id=self.team, fields={"display_name": f"{name} {n}", "opening_balance": opening},
                actor=ACTOR, parent_id=parent_id,
            ))
            if added is not None:
                self.ids.append(added.id)
                self.total += Decimal(opening)

        @precondition(lambda self: self.ids)
        @rule(parent=picks, length=st.integers(1, 6))
        def add_chain(self, parent: int, length: int) -> None:
            """Sub-customers each under the previous one, below any customer: reaches the depth limit."""
            parent_id: int | None = self._pick(parent)
            for _ in range(length):
                n = next(_invoice_numbers)
                added = self._try(lambda s, p=parent_id, n=n: customers.add(
                    s, team_id=self.team, fields={"display_name": f"Job {n}"}, actor=ACTOR, parent_id=p,
                ))
                if added is None:
                    return
                self.ids.append(added.id)
                parent_id = added.id

        @precondition(lambda self: self.ids)
        @rule(who=picks, amount=amounts)
        def invoice(self, who: int, amount: Decimal) -> None:
            done = self._try(lambda s: transactions.add_invoice(
                s, team_id=self.team, customer_id=self._pick(who), number=f"P-{next(_invoice_numbers)}",
                amount=amount, invoice_date=date(2026, 1, 1), actor=ACTOR,
            ))
            if done is not None:
                self.total += amount

        @precondition(lambda self: self.ids)
        @rule(who=picks, amount=amounts)
        def pay(self, who: int, amount: Decimal) -> None:
            done = self._try(lambda s: transactions.receive_payment(
                s, team_id=self.team, customer_id=self._pick(who), amount=amount, payment_date=date(2026, 1, 2),
                actor=ACTOR,
            ))
            if done is not None:
                self.total -= amount

        @precondition(lambda self: self.ids)
        @rule(who=picks)
        def settle(self, who: int) -> None:
            """Zero the customer's balance, so that making it inactive can succeed."""
            cid = self._pick(who)
            with db() as s:
                owed = customers.balance(s, team_id=self.team, customer_id=cid)
            if owed > 0:
                self.pay(who, owed)
            elif owed < 0:
                self.invoice(who, -owed)

        @precondition(lambda self: self.ids)
        @rule(who=picks, parent=st.none() | st.just(-1) | picks)
        def move(self, who: int, parent: int | None) -> None:
            cid = self._pick(who)
            parent_id = self._pick(parent) if parent is not None else None

            def action(s: Any) -> Any:
                current = customers.get(s, team_id=self.team, customer_id=cid)
                return customers.edit(s, team_id=self.team, customer_id=cid, expected_version=current.version,
                                      changes={}, actor=ACTOR, parent_id=parent_id)

            self._try(action)

        @precondition(lambda self: self.ids)
        @rule(who=picks)
        def make_inactive(self, who: int) -> None:
            self._try(lambda s: customers.make_inactive(s, team_id=self.team, customer_id=self._pick(who),
                                                        actor=ACTOR))

        @precondition(lambda self: self.ids)
        @rule(who=picks)
        def reactivate(self, who: int) -> None:
            self._try(lambda s: customers.reactivate(s, team_id=self.team, customer_id=self._pick(who),
                                                     actor=ACTOR))

        @precondition(lambda self: len(self.ids) >= 2)
        @rule(dup=picks, kept=picks, among_leaves=st.booleans())
        def merge(self, dup: int, kept: int, among_leaves: bool) -> None:
            """Any two customers, or two without sub-customers (which the rules let merge)."""
            pool = self.ids
            if among_leaves:
                with db() as s:
                    parents = set(s.exec(select(Customer.parent_id).where(Customer.team_id == self.team)))
                pool = [i for i in self.ids if i not in parents] or self.ids
            dup_id, kept_id = pool[dup % len(pool)], pool[kept % len(pool)]
            result = self._try(lambda s: merge.merge(s, team_id=self.team, duplicate_id=dup_id,
                                                     kept_id=kept_id, actor=ACTOR))
            if result is not None:
                self.merges.append(result.record.id)

        @precondition(lambda self: self.merges)
        @rule(which=picks)
        def undo(self, which: int) -> None:
            merge_id = self.merges[which % len(self.merges)]
            self._try(lambda s: merge.undo(s, team_id=self.team, merge_id=merge_id, actor=ACTOR))

        # ------------------------------------------------------------------------- invariants

        @invariant()
        def the_list_is_consistent(self) -> None:
            with db() as s:
                rows = {c.id: c for c in s.exec(select(Customer).where(Customer.team_id == self.team))}
                merged = {cid for cid, c in rows.items() if c.merged_into_id is not None}
                for c in rows.values():
                    depth, node, seen = 0, c, {c.id}
                    while node.parent_id is not None:
                        assert node.parent_id not in merged, f"{c.display_name} sits under a merged-away customer"
                        parent = rows[node.parent_id]
                        if node is c:
                            assert parent.active or not c.active, f"active {c.display_name} under inactive parent"
                        assert parent.id not in seen, "cycle"
                        seen.add(parent.id)
                        node = parent
                        depth += 1
                    assert depth <= hierarchy.MAX_LEVEL, f"{c.display_name} is {depth} levels deep"
                    if c.merged_into_id is not None:
                        assert not c.active and c.name_key is None and c.parent_id is None
                for model in (Invoice, Payment, Project, RecurringTemplate):
                    owners = set(s.exec(select(model.customer_id).where(model.team_id == self.team)))
                    assert not owners & merged, f"a {model.__name__} points at a merged-away customer"
                owed = customers.balances(s, team_id=self.team, customer_ids=list(rows))
                assert sum(owed.values(), Decimal("0.00")) == self.total

    return CustomerList


def test_random_changes_keep_every_invariant(db) -> None:
    machine = _machine(db)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=15, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))
