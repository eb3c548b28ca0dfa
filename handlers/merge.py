"""Merging a duplicate customer into the one to keep, its preview, and its undo.

QuickBooks' rules: two customers at a time, neither with sub-customers. Unlike QuickBooks (and Odoo,
and ERPNext), a merge here is previewed, recorded and reversible while the moved records are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.models import (
    Customer,
    DeliveryMethod,
    Invoice,
    MergeRecord,
    Payment,
    Project,
    RecurringTemplate,
    utcnow,
)
from handlers import audit, hierarchy
from handlers.customers import ZERO, balances, find_by_key, get, refresh_keys
from handlers.errors import InvalidInput, NotFound, Refused
from handlers.fields import EDITABLE_FIELDS
from handlers.normalize import name_key
from handlers.unit_of_work import transactional

# Every table whose rows reference a customer and move with a merge (all have id, customer_id, version).
MOVED_MODELS: dict[str, Any] = {
    "invoice": Invoice,
    "payment": Payment,
    "project": Project,
    "recurring_template": RecurringTemplate,
}
# Fields a merge never copies: the name is the kept one's, money moves as a balance, hierarchy is fixed.
NOT_COPYABLE = frozenset({"display_name", "opening_balance", "opening_balance_date", "bill_with_parent"})
COPYABLE_FIELDS = tuple(f for f in EDITABLE_FIELDS if f not in NOT_COPYABLE)


@dataclass(frozen=True)
class MovedSummary:
    count: int
    amount: Decimal = ZERO


@dataclass(frozen=True)
class MergePreview:
    """What a merge would do, computed without writing anything."""

    duplicate: Customer
    kept: Customer
    moved: dict[str, MovedSummary]
    duplicate_balance: Decimal
    kept_balance: Decimal
    kept_balance_after: Decimal
    fillable_fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MergeResult:
    record: MergeRecord
    kept: Customer
    duplicate: Customer
    moved: dict[str, int]
    copied_fields: tuple[str, ...]


@dataclass(frozen=True)
class UndoResult:
    record: MergeRecord
    kept: Customer
    duplicate: Customer
    moved_back: dict[str, int]


def _pair(session: Session, team_id: str, duplicate_id: int, kept_id: int, *, lock: bool) -> tuple[Customer, Customer]:
    if duplicate_id == kept_id:
        raise Refused.of("merge_same")
    if lock:
        # Both rows locked in id order: A→B and B→A at once cannot both pass the checks below.
        stmt = (
            select(Customer)
            .where(Customer.team_id == team_id, col(Customer.id).in_(sorted((duplicate_id, kept_id))))
            .order_by(col(Customer.id))
            .with_for_update()
        )
        session.exec(stmt).all()
    duplicate = get(session, team_id=team_id, customer_id=duplicate_id)
    kept = get(session, team_id=team_id, customer_id=kept_id)
    if lock:
        session.refresh(duplicate)
        session.refresh(kept)
        for customer in (duplicate, kept):
            if customer.merged_into_id is not None:
                raise NotFound.of("customer_merged", name=customer.display_name)
    for customer in (duplicate, kept):
        if hierarchy.children(session, team_id, [customer.id] if customer.id else []):
            raise Refused.of("merge_has_sub_customers", name=customer.display_name)
    if not kept.active:
        raise Refused.of("merge_kept_inactive", name=kept.display_name)
    return duplicate, kept


def fillable_fields(duplicate: Customer, kept: Customer) -> dict[str, Any]:
    """Fields the duplicate has and the kept customer lacks (offered for copying, never copied silently).

    Lacking: empty, unchecked, or no preferred delivery method.
    """
    return {
        f: getattr(duplicate, f)
        for f in COPYABLE_FIELDS
        if getattr(duplicate, f) not in (None, False, DeliveryMethod.NONE)
        and getattr(kept, f) in (None, False, DeliveryMethod.NONE)
    }


def preview(session: Session, *, team_id: str, duplicate_id: int, kept_id: int) -> MergePreview:
    """What merging ``duplicate_id`` into ``kept_id`` would move, and the balances before and after.

    Raises what ``merge`` raises for the same pair; writes nothing.
    """
    duplicate, kept = _pair(session, team_id, duplicate_id, kept_id, lock=False)
    moved: dict[str, MovedSummary] = {}
    for name, model in MOVED_MODELS.items():
        amount_col = getattr(model, "amount", None)
        stmt = select(func.count(), func.coalesce(func.sum(amount_col), 0) if amount_col is not None else 0)
        stmt = stmt.where(model.team_id == team_id, model.customer_id == duplicate_id)
        count, total = session.exec(stmt).one()
        moved[name] = MovedSummary(int(count), Decimal(total).quantize(ZERO))
    owed = balances(session, team_id=team_id, customer_ids=[duplicate_id, kept_id])
    return MergePreview(
        duplicate=duplicate,
        kept=kept,
        moved=moved,
        duplicate_balance=owed[duplicate_id],
        kept_balance=owed[kept_id],
        kept_balance_after=owed[duplicate_id] + owed[kept_id],
        fillable_fields=fillable_fields(duplicate, kept),
    )


@transactional
def merge(
    session: Session,
    *,
    team_id: str,
    duplicate_id: int,
    kept_id: int,
    actor: str,
    copy_fields: Iterable[str] = (),
) -> MergeResult:
    """Merge the duplicate into the kept customer, in one transaction.

    Rules: refused (``Refused``) when both are the same customer, when either has sub-customers, or
    when the kept one is inactive; ``NotFound`` when either was merged meanwhile. Every invoice,
    payment, project and recurring template of the duplicate moves to the kept customer, and so does
    its opening balance: the sum of balances is unchanged. Only the fields named in ``copy_fields``
    that the kept customer lacks are copied. The duplicate leaves the customer list (its name becomes
    free) and the hierarchy (it is nobody's sub-customer any more); a ``MergeRecord`` keeps what ``undo``
    needs.
    """
    requested = set(copy_fields)
    unknown = requested - set(COPYABLE_FIELDS)
    if unknown:
        raise InvalidInput.of("merge_unknown_field", field=sorted(unknown)[0])
    duplicate, kept = _pair(session, team_id, duplicate_id, kept_id, lock=True)
    assert duplicate.id is not None and kept.id is not None
    moved: dict[str, dict[str, int]] = {}
    for name, model in MOVED_MODELS.items():
        rows = session.exec(
            select(model).where(model.team_id == team_id, model.customer_id == duplicate.id)
        ).all()
        moved[name] = {str(r.id): r.version for r in rows}
        for r in rows:
            r.customer_id = kept.id
    copied = {f: [getattr(kept, f), v] for f, v in fillable_fields(duplicate, kept).items() if f in requested}
    for f, (_, value) in copied.items():
        setattr(kept, f, value)
    opening = duplicate.opening_balance
    duplicate_state = {
        "active": duplicate.active,
        "version": duplicate.version,
        "opening_balance_date": audit.jsonable(duplicate.opening_balance_date),
        "parent_id": duplicate.parent_id,
        "bill_with_parent": duplicate.bill_with_parent,
    }
    kept.opening_balance += opening
    duplicate.opening_balance = ZERO
    now = utcnow()
    duplicate.active = False
    duplicate.merged_into_id = kept.id
    duplicate.name_key = None
    # It leaves the hierarchy too: a merged-away customer is nobody's sub-customer (depth, cascades, merges).
    duplicate.parent_id = None
    duplicate.bill_with_parent = False
    for c in (duplicate, kept):
        c.version += 1
        c.updated_at = now
        c.updated_by = actor
    refresh_keys(kept)
    record = MergeRecord(
        team_id=team_id, duplicate_id=duplicate.id, kept_id=kept.id, actor=actor, moved=moved,
        copied_fields={f: [audit.jsonable(a), audit.jsonable(b)] for f, (a, b) in copied.items()},
        opening_balance_moved=opening, duplicate_state=duplicate_state,
    )
    session.add(record)
    session.flush()
    counts = {name: len(ids) for name, ids in moved.items()}
    audit.record(session, team_id=team_id, actor=actor, action="merged_into", customer_id=duplicate.id,
                 after={"kept": kept.display_name, "merge_id": record.id})
    audit.record(session, team_id=team_id, actor=actor, action="merge", customer_id=kept.id,
                 before={f: a for f, (a, _) in copied.items()},
                 after={"duplicate": duplicate.display_name, "merge_id": record.id, **counts,
                        **{f: b for f, (_, b) in copied.items()}})
    session.commit()
    return MergeResult(record, kept, duplicate, counts, tuple(copied))


def get_record(session: Session, *, team_id: str, merge_id: int) -> MergeRecord:
    record = session.exec(
        select(MergeRecord).where(MergeRecord.team_id == team_id, MergeRecord.id == merge_id)
    ).first()
    if record is None:
        raise NotFound.of("merge_not_found")
    return record


@transactional
def undo(session: Session, *, team_id: str, merge_id: int, actor: str) -> UndoResult:
    """Undo a merge: the duplicate comes back and exactly its records move back to it.

    Refused (``Refused``) when already undone, when the kept customer was itself merged away since
    (``undo_kept_merged``: undo that merge first), when any moved record changed or moved since
    (``undo_records_changed``), when a copied field of the kept customer was edited since
    (``undo_fields_changed``), when the duplicate's name is now another customer's
    (``undo_name_taken``), when the duplicate's parent was merged away or, for an active duplicate, is no
    longer active (``undo_parent_gone``), or now sits so deep that the duplicate would exceed four levels
    below the top (``undo_too_deep``).
    """
    record = get_record(session, team_id=team_id, merge_id=merge_id)
    session.refresh(record, with_for_update=True)
    if record.undone_at is not None:
        raise Refused.of("merge_already_undone")
    ids = sorted((record.duplicate_id, record.kept_id))
    session.exec(
        select(Customer).where(Customer.team_id == team_id, col(Customer.id).in_(ids)).with_for_update()
    ).all()
    kept = hierarchy.get_customer(session, team_id, record.kept_id)
    duplicate = hierarchy.get_customer(session, team_id, record.duplicate_id)
    session.refresh(kept)
    session.refresh(duplicate)
    if kept.merged_into_id is not None:
        raise Refused.of("undo_kept_merged", name=kept.display_name)
    rows = _unchanged_moved_rows(session, team_id, record)
    edited = [f for f, (_, written) in record.copied_fields.items()
              if audit.jsonable(getattr(kept, f)) != written]
    if edited:
        raise Refused.of("undo_fields_changed", name=kept.display_name, fields=", ".join(edited))
    key = name_key(duplicate.display_name)
    holder = find_by_key(session, team_id, key)
    if holder is not None:
        raise Refused.of("undo_name_taken", name=duplicate.display_name)
    was_active = bool(record.duplicate_state.get("active", True))
    parent_id = record.duplicate_state.get("parent_id", duplicate.parent_id)
    if parent_id is not None:
        parent = hierarchy.get_customer(session, team_id, parent_id)
        if parent.merged_into_id is not None or (was_active and not parent.active):
            raise Refused.of("undo_parent_gone", name=duplicate.display_name)
        if hierarchy.level(session, parent) >= hierarchy.MAX_LEVEL:
            raise Refused.of("undo_too_deep", name=duplicate.display_name,
                             parent=hierarchy.fully_qualified_name(session, parent))
    for row in rows:
        row.customer_id = duplicate.id
    for f, (before, _) in record.copied_fields.items():
        setattr(kept, f, before)
    kept.opening_balance -= record.opening_balance_moved
    duplicate.opening_balance = record.opening_balance_moved
    duplicate.merged_into_id = None
    duplicate.active = was_active
    duplicate.parent_id = parent_id
    duplicate.bill_with_parent = bool(record.duplicate_state.get("bill_with_parent", duplicate.bill_with_parent))
    now = utcnow()
    for c in (duplicate, kept):
        c.version += 1
        c.updated_at = now
        c.updated_by = actor
        refresh_keys(c)
    record.undone_at = now
    record.undone_by = actor
    counts = {name: len(ids) for name, ids in record.moved.items()}
    for c, other in ((duplicate, kept), (kept, duplicate)):
        audit.record(session, team_id=team_id, actor=actor, action="undo_merge", customer_id=c.id,
                     after={"other": other.display_name, "merge_id": record.id, **counts})
    session.commit()
    return UndoResult(record, kept, duplicate, counts)


def _unchanged_moved_rows(session: Session, team_id: str, record: MergeRecord) -> list[Any]:
    """The records the merge moved, provided every one is still on the kept customer, unchanged."""
    rows: list[Any] = []
    changed_kinds: list[str] = []
    changed_count = 0
    for name, versions in record.moved.items():
        wanted = {int(i): v for i, v in versions.items()}
        if not wanted:
            continue
        model = MOVED_MODELS[name]
        found = session.exec(select(model).where(model.team_id == team_id, col(model.id).in_(wanted))).all()
        intact = [r for r in found if r.customer_id == record.kept_id and r.version == wanted[r.id]]
        if len(intact) != len(wanted):
            changed_kinds.append(name.replace("_", " "))
            changed_count += len(wanted) - len(intact)
        rows.extend(intact)
    if changed_kinds:
        raise Refused.of("undo_records_changed", count=changed_count, what=", ".join(changed_kinds))
    return rows
