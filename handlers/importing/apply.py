"""Applying a plan: the selected rows written in ONE transaction — all of them or none.

Apply classifies the rows again inside its transaction (the list may have changed since the preview:
a name taken meanwhile, a customer edited), checks the selection against that, then writes from the
plan's spill: new customers in batches of 1,000 as raw driver statements (``_Inserter``: SQLite
INSERTs, PostgreSQL ``COPY``; no ORM objects, no RETURNING: parents are linked afterwards by name key),
updates as Core ``executemany`` per set of changed fields. Importing the same file twice creates
nothing: its rows are then unchanged.

Audit: each update writes one AuditEvent per customer with the changed fields before and after (as an
edit does: the previous values exist nowhere else). Creations write ONE batch event for the import
(file, sha256, job, counts): every created row is the file's row as it was, the customers carry
``created_by``/``created_at``, and a 100,000-row import stays one transaction of 100,000 inserts instead
of 200,000.
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlmodel import Session

from db.models import (
    CUSTOMER_SEARCH_FTS,
    CUSTOMER_SEARCH_PENDING,
    AuditEvent,
    CustomerFields,
    RecurringTemplate,
    utcnow,
)
from handlers import audit
from handlers.customers import TEMPLATE_FIELD_GROUPS, customer_keys
from handlers.errors import Conflict, InvalidInput, Refused
from handlers.fields import EDITABLE_FIELDS
from handlers.importing import jobs
from handlers.importing.plan import (
    BATCH,
    CUSTOMER,
    KEY_NAMES,
    Classification,
    Plan,
    PlannedRow,
    RowStatus,
    Staged,
    _chunks,
    _existing_values,
    _lookup,
    classify,
    restage,
    workspace_state,
)

AUDIT = AuditEvent.__table__  # type: ignore[attr-defined]
TEMPLATE = RecurringTemplate.__table__  # type: ignore[attr-defined]
KEY_SOURCES = ("display_name", "company_name", "email", "phone", "mobile", "other_phone")
SEARCH_INSERT_TRIGGER = f"{CUSTOMER_SEARCH_FTS}_insert"  # migration 0005's, on SQLite
DEFAULTS: dict[str, Any] = {name: None if info.is_required() else info.default
                            for name, info in CustomerFields.model_fields.items() if name in EDITABLE_FIELDS}
_SELECTION_PART = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")
MAX_LISTED = 10


@dataclass(frozen=True)
class Selection:
    """Which rows to import: every valid row ("all"), only new customers ("new"), or row numbers."""

    kind: str = "all"
    rows: frozenset[int] = frozenset()
    ranges: tuple[tuple[int, int], ...] = ()

    def __str__(self) -> str:
        if self.kind != "rows":
            return self.kind
        parts = [str(n) for n in sorted(self.rows)] + [f"{a}-{b}" for a, b in self.ranges]
        return ",".join(parts)

    def includes(self, row: PlannedRow) -> bool:
        if self.kind == "all":
            return row.status in (RowStatus.NEW, RowStatus.UPDATE)
        if self.kind == "new":
            return row.status is RowStatus.NEW
        return row.number in self.rows or any(a <= row.number <= b for a, b in self.ranges)


ALL = Selection("all")
NEW_ONLY = Selection("new")


def parse_selection(text: str) -> Selection:
    """``"all"``, ``"new"``, or row numbers and ranges: ``"2,5,9-12"``. Raises ``InvalidInput``."""
    cleaned = (text or "").strip().casefold()
    if cleaned in ("", "all", "tout", "tous"):
        return ALL
    if cleaned in ("new", "nouveaux"):
        return NEW_ONLY
    rows: set[int] = set()
    ranges: list[tuple[int, int]] = []
    for part in cleaned.replace(";", ",").split(","):
        if not part.strip():
            continue
        match = _SELECTION_PART.match(part)
        if match is None:
            raise InvalidInput.of("import_bad_selection", "selection", text=text[:100])
        first, last = int(match.group(1)), match.group(2)
        if last is None:
            rows.add(first)
        elif int(last) < first:
            raise InvalidInput.of("import_bad_selection", "selection", text=text[:100])
        else:
            ranges.append((first, int(last)))
    if not rows and not ranges:
        raise InvalidInput.of("import_bad_selection", "selection", text=text[:100])
    return Selection("rows", frozenset(rows), tuple(ranges))


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    skipped: int       # importable rows left out by the selection
    rejected: int      # invalid rows and duplicates in the file
    rows: list[PlannedRow]   # every row as classified when applied (for the report)
    job_id: int | None = None

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "skipped": self.skipped, "rejected": self.rejected}


Progress = Callable[[int, int], None]


def apply_plan(
    session: Session,
    plan: Plan,
    *,
    actor: str,
    selection: Selection = ALL,
    job_id: int | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Write the selected rows of ``plan`` in one transaction (see the module's docstring).

    ``progress(done, total)`` is called after each batch of rows written. With ``job_id``, the job is
    claimed first (``Refused`` if it is running elsewhere or done), marked done with the customers,
    or failed when anything goes wrong. Raises ``Refused`` (``import_rows_not_importable``,
    ``import_rows_unknown``, ``import_parent_not_selected``, ``import_nothing_selected``), ``Conflict``
    (``import_changed_meanwhile``), ``InvalidInput`` (``import_file_changed``).
    """
    staged = restage(plan)
    if job_id is not None:
        jobs.claim(session, team_id=plan.team_id, job_id=job_id, selection=str(selection), rows=len(plan.rows))
    try:
        result = _apply(session, plan, staged, actor=actor, selection=selection, progress=progress,
                        job_id=job_id)
    except BaseException as error:
        session.rollback()
        if job_id is not None and isinstance(error, Exception):
            jobs.fail(session, team_id=plan.team_id, job_id=job_id, error=error)
        raise
    return result


