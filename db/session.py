"""Engine and session factory for SQLite (default) and PostgreSQL (``DATABASE_URL``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

DEFAULT_DATABASE_URL = "sqlite:///clientdesk.db"

SessionFactory = Callable[[], Session]


def database_url_from_env() -> str:
    """``DATABASE_URL``, with the ``postgres://``/``postgresql://`` forms mapped to psycopg 3."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured for ClientDesk's transactions.

    SQLite: foreign keys on, WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for every transaction so
    that a check-then-write (unique name, version check) cannot interleave with another writer.
    """
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    connect_args.setdefault("timeout", 30)
    if make_url(url).database in (None, "", ":memory:"):
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> SessionFactory:
    """A callable returning a new session; ``with factory() as s, s.begin(): ...`` is one transaction."""

    def new_session() -> Session:
        return Session(engine, expire_on_commit=False)

    return new_session
