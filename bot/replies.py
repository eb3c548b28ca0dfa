"""Getting a message to the person who acted, whatever surface they acted from."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


def tell_user(
    context: BoltContext, body: dict[str, Any], text: str, blocks: list[dict[str, Any]] | None = None
) -> None:
    """An ephemeral message to the user in the channel they acted in, else a direct message."""
    client = context.client
    user = context.user_id or (body.get("user") or {}).get("id") or body.get("user_id")
    if client is None or not user:
        return
    channel = context.channel_id or (body.get("channel") or {}).get("id") or body.get("channel_id")
    notify(client, user_id=user, channel_id=channel, text=text, blocks=blocks)


def notify(client: WebClient, *, user_id: str, channel_id: str | None, text: str,
           blocks: list[dict[str, Any]] | None = None) -> None:
    """An ephemeral message to ``user_id`` in ``channel_id``, else (or when that fails: the bot is not in
    that channel, say) a direct message."""
    if channel_id:
        try:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text, blocks=blocks)
            return
        except SlackApiError:
            log.warning("could not reach %s in %s; sending a direct message", user_id, channel_id, exc_info=True)
    try:
        client.chat_postMessage(channel=user_id, text=text, blocks=blocks)
    except SlackApiError:
        log.exception("could not reach user %s", user_id)


def update_view(client: WebClient, view_id: str | None, view: dict[str, Any]) -> None:
    """Replace an open modal's content; a modal the user has closed meanwhile is not an error."""
    if not view_id:
        return
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as error:
        log.info("could not update view %s: %s", view_id, error.response.get("error"))
