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

class SessionFactory(Protocol):
    """Returns a new session: ``with factory() as s: ...``; ``factory(read_only=True)`` for reads."""

    def __call__(self, *, read_only: bool = False) -> Session: ...


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
    return create_engine(url, **kwargs)


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
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers need no write lock: a long import must not stall a typeahead.
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> SessionFactory:
    """The factory handlers' callers open sessions with (a session's transaction begins on first use)."""
    reader = engine.execution_options(**{READ_ONLY_OPTION: True})

    def new_session(*, read_only: bool = False) -> Session:
        return Session(reader if read_only else engine, expire_on_commit=False)

    return new_session
