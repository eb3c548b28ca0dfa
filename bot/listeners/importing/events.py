"""Spreadsheets arriving in Slack: the import offer, once per file.

The trigger is the ``message`` event of subtype ``file_share`` (channels the bot is in, and its DMs): it
carries the channel and the message's ``ts`` to reply in a thread. ``file_shared`` (the same upload,
id only) and every other message are acknowledged and ignored: Slack retries an event that doesn't
get a 200. Slack Connect stubs (``"file_access": "check_file_info"``) are completed with ``files.info``.

Each file is offered once: the app's middleware drops redelivered events (same ``event_id``); here
the file id is claimed (``handlers.idempotency``) in the same transaction that creates its import job
(whose ``source_ref`` is unique per workspace too), before anything is posted.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.import_views import offer_message
from bot.context import db_of
from bot.files import full_file
from bot.listeners.guard import lang_of
from bot.listeners.importing import store
from db.session import SessionFactory
from handlers import idempotency
from handlers.importing import jobs

log = logging.getLogger(__name__)


def claim_file(db: SessionFactory, *, tenant: str, file: dict[str, Any], user_id: str,
               channel: str, thread_ts: str | None) -> int | None:
    """Create the import job of a Slack file, once: its id, or None when the file was already handled."""
    file_id = str(file["id"])
    with db() as session:
        if not idempotency.claim(session, team_id=tenant, key=f"import-file:{file_id}"):
            session.rollback()
            return None
        # jobs.create commits the claim with the job: both or neither.
        job, created = jobs.create(session, team_id=tenant, actor=user_id, file_name=str(file.get("name") or file_id),
                                   sha256="", source_ref=file_id,
                                   context={"channel": channel, "thread_ts": thread_ts} if thread_ts
                                   else {"channel": channel})
        return job.id if created else None


def offer(client: WebClient, db: SessionFactory, *, tenant: str, file: dict[str, Any], user_id: str,
          channel: str, thread_ts: str | None, lang: str = "en") -> bool:
    """Post "Import customers from *file*?" (in ``thread_ts``'s thread, else as the start of one) for a
    file not offered before. Returns whether an offer was posted."""
    job_id = claim_file(db, tenant=tenant, file=file, user_id=user_id, channel=channel, thread_ts=thread_ts)
    if job_id is None:
        return False
    text, blocks = offer_message(str(file.get("name") or ""), job_id, user_id=user_id, lang=lang)
    try:
        posted = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks)
    except SlackApiError as error:
        log.warning("could not offer the import of %s in %s: %s", file.get("id"), channel,
                    error.response.get("error"))
        return False
    store.remember_ids(db, tenant, job_id, offer_ts=str(posted.get("ts") or ""),
                       thread_ts=thread_ts or str(posted.get("ts") or ""))
    return True


def on_file_share(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """A message sharing files: offer to import each spreadsheet among them (others are ignored)."""
    user_id = str(event.get("user") or "")
    channel = str(event.get("channel") or "")
    if not user_id or not channel or user_id == context.bot_user_id:
        return
    thread_ts = str(event.get("thread_ts") or event.get("ts") or "") or None
    for shared in event.get("files") or []:
        if not isinstance(shared, dict) or shared.get("file_access") == "access_denied":
            continue
        file = full_file(client, shared)
        if file is None or not store.is_spreadsheet(file) or file.get("user") == context.bot_user_id:
            continue
        offer(client, db_of(context), tenant=context["tenant"], file=file, user_id=user_id, channel=channel,
              thread_ts=thread_ts, lang=lang_of())


def acknowledge(event: dict[str, Any]) -> None:
    """``file_shared`` (the file_share message is the trigger) and every other message: nothing to do,
    but the event is acknowledged with a 200 so that Slack doesn't retry it."""