def _apply(
    session: Session, plan: Plan, staged: Staged, *, actor: str, selection: Selection,
    progress: Progress | None, job_id: int | None,
) -> ImportResult:
    team_id = plan.team_id
    result = _still_valid(session, plan, staged) or classify(
        session, team_id=team_id, staged=staged, update_by=plan.update_by, for_apply=True)
    chosen = _chosen(result, selection)
    _check_parents_selected(result, chosen)
    conn = session.connection()
    _more_page_cache(conn)
    now = utcnow()
    total = sum(1 for i in chosen if result.rows[i].status in (RowStatus.NEW, RowStatus.UPDATE))
    done = created = updated = 0
    index = 0
    template_changes: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    search_index = _SearchIndexBulk.start(conn)
    inserter = _Inserter(conn, staged.fields, team_id=team_id, actor=actor, now=now)
    try:
        for batch in staged.raw_batches():
            inserts: list[tuple[Any, ...]] = []
            edits: list[PlannedRow] = []
            for j, (_number, cells, keys) in enumerate(batch):
                i = index + j
                if i not in chosen:
                    continue
                row = result.rows[i]
                if row.status is RowStatus.NEW:
                    inserts.append(inserter.row(cells, keys))
                elif row.status is RowStatus.UPDATE:
                    edits.append(row)
            index += len(batch)
            if inserts:
                inserter.insert(conn, inserts)
                created += len(inserts)
            if edits:
                inserter.finish()  # no other statement while a COPY is under way
                template_changes.extend(_update(conn, team_id, edits, actor, now))
                updated += len(edits)
            if inserts or edits:
                done += len(inserts) + len(edits)
                if progress is not None:
                    progress(done, total)
        inserter.finish()
        if search_index is not None:
            search_index.finish(conn)
        _link_parents(conn, team_id, result, chosen, staged, now)
        _propagate_to_templates(conn, team_id, template_changes)
    except IntegrityError:
        # Another writer took one of these names since the rows were classified.
        raise Conflict.of("import_changed_meanwhile") from None
    finally:
        inserter.abandon()
        _default_page_cache(conn)
    counts = {s: 0 for s in RowStatus}
    for row in result.rows:
        counts[row.status] += 1
    importable = counts[RowStatus.NEW] + counts[RowStatus.UPDATE]
    outcome = ImportResult(
        created=created, updated=updated, unchanged=counts[RowStatus.UNCHANGED],
        skipped=importable - created - updated, rejected=counts[RowStatus.INVALID] + counts[RowStatus.DUPLICATE],
        rows=result.rows, job_id=job_id,
    )
    if created or updated:
        audit.record(session, team_id=team_id, actor=actor, action="import", customer_id=None, after={
            "file": plan.file_name, "sha256": plan.sha256, "job_id": job_id, "selection": str(selection),
            **outcome.counts(),
        })
    if job_id is not None:
        jobs.finish(session, job_id=job_id, result=outcome.counts(), rows_done=done)
    session.commit()
    return outcome


