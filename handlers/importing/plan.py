"""The dry run of an import: every row classified, nothing written.

A row is *new*, an *update* of an existing customer (matched by display name, or by email, as the user
chose; only the fields that change are listed, before → after), *unchanged* (an update that changes
nothing), a *duplicate* of an earlier row of the file (names compared normalised: case, accents and
spacing), or *invalid* with every field's problem: the form's rules (``handlers.fields.clean_fields``;
a display name, given or built from the name parts or the company; lengths; forbidden characters;
email), plus the hierarchy's (parent known, active, at most four levels below the top, no cycle).
New rows that look like existing customers (same name core, email or phone) are flagged.

Hierarchies come as a ``Parent:Child:Grandchild`` display name or as a parent column, in any order.
Empty cells change nothing on an update (a spreadsheet can't say "clear this field").

Two passes, memory flat in the row count: *staging* reads the file once, cleans every row and spills
the cleaned values to a private temporary file, keeping only compact keys in memory; *classifying*
looks the keys up in the database in batches (one query per 1,000 rows, never one per row). Apply
(``handlers.importing.apply``) classifies again inside its transaction and writes from the spill.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import pickle
import queue
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select
from sqlmodel import Session

from db.models import Customer
from handlers.customers import customer_keys
from handlers.errors import InvalidInput, Problem
from handlers.fields import (
    EDITABLE_FIELDS,
    FieldCleaner,
    FieldProblem,
    clean_fields,
    derived_display_name,
    field_cleaner,
)
from handlers.hierarchy import MAX_LEVEL, SEPARATOR
from handlers.importing.mapping import PARENT, validate
from handlers.importing.read import DEFAULT_LIMITS, Limits, SourceInfo, open_source, sha256_of
from handlers.importing.worker import Helper
from handlers.normalize import clean_text, name_key

log = logging.getLogger(__name__)

BATCH = 1000
CUSTOMER = Customer.__table__  # type: ignore[attr-defined]
SIMILAR_LIMIT = 5


class RowStatus(enum.StrEnum):
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


class UpdateBy(enum.StrEnum):
    NAME = "name"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Change:
    field: str        # a customer field, or "parent"
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class PlannedRow:
    number: int                            # the spreadsheet's row number
    status: RowStatus
    name: str                              # the display name the row gives ("" when none)
    parent: str | None = None              # the parent's display name, when the row gives one
    customer_id: int | None = None         # update / unchanged: the matched customer
    changes: tuple[Change, ...] = ()       # update: what changes
    problems: tuple[Problem, ...] = ()     # invalid: every problem
    duplicate_of: int | None = None        # duplicate: the earlier row it repeats
    similar_to: tuple[int, ...] = ()       # new: existing customers that look alike


@dataclass
class Plan:
    """The classified rows of one file with one mapping. Holds a private spill file of the cleaned
    values until ``close()`` (or garbage collection); ``apply`` writes from it."""

    team_id: str
    path: str
    file_name: str
    sha256: str
    info: SourceInfo
    fields: dict[str, int]
    update_by: UpdateBy
    limits: Limits
    rows: list[PlannedRow]
    counts: dict[RowStatus, int]
    stopped_early: bool = False
    _staged: Staged | None = field(default=None, repr=False)
    _classified: Classification | None = field(default=None, repr=False)

    def row(self, number: int) -> PlannedRow | None:
        return self._by_number().get(number)

    def _by_number(self) -> dict[int, PlannedRow]:
        cache: dict[int, PlannedRow] | None = getattr(self, "_index", None)
        if cache is None:
            cache = {r.number: r for r in self.rows}
            self._index = cache
        return cache

    def with_status(self, *statuses: RowStatus) -> list[PlannedRow]:
        return [r for r in self.rows if r.status in statuses]

    @property
    def rejected(self) -> list[PlannedRow]:
        """Rows that can't be imported as they are (invalid, or a duplicate in the file)."""
        return self.with_status(RowStatus.INVALID, RowStatus.DUPLICATE)

    @property
    def possible_duplicates(self) -> list[PlannedRow]:
        return [r for r in self.rows if r.similar_to]

    def close(self) -> None:
        if self._staged is not None:
            self._staged.close()

    def __enter__(self) -> Plan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------------------ staging


KEY_NAMES = ("name_key", "core_key", "email_key", "phone_key", "search_key")
NO_KEYS: tuple[None, ...] = (None,) * len(KEY_NAMES)
SpilledRow = tuple[int, tuple[Any, ...], tuple[Any, ...]]   # (number, value per field, key per KEY_NAMES)


