"""Persistence: SQLModel tables, engine and session, Alembic migrations. Knows nothing of Slack."""
