"""Listeners grouped by Slack surface; each module ends with ``register(app)``."""

from __future__ import annotations

from slack_bolt import App


def register(app: App) -> None:
    # Imported here so each surface module stays importable on its own in tests.
    from bot.listeners import actions, commands, events, options, views

    for module in (commands, views, actions, options, events):
        module.register(app)