@dataclass
class Staged:
    """Pass 1's result: per row (parallel lists, in file order) what classifying needs — keys, names,
    problems — and the spill file holding the cleaned values apply writes."""

    spill_path: str
    fields: tuple[str, ...]                    # the order of the spilled values
    numbers: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    name_keys: list[str | None] = field(default_factory=list)
    email_keys: list[str | None] = field(default_factory=list)
    core_keys: list[str | None] = field(default_factory=list)
    phone_keys: list[str | None] = field(default_factory=list)
    parent_names: list[str | None] = field(default_factory=list)
    parent_keys: list[str | None] = field(default_factory=list)
    problems: dict[int, list[Problem]] = field(default_factory=dict)   # row index → field problems
    bill_with_parent: bytearray = field(default_factory=bytearray)
    stopped_early: bool = False
    built_names: bool = False                  # no display name column: names built from other columns
    _finalizer: Any = None

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()

    def batches(self) -> Iterator[list[StagedRecord]]:
        """The spilled rows, in file order, a batch at a time."""
        for batch in self.raw_batches():
            yield [StagedRecord.load(r, self.fields) for r in batch]

    def raw_batches(self) -> Iterator[list[SpilledRow]]:
        """The spilled rows as written, a batch at a time: (number, value per ``fields``, key per KEY_NAMES)."""
        with open(self.spill_path, "rb") as handle:
            while header := handle.read(4):
                # Our own file, written by this process (mode 0600, see ``stage``): pickles are safe here
                # and several times cheaper to read than JSON.
                yield pickle.loads(handle.read(int.from_bytes(header, "little")))


@dataclass(slots=True)
class StagedRecord:
    number: int
    values: dict[str, Any]        # cleaned customer fields from non-empty cells
    keys: dict[str, Any]          # customers.customer_keys(values) ({} without a display name)

    @classmethod
    def load(cls, data: SpilledRow, fields: Sequence[str]) -> StagedRecord:
        number, cells, keys = data
        values = {f: v for f, v in zip(fields, cells, strict=True) if v is not None}
        return cls(number, values, dict(zip(KEY_NAMES, keys, strict=True)) if keys[0] is not None else {})


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


# What classifying keeps in memory per row: number, display name, name/email/core/phone keys, parent's
# name and key, bill with parent, problems.
RowInfo = tuple[int, str, str | None, str | None, str | None, str | None, str | None, str | None, int,
                list[Problem] | None]
ValueColumns = tuple[tuple[str, int], ...]
Task = tuple[ValueColumns, int | None, list[Any]]   # a batch of [number, cells] to clean


class _RowCleaner:
    """Cleans the rows of one mapping: every mapped column's rule is chosen once
    (``fields.field_cleaner``, the form's rules) instead of being dispatched per cell."""

    def __init__(self, value_columns: ValueColumns, parent_column: int | None) -> None:
        self.fields = spilled_fields(value_columns)
        self.columns = [(name, column, _spill_form(name, field_cleaner(name))) for name, column in value_columns]
        self.display_column = dict(value_columns).get("display_name")
        self.parent_column = parent_column

    def batch(self, rows: Sequence[Sequence[Any]]) -> tuple[bytes, list[RowInfo]]:
        """A batch of ``(number, cells)``: the spill frame's payload, and per row what classifying keeps."""
        spilled: list[SpilledRow] = []
        infos: list[RowInfo] = []
        fields = self.fields
        for number, cells in rows:
            values, problems, parent_name = self.row(cells)
            display = values.get("display_name")
            if display:
                keys = customer_keys(values)
                key_row: tuple[Any, ...] = (keys["name_key"], keys["core_key"], keys["email_key"],
                                            keys["phone_key"], keys["search_key"])
            else:
                key_row = NO_KEYS
            infos.append((number, display or "", key_row[0], key_row[2], key_row[1], key_row[3], parent_name,
                          name_key(parent_name) if parent_name else None,
                          1 if values.get("bill_with_parent") else 0, problems or None))
            spilled.append((number, tuple([values.get(f) for f in fields]), key_row))
        return pickle.dumps(spilled, protocol=pickle.HIGHEST_PROTOCOL), infos

    def row(self, cells: Sequence[Any]) -> tuple[dict[str, Any], list[Problem], str | None]:
        """One row's cleaned values (non-empty ones only), problems, and the parent's name if it gives one."""
        problems: list[Problem] = []
        parent_name: str | None = None
        if self.parent_column is not None:
            parent_cell = cells[self.parent_column]
            if parent_cell is not None and parent_cell != "":
                parent_name, more = _parent_path(parent_cell)
                problems.extend(more)
        if parent_name is None and self.display_column is not None:
            display = cells[self.display_column]
            if isinstance(display, str) and SEPARATOR in display:
                # "Parent:Child:Grandchild": the last part is the name, the part before it the parent.
                segments = [clean_text(s) for s in display.split(SEPARATOR)]
                if all(segments):
                    cells = list(cells)
                    cells[self.display_column] = segments[-1]
                    parent_name = segments[-2]
        values: dict[str, Any] = {}
        for name, column, clean in self.columns:
            cell = cells[column]
            if cell is None or cell == "":
                continue
            try:
                value = clean(cell)
            except FieldProblem as problem:
                problems.append(problem.problem(name))
                continue
            if value is not None:
                values[name] = value
        if "display_name" not in values and not any(p.field == "display_name" for p in problems):
            derived = derived_display_name(values)
            if derived:
                built, more = clean_fields({"display_name": derived})
                problems.extend(more)
                if built.get("display_name"):
                    values["display_name"] = built["display_name"]
            else:
                problems.append(Problem("display_name_required", "display_name"))
        return values, problems, parent_name


