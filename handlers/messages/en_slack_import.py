"""English for the import flow in Slack (file shared, mapping modal, preview, progress, report)."""

from __future__ import annotations

MESSAGES: dict[str, str] = {}
