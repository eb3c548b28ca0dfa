"""Per-workspace tables beyond the customer list (settings, permissions)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field, Session, SQLModel, select

from db.models import UTCDateTime, utcnow


class PermissionMode(enum.StrEnum):
    """Who may make customers inactive, merge them, undo merges and import."""

    EVERYONE = "everyone"
    ADMINS = "admins"  # workspace admins and owners
    USERS = "users"  # the listed users


class MergeNotice(enum.StrEnum):
    """Where the "merged, undo?" message goes."""

    IN_CHANNEL = "in_channel"
    EPHEMERAL = "ephemeral"


class WorkspaceSettings(SQLModel, table=True):
    """One row per workspace once an admin saved ``/clients settings``; absent means the defaults."""

    __tablename__ = "workspace_settings"
    __table_args__ = (UniqueConstraint("team_id", name="uq_workspace_settings_team_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    permission_mode: PermissionMode = Field(default=PermissionMode.ADMINS, sa_type=String(16), max_length=16)
    allowed_user_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    merge_notice: MergeNotice = Field(default=MergeNotice.IN_CHANNEL, sa_type=String(16), max_length=16)
    currency: str = Field(default="", max_length=8)
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by: str = Field(default="", max_length=64)


def find_settings(session: Session, team_id: str) -> WorkspaceSettings | None:
    """The workspace's stored settings, if an admin ever saved them."""
    return session.exec(select(WorkspaceSettings).where(WorkspaceSettings.team_id == team_id)).first()