def _spill_form(name: str, clean: FieldCleaner) -> FieldCleaner:
    """The delivery method is spilled as its text (what the database stores), like every other field."""
    if name != "delivery_method":
        return clean
    return lambda value: clean(value).value


def spilled_fields(value_columns: ValueColumns) -> tuple[str, ...]:
    """The fields a spilled row holds: the mapped ones, and the display name even when it is built
    from other columns (name parts, company)."""
    names = tuple(name for name, _ in value_columns)
    return names if "display_name" in names else (*names, "display_name")


_row_cleaners: dict[tuple[ValueColumns, int | None], _RowCleaner] = {}


def clean_batch(task: Task) -> tuple[bytes, list[RowInfo]]:
    """Clean a batch of rows: the spill frame's payload, and per row what classifying keeps in memory.
    Run here or in the helper process (``handlers.importing.worker``)."""
    value_columns, parent_column, rows = task
    cleaner = _row_cleaners.get((value_columns, parent_column))
    if cleaner is None:
        _row_cleaners.clear()
        cleaner = _row_cleaners[(value_columns, parent_column)] = _RowCleaner(value_columns, parent_column)
    return cleaner.batch(rows)


def stage(batches: Iterable[list[Any]], fields: Mapping[str, int], *, helper: Helper | None = None) -> Staged:
    """Clean every row (the form's rules) and spill it; keep only keys in memory. ``batches``: lists of
    ``(number, cells)`` (``Source.batches()``). With a ``helper`` process, it cleans most batches on the
    other core; batches are written in file order."""
    handle, spill_path = tempfile.mkstemp(prefix="clientdesk-import-", suffix=".spill")  # mode 0600
    value_columns = tuple((name, column) for name, column in fields.items() if name != PARENT)
    staged = Staged(spill_path=spill_path, fields=spilled_fields(value_columns),
                    built_names="display_name" not in fields)
    staged._finalizer = weakref.finalize(staged, _remove, spill_path)
    parent_column = fields.get(PARENT)
    tasks = ((value_columns, parent_column, batch) for batch in _rebatched(batches, BATCH))
    with os.fdopen(handle, "wb") as out:
        if helper is None:
            for task in tasks:
                _keep(staged, out, *clean_batch(task))
        else:
            _stage_with(helper, staged, out, tasks)
    return staged


def _rebatched(batches: Iterable[list[Any]], size: int) -> Iterator[list[Any]]:
    """The same rows in batches of ``size`` (the last one shorter): apply reports progress per batch."""
    held: list[Any] = []
    for batch in batches:
        if not held and len(batch) == size:
            yield batch
            continue
        held.extend(batch)
        while len(held) >= size:
            yield held[:size]
            del held[:size]
    if held:
        yield held


HELPER_AHEAD = 4     # batches the helper may hold at once
PENDING_MAX = 8      # cleaned batches waiting for an earlier one (bounds memory)
HELPER_SHARE = 2     # the helper takes HELPER_SHARE - 1 batches in HELPER_SHARE (balanced with what this
                     # process does besides: reading the sandbox's rows, writing the spill)


def _stage_with(helper: Helper, staged: Staged, out: Any, tasks: Iterator[Task]) -> None:
    pending: dict[int, tuple[bytes, list[RowInfo]]] = {}
    lent: dict[int, Any] = {}       # batches the helper holds, cleaned here if it fails
    written = 0
    alive = True

    def collect(block: bool) -> None:
        nonlocal written, alive
        while lent and alive:
            try:
                index, result = helper.results.get(block=block, timeout=60 if block else None)
            except queue.Empty:
                if not block:
                    break
                index, result = -1, None
            if index < 0:  # the helper died or hangs: its batches are cleaned here
                log.warning("import helper stopped; cleaning in process")
                alive = False
                break
            pending[index] = result
            del lent[index]
            block = False
        if not alive:
            for index in sorted(lent):
                pending[index] = clean_batch(lent.pop(index))
        while written in pending:
            _keep(staged, out, *pending.pop(written))
            written += 1

    for index, task in enumerate(tasks):
        if alive and index % HELPER_SHARE != HELPER_SHARE - 1 and len(lent) < HELPER_AHEAD:
            lent[index] = task
            helper.submit(index, task)
        else:
            pending[index] = clean_batch(task)
        collect(block=len(pending) > PENDING_MAX)
    helper.finish()
    while lent:
        collect(block=True)
    collect(block=False)


