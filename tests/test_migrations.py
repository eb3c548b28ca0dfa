"""The Alembic migrations build exactly the schema the models describe, and upgrading is idempotent."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import db.models  # noqa: F401  (registers every table)
from db.migrate import alembic_config, is_up_to_date, upgrade
from db.models import CUSTOMER_SEARCH_FTS, CUSTOMER_SEARCH_PENDING, CUSTOMER_SEARCH_TRGM_INDEX
from db.session import make_engine, session_factory
from handlers import customers
from tests.conftest import TEST_DATABASE_URL, is_postgres
from tests.factories import TEAM, customer

SEARCH_TRIGGERS = {f"{CUSTOMER_SEARCH_FTS}_{what}" for what in ("insert", "update", "delete", "sync")}


def _ours(name: str | None, type_: str, _parent: object) -> bool:
    # Tables other libraries create in the same database (slack_sdk's OAuth stores) are not ours. Neither
    # is the search text index (migration 0005): SQLite's FTS5 table is no model, and PostgreSQL's pg_trgm
    # index is left out when the server refuses the extension; the tests below check it where it belongs.
    if type_ == "index" and name == CUSTOMER_SEARCH_TRGM_INDEX:
        return False
    return type_ != "table" or name in SQLModel.metadata.tables


def _differences(engine: Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": _ours})
        return compare_metadata(context, SQLModel.metadata)


def _sqlite(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")


def test_upgrade_of_an_empty_sqlite_file_matches_the_models(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    try:
        upgrade(engine)
        assert _differences(engine) == []
        assert is_up_to_date(engine)
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    try:
        upgrade(engine)
        tables = sorted(inspect(engine).get_table_names())
        upgrade(engine)
        assert sorted(inspect(engine).get_table_names()) == tables
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_an_empty_database_is_not_up_to_date(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    try:
        assert not is_up_to_date(engine)
    finally:
        engine.dispose()


def test_the_test_database_schema_matches_the_models(engine: Engine) -> None:
    # The schema every other test runs on (on PostgreSQL: built by the real migrations for the run).
    assert _differences(engine) == []
    if is_postgres():
        assert is_up_to_date(engine)


def test_the_test_database_has_the_search_index(engine: Engine) -> None:
    # Every test of search runs with the index, as a deployment does (this server allows pg_trgm).
    assert _search_index(engine) == ("gin_trgm_ops" if is_postgres() else "fts5 trigram")


# ------------------------------------------------------------------------ search index (0005)


def _search_index(engine: Engine) -> str | None:
    """What migration 0005 left: SQLite's FTS5 table with its queue and triggers, PostgreSQL's operator
    class of the GIN index on search_key; None when neither is there (and a half-made one fails)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            tables = set(connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (:fts, :pending)"),
                {"fts": CUSTOMER_SEARCH_FTS, "pending": CUSTOMER_SEARCH_PENDING}).scalars())
            triggers = set(connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'customer_search%'")).scalars())
            whole = ({CUSTOMER_SEARCH_FTS, CUSTOMER_SEARCH_PENDING}, SEARCH_TRIGGERS)
            assert (tables, triggers) == (whole if tables else (set(), set()))
            return "fts5 trigram" if tables else None
        return connection.execute(text(
            "SELECT o.opcname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_opclass o ON o.oid = x.indclass[0] "
            "WHERE i.relname = :n AND i.relnamespace = current_schema()::regnamespace"
        ), {"n": CUSTOMER_SEARCH_TRGM_INDEX}).scalar()


def _names(engine: Engine, text_: str) -> list[str]:
    with session_factory(engine)() as session:
        return [c.display_name for c in customers.search(session, team_id=TEAM, text=text_).customers]


def _add(engine: Engine, *names: str) -> None:
    with session_factory(engine)() as session:
        for name in names:
            customer(session, name)


def test_the_search_index_is_filled_for_existing_customers_and_removed_by_a_downgrade(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path)
    try:
        upgrade(engine, "0004")
        _add(engine, "Boulangerie Ducros", "Jean Martin")
        upgrade(engine)
        assert _search_index(engine) == "fts5 trigram"
        with engine.begin() as connection:  # the index holds exactly the table's keys ('rebuild')
            connection.exec_driver_sql(f"INSERT INTO {CUSTOMER_SEARCH_FTS} ({CUSTOMER_SEARCH_FTS}, rank) "
                                       "VALUES ('integrity-check', 1)")
        assert _names(engine, "ducros") == ["Boulangerie Ducros"]
        command.downgrade(alembic_config(engine), "0004")
        assert _search_index(engine) is None
        assert _differences(engine) == []
        _add(engine, "Atelier Ducros")
        assert _names(engine, "ducros") == ["Atelier Ducros", "Boulangerie Ducros"]
        upgrade(engine)
        assert _search_index(engine) == "fts5 trigram"
        assert _names(engine, "ducros") == ["Atelier Ducros", "Boulangerie Ducros"]
    finally:
        engine.dispose()


@contextmanager
def _postgres_schema(url: str, schema: str) -> Iterator[Engine]:
    """An empty schema of its own (dropped afterwards), and an engine whose search_path is it alone."""
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL's pg_trgm index")
def test_the_pg_trgm_index_is_dropped_by_a_downgrade_and_made_again() -> None:
    with _postgres_schema(TEST_DATABASE_URL, f"clientdesk_migrations_{os.getpid()}") as engine:
        upgrade(engine)
        assert _search_index(engine) == "gin_trgm_ops"
        _add(engine, "Boulangerie Ducros", "Jean Martin")
        command.downgrade(alembic_config(engine), "0004")
        assert _search_index(engine) is None
        assert _differences(engine) == []
        upgrade(engine)
        assert _search_index(engine) == "gin_trgm_ops"
        assert _names(engine, "ducros") == ["Boulangerie Ducros"]


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL's pg_trgm index")
def test_a_server_refusing_pg_trgm_gets_no_index_and_search_still_works(caplog: pytest.LogCaptureFixture) -> None:
    # A database of its own where pg_trgm is not installed, and a role that may not install it (no CREATE
    # on the database, as on managed servers), owning the schema the app runs in.
    name = f"clientdesk_no_trgm_{os.getpid()}"
    admin = make_engine(TEST_DATABASE_URL)
    url = make_url(TEST_DATABASE_URL)

    def as_admin(*statements: str, database: str | None = None) -> None:
        engine = make_engine(url.set(database=database).render_as_string(hide_password=False)) if database else admin
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for statement in statements:
                    connection.exec_driver_sql(statement)
        finally:
            if database:
                engine.dispose()

    as_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{name}"',
             f'CREATE ROLE "{name}" LOGIN', f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        as_admin(f'CREATE SCHEMA app AUTHORIZATION "{name}"', database=name)
        app_url = url.set(database=name, username=name).render_as_string(hide_password=False)
        engine = make_engine(app_url, connect_args={"options": "-csearch_path=app"})
        try:
            with caplog.at_level(logging.WARNING, logger="db.migrations.0005"):
                upgrade(engine)
            assert "refused CREATE EXTENSION pg_trgm" in caplog.text
            assert _search_index(engine) is None
            assert _differences(engine) == []
            assert is_up_to_date(engine)
            _add(engine, "Boulangerie Ducros", "Jean Martin", "Atelier Ducros")
            assert _names(engine, "ducros") == ["Atelier Ducros", "Boulangerie Ducros"]
        finally:
            engine.dispose()
    finally:
        as_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{name}"')
        admin.dispose()
