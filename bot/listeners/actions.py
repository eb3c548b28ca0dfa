"""Listeners for Slack actions."""

from __future__ import annotations

from slack_bolt import App


def register(app: App) -> None:
    """Nothing yet."""
