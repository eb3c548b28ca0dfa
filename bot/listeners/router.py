"""``/clients`` and its subcommands (English names with French aliases).

A surface module declares its subcommands::

    @subcommand("find", "search", "chercher", "rechercher", usage="slack.usage.find")
    def find(request: CommandRequest) -> None: ...

The router acks at once, then calls the subcommand with the rest of the text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.context import SlackRequest
from handlers.errors import ClientDeskError
from handlers.messages import t
from handlers.normalize import fold

log = logging.getLogger(__name__)
COMMAND = "/clients"


@dataclass(frozen=True, kw_only=True)
class CommandRequest(SlackRequest):
    """What a subcommand gets: the rest of the command text and everything to act and answer with."""

    args: str
    channel_id: str

    def reply(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """An ephemeral answer to the person who typed the command."""
        self.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


Handler = Callable[[CommandRequest], None]


@dataclass(frozen=True)
class Subcommand:
    name: str
    aliases: tuple[str, ...]
    usage_key: str
    handler: Handler


_SUBCOMMANDS: dict[str, Subcommand] = {}
_ORDER: list[Subcommand] = []


def subcommand(name: str, *aliases: str, usage: str) -> Callable[[Handler], Handler]:
    """Declare ``/clients <name>`` (and its aliases); ``usage`` is the catalog key of its help line."""

    def declare(handler: Handler) -> Handler:
        entry = Subcommand(name, aliases, usage, handler)
        for word in (name, *aliases):
            key = fold(word)
            if key in _SUBCOMMANDS and _SUBCOMMANDS[key].handler is not handler:
                raise ValueError(f"/clients {word} declared twice")
            _SUBCOMMANDS[key] = entry
        if entry.name not in {s.name for s in _ORDER}:
            _ORDER.append(entry)
        return handler

    return declare


def usage_text(lang: str = "en") -> str:
    lines = [t("slack.help.title", lang)] + [t(s.usage_key, lang) for s in _ORDER]
    return "\n".join(lines)


def split(text: str) -> tuple[str, str]:
    """``"add Acme Corp"`` → ``("add", "Acme Corp")``."""
    word, _, rest = text.strip().partition(" ")
    return fold(word), rest.strip()


def clients(ack: Ack, body: dict[str, Any], command: dict[str, Any], client: WebClient, respond: Respond,
            context: BoltContext) -> None:
    ack()
    word, rest = split(command.get("text", ""))
    request = CommandRequest(
        args=rest, tenant=context["tenant"], user_id=command["user_id"], channel_id=command.get("channel_id", ""),
        trigger_id=command.get("trigger_id", ""), body=body, client=client, respond=respond, context=context,
    )
    if word in ("", "help", "aide", "?"):
        request.reply(usage_text(request.lang))
        return
    entry = _SUBCOMMANDS.get(word)
    if entry is None:
        request.reply(t("slack.help.unknown", request.lang, word=word) + "\n" + usage_text(request.lang))
        return
    try:
        entry.handler(request)
    except ClientDeskError as error:
        request.reply(error.message(request.lang))


def register(app: App) -> None:
    app.command(COMMAND)(clients)