def _keep(staged: Staged, out: Any, frame: bytes, infos: list[RowInfo]) -> None:
    out.write(len(frame).to_bytes(4, "little"))
    out.write(frame)
    start = len(staged.numbers)
    numbers, names, keys, emails, cores, phones, parent_names, parent_keys, bwp, problems = zip(*infos, strict=True)
    staged.numbers.extend(numbers)
    staged.names.extend(names)
    staged.name_keys.extend(keys)
    staged.email_keys.extend(emails)
    staged.core_keys.extend(cores)
    staged.phone_keys.extend(phones)
    staged.parent_names.extend(parent_names)
    staged.parent_keys.extend(parent_keys)
    staged.bill_with_parent.extend(bwp)
    for offset, found in enumerate(problems):
        if found:
            staged.problems[start + offset] = found


def _parent_path(cell: Any) -> tuple[str | None, list[Problem]]:
    """A parent cell: a name, or a full ``Top:Parent`` name whose last part is the parent."""
    text = cell if isinstance(cell, str) else str(cell)
    segments = [clean_text(s) for s in text.split(SEPARATOR)]
    name = next((s for s in reversed(segments) if s), "")
    problems = []
    if not name:
        return None, []
    if any(c in name for c in "\t\n\r"):
        problems.append(Problem("forbidden_character", PARENT, {"field": PARENT, "character": "newline"}))
    return name, problems


# -------------------------------------------------------------------------- classifying


@dataclass(slots=True)
class _Existing:
    id: int
    parent_id: int | None
    active: bool
    display_name: str


class _Resolver:
    """Hierarchy in one file: each row's effective parent (a row of the file or an existing customer),
    its level, cycles, and which rows an invalid parent makes invalid."""

    def __init__(self, conn: Connection, team_id: str) -> None:
        self.conn = conn
        self.team_id = team_id
        self.existing: dict[int, _Existing] = {}

    def load(self, ids: Iterable[int]) -> None:
        """Fetch customers and their ancestors (one query per level)."""
        todo = {i for i in ids if i not in self.existing}
        for _ in range(MAX_LEVEL + 2):
            if not todo:
                return
            found = _fetch_nodes(self.conn, self.team_id, todo)
            self.existing.update(found)
            todo = {n.parent_id for n in found.values() if n.parent_id is not None} - self.existing.keys()

    def level(self, customer_id: int) -> int:
        depth = 0
        node = self.existing.get(customer_id)
        while node is not None and node.parent_id is not None and depth <= MAX_LEVEL + 1:
            depth += 1
            node = self.existing.get(node.parent_id)
        return depth


def _fetch_nodes(conn: Connection, team_id: str, ids: set[int]) -> dict[int, _Existing]:
    found: dict[int, _Existing] = {}
    ordered = sorted(ids)
    for chunk in _chunks(ordered, BATCH):
        stmt = select(CUSTOMER.c.id, CUSTOMER.c.parent_id, CUSTOMER.c.active, CUSTOMER.c.display_name).where(
            CUSTOMER.c.team_id == team_id, CUSTOMER.c.id.in_(chunk)
        )
        for cid, parent_id, active, display_name in conn.execute(stmt):
            found[cid] = _Existing(cid, parent_id, bool(active), display_name)
    return found


