"""``/clients export`` and the Home tab's Export button: the customer list as a file, in a DM."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.ids import Action
from bot.context import db_of
from bot.listeners.router import CommandRequest, subcommand
from db.session import SessionFactory
from handlers import exporting
from handlers.exporting import ExportFormat
from handlers.messages import t
from handlers.normalize import fold

log = logging.getLogger(__name__)


@subcommand("export", "exporter", usage="export.usage")
def export_command(request: CommandRequest) -> None:
    words = set(fold(request.args).split())
    request.reply(t("export.working", request.lang))
    send_export(
        request.client, request.db, tenant=request.tenant, user_id=request.user_id,
        include_inactive=bool(words & {"all", "--all", "tout", "--tout"}),
        fmt=ExportFormat.CSV if "csv" in words else ExportFormat.XLSX, lang=request.lang,
    )


def export_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    send_export(client, db_of(context), tenant=context["tenant"], user_id=body["user"]["id"],
                include_inactive=False, fmt=ExportFormat.XLSX)


def send_export(
    client: WebClient, db: SessionFactory, *, tenant: str, user_id: str, include_inactive: bool,
    fmt: ExportFormat, lang: str = "en",
) -> None:
    """Write the export to a temporary file and upload it to the user's DM (files v2 API)."""
    with tempfile.TemporaryDirectory(prefix="clientdesk-export-") as folder:
        with db(read_only=True) as session:
            result = exporting.export_customers(
                session, team_id=tenant, path=Path(folder) / f"export.{fmt.value}", fmt=fmt,
                include_inactive=include_inactive, lang=lang,
            )
        key = "export.done_all" if include_inactive else "export.done"
        try:
            channel = client.conversations_open(users=user_id)["channel"]["id"]
            client.files_upload_v2(
                channel=channel, file=str(result.path), filename=result.filename, title=result.filename,
                initial_comment=t(key, lang, count=result.count),
            )
        except SlackApiError as error:
            log.warning("export upload failed for %s: %s", user_id, error)
            client.chat_postMessage(channel=user_id, text=t("export.failed", lang, error=error.response["error"]))


def register(app: App) -> None:
    app.action(Action.EXPORT)(export_button)
