"""A customer's history: ``/clients history <name>`` and the History button (value: customer id), a page
at a time, with Newer / Older buttons that replace the message."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.blocks.history import PAGE_SIZE, history_blocks, history_text, parse_page
from bot.blocks.ids import Action
from bot.context import db_of
from bot.listeners.browse import register_customer_action
from bot.listeners.guard import Blocks, channel_of, lang_of, resolve_named, user_of
from bot.listeners.router import CommandRequest, subcommand
from bot.replies import notify
from db.session import SessionFactory
from handlers import activity, customers, hierarchy
from handlers.errors import ClientDeskError


def history_message(db: SessionFactory, tenant: str, customer_id: int, *, offset: int = 0,
                    lang: str = "en") -> tuple[str, Blocks]:
    """One page of a customer's history (text, blocks). Raises ``NotFound`` for another workspace's id."""
    with db(read_only=True) as session:
        customer = customers.get(session, team_id=tenant, customer_id=customer_id)
        page = activity.history_page(session, team_id=tenant, customer_id=customer_id, offset=offset,
                                     limit=PAGE_SIZE)
        name = hierarchy.fully_qualified_name(session, customer)
    return history_text(name, lang), history_blocks(customer_id, name, page, names=page.names, lang=lang)


@subcommand("history", "historique", usage="lc.usage.history")
def history_command(request: CommandRequest) -> None:
    """``/clients history <name>``."""
    customer = resolve_named(request, command="history", action=Action.HISTORY, label_key="lc.button.history")
    if customer is None or customer.id is None:
        return
    text, blocks = history_message(request.db, request.tenant, customer.id, lang=request.lang)
    request.reply(text, blocks)


def show_history(client: WebClient, context: BoltContext, body: dict[str, Any], customer_id: int) -> None:
    """"History" on a card or a list row: the first page of ``customer_id``'s history, to the person who asked."""
    lang = lang_of()
    try:
        text, blocks = history_message(db_of(context), context["tenant"], customer_id, lang=lang)
    except ClientDeskError as error:
        text, blocks = error.message(lang), []
    notify(client, user_id=user_of(body), channel_id=channel_of(body), text=text, blocks=blocks or None)


def on_history_page(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond,
                    context: BoltContext) -> None:
    """Newer / Older: the page replaces the message."""
    ack()
    parsed = parse_page(action.get("value"))
    if parsed is None:
        return
    lang = lang_of()
    try:
        text, blocks = history_message(db_of(context), context["tenant"], parsed[0], offset=parsed[1], lang=lang)
    except ClientDeskError as error:
        respond(text=error.message(lang), replace_original=False, response_type="ephemeral")
        return
    respond(text=text, blocks=blocks, replace_original=True)


def register(app: App) -> None:
    register_customer_action(app, Action.HISTORY, show_history)
    app.action(Action.HISTORY_PAGE)(on_history_page)
    app.action(Action.HISTORY_PAGE_BACK)(on_history_page)
