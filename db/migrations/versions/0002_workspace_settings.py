"""workspace settings: who may make inactive, merge, undo and import; merge notice; currency

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import db.models

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", AutoString(length=32), nullable=False),
        sa.Column("permission_mode", sa.String(length=16), nullable=False),
        sa.Column("allowed_user_ids", sa.JSON(), nullable=False),
        sa.Column("merge_notice", sa.String(length=16), nullable=False),
        sa.Column("currency", AutoString(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", name="uq_workspace_settings_team_id"),
    )


def downgrade() -> None:
    op.drop_table("workspace_settings")
