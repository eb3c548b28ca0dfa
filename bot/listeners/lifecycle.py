"""Make inactive (with a confirmation dialog) and reactivate, from a card, a list row, the Home tab or
``/clients deactivate|reactivate <name>``.

Making inactive is a guarded action: the permission is checked when the dialog is asked for and again
when it is submitted. The dialog says what else becomes inactive, or, when it would be refused, each
blocking customer with its balance or open projects and a button to fix it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlmodel import Session

from bot.blocks.ids import Action, Callback
from bot.blocks.lifecycle import (
    BlockerLine,
    Deactivation,
    deactivate_view,
    deactivated_text,
    parse_deactivate,
    reactivated_text,
    result_blocks,
)
from bot.blocks.modal_kit import notice_view
from bot.blocks.text import button
from bot.context import db_of, settings_of
from bot.listeners.browse import register_customer_action
from bot.listeners.guard import Blocks, channel_of, lang_of, require, resolve_named, user_of, workspace
from bot.listeners.home import refresh_home
from bot.listeners.router import CommandRequest, subcommand
from bot.replies import notify
from db.models import Customer
from db.session import SessionFactory
from handlers import customers, hierarchy
from handlers.errors import ClientDeskError, PermissionDenied, Refused
from handlers.messages import t
from handlers.permissions import Guarded

log = logging.getLogger(__name__)
Say = Callable[[str, Blocks | None], None]


# ------------------------------------------------------------------------------ what the dialog shows


def load_deactivation(session: Session, customer: Customer) -> Deactivation:
    """What making ``customer`` inactive would take with it, and what stops it (the handler's own rule)."""
    assert customer.id is not None
    subtree = [customer, *hierarchy.descendants(session, customer)]
    names = hierarchy.fully_qualified_names(session, subtree)
    affected = [c for c in subtree[1:] if c.active and c.id is not None]
    blockers = customers.inactivation_blockers(session, team_id=customer.team_id, customers=subtree)
    return Deactivation(
        customer_id=customer.id,
        name=names.get(customer.id, customer.display_name),
        affected=[names.get(c.id, c.display_name) for c in affected if c.id is not None],
        affected_ids=[c.id for c in affected if c.id is not None],
        blockers=[
            BlockerLine(b.customer.id, names.get(b.customer.id, b.customer.display_name), b.balance,
                        [(p.id, p.name) for p in sorted(b.projects, key=lambda p: (p.name, p.id or 0))
                         if p.id is not None])
            for b in blockers if b.customer.id is not None
        ],
    )


def deactivation_of(db: SessionFactory, tenant: str, customer_id: int) -> Deactivation:
    """``load_deactivation`` of an active customer of the workspace (``Refused`` if already inactive)."""
    with db(read_only=True) as session:
        customer = customers.get(session, team_id=tenant, customer_id=customer_id)
        if not customer.active:
            raise Refused.of("already_inactive", name=customer.display_name)
        return load_deactivation(session, customer)


def dialog(db: SessionFactory, tenant: str, customer_id: int, *, channel_id: str, currency: str,
           lang: str, changed: bool = False) -> dict[str, Any]:
    """The confirmation dialog of ``customer_id`` as things are now."""
    found = deactivation_of(db, tenant, customer_id)
    return deactivate_view(found, channel_id=channel_id, lang=lang, currency=currency, changed=changed)


# ------------------------------------------------------------------------------ make inactive


def open_deactivate(client: WebClient, context: BoltContext, *, user_id: str, customer_id: int, trigger_id: str,
                    channel_id: str, say: Say) -> None:
    """Check the permission, then open the confirmation dialog (or say why not)."""
    db, tenant, lang = db_of(context), context["tenant"], lang_of()
    try:
        require(client, db, tenant, user_id, Guarded.MAKE_INACTIVE)
        currency = workspace(db, tenant, settings_of(context)).currency
        view = dialog(db, tenant, customer_id, channel_id=channel_id, currency=currency, lang=lang)
    except ClientDeskError as error:
        text = error.message(lang)
        if error.code == "already_inactive":  # offer what can be done instead
            say(text, result_blocks(text, button(t("lc.button.reactivate", lang), Action.REACTIVATE, str(customer_id))))
        else:
            say(text, None)
        return
    client.views_open(trigger_id=trigger_id, view=view)


def deactivate_from(client: WebClient, context: BoltContext, body: dict[str, Any], customer_id: int) -> None:
    """Make-inactive asked from any interaction (button, list overflow, Home row)."""
    user_id, channel_id = user_of(body), channel_of(body)
    open_deactivate(client, context, user_id=user_id, customer_id=customer_id,
                    trigger_id=str(body.get("trigger_id") or ""), channel_id=channel_id,
                    say=_notifier(client, user_id, channel_id))


@subcommand("deactivate", "desactiver", "inactiver", "make-inactive", usage="lc.usage.deactivate")
def deactivate_command(request: CommandRequest) -> None:
    """``/clients deactivate <name>``."""
    customer = resolve_named(request, command="deactivate", action=Action.DEACTIVATE,
                             label_key="lc.button.make_inactive")
    if customer is None or customer.id is None:
        return
    open_deactivate(request.client, request.context, user_id=request.user_id, customer_id=customer.id,
                    trigger_id=request.trigger_id, channel_id=request.channel_id,
                    say=lambda text, blocks: request.reply(text, blocks))


def on_deactivate_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                         context: BoltContext) -> None:
    """Confirmed: check the permission and that the dialog still tells the truth, then make inactive."""
    db, tenant, lang = db_of(context), context["tenant"], lang_of()
    asked = parse_deactivate(view)
    if asked is None:
        ack()
        return
    user_id = user_of(body)
    currency = workspace(db, tenant, settings_of(context)).currency
    try:
        require(client, db, tenant, user_id, Guarded.MAKE_INACTIVE)
        current = deactivation_of(db, tenant, asked.customer_id)
    except PermissionDenied as error:
        ack(response_action="update", view=notice_view(error.message(lang), title=t("lc.not_allowed_title", lang)))
        return
    except ClientDeskError as error:
        ack(response_action="update",
            view=notice_view(error.message(lang), title=t("lc.deactivate.refused_title", lang)))
        return
    if current.blockers or current.fingerprint != asked.fingerprint:
        ack(response_action="update", view=deactivate_view(
            current, channel_id=asked.channel_id, lang=lang, currency=currency,
            changed=not current.blockers))
        return
    try:
        with db() as session:
            result = customers.make_inactive(session, team_id=tenant, customer_id=asked.customer_id, actor=user_id)
            names = hierarchy.fully_qualified_names(session, [result.customer, *result.sub_customers])
    except ClientDeskError as error:  # changed in between: show the dialog as things are now
        ack(response_action="update", view=_after_refusal(db, tenant, asked.customer_id, error, asked.channel_id,
                                                          currency, lang))
        return
    ack()
    assert result.customer.id is not None
    text = deactivated_text(names.get(result.customer.id, result.customer.display_name),
                            [names.get(c.id, c.display_name) for c in result.sub_customers if c.id], lang)
    notify(client, user_id=user_id, channel_id=asked.channel_id, text=text, blocks=result_blocks(
        text, button(t("lc.button.reactivate", lang), Action.REACTIVATE, str(result.customer.id))))
    refresh_home(client, db, tenant, user_id, default_currency=settings_of(context).currency)


