"""Getting a message to the person who acted, whatever surface they acted from."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltContext
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
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
        else:
            client.chat_postMessage(channel=user, text=text, blocks=blocks)
    except SlackApiError:
        # e.g. the bot is not in that channel: fall back to a direct message.
        log.warning("could not reach user %s in %s; trying a direct message", user, channel, exc_info=True)
        try:
            client.chat_postMessage(channel=user, text=text, blocks=blocks)
        except SlackApiError:
            log.exception("could not reach user %s", user)
