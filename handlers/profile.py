"""What the Slack surfaces show about customers: one customer's profile (the card) and list rows.

Reads only, always within one workspace (``team_id``): another workspace's customer is ``NotFound``
and never appears in a row. The queries themselves live with their subject (``handlers.customers``,
``handlers.hierarchy``, ``handlers.ledger``, ``handlers.activity``); this module puts them together
into the typed results the surfaces render, bounded so that a crowded customer stays cheap to show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from db.models import AuditEvent, Customer
from handlers import activity, customers, hierarchy, ledger

SHOWN_SUB_CUSTOMERS = 15
SHOWN_INVOICES = 5
SHOWN_PROJECTS = 5
SHOWN_TEMPLATES = 5
SHOWN_HISTORY = 5


# ------------------------------------------------------------------------------ the profile


@dataclass(frozen=True)
class CustomerProfile:
    """Everything the profile card shows about one customer, read in one go."""

    customer: Customer
    name: str  # fully qualified: "Top:Child"
    parents: tuple[Customer, ...]  # the parent chain, top-level customer first; () at the top
    sub_customers: tuple[tuple[int, Customer], ...]  # the first (depth below it, sub-customer), in tree order
    sub_customer_count: int  # all of them, at every level (merged-away ones left out)
    balance: Decimal
    balance_with_sub_customers: Decimal
    can_take_child: bool  # a sub-customer may be added under it (active, not at the deepest level)
    invoices: ledger.InvoiceSummary
    projects: ledger.ProjectSummary
    templates: ledger.TemplateSummary
    history: tuple[AuditEvent, ...]  # the latest changes, newest first
    names: dict[int, str]  # customer id -> full name of the parents the history's edits mention

    @property
    def parent_name(self) -> str | None:
        """The parent's fully qualified name ("Top:Child"), None for a top-level customer."""
        return hierarchy.SEPARATOR.join(p.display_name for p in self.parents) or None


def profile(
    session: Session,
    *,
    team_id: str,
    customer_id: int,
    shown_sub_customers: int = SHOWN_SUB_CUSTOMERS,
    shown_invoices: int = SHOWN_INVOICES,
    shown_projects: int = SHOWN_PROJECTS,
    shown_templates: int = SHOWN_TEMPLATES,
    shown_history: int = SHOWN_HISTORY,
) -> CustomerProfile:
    """The profile of the workspace's customer ``customer_id`` (active or inactive), with at most
    ``shown_*`` items of each list besides their full counts.

    Raises ``NotFound`` for an id of no one, of another workspace, or of a merged-away customer.
    """
    customer = customers.get(session, team_id=team_id, customer_id=customer_id)
    chain = hierarchy.ancestors(session, customer)
    tree = _tree(customer_id, [c for c in hierarchy.descendants(session, customer) if c.merged_into_id is None])
    history = activity.history_page(session, team_id=team_id, customer_id=customer_id, limit=shown_history)
    return CustomerProfile(
        customer=customer,
        name=hierarchy.SEPARATOR.join([*(p.display_name for p in chain), customer.display_name]),
        parents=tuple(chain),
        sub_customers=tuple(tree[:shown_sub_customers]),
        sub_customer_count=len(tree),
        balance=customers.balance(session, team_id=team_id, customer_id=customer_id),
        balance_with_sub_customers=customers.balance_with_sub_customers(
            session, team_id=team_id, customer_id=customer_id),
        can_take_child=customer.active and len(chain) < hierarchy.MAX_LEVEL,
        invoices=ledger.invoice_summary(session, team_id=team_id, customer_id=customer_id, limit=shown_invoices),
        projects=ledger.project_summary(session, team_id=team_id, customer_id=customer_id, limit=shown_projects),
        templates=ledger.template_summary(session, team_id=team_id, customer_id=customer_id,
                                          limit=shown_templates),
        history=tuple(history.events),
        names=history.names,
    )


def _tree(root_id: int, subs: Sequence[Customer]) -> list[tuple[int, Customer]]:
    """``subs`` in tree order below ``root_id`` (depth first, siblings as given: by name), each with its
    depth: 1 for a direct sub-customer, 2 below it, ..."""
    by_parent: dict[int | None, list[Customer]] = defaultdict(list)
    for c in subs:
        by_parent[c.parent_id].append(c)
    ordered: list[tuple[int, Customer]] = []
    stack: list[tuple[int, Customer]] = [(1, c) for c in reversed(by_parent[root_id])]
    while stack:
        depth, node = stack.pop()
        ordered.append((depth, node))
        stack.extend((depth + 1, c) for c in reversed(by_parent[node.id]))
    return ordered


# ------------------------------------------------------------------------------ list rows


@dataclass(frozen=True)
class CustomerRow:
    """One customer as a list shows it."""

    customer: Customer
    name: str  # fully qualified: "Top:Child"
    balance: Decimal  # its own balance
    can_take_child: bool  # a sub-customer may be added under it


@dataclass(frozen=True)
class RowPage:
    """A page of list rows, and whether more follow it."""

    rows: list[CustomerRow]
    has_more: bool


def rows(session: Session, *, team_id: str, found: Iterable[Customer]) -> list[CustomerRow]:
    """Rows for ``found`` customers of the workspace, in their order (others are left out): full names
    and balances, a few queries in all."""
    mine = [c for c in found if c.team_id == team_id and c.id is not None]
    if not mine:
        return []
    names = hierarchy.fully_qualified_names(session, mine)
    owed = customers.balances(session, team_id=team_id, customer_ids=[c.id for c in mine if c.id is not None])
    listed = []
    for c in mine:
        assert c.id is not None
        name = names.get(c.id, c.display_name)
        level = name.count(hierarchy.SEPARATOR)
        listed.append(CustomerRow(c, name, owed.get(c.id, customers.ZERO),
                                  can_take_child=c.active and level < hierarchy.MAX_LEVEL))
    return listed


def row_page(session: Session, *, team_id: str, text: str = "", include_inactive: bool = False, limit: int = 10,
             offset: int = 0) -> RowPage:
    """A page of the workspace's customers matching ``text`` (as ``customers.search``), as rows."""
    page = customers.search(session, team_id=team_id, text=text, include_inactive=include_inactive, limit=limit,
                            offset=offset)
    return RowPage(rows(session, team_id=team_id, found=page.customers), page.has_more)


def rows_of(session: Session, *, team_id: str, ids: Sequence[int]) -> list[CustomerRow]:
    """Rows for the customers ``ids`` of the workspace, in the given order (ids of another workspace, of
    no one or of merged-away customers are left out)."""
    by_id = customers.get_many(session, team_id=team_id, ids=ids)
    return rows(session, team_id=team_id, found=[by_id[i] for i in ids if i in by_id])