def _after_refusal(db: SessionFactory, tenant: str, customer_id: int, error: ClientDeskError, channel_id: str,
                   currency: str, lang: str) -> dict[str, Any]:
    try:
        return dialog(db, tenant, customer_id, channel_id=channel_id, currency=currency, lang=lang)
    except ClientDeskError:
        return notice_view(error.message(lang), title=t("lc.deactivate.refused_title", lang))


# ------------------------------------------------------------------------------ reactivate


def reactivate(client: WebClient, context: BoltContext, *, user_id: str, customer_id: int, say: Say) -> None:
    """Reactivate and say which parent customers came back with it."""
    db, tenant, lang = db_of(context), context["tenant"], lang_of()
    try:
        with db() as session:
            result = customers.reactivate(session, team_id=tenant, customer_id=customer_id, actor=user_id)
            names = hierarchy.fully_qualified_names(session, [result.customer, *result.ancestors])
    except ClientDeskError as error:
        say(error.message(lang), None)
        return
    assert result.customer.id is not None
    text = reactivated_text(names.get(result.customer.id, result.customer.display_name),
                            [names.get(a.id, a.display_name) for a in result.ancestors if a.id], lang)
    say(text, result_blocks(text))
    refresh_home(client, db, tenant, user_id, default_currency=settings_of(context).currency)


def reactivate_from(client: WebClient, context: BoltContext, body: dict[str, Any], customer_id: int) -> None:
    """Reactivate asked from any interaction (button, list overflow, Home row)."""
    user_id, channel_id = user_of(body), channel_of(body)
    reactivate(client, context, user_id=user_id, customer_id=customer_id,
               say=_notifier(client, user_id, channel_id))


@subcommand("reactivate", "reactiver", "activer", usage="lc.usage.reactivate")
def reactivate_command(request: CommandRequest) -> None:
    """``/clients reactivate <name>``."""
    customer = resolve_named(request, command="reactivate", action=Action.REACTIVATE,
                             label_key="lc.button.reactivate")
    if customer is None or customer.id is None:
        return
    reactivate(request.client, request.context, user_id=request.user_id, customer_id=customer.id,
               say=lambda text, blocks: request.reply(text, blocks))


# ------------------------------------------------------------------------------ plumbing


def _notifier(client: WebClient, user_id: str, channel_id: str) -> Say:
    def say(text: str, blocks: Blocks | None) -> None:
        notify(client, user_id=user_id, channel_id=channel_id, text=text, blocks=blocks)

    return say


def register(app: App) -> None:
    # A card button (value: customer id) and the list's overflow option, one behaviour each.
    register_customer_action(app, Action.DEACTIVATE, deactivate_from)
    register_customer_action(app, Action.REACTIVATE, reactivate_from)
    app.view(Callback.DEACTIVATE_CONFIRM)(on_deactivate_submit)
