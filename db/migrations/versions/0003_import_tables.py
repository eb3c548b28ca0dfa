"""import tables: import jobs and remembered column mappings

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

import db.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", AutoString(length=32), nullable=False),
        sa.Column("created_by", AutoString(length=64), nullable=False),
        sa.Column("file_name", AutoString(length=255), nullable=False),
        sa.Column("sha256", AutoString(length=64), nullable=False),
        sa.Column("source_ref", AutoString(length=255), nullable=True),
        sa.Column("sheet", AutoString(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("update_by", AutoString(length=8), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("header_signature", AutoString(length=64), nullable=True),
        sa.Column("selection", AutoString(length=2000), nullable=False),
        sa.Column("planned", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("error_code", AutoString(length=64), nullable=True),
        sa.Column("error_params", sa.JSON(), nullable=False),
        sa.Column("lease_until", db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("created_at", db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", db.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "source_ref", name="uq_import_job_team_source"),
    )
    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.create_index("ix_import_job_team_status", ["team_id", "status"], unique=False)
        batch_op.create_index("ix_import_job_team_sha256", ["team_id", "sha256"], unique=False)

    op.create_table(
        "remembered_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", AutoString(length=32), nullable=False),
        sa.Column("signature", AutoString(length=64), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("update_by", AutoString(length=8), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_by", AutoString(length=64), nullable=False),
        sa.Column("updated_at", db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "signature", name="uq_remembered_mapping_team_signature"),
    )
    with op.batch_alter_table("remembered_mapping", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remembered_mapping_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("remembered_mapping", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remembered_mapping_team_id"))
    op.drop_table("remembered_mapping")
    with op.batch_alter_table("import_job", schema=None) as batch_op:
        batch_op.drop_index("ix_import_job_team_sha256")
        batch_op.drop_index("ix_import_job_team_status")
    op.drop_table("import_job")
