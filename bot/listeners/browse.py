"""``/clients add|find|show|edit`` and the buttons of the customer list and the profile card.

Buttons that act on one customer (Show, Edit, Add sub-customer, the list's overflow menu, the
"pick one" buttons) go through one dispatcher: it parses ``"<action>|<customer id>"``, checks the id
belongs to the requesting workspace (through ``handlers.customers.get`` with ``context["tenant"]``),
then calls the function registered for that action. Other surfaces register theirs with
``register_customer_action`` (a card button and the overflow option at once: make inactive, reactivate,
history) or ``register_overflow`` (the option only)::

    from bot.listeners.browse import register_customer_action

    def deactivate_from(client, context, body, customer_id) -> None: ...   # already acked
    register_customer_action(app, Action.DEACTIVATE, deactivate_from)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.blocks.card import Block, card_text, parse_choice, render_card
from bot.blocks.customer_list import (
    PAGE_SIZE,
    ListQuery,
    customer_list,
    list_text,
    no_match,
    no_match_text,
    parse_find_args,
    parse_query,
    pick_one,
    pick_text,
)
from bot.blocks.ids import Action
from bot.config import Settings
from bot.context import SlackRequest, db_of, settings_of
from bot.listeners.customer_form import open_customer_form
from bot.listeners.router import CommandRequest, subcommand
from bot.replies import tell_user
from db.session import SessionFactory
from handlers import customers, hierarchy, profile
from handlers import settings as workspace_settings
from handlers.errors import Ambiguous, ClientDeskError, NotFound
from handlers.messages import t
from handlers.normalize import fold

log = logging.getLogger(__name__)
NAME_PREFILL_MAX = 500  # a display name's maximum length


# ------------------------------------------------------------------------------ answering


def answer(context: BoltContext, body: dict[str, Any], respond: Respond, text: str,
           blocks: list[Block] | None = None, *, replace: bool = False) -> None:
    """Answer the person who clicked: in place of the message (``replace``) or as a new ephemeral
    under it through its response_url; from a surface without one (App Home), an ephemeral or DM."""
    if body.get("response_url") or context.response_url:
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=replace)
    else:
        tell_user(context, body, text, blocks)


@dataclass(frozen=True, kw_only=True)
class ButtonRequest(SlackRequest):
    """A click on a button about one customer, already acked, ``customer_id`` checked to belong to
    ``tenant`` (re-check it through handlers when acting: it may change meanwhile)."""

    customer_id: int
    replace_original: bool = False

    @property
    def channel_id(self) -> str:
        """The channel the click came from ("" from the App Home or a modal)."""
        return channel_of(self.body)

    def answer(self, text: str, blocks: list[Block] | None = None, *, replace: bool | None = None) -> None:
        """Reply to the click (replacing the clicked message when this request says so)."""
        answer(self.context, self.body, self.respond, text, blocks,
               replace=self.replace_original if replace is None else replace)


def channel_of(body: dict[str, Any]) -> str:
    """The channel an interaction came from, "" when none (App Home, modal)."""
    return str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")


ButtonHandler = Callable[[ButtonRequest], None]
_HANDLERS: dict[str, ButtonHandler] = {}


def register_overflow(action: Action, fn: ButtonHandler) -> None:
    """Make ``fn`` what the list's overflow option (and the pick buttons) for ``action`` do.

    ``fn`` gets a ``ButtonRequest`` after the ack, with a customer id of the requesting workspace;
    a ``ClientDeskError`` it raises is shown to the user.
    """
    _HANDLERS[str(action)] = fn


CustomerAction = Callable[[WebClient, BoltContext, dict[str, Any], int], None]


def register_customer_action(app: App, action_id: Action, fn: CustomerAction) -> None:
    """Make ``fn(client, context, body, customer_id)`` what ``action_id`` does, both as a button (value: the
    customer id; ``fn`` re-checks it through handlers) and as an overflow option (``register_overflow``)."""

    def on_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                  context: BoltContext) -> None:
        ack()
        value = str(action.get("value") or "")
        if value.isdigit():
            fn(client, context, body, int(value))

    app.action(str(action_id))(on_button)
    register_overflow(action_id,
                      lambda request: fn(request.client, request.context, request.body, request.customer_id))


def dispatch(value: str | None, *, body: dict[str, Any], client: WebClient, respond: Respond,
             context: BoltContext, replace: bool = False) -> None:
    """Run the registered behaviour for ``"<action>|<customer id>"`` (after checking the id)."""
    request = _button_request(value, body=body, client=client, respond=respond, context=context, replace=replace)
    if request is None:
        return
    action = (value or "").partition("|")[0]
    handler = _HANDLERS.get(action)
    if handler is None:
        log.warning("no handler registered for %s", action)
        request.answer(t("slack.browse.action_unavailable", request.lang), replace=False)
        return
    try:
        handler(request)
    except ClientDeskError as error:
        request.answer(error.message(request.lang), replace=False)


def _button_request(value: str | None, *, body: dict[str, Any], client: WebClient, respond: Respond,
                    context: BoltContext, replace: bool) -> ButtonRequest | None:
    parsed = parse_choice(value)
    tenant: str = context["tenant"]
    if parsed is None:
        answer(context, body, respond, t("slack.browse.not_found"))
        return None
    try:
        with db_of(context)(read_only=True) as session:
            customers.get(session, team_id=tenant, customer_id=parsed[1])
    except NotFound as error:
        answer(context, body, respond, error.message())
        return None
    return ButtonRequest(
        customer_id=parsed[1], tenant=tenant, user_id=(body.get("user") or {}).get("id", ""),
        trigger_id=body.get("trigger_id", ""), body=body, client=client, respond=respond, context=context,
        replace_original=replace,
    )


def currency_of(session: Session, tenant: str, settings: Settings) -> str:
    """The currency code money is shown with in this workspace (its setting, else the bot's)."""
    return workspace_settings.get(session, team_id=tenant, default_currency=settings.currency).currency


# ------------------------------------------------------------------------------ the customer form


def show_card(request: ButtonRequest) -> None:
    """The customer's profile card, under the clicked message (or in its place for a pick)."""
    with request.db(read_only=True) as session:
        found = profile.profile(session, team_id=request.tenant, customer_id=request.customer_id)
        currency = currency_of(session, request.tenant, request.settings)
    request.answer(card_text(found.customer, request.lang), render_card(found, lang=request.lang, currency=currency))


def edit_form(request: ButtonRequest) -> None:
    """The customer form, prefilled with the customer."""
    open_customer_form(request.client, request.trigger_id, db=request.db, tenant=request.tenant, lang=request.lang,
                       channel_id=request.channel_id, customer_id=request.customer_id)


def add_sub_form(request: ButtonRequest) -> None:
    """The customer form for a new sub-customer of this one (refused here if it can't take one)."""
    with request.db(read_only=True) as session:
        hierarchy.check_parent(session, request.tenant, None, request.customer_id)
    open_customer_form(request.client, request.trigger_id, db=request.db, tenant=request.tenant, lang=request.lang,
                       channel_id=request.channel_id, parent_id=request.customer_id)


register_overflow(Action.SHOW, show_card)
register_overflow(Action.EDIT, edit_form)
register_overflow(Action.ADD_SUB, add_sub_form)


# ------------------------------------------------------------------------------ subcommands


@subcommand("add", "ajouter", "nouveau", "nouvelle", usage="slack.usage.add")
def add(request: CommandRequest) -> None:
    """``/clients add [name]``: the customer form, display name prefilled."""
    open_customer_form(request.client, request.trigger_id, db=request.db, tenant=request.tenant, lang=request.lang,
                       channel_id=request.channel_id, display_name=request.args[:NAME_PREFILL_MAX])


@subcommand("find", "search", "chercher", "rechercher", "trouver", usage="slack.usage.find")
def find(request: CommandRequest) -> None:
    """``/clients find <text> [--all]``: the first page of matching customers."""
    text, blocks = list_message(request.db, request.tenant, parse_find_args(request.args), request.settings,
                                lang=request.lang)
    request.reply(text, blocks)


@subcommand("show", "voir", "afficher", "fiche", usage="slack.usage.show")
def show(request: CommandRequest) -> None:
    """``/clients show <name>``: the profile card (or "pick one" / "nothing matches")."""
    _resolve_then(request, Action.SHOW, "show")


@subcommand("edit", "modifier", "editer", usage="slack.usage.edit")
def edit(request: CommandRequest) -> None:
    """``/clients edit <name>``: the customer form, prefilled (or "pick one" / "nothing matches")."""
    _resolve_then(request, Action.EDIT, "edit")


def list_message(db: SessionFactory, tenant: str, query: ListQuery, settings: Settings, *,
                 lang: str = "en") -> tuple[str, list[Block]]:
    """A page of the customer list as (notification text, blocks)."""
    with db(read_only=True) as session:
        page = profile.row_page(session, team_id=tenant, text=query.text, include_inactive=query.include_inactive,
                                limit=PAGE_SIZE, offset=query.offset)
        currency = currency_of(session, tenant, settings)
    return list_text(query, lang), customer_list(page.rows, query=query, has_more=page.has_more, lang=lang,
                                                 currency=currency)


def _resolve_then(request: CommandRequest, intent: Action, word: str) -> None:
    text = request.args.strip()
    if not fold(text):
        request.reply(t("slack.browse.name_missing", request.lang, command=word))
        return
    reply: tuple[str, list[Block]] | None = None
    with request.db(read_only=True) as session:
        currency = currency_of(session, request.tenant, request.settings)
        try:
            customer = customers.resolve(session, team_id=request.tenant, text=text)
        except NotFound:
            reply = no_match_text(text, request.lang), no_match(text, lang=request.lang)
        except Ambiguous as error:
            rows = profile.rows_of(session, team_id=request.tenant, ids=list(error.params.get("candidates", [])))
            reply = pick_text(text, len(rows), request.lang), pick_one(
                rows, text=text, intent=intent, lang=request.lang, currency=currency)
        else:
            customer_id = customer.id
            if intent == Action.SHOW and customer_id is not None:
                found = profile.profile(session, team_id=request.tenant, customer_id=customer_id)
                reply = card_text(customer, request.lang), render_card(found, lang=request.lang, currency=currency)
    if reply is not None:
        request.reply(*reply)
        return
    open_customer_form(request.client, request.trigger_id, db=request.db, tenant=request.tenant, lang=request.lang,
                       channel_id=request.channel_id, customer_id=customer_id)


# ------------------------------------------------------------------------------ button listeners


def on_customer_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                       respond: Respond, context: BoltContext) -> None:
    """Show / Edit / Add sub-customer buttons (value: the customer id)."""
    ack()
    dispatch(f"{action['action_id']}|{action.get('value', '')}", body=body, client=client, respond=respond,
             context=context)


