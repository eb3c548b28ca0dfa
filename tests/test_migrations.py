"""The Alembic migrations build exactly the schema the models describe, and upgrading is idempotent."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import db.models  # noqa: F401  (registers every table)
from db.migrate import is_up_to_date, upgrade
from db.session import make_engine
from tests.conftest import is_postgres


def _ours(name: str | None, type_: str, _parent: object) -> bool:
    # Tables other libraries create in the same database (slack_sdk's OAuth stores) are not ours.
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