def workspace_state(conn: Connection, team_id: str) -> tuple[Any, ...]:
    """A fingerprint of the workspace's customers: it changes with any customer added or changed (every
    change bumps a version). Equal before and after means a classification still holds."""
    stmt = select(func.count(), func.max(CUSTOMER.c.id), func.sum(CUSTOMER.c.version),
                  func.max(CUSTOMER.c.updated_at)).where(CUSTOMER.c.team_id == team_id)
    row = conn.execute(stmt).one()
    return (int(row[0]), row[1], int(row[2] or 0), str(row[3]))


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _lookup(conn: Connection, team_id: str, column: Any, keys: Iterable[str], *,
            lock: bool = False) -> dict[str, list[int]]:
    """key → ids of the workspace's customers still on the list (in id order), one query per 1,000 keys.

    SQLite: with ``name_key IS NOT NULL`` or ``ORDER BY id`` in the statement, its planner walks a whole
    index of the workspace per query (~80 ms per 1,000 keys at 100,000 customers) instead of looking
    the keys up (~3 ms); the first is implied by ``name_key IN``, the order is made here. PostgreSQL
    keeps the ``ORDER BY``: rows are locked in that order, the same in every transaction.
    """
    found: dict[str, list[int]] = {}
    ordered = sorted(set(keys))
    sqlite = conn.dialect.name == "sqlite"
    for chunk in _chunks(ordered, BATCH):
        conditions = [CUSTOMER.c.team_id == team_id, column.in_(chunk)]
        if column is not CUSTOMER.c.name_key:
            conditions.append(CUSTOMER.c.name_key.is_not(None))
        stmt = select(column, CUSTOMER.c.id).where(*conditions)
        if not sqlite:
            stmt = stmt.order_by(CUSTOMER.c.id)
        if lock:
            stmt = stmt.with_for_update()
        for key, cid in conn.execute(stmt):
            found.setdefault(key, []).append(cid)
    if sqlite:
        for ids in found.values():
            ids.sort()
    return found


@dataclass(slots=True)
class Classification:
    """Pass 2's result: the planned rows, in file order, and what apply needs to link parents."""

    rows: list[PlannedRow]
    # row index → (parent row index or None, existing parent id or None) for rows that give a parent
    parents: dict[int, tuple[int | None, int | None]]
    state: tuple[Any, ...] = ()   # workspace_state when classified


