"""Engine and session factory for SQLite (default) and PostgreSQL (``DATABASE_URL``)."""

from __future__ import annotations

import os
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

DEFAULT_DATABASE_URL = "sqlite:///clientdesk.db"
READ_ONLY_OPTION = "clientdesk_read_only"
LOCK_WAIT_OPTION = "clientdesk_lock_wait"
# How long a writer waits for another writer's lock by default (SQLite's busy timeout): long enough for
# an import's transaction to end. Requests answered while Slack waits use a shorter wait (``lock_wait``).
DEFAULT_LOCK_WAIT = 30.0


class SessionFactory(Protocol):
    """Returns a new session: ``with factory() as s: ...``; ``factory(read_only=True)`` for reads (one
    snapshot of the database for the whole session, on SQLite and PostgreSQL).

    ``lock_wait`` (seconds) bounds how long the session's writes wait for another transaction's lock;
    past it the write fails (``handlers.errors.Busy`` through ``@transactional``) instead of waiting.
    """

    def __call__(self, *, read_only: bool = False, lock_wait: float | None = None) -> Session: ...


def database_url_from_env() -> str:
    """``DATABASE_URL`` (SQLite file ``clientdesk.db`` by default), for psycopg 3."""
    return normalize_database_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)


def normalize_database_url(url: str) -> str:
    """Map the ``postgres://`` and ``postgresql://`` forms to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured for ClientDesk's transactions.

    SQLite: foreign keys on, WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for every transaction so
    that a check-then-write (unique name, version check) cannot interleave with another writer.
    """
    if "poolclass" not in kwargs:
        # As many connections as the app has listener threads, so no request waits for a connection.
        kwargs.setdefault("pool_size", 16)
        kwargs.setdefault("max_overflow", 16)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # PostgreSQL writers wait only for rows another transaction holds (the same new name, say).
        wait = connection.get_execution_options().get(LOCK_WAIT_OPTION)
        if wait is not None:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {max(1, int(wait * 1000))}")

    return engine


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", 30)
    if make_url(url).database in (None, "", ":memory:"):
        kwargs.pop("pool_size", None)
        kwargs.pop("max_overflow", None)
        kwargs.setdefault("poolclass", NullPool)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (pysqlite's implicit BEGIN
        # is DEFERRED, which turns concurrent check-then-insert into "database is locked").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(DEFAULT_LOCK_WAIT * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        # Readers need no write lock: a long import must not stall a typeahead.
        if options.get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
            return
        # The busy timeout is the connection's: set for this transaction, since pooled connections are shared.
        wait = options.get(LOCK_WAIT_OPTION, DEFAULT_LOCK_WAIT)
        connection.exec_driver_sql(f"PRAGMA busy_timeout={max(1, int(wait * 1000))}")
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine, *, lock_wait: float | None = None) -> SessionFactory:
    """The factory handlers' callers open sessions with (a session's transaction begins on first use).

    ``lock_wait``: the factory's default wait for another writer's lock (``DEFAULT_LOCK_WAIT`` if None).
    """
    reader = engine.execution_options(**{READ_ONLY_OPTION: True})
    if engine.dialect.name == "postgresql":
        # A read session sees one state of the list, as SQLite's read transactions do (an export reads
        # page after page); a read-only REPEATABLE READ transaction never fails to serialise.
        reader = reader.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    writers: dict[float, Engine] = {}

    def writer(wait: float) -> Engine:
        if wait not in writers:
            writers[wait] = engine.execution_options(**{LOCK_WAIT_OPTION: wait})
        return writers[wait]

    def new_session(*, read_only: bool = False, lock_wait: float | None = lock_wait) -> Session:
        if read_only:
            return Session(reader, expire_on_commit=False)
        return Session(engine if lock_wait is None else writer(lock_wait), expire_on_commit=False)

    return new_session
