"""Alembic environment: the engine comes from ``db.migrate`` (or ``DATABASE_URL`` for the alembic CLI)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine
from sqlmodel import SQLModel

import db.models  # noqa: F401  (registers the tables)
from db.session import database_url_from_env, make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine: Engine = config.attributes.get("engine") or make_engine(database_url_from_env())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