def classify(
    session: Session, *, team_id: str, staged: Staged, update_by: UpdateBy, for_apply: bool = False,
) -> Classification:
    """Classify every staged row against the workspace's customers (see the module's docstring).

    ``for_apply``: inside apply's transaction, matched customers are locked and similar-customer
    flags (a preview aid) are skipped.
    """
    conn = session.connection()
    state = workspace_state(conn, team_id)
    anyone = state[0] > 0
    count = len(staged.numbers)
    status: list[RowStatus | None] = [None] * count
    problems: dict[int, list[Problem]] = {}
    duplicate_of: dict[int, int] = {}

    # In-file duplicates: the first row with a name claims it.
    first_by_key: dict[str, int] = {}
    for i, key in enumerate(staged.name_keys):
        if key is None:
            continue
        claimed = first_by_key.setdefault(key, i)
        if claimed != i:
            status[i] = RowStatus.DUPLICATE
            duplicate_of[i] = staged.numbers[claimed]

    # Existing customers by name (always: a new row can't take a taken name) and by email.
    by_name = _lookup(conn, team_id, CUSTOMER.c.name_key, first_by_key.keys(), lock=for_apply) if anyone else {}
    by_email: dict[str, list[int]] = {}
    if update_by is UpdateBy.EMAIL and anyone:
        emails = [e for i, e in enumerate(staged.email_keys) if e and status[i] is None]
        by_email = _lookup(conn, team_id, CUSTOMER.c.email_key, emails, lock=for_apply)

    matched: dict[int, int] = {}          # row index → customer id
    matched_by: dict[int, int] = {}       # customer id → first row index
    for i in range(count) if by_name or by_email else ():  # nobody to match: every row is new
        if status[i] is not None or staged.name_keys[i] is None:
            continue
        key = staged.name_keys[i]
        assert key is not None
        holders = by_name.get(key)
        holder = holders[0] if holders else None
        target: int | None
        if update_by is UpdateBy.NAME:
            target = holder
        else:
            email = staged.email_keys[i]
            candidates = by_email.get(email, []) if email else []
            if len(candidates) > 1:
                problems.setdefault(i, []).append(
                    Problem("import_email_ambiguous", "email", {"count": len(candidates)}))
                continue
            target = candidates[0] if candidates else None
            if holder is not None and holder != target:
                problems.setdefault(i, []).append(
                    Problem("import_name_taken", "display_name", {"name": staged.names[i]}))
                continue
        if target is None:
            continue
        if target in matched_by:
            status[i] = RowStatus.DUPLICATE
            duplicate_of[i] = staged.numbers[matched_by[target]]
            continue
        matched[i] = target
        matched_by[target] = i

    # Hierarchy: effective parents (row or existing customer), levels, cycles.
    resolver = _Resolver(conn, team_id)
    parent_keys = {k for k in staged.parent_keys if k and k not in first_by_key}
    parent_holders = _lookup(conn, team_id, CUSTOMER.c.name_key, parent_keys) if parent_keys and anyone else {}
    resolver.load([*matched.values(), *(ids[0] for ids in parent_holders.values())])
    parents: dict[int, tuple[int | None, int | None]] = {}
    for i in range(count):
        if status[i] is RowStatus.DUPLICATE:
            continue
        pkey = staged.parent_keys[i]
        if pkey is None:
            continue
        if pkey in first_by_key:
            parents[i] = (first_by_key[pkey], None)
        elif pkey in parent_holders:
            parents[i] = (None, parent_holders[pkey][0])
        else:
            problems.setdefault(i, []).append(
                Problem("import_unknown_parent", PARENT, {"parent": staged.parent_names[i]}))
    heights = _subtree_heights(conn, team_id, [matched[i] for i in parents if i in matched])

    levels: dict[int, int | None] = {}

    def level_of(i: int, trail: tuple[int, ...] = ()) -> int | None:
        """Row i's level below the top (None: in a cycle or under an invalid parent)."""
        if i in levels:
            return levels[i]
        if i in trail or len(trail) > MAX_LEVEL + 2:
            return None
        link = parents.get(i)
        if link is None:
            result: int | None = resolver.level(matched[i]) if i in matched else 0
        elif link[0] is not None:
            parent_level = level_of(link[0], (*trail, i))
            result = None if parent_level is None else parent_level + 1
        else:
            assert link[1] is not None
            result = resolver.level(link[1]) + 1
        levels[i] = result
        return result

    def parent_problem(i: int) -> Problem | None:
        link = parents.get(i)
        if link is None:
            return None
        row_index, customer_id = link
        cycle = Problem("parent_cycle", PARENT, {"name": staged.names[i], "parent": staged.parent_names[i]})
        if row_index == i:
            return Problem("parent_is_self", PARENT, {"name": staged.names[i]})
        level = level_of(i)
        if level is None or (i in matched and _is_ancestor_move(i, matched, parents, resolver)):
            return cycle
        if row_index is not None:
            if row_index in staged.problems or row_index in problems or status[row_index] is not None:
                return Problem("import_parent_row_invalid", PARENT, {"row": staged.numbers[row_index]})
            if row_index in matched and not resolver.existing[matched[row_index]].active:
                return Problem("parent_inactive", PARENT, {"parent": staged.names[row_index]})
        else:
            assert customer_id is not None
            node = resolver.existing[customer_id]
            if not node.active:
                return Problem("parent_inactive", PARENT, {"parent": node.display_name})
        below = heights.get(matched[i], 0) if i in matched else 0
        if level + below > MAX_LEVEL:
            return Problem("too_deep", PARENT, {"parent": staged.parent_names[i], "max": MAX_LEVEL,
                                                "levels_below": below})
        return None

    # Rows are settled parent first (an invalid parent makes its sub-customers invalid).
    linked = sorted((i for i in parents if status[i] is None), key=lambda i: (level_of(i) or 0, i))
    for i in linked:
        if i in staged.problems or staged.name_keys[i] is None:
            continue
        problem = parent_problem(i)
        if problem is not None:
            problems.setdefault(i, []).append(problem)
    for i in range(count):
        if staged.bill_with_parent[i] and i not in parents and status[i] is None and not (
            i in matched and resolver.existing[matched[i]].parent_id is not None
        ):
            problems.setdefault(i, []).append(Problem("bill_with_parent_needs_parent", "bill_with_parent"))

    # Changes of updates (from the spilled values, read only when rows match customers) and
    # similar customers of new rows (one query per batch).
    changes_of = _changes_of_matched(conn, team_id, staged, matched, parents, resolver) if matched else {}
    similar: dict[int, tuple[int, ...]] = {}
    if not for_apply and anyone:
        new_rows = [i for i in range(count) if status[i] is None and i not in matched
                    and i not in staged.problems and i not in problems and staged.name_keys[i] is not None]
        for chunk in _chunks(new_rows, BATCH):
            similar.update(_similar(conn, team_id, staged, chunk))
    rows: list[PlannedRow] = []
    field_problems = staged.problems
    for i, (number, name, parent_name) in enumerate(zip(staged.numbers, staged.names, staged.parent_names,
                                                       strict=True)):
        if status[i] is RowStatus.DUPLICATE:
            rows.append(PlannedRow(number, RowStatus.DUPLICATE, name, parent_name, duplicate_of=duplicate_of[i]))
            continue
        if i in field_problems or i in problems:
            all_problems = (*field_problems.get(i, ()), *problems.get(i, ()))
            rows.append(PlannedRow(number, RowStatus.INVALID, name, parent_name, problems=all_problems))
        elif i not in matched:
            rows.append(PlannedRow(number, RowStatus.NEW, name, parent_name, similar_to=similar.get(i, ())))
        else:
            changes = changes_of.get(i, ())
            rows.append(PlannedRow(number, RowStatus.UPDATE if changes else RowStatus.UNCHANGED, name, parent_name,
                                   customer_id=matched[i], changes=tuple(changes)))
    return Classification(rows=rows, parents=parents, state=state)


