"""A customer's history: ``/clients history <name>`` and the History button (value: customer id), a page
at a time, with Newer / Older buttons that replace the message."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import col, select

from bot.blocks.history import PAGE_SIZE, history_blocks, history_text, parent_ids, parse_page
from bot.blocks.ids import Action
from bot.context import db_of
from bot.listeners.browse import ButtonRequest, register_overflow
from bot.listeners.guard import Blocks, channel_of, lang_of, notify, resolve_named, user_of
from bot.listeners.router import CommandRequest, subcommand
from db.models import Customer
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
        names = _names(session, tenant, parent_ids(page.events))
        name = hierarchy.fully_qualified_name(session, customer)
    return history_text(name, lang), history_blocks(customer_id, name, page, names=names, lang=lang)


def _names(session: Any, tenant: str, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = list(session.exec(select(Customer).where(Customer.team_id == tenant, col(Customer.id).in_(ids))))
    return hierarchy.fully_qualified_names(session, found)


@subcommand("history", "historique", usage="lc.usage.history")
def history_command(request: CommandRequest) -> None:
    """``/clients history <name>``."""
    customer = resolve_named(request, command="history", action=Action.HISTORY, label_key="lc.button.history")
    if customer is None or customer.id is None:
        return
    text, blocks = history_message(request.db, request.tenant, customer.id, lang=request.lang)
    request.reply(text, blocks)


def on_history_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                      context: BoltContext) -> None:
    """"History" on a card or a list row (value: customer id)."""
    ack()
    value = str(action.get("value") or "")
    if value.isdigit():
        show_history(client, context, body, int(value))


def show_history(client: WebClient, context: BoltContext, body: dict[str, Any], customer_id: int) -> None:
    """The first page of ``customer_id``'s history, to the person who asked."""
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


def _history_from_menu(request: ButtonRequest) -> None:
    show_history(request.client, request.context, request.body, request.customer_id)


def register(app: App) -> None:
    register_overflow(Action.HISTORY, _history_from_menu)
    app.action(Action.HISTORY)(on_history_button)
    app.action(Action.HISTORY_PAGE)(on_history_page)
    app.action(Action.HISTORY_PAGE_BACK)(on_history_page)
