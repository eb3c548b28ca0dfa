"""Tables of the spreadsheet import (jobs, remembered mappings)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.models import UTCDateTime, utcnow


class ImportStatus(enum.StrEnum):
    PENDING = "pending"          # created, file not planned yet
    PLANNED = "planned"          # dry run done, waiting for the user's choice
    RUNNING = "running"          # apply in progress (its transaction is open; lease_until bounds it)
    DONE = "done"                # applied and committed
    FAILED = "failed"            # refused or errored during apply: nothing written
    INTERRUPTED = "interrupted"  # the process died during apply: nothing written (one transaction)


class ImportJob(SQLModel, table=True):
    """One spreadsheet import, from the file's arrival to its result. State lives here, not in memory,
    so another process (a restarted or second bot instance) can carry the job on."""

    __tablename__ = "import_job"
    __table_args__ = (
        # One job per Slack file however many events Slack sends for it (NULLs never collide).
        UniqueConstraint("team_id", "source_ref", name="uq_import_job_team_source"),
        Index("ix_import_job_team_status", "team_id", "status"),
        Index("ix_import_job_team_sha256", "team_id", "sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    created_by: str = Field(max_length=64)
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    # Where the file comes from (a Slack file id, a path for the CLI): how a restart finds it again.
    source_ref: str | None = Field(default=None, max_length=255)
    sheet: str | None = Field(default=None, max_length=255)
    status: ImportStatus = Field(default=ImportStatus.PENDING, sa_type=String(16), max_length=16)
    update_by: str = Field(default="name", max_length=8)
    # {field: column index (0-based)} as confirmed; header_signature identifies the header row.
    mapping: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    header_signature: str | None = Field(default=None, max_length=64)
    selection: str = Field(default="all", max_length=2000)
    planned: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # counts by row class
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)   # created, updated, ...
    rows_total: int = 0
    rows_done: int = 0
    error_code: str | None = Field(default=None, max_length=64)
    error_params: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # A RUNNING job whose lease has passed belongs to a process that died: it is marked interrupted.
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Free for the surface that started the job (Slack channel, thread, message ts...): ids only.
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RememberedMapping(SQLModel, table=True):
    """A column mapping a workspace confirmed, for files whose header row has this signature."""

    __tablename__ = "remembered_mapping"
    __table_args__ = (UniqueConstraint("team_id", "signature", name="uq_remembered_mapping_team_signature"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    signature: str = Field(max_length=64)
    headers: list[str] = Field(default_factory=list, sa_type=JSON)
    mapping: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    update_by: str = Field(default="name", max_length=8)
    uses: int = 1
    created_by: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