def _changes_of_matched(
    conn: Connection, team_id: str, staged: Staged, matched: dict[int, int],
    parents: dict[int, tuple[int | None, int | None]], resolver: _Resolver,
) -> dict[int, list[Change]]:
    """What each matched row would change on its customer (the spill read once, a query per batch)."""
    found: dict[int, list[Change]] = {}
    index = 0
    for batch in staged.batches():
        ids = [matched[index + j] for j in range(len(batch)) if index + j in matched]
        existing = _existing_values(conn, team_id, ids) if ids else {}
        for j, record in enumerate(batch):
            i = index + j
            if i not in matched:
                continue
            values = record.values
            if staged.built_names:  # a name built from other columns never renames the customer it matched
                values = {k: v for k, v in values.items() if k != "display_name"}
            changes = _changes(values, existing[matched[i]])
            moved = _parent_change(i, parents, matched, resolver, staged, matched[i])
            if moved is not None:
                changes.append(moved)
            if changes:
                found[i] = changes
        index += len(batch)
    return found


def _is_ancestor_move(i: int, matched: dict[int, int], parents: dict[int, tuple[int | None, int | None]],
                      resolver: _Resolver) -> bool:
    """Moving an existing customer under one of its own sub-customers (as they are stored)."""
    link = parents.get(i)
    if link is None:
        return False
    target = link[1] if link[0] is None else matched.get(link[0])
    if target is None:
        return False
    me = matched[i]
    node = resolver.existing.get(target)
    steps = 0
    while node is not None and steps <= MAX_LEVEL + 1:
        if node.id == me:
            return True
        node = resolver.existing.get(node.parent_id) if node.parent_id is not None else None
        steps += 1
    return False


def _subtree_heights(conn: Connection, team_id: str, ids: Sequence[int]) -> dict[int, int]:
    """How many levels of sub-customers hang below each customer (one query per level)."""
    heights: dict[int, int] = {}
    if not ids:
        return heights
    root_of = {cid: cid for cid in ids}
    frontier = list(root_of)
    for depth in range(1, MAX_LEVEL + 2):
        if not frontier:
            break
        below: list[int] = []
        for chunk in _chunks(frontier, BATCH):
            stmt = select(CUSTOMER.c.id, CUSTOMER.c.parent_id).where(
                CUSTOMER.c.team_id == team_id, CUSTOMER.c.parent_id.in_(chunk)
            )
            for cid, parent_id in conn.execute(stmt):
                root = root_of[parent_id]
                if cid in root_of:
                    continue
                root_of[cid] = root
                heights[root] = depth
                below.append(cid)
        frontier = below
    return heights


def _existing_values(conn: Connection, team_id: str, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    columns = [CUSTOMER.c.id, CUSTOMER.c.parent_id, *(CUSTOMER.c[f] for f in EDITABLE_FIELDS)]
    names = [column.name for column in columns]
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(ids)), BATCH):
        stmt = select(*columns).where(CUSTOMER.c.team_id == team_id, CUSTOMER.c.id.in_(chunk))
        for row in conn.execute(stmt):
            found[row[0]] = dict(zip(names, row, strict=True))  # ~4× cheaper than dict(row._mapping)
    return found


def _changes(values: Mapping[str, Any], existing: Mapping[str, Any]) -> list[Change]:
    changes = []
    for name in EDITABLE_FIELDS:
        if name not in values:
            continue
        after = values[name]
        before = existing.get(name)
        if isinstance(before, Decimal) and isinstance(after, Decimal):
            same = before.quantize(Decimal("0.01")) == after
        else:
            same = before == after
        if not same:
            changes.append(Change(name, before, after))
    return changes


def _parent_change(i: int, parents: dict[int, tuple[int | None, int | None]], matched: dict[int, int],
                   resolver: _Resolver, staged: Staged, customer_id: int) -> Change | None:
    link = parents.get(i)
    if link is None:
        return None
    current = resolver.existing[customer_id].parent_id
    row_index, parent_id = link
    target = matched.get(row_index) if row_index is not None else parent_id
    if target is not None and target == current:
        return None
    before = resolver.existing[current].display_name if current is not None and current in resolver.existing \
        else None
    return Change(PARENT, before, staged.parent_names[i])


