"""Importing customers from a spreadsheet, in Slack.

    file shared (channel / DM) ─┐
    /clients import, Home button → file modal ─┴→ offer in the thread: "Import customers from *f.xlsx*?"
    Import… → download (bot.files) + read → mapping modal → "checking rows" → preview
    Import → after the ack: progress message in the thread → summary + rejected rows' report
    process killed → the job is marked interrupted (worker.recover) → Restart

``events`` (the offer), ``modals`` (clicks and submissions), ``worker`` (planning and importing on
background threads, progress), ``recovery`` (interrupted imports), ``store`` (the job's file and Slack
ids). The pipeline is
``handlers.importing``; the state is the import job in the database.
"""

from __future__ import annotations

from slack_bolt import App

from bot.blocks.ids import Action, Callback
from bot.listeners.importing import events, modals
from bot.listeners.importing.recovery import start_recovery

__all__ = ["register", "start_recovery"]


def register(app: App) -> None:
    app.event({"type": "message", "subtype": "file_share"})(events.on_file_share)
    app.event("file_shared")(events.acknowledge)
    # Every other message event (channels, groups, DMs) is acknowledged here; a listener of particular
    # messages must be registered before this one.
    app.event("message")(events.acknowledge)
    app.action(Action.IMPORT_START)(modals.on_import_start)
    app.action(Action.IMPORT_OPEN)(modals.on_open)
    app.action(Action.IMPORT_RESTART)(modals.on_restart)
    app.view(Callback.IMPORT_FILE)(modals.on_file_submit)
    app.view(Callback.IMPORT_MAPPING)(modals.on_mapping_submit)
    app.view(Callback.IMPORT_PREVIEW)(modals.on_preview_submit)
