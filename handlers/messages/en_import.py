"""English for importing spreadsheets (pipeline and Slack flow)."""

from __future__ import annotations

MESSAGES: dict[str, str] = {}