def _similar(conn: Connection, team_id: str, staged: Staged, rows: Sequence[int]) -> dict[int, tuple[int, ...]]:
    """Existing customers with the same name core, email or phone as these new rows (one query)."""
    stores: list[tuple[dict[str, list[int]], Any, list[str | None]]] = [
        ({}, CUSTOMER.c.core_key, staged.core_keys),
        ({}, CUSTOMER.c.email_key, staged.email_keys),
        ({}, CUSTOMER.c.phone_key, staged.phone_keys),
    ]
    for i in rows:
        for store, _column, keys in stores:
            key = keys[i]
            if key:
                store.setdefault(key, []).append(i)
    # The workspace in each branch: SQLite then looks each key up in its own index (MULTI-INDEX OR)
    # instead of walking the workspace's name index (~10× slower at 100,000 customers).
    conditions = [and_(CUSTOMER.c.team_id == team_id, column.in_(list(store)))
                  for store, column, _keys in stores if store]
    if not conditions:
        return {}
    stmt = select(CUSTOMER.c.id, CUSTOMER.c.name_key, CUSTOMER.c.core_key, CUSTOMER.c.email_key,
                  CUSTOMER.c.phone_key).where(or_(*conditions))
    found: dict[int, list[int]] = {}
    # In id order: the first SIMILAR_LIMIT matches are the oldest customers, whatever plan SQL chose.
    for cid, live_key, *keys in sorted(conn.execute(stmt).all(), key=lambda row: row[0]):
        if live_key is None:  # merged away
            continue
        for (store, _column, _keys), key in zip(stores, keys, strict=True):
            for i in store.get(key, ()) if key else ():
                ids = found.setdefault(i, [])
                if cid not in ids and len(ids) < SIMILAR_LIMIT:
                    ids.append(cid)
    return {i: tuple(ids) for i, ids in found.items()}


# ---------------------------------------------------------------------------------- plan


def plan_import(
    session: Session,
    *,
    team_id: str,
    path: str | os.PathLike[str],
    fields: Mapping[str, int],
    update_by: UpdateBy | str = UpdateBy.NAME,
    sheet: str | None = None,
    file_name: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    on_row: Callable[[int], None] | None = None,
) -> Plan:
    """Read the file, clean and classify every row; write nothing. ``fields`` maps customer fields
    (and "parent") to column indexes (see ``mapping.suggest``). Raises ``Refused`` (``import_*``) for
    a file that can't be read, ``InvalidInput`` for a mapping ``mapping.validate`` refuses."""
    mode = UpdateBy(update_by)
    # A big file gets a helper process for the cleaning, started now so that it is ready when the
    # sandbox has parsed the file.
    helper = Helper() if _big(path) else None
    try:
        with open_source(path, file_name=file_name, sheet=sheet, limits=limits) as source:
            clean_map = validate(source.info.headers, fields)
            batches: Iterable[list[Any]] = source.batches()
            if on_row is not None:
                batches = _counting(batches, on_row)
            staged = stage(batches, clean_map, helper=helper)
            staged.stopped_early = source.stopped_early
            info = source.info
    finally:
        if helper is not None:
            helper.close()
    try:
        result = classify(session, team_id=team_id, staged=staged, update_by=mode)
    except BaseException:
        staged.close()
        raise
    finally:
        session.rollback()  # a dry run: end the read transaction
    counts = {s: 0 for s in RowStatus}
    for row in result.rows:
        counts[row.status] += 1
    return Plan(
        team_id=team_id, path=os.fspath(path), file_name=info.file_name, sha256=sha256_of(path), info=info,
        fields=clean_map, update_by=mode, limits=limits, rows=result.rows, counts=counts,
        stopped_early=staged.stopped_early, _staged=staged, _classified=result,
    )


HELPER_FROM_BYTES = 2 * 1024**2   # about 20,000 rows: below, a second process costs more than it saves


def _big(path: str | os.PathLike[str]) -> bool:
    try:
        return os.path.getsize(path) >= HELPER_FROM_BYTES and (os.cpu_count() or 1) > 1
    except OSError:
        return False


def _counting(batches: Iterable[list[Any]], on_row: Callable[[int], None]) -> Iterator[list[Any]]:
    """``on_row(n)`` each time n, a multiple of 1,000, rows have been read."""
    done = 0
    for batch in batches:
        before, done = done, done + len(batch)
        for reached in range((before // BATCH + 1) * BATCH, done + 1, BATCH):
            on_row(reached)
        yield batch


def restage(plan: Plan) -> Staged:
    """The plan's spill, or a new one from its file (after a restart); the file must be unchanged."""
    staged = plan._staged
    if staged is not None and os.path.exists(staged.spill_path):
        return staged
    if not os.path.exists(plan.path) or sha256_of(plan.path) != plan.sha256:
        raise InvalidInput.of("import_file_changed")
    helper = Helper() if _big(plan.path) else None
    try:
        with open_source(plan.path, file_name=plan.file_name, sheet=plan.info.sheet, limits=plan.limits) as src:
            staged = stage(src.batches(), plan.fields, helper=helper)
    finally:
        if helper is not None:
            helper.close()
    plan._staged = staged
    return staged