def _still_valid(session: Session, plan: Plan, staged: Staged) -> Classification | None:
    """The plan's own classification when nothing changed in the workspace since (and, on PostgreSQL,
    when it updates no customer: updates are classified again under row locks)."""
    done = plan._classified
    if done is None or staged is not plan._staged:
        return None
    conn = session.connection()
    if workspace_state(conn, plan.team_id) != done.state:
        return None
    if conn.dialect.name != "sqlite" and any(row.customer_id is not None for row in done.rows):
        return None
    return done


def _more_page_cache(conn: Connection) -> None:
    """SQLite: a 32 MB page cache while the import writes (with the default 2 MB, every index of a
    100,000-row insert keeps going back to the file: 2× slower; 64 MB gained ~3 % over 32 MB for
    32 MB more memory); the default again once written."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size=-32768")


def _default_page_cache(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        with contextlib.suppress(SQLAlchemyError):  # never hide the error that ended the import
            conn.exec_driver_sql("PRAGMA cache_size=-2000")


def _chosen(result: Classification, selection: Selection) -> set[int]:
    """Indexes of the rows to write (unchanged rows selected by number are no-ops)."""
    chosen = {i for i, row in enumerate(result.rows) if selection.includes(row)}
    if selection.kind == "rows":
        present = {row.number for row in result.rows}
        unknown = sorted(selection.rows - present)
        if unknown:
            raise Refused.of("import_rows_unknown", "selection", rows=_listed(unknown))
        refused = [result.rows[i].number for i in sorted(chosen)
                   if result.rows[i].status in (RowStatus.INVALID, RowStatus.DUPLICATE)]
        if refused:
            raise Refused.of("import_rows_not_importable", "selection", rows=_listed(refused))
        if not chosen:
            raise Refused.of("import_nothing_selected", "selection")
    return chosen


def _listed(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:MAX_LISTED])
    return shown + (" …" if len(numbers) > MAX_LISTED else "")


def _check_parents_selected(result: Classification, chosen: set[int]) -> None:
    missing = []
    for i in sorted(chosen):
        link = result.parents.get(i)
        if link is None or link[0] is None:
            continue
        parent_row = result.rows[link[0]]
        if parent_row.status is RowStatus.NEW and link[0] not in chosen:
            missing.append((result.rows[i].number, parent_row.number))
    if missing:
        raise Refused.of("import_parent_not_selected", "selection", row=missing[0][0], parent_row=missing[0][1],
                         count=len(missing))


class _Inserter:
    """INSERTs of new customers, one batch at a time, from the spill's positional rows: SQLite through
    one ``executemany`` per batch (or multi-row INSERTs when ``customer`` has triggers, see
    ``_rows_per_statement``), PostgreSQL through ``COPY … FROM STDIN`` (psycopg's ``cursor.copy``; ~3.5×
    faster than executemany there, and within the same transaction).

    The statement and each column's bind processing are prepared once (the processors are the column
    types' own, as SQLAlchemy applies them), and rows go to the driver as tuples: SQLAlchemy's per-row,
    per-column parameter building costs more than the database's own work for a 45-column insert.
    """

    def __init__(self, conn: Connection, fields: Sequence[str], *, team_id: str, actor: str, now: datetime) -> None:
        dialect = conn.dialect
        constants: dict[str, Any] = {n: v for n, v in DEFAULTS.items() if v is not None and n not in fields}
        constants.update(team_id=team_id, active=True, version=1, created_at=now, updated_at=now,
                         created_by=actor, updated_by=actor)
        self.columns = [*fields, *KEY_NAMES, *constants]
        # The dialect's own form of each type, as SQLAlchemy binds it (SQLite: datetimes as its text format).
        processors = {name: CUSTOMER.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                      for name in self.columns}
        self.constants = tuple(_bound(processors[name], value) for name, value in constants.items())
        # (position, processor, the bound default for an empty cell) of the fields that need either.
        self.fixes = [
            (i, processors[name], _bound(processors[name], DEFAULTS[name])) for i, name in enumerate(fields)
            if processors[name] is not None or DEFAULTS[name] is not None
        ]
        quote = dialect.identifier_preparer.quote
        columns = ", ".join(quote(c) for c in self.columns)
        placeholder = {"qmark": "?", "format": "%s", "pyformat": "%s"}[dialect.paramstyle]
        placeholders = ", ".join([placeholder] * len(self.columns))
        self.sql = f"INSERT INTO {quote(CUSTOMER.name)} ({columns}) VALUES ({placeholders})"
        self.copy_sql = f"COPY {quote(CUSTOMER.name)} ({columns}) FROM STDIN" if _can_copy(conn) else None
        self.per_statement = _rows_per_statement(conn, len(self.columns))
        self._head = f"INSERT INTO {quote(CUSTOMER.name)} ({columns}) VALUES "
        self._one = f"({placeholders})"
        self._statements: dict[int, str] = {}
        self.dbapi_error: type[Exception] = dialect.loaded_dbapi.Error
        self._open: contextlib.ExitStack | None = None
        self._copy: Any = None

    def row(self, cells: Sequence[Any], keys: Sequence[Any]) -> tuple[Any, ...]:
        values = list(cells)
        for i, processor, default in self.fixes:
            value = values[i]
            if value is None:
                values[i] = default
            elif processor is not None:
                values[i] = processor(value)
        return (*values, *keys, *self.constants)

    def insert(self, conn: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Write these rows. PostgreSQL: into one COPY that stays open across batches, so that the server
        inserts and indexes while this process prepares the next rows; ``finish()`` ends it."""
        if self.copy_sql is None:
            if self.per_statement == 1:
                conn.exec_driver_sql(self.sql, rows)
                return
            size = self.per_statement
            for start in range(0, len(rows), size):
                chunk = rows[start:start + size]
                sql = self._statements.get(len(chunk))
                if sql is None:
                    sql = self._statements[len(chunk)] = self._head + ", ".join([self._one] * len(chunk))
                conn.exec_driver_sql(sql, tuple(itertools.chain.from_iterable(chunk)))
            return
        with self._as_statement_error():
            if self._copy is None:
                driver = conn.connection.driver_connection
                assert driver is not None
                self._open = contextlib.ExitStack()
                cursor = self._open.enter_context(driver.cursor())
                self._copy = self._open.enter_context(cursor.copy(self.copy_sql))
            write = self._copy.write_row
            for row in rows:
                write(row)

    def finish(self) -> None:
        """End the COPY under way, if any: the server has then written every row sent."""
        if self._open is not None:
            open_copy, self._open, self._copy = self._open, None, None
            with self._as_statement_error():
                open_copy.close()

    def abandon(self) -> None:
        """After an error: end the COPY under way as failed (nothing it sent is kept)."""
        if self._open is not None:
            open_copy, self._open, self._copy = self._open, None, None
            with contextlib.suppress(Exception):  # never hide the error that ended the import
                open_copy.__exit__(RuntimeError, RuntimeError("import failed"), None)

    @contextlib.contextmanager
    def _as_statement_error(self) -> Iterator[None]:
        """The driver's errors as SQLAlchemy raises them for a statement (IntegrityError: a name taken
        meanwhile, which apply turns into a Conflict)."""
        dbapi_error = self.dbapi_error
        try:
            yield
        except dbapi_error as error:
            raise DBAPIError.instance(self.copy_sql, None, error, dbapi_error) from error


