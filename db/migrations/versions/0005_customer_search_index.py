"""text index of customer.search_key for "contains" searches

``handlers.customers.search`` finds customers whose ``search_key`` contains the typed text. Without an
index that is a scan of the workspace's list (35-80 ms at 100,000 customers); with a trigram index it
is a look-up.

- SQLite: an FTS5 table with the ``trigram`` tokenizer (SQLite >= 3.34) over ``search_key``, with
  ``customer`` as its external content (the index holds no copy of the text), ``detail=none`` (row ids
  only: search asks it for the rows holding every trigram of the text and tests the text itself on
  ``customer``) and ``columnsize=0`` (no per-row sizes: nothing ranks). Triggers on ``customer`` keep it
  in step with every write (ORM flushes, the import's Core ``executemany``, raw SQL alike), through a
  queue: FTS5 writes each statement's changes out as a new segment, so indexing row by row made an
  import's inserts ~4x slower. The triggers list the changed ids in ``customer_search_pending`` (with
  the text the index holds for them, which FTS5 needs to remove it); every ``SYNC_EVERY`` ids, or when
  ``INSERT INTO customer_search_pending (id) VALUES (0)`` asks, one set-based statement moves them into
  the index. Search reads the pending ids as candidates too, so the index plus the queue always cover
  every customer. Filled here for existing rows (``'rebuild'``).
- PostgreSQL: a ``pg_trgm`` GIN index, which ``LIKE '%text%'`` uses as it is. The extension goes into
  schema ``public`` (where every ``search_path`` that includes it sees it, and where dropping an app
  schema cannot take it along), or the current schema when ``public`` is refused, or is used where it
  already is: the operator class is named with its schema, so the index works whatever the
  ``search_path``. A server that refuses ``CREATE EXTENSION`` (managed databases without the right)
  gets no index and a warning: search still works, by scanning.

Both are optional: when SQLite lacks FTS5 or the trigram tokenizer, the migration leaves the index
out with a warning and search scans. None of this is a model (``db.models.CUSTOMER_SEARCH_FTS``,
``CUSTOMER_SEARCH_PENDING``, ``CUSTOMER_SEARCH_TRGM_INDEX``), so ``tests/test_migrations.py`` leaves it
out of its comparison.

A later migration that rebuilds ``customer`` on SQLite (Alembic's batch mode: copy, drop, rename)
drops the triggers on it with the old table: it must create them again (``SQLITE_TRIGGERS``), run the
``'rebuild'`` command and empty the queue. ``tests/test_search.py`` fails when the index stops
following the table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("db.migrations.0005")

FTS = "customer_search"  # db.models.CUSTOMER_SEARCH_FTS
PENDING = "customer_search_pending"  # db.models.CUSTOMER_SEARCH_PENDING
TRGM_INDEX = "ix_customer_search_trgm"  # db.models.CUSTOMER_SEARCH_TRGM_INDEX
SYNC_EVERY = 256  # queued ids that make the triggers move the queue into the index

SQLITE_TABLES = (
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(search_key, tokenize = 'trigram', detail = none, "
    "content = 'customer', content_rowid = 'id', columnsize = 0)",
    # The ids whose entry in the index is missing or out of date, with the text the index holds for them
    # (NULL: none). Every other customer is in the index with its current search_key.
    f"CREATE TABLE {PENDING} (id INTEGER PRIMARY KEY, indexed TEXT)",
)
# INSERT OR IGNORE keeps an id's first queued text: what the index still holds. On an update the new id
# is queued only when the id changed (queuing it again could follow a sync that already indexed it).
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER {FTS}_insert AFTER INSERT ON customer BEGIN
        INSERT OR IGNORE INTO {PENDING} (id, indexed) VALUES (new.id, NULL);
    END""",
    f"""CREATE TRIGGER {FTS}_update AFTER UPDATE OF id, search_key ON customer
        WHEN old.id IS NOT new.id OR old.search_key IS NOT new.search_key BEGIN
        INSERT OR IGNORE INTO {PENDING} (id, indexed) VALUES (old.id, old.search_key);
        INSERT OR IGNORE INTO {PENDING} (id, indexed) SELECT new.id, NULL WHERE new.id IS NOT old.id;
    END""",
    f"""CREATE TRIGGER {FTS}_delete AFTER DELETE ON customer BEGIN
        INSERT OR IGNORE INTO {PENDING} (id, indexed) VALUES (old.id, old.search_key);
    END""",
    # The move: the old entries out ('delete' takes the indexed text), the current texts in, in two
    # statements whatever the number of rows (CROSS JOIN: read the queue, look each customer up by id).
    f"""CREATE TRIGGER {FTS}_sync AFTER INSERT ON {PENDING}
        WHEN new.id = 0 OR (SELECT count(*) FROM {PENDING}) >= {SYNC_EVERY} BEGIN
        INSERT INTO {FTS} ({FTS}, rowid, search_key)
            SELECT 'delete', id, indexed FROM {PENDING} WHERE indexed IS NOT NULL;
        INSERT INTO {FTS} (rowid, search_key)
            SELECT c.id, c.search_key FROM {PENDING} AS p CROSS JOIN customer AS c ON c.id = p.id;
        DELETE FROM {PENDING};
    END""",
)
SQLITE_TRIGGER_NAMES = (f"{FTS}_insert", f"{FTS}_update", f"{FTS}_delete", f"{FTS}_sync")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _upgrade_sqlite(bind)
    elif bind.dialect.name == "postgresql":
        _upgrade_postgresql(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"DROP TABLE IF EXISTS {PENDING}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    elif bind.dialect.name == "postgresql":
        # The extension stays: other schemas of the database may use it.
        op.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


def _upgrade_sqlite(bind: Connection) -> None:
    try:
        with bind.begin_nested():
            bind.exec_driver_sql(SQLITE_TABLES[0])
    except DBAPIError as error:  # no FTS5, or SQLite < 3.34 (no trigram tokenizer)
        log.warning("customer search index left out: this SQLite (%s) cannot create an FTS5 trigram table "
                    "(%s); searches for text inside names will scan the list", _sqlite_version(bind), error.orig)
        return
    for statement in (*SQLITE_TABLES[1:], *SQLITE_TRIGGERS):
        bind.exec_driver_sql(statement)
    bind.exec_driver_sql(f"INSERT INTO {FTS} ({FTS}) VALUES ('rebuild')")


def _sqlite_version(bind: Connection) -> str:
    return str(bind.exec_driver_sql("SELECT sqlite_version()").scalar())


def _upgrade_postgresql(bind: Connection) -> None:
    schema = _trgm_schema(bind)
    refusal: DBAPIError | None = None
    for statement in ("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public", "CREATE EXTENSION IF NOT EXISTS pg_trgm"):
        if schema is not None:
            break
        try:
            with bind.begin_nested():
                bind.exec_driver_sql(statement)
        except DBAPIError as error:  # no right to create it (or no schema public)
            refusal = error
        schema = _trgm_schema(bind)
    if schema is None:
        log.warning("customer search index left out: the server refused CREATE EXTENSION pg_trgm (%s); "
                    "searches for text inside names will scan the list. A superuser can run "
                    "'CREATE EXTENSION pg_trgm SCHEMA public' and the app's migrations again (downgrade "
                    "to 0004, upgrade).", refusal.orig if refusal is not None else "not available")
        return
    opclass = f"{bind.dialect.identifier_preparer.quote(schema)}.gin_trgm_ops"
    try:
        with bind.begin_nested():
            bind.exec_driver_sql(f"CREATE INDEX {TRGM_INDEX} ON customer USING gin (search_key {opclass})")
    except DBAPIError as error:  # e.g. no USAGE on the extension's schema
        log.warning("customer search index left out: %s; searches for text inside names will scan the list",
                    error.orig)


def _trgm_schema(bind: Connection) -> str | None:
    """The schema pg_trgm is installed in, if it is."""
    return bind.execute(text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    )).scalar()
