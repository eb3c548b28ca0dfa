"""A fresh database per test: SQLite (default) or PostgreSQL when CLIENTDESK_TEST_DATABASE_URL is set.

PostgreSQL runs with the real migrations once per session, then every test starts from empty tables.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

import db.models  # every table, for the clean-up order
from db.migrate import upgrade
from db.session import SessionFactory, make_engine, session_factory
from tests.slack_harness import SlackHarness, running_app

TEST_DATABASE_URL = os.environ.get("CLIENTDESK_TEST_DATABASE_URL", "")


def is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


@pytest.fixture(scope="session")
def _postgres_engine() -> Iterator[Engine | None]:
    if not is_postgres():
        yield None
        return
    # A schema of its own per test run, so parallel runs on one database never see each other.
    schema = f"clientdesk_test_{os.getpid()}"
    admin = make_engine(TEST_DATABASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(TEST_DATABASE_URL, connect_args={"options": f"-csearch_path={schema}"})
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _empty_postgres(engine: Engine) -> None:
    """Delete every row of the run's schema (ours and slack_sdk's OAuth tables), children first, and
    restart the id sequences. Faster than TRUNCATE, and it takes no lock a lingering thread could hold."""
    ours = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        present = set(conn.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).scalars()) - {"alembic_version"}
        for name in [t for t in ours if t in present] + sorted(present - set(ours)):
            conn.execute(text(f'DELETE FROM "{name}"'))
        for (sequence,) in conn.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        ):
            conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database made by the real migrations once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("template") / "clientdesk.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture
def engine(_postgres_engine: Engine | None, _sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    if _postgres_engine is not None:
        _empty_postgres(_postgres_engine)
        yield _postgres_engine
        return
    path = tmp_path / "clientdesk.db"
    shutil.copyfile(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def database_url(engine: Engine) -> str:
    """A ``DATABASE_URL`` for a subprocess (the CLI) that reaches this test's database."""
    url = engine.url
    if is_postgres():
        url = url.update_query_dict({"options": f"-csearch_path={engine.dialect.default_schema_name}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def db(engine: Engine) -> SessionFactory:
    """The session factory handlers and the app are given."""
    return session_factory(engine)


@pytest.fixture
def session(db: SessionFactory) -> Iterator[Session]:
    with db() as s:
        yield s


@pytest.fixture
def app(engine: Engine, db: SessionFactory) -> Iterator[SlackHarness]:
    """The real Bolt app served over HTTP, talking to a fake Slack Web API."""
    with running_app(engine, db) as harness:
        yield harness