# Rows in one multi-row INSERT (SQLite, customer table with triggers). Per 100,000 rows, apply's CPU:
# 1 row 7.7–8.9 s, 100 rows 6.2–7.1 s, 300 rows 5.3–6.4 s, 1,000 rows 5.2–5.4 s; but the importing
# process's peak memory grows with it: 202, 208 (300), 252 (500), 303 MB (1,000).
MULTI_ROW_MAX = 300


@dataclass(frozen=True)
class _SearchIndexBulk:
    """SQLite: the new customers go into the search index (migration 0005) in one statement at the end,
    not through its insert trigger's queue row by row.

    Any INSERT trigger on ``customer`` makes SQLite keep a statement journal for every INSERT (~2.5 s of
    CPU per 100,000 rows, with the queue's own inserts on top). So ``start`` drops that trigger inside
    the import's transaction, and ``finish`` indexes every customer added since (its id is above the
    largest id before) that the queue does not already hold, then creates the trigger again from its
    stored definition. DDL is transactional in SQLite: a rollback or a killed process leaves the
    trigger as it was, and other connections never see the list without it (the import holds the
    write lock from before the drop to its commit).
    """

    trigger_sql: str
    last_id: int

    @classmethod
    def start(cls, conn: Connection) -> _SearchIndexBulk | None:
        if conn.dialect.name != "sqlite":
            return None
        found = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (SEARCH_INSERT_TRIGGER,)
        ).first()
        if found is None:  # no search index (SQLite without FTS5), or not this one
            return None
        last_id = int(conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {CUSTOMER.name}").scalar() or 0)
        conn.exec_driver_sql(f"DROP TRIGGER {SEARCH_INSERT_TRIGGER}")
        return cls(str(found[0]), last_id)

    def finish(self, conn: Connection) -> None:
        conn.exec_driver_sql(
            f"INSERT INTO {CUSTOMER_SEARCH_FTS} (rowid, search_key) SELECT id, search_key FROM {CUSTOMER.name} "
            f"WHERE id > ? AND id NOT IN (SELECT id FROM {CUSTOMER_SEARCH_PENDING})", (self.last_id,))
        conn.exec_driver_sql(self.trigger_sql)


def _rows_per_statement(conn: Connection, columns: int) -> int:
    """SQLite: rows per INSERT statement. An INSERT trigger on ``customer`` makes SQLite keep a statement
    journal for each statement: ~2.5 s of CPU per 100,000 single-row INSERTs, paid per statement, so
    then a few hundred rows go in each. Without one (the search index's is suspended during imports,
    ``_SearchIndexBulk``), single rows through ``executemany`` are cheaper (multi-row INSERTs cost ~+30 %;
    with only the index's UPDATE and DELETE triggers, apply of 100k rows: 4.5 s single, 5.2 s multi)."""
    if conn.dialect.name != "sqlite":
        return 1
    triggered = conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND sql LIKE '%INSERT ON%' LIMIT 1",
        (CUSTOMER.name,)).first()
    if triggered is None:
        return 1
    getlimit = getattr(conn.connection.driver_connection, "getlimit", None)  # Python >= 3.11
    limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) if getlimit is not None else 999
    return max(1, min(MULTI_ROW_MAX, limit // columns))


def _can_copy(conn: Connection) -> bool:
    """PostgreSQL through psycopg 3 (whose cursors have ``copy``)."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def _bound(processor: Callable[[Any], Any] | None, value: Any) -> Any:
    if isinstance(value, enum.Enum):
        value = value.value
    return processor(value) if processor is not None and value is not None else value


def _update(conn: Connection, team_id: str, edits: list[PlannedRow], actor: str,
            now: datetime) -> list[tuple[int, dict[str, Any], dict[str, Any]]]:
    """Update a batch of customers (one executemany per set of changed fields) and audit each one.
    Returns (customer id, before, after) of every customer, for the recurring templates."""
    existing = _existing_values(conn, team_id, [row.customer_id for row in edits if row.customer_id])
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    events: list[dict[str, Any]] = []
    followed: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for row in edits:
        assert row.customer_id is not None
        before_row = existing[row.customer_id]
        changed = {c.field: c.after for c in row.changes if c.field in EDITABLE_FIELDS}
        after_row = {**before_row, **changed}
        params = {"b_id": row.customer_id, **changed,
                  **customer_keys({k: after_row.get(k) for k in KEY_SOURCES})}
        groups[tuple(sorted(changed))].append(params)
        events.append({
            "team_id": team_id, "customer_id": row.customer_id, "actor": actor, "at": now, "action": "import_edit",
            "before": _jsonable({c.field: c.before for c in row.changes}),
            "after": _jsonable({c.field: c.after for c in row.changes}),
        })
        followed.append((row.customer_id, before_row, after_row))
    for columns, group in groups.items():
        stmt = (
            update(CUSTOMER)
            .where(CUSTOMER.c.id == bindparam("b_id"))
            .values({**{c: bindparam(c) for c in (*columns, *KEY_NAMES)},
                     "version": CUSTOMER.c.version + 1, "updated_at": now, "updated_by": actor})
        )
        conn.execute(stmt, group)
    conn.execute(insert(AUDIT), events)
    return followed


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: audit.jsonable(v) for k, v in values.items()}


def _link_parents(conn: Connection, team_id: str, result: Classification, chosen: set[int], staged: Staged,
                  now: datetime) -> None:
    """Set ``parent_id`` of the written rows that give a parent, once every new customer exists.

    The new parents' ids are looked up by name key. On SQLite, new sub-customers are updated by their
    name key (unique in the workspace) without looking their ids up; PostgreSQL updates by id: the
    table's statistics predate the inserts of this transaction, and its plan for an update by name key
    walked the workspace's team_id index per row (minutes for 5,000 sub-customers)."""
    links = [(i, link) for i, link in result.parents.items()
             if i in chosen and (result.rows[i].status is RowStatus.NEW
                                 or any(c.field == "parent" for c in result.rows[i].changes))]
    if not links:
        return
    by_name_key = conn.dialect.name == "sqlite"
    keys = set()
    for i, (row_index, _existing) in links:
        if not by_name_key and result.rows[i].status is RowStatus.NEW:
            keys.add(staged.name_keys[i])
        if row_index is not None and result.rows[row_index].status is RowStatus.NEW:
            keys.add(staged.name_keys[row_index])
    ids = {k: v[0] for k, v in _lookup(conn, team_id, CUSTOMER.c.name_key, [k for k in keys if k]).items()}

    def id_of(i: int) -> int | None:
        row = result.rows[i]
        return row.customer_id if row.customer_id is not None else ids.get(staged.name_keys[i] or "")

    by_id: list[dict[str, Any]] = []
    by_key: list[dict[str, Any]] = []
    for i, (row_index, existing_id) in links:
        parent_id = id_of(row_index) if row_index is not None else existing_id
        row = result.rows[i]
        if by_name_key and row.customer_id is None and staged.name_keys[i]:
            if parent_id is not None:
                by_key.append({"b_key": staged.name_keys[i], "parent_id": parent_id})
                continue
        else:
            child_id = id_of(i)
            if parent_id is not None and child_id is not None:
                by_id.append({"b_id": child_id, "parent_id": parent_id})
                continue
        raise RuntimeError(f"row {row.number}: parent or customer missing after insert")
    set_parent = update(CUSTOMER).values(parent_id=bindparam("parent_id"))
    for stmt, params in ((set_parent.where(CUSTOMER.c.id == bindparam("b_id")), by_id),
                         (set_parent.where(CUSTOMER.c.team_id == team_id,
                                           CUSTOMER.c.name_key == bindparam("b_key")), by_key)):
        for chunk in _chunks(params, BATCH):
            done = conn.execute(stmt, list(chunk))
            if conn.dialect.supports_sane_multi_rowcount and done.rowcount != len(chunk):
                raise RuntimeError("a sub-customer is missing after insert")


def _propagate_to_templates(conn: Connection, team_id: str,
                            changes: Iterable[tuple[int, dict[str, Any], dict[str, Any]]]) -> None:
    """The edit rule (``customers.edit``), for imported updates: a recurring template whose copy of a
    changed field group (billing address, shipping address, email, payment method, terms, delivery
    method) still held the customer's old values takes the new ones."""
    touched = {}
    for cid, before, after in changes:
        groups = [g for g in TEMPLATE_FIELD_GROUPS if any(before.get(f) != after.get(f) for f in g)]
        if groups:
            touched[cid] = (before, after, groups)
    if not touched:
        return
    columns = [TEMPLATE.c.id, TEMPLATE.c.customer_id, *(TEMPLATE.c[f] for g in TEMPLATE_FIELD_GROUPS for f in g)]
    for chunk in _chunks(sorted(touched), BATCH):
        stmt = select(*columns).where(TEMPLATE.c.team_id == team_id, TEMPLATE.c.customer_id.in_(chunk))
        for template in conn.execute(stmt).mappings().all():
            before, after, groups = touched[template["customer_id"]]
            new_values = {f: after.get(f) for g in groups if all(template[f] == before.get(f) for f in g)
                          for f in g}
            if new_values:
                conn.execute(update(TEMPLATE).where(TEMPLATE.c.id == template["id"]).values(
                    **new_values, version=TEMPLATE.c.version + 1))