def on_overflow(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
                context: BoltContext) -> None:
    """The list's overflow menu: option value ``"<action>|<customer id>"``."""
    ack()
    dispatch((action.get("selected_option") or {}).get("value"), body=body, client=client, respond=respond,
             context=context)


def on_pick(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
            context: BoltContext) -> None:
    """A customer picked among several matches: do what was asked (the value's action) in its place."""
    ack()
    value = action.get("value") or (action.get("selected_option") or {}).get("value")
    dispatch(value, body=body, client=client, respond=respond, context=context, replace=True)


def on_page(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond,
            context: BoltContext) -> None:
    """Previous / Next / Include-or-hide inactive: the list redrawn in place."""
    ack()
    query = parse_query(action.get("value"))
    text, blocks = list_message(db_of(context), context["tenant"], query, settings_of(context))
    answer(context, body, respond, text, blocks, replace=True)


def on_add_named(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                 context: BoltContext) -> None:
    """"Add <name>" after nothing matched: the customer form with that name."""
    ack()
    open_customer_form(client, body.get("trigger_id", ""), db=db_of(context), tenant=context["tenant"],
                       channel_id=channel_of(body), display_name=str(action.get("value") or "")[:NAME_PREFILL_MAX])


def register(app: App) -> None:
    for action in (Action.SHOW, Action.EDIT, Action.ADD_SUB):
        app.action(str(action))(on_customer_button)
    app.action(str(Action.OVERFLOW))(on_overflow)
    app.action(str(Action.PICK))(on_pick)
    for action in (Action.PAGE, Action.PAGE_BACK, Action.TOGGLE_INACTIVE):
        app.action(str(action))(on_page)
    app.action(str(Action.ADD_NAMED))(on_add_named)
