"""Transactions from Slack: new invoice, receive payment, new project, close project, new recurring
template (buttons on a card, the transactions message or the make-inactive dialog), and
``/clients transactions <name>``.

A form pushed over the make-inactive dialog refreshes that dialog once saved, so fixing what blocks an
inactivation is done in place. Each submitted form is acted on once (a double submit does nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.blocks import transaction_forms as forms
from bot.blocks.ids import Action, Callback
from bot.blocks.lifecycle import result_blocks
from bot.blocks.modal_kit import load_meta, meta_int, notice_view
from bot.blocks.text import button
from bot.context import db_of, settings_of
from bot.listeners.browse import ButtonRequest, register_customer_action, register_overflow
from bot.listeners.guard import channel_of, lang_of, resolve_named, user_of, workspace
from bot.listeners.home import refresh_home
from bot.listeners.lifecycle import dialog
from bot.listeners.router import CommandRequest, subcommand
from bot.replies import notify
from db.models import Customer, Interval
from db.session import SessionFactory
from handlers import customers, idempotency, ledger, transactions
from handlers.errors import ClientDeskError, InvalidInput, Refused
from handlers.messages import t

log = logging.getLogger(__name__)

FORMS: dict[Action, Callback] = {
    Action.NEW_INVOICE: Callback.INVOICE_FORM,
    Action.RECEIVE_PAYMENT: Callback.PAYMENT_FORM,
    Action.NEW_PROJECT: Callback.PROJECT_FORM,
    Action.NEW_TEMPLATE: Callback.TEMPLATE_FORM,
}


def today() -> date:
    return datetime.now(UTC).date()


# ------------------------------------------------------------------------------ opening a form


def _heading(session: Session, customer: Customer, lang: str) -> forms.CustomerHeading:
    assert customer.id is not None
    return forms.CustomerHeading(customers.transaction_label(customer, lang),
                                 customers.balance(session, team_id=customer.team_id, customer_id=customer.id))


def build_form(db: SessionFactory, tenant: str, callback: Callback, ctx: forms.FormContext, *, currency: str,
               lang: str) -> dict[str, Any]:
    """The form ``callback`` for an active customer (``Refused`` ``customer_inactive`` otherwise)."""
    with db(read_only=True) as session:
        customer = customers.get(session, team_id=tenant, customer_id=ctx.customer_id)
        if not customer.active:
            raise Refused.of("customer_inactive", name=customer.display_name)
        heading = _heading(session, customer, lang)
        if callback == Callback.INVOICE_FORM:
            return forms.invoice_form(ctx, heading, today=today(), lang=lang, currency=currency)
        if callback == Callback.PAYMENT_FORM:
            invoices = ledger.open_invoices(session, team_id=tenant, customer_id=ctx.customer_id)
            return forms.payment_form(ctx, heading, invoices, today=today(), lang=lang, currency=currency)
        if callback == Callback.PROJECT_FORM:
            return forms.project_form(ctx, heading, lang=lang, currency=currency)
        return forms.template_form(ctx, heading, today=today(), lang=lang, currency=currency)


def on_form_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                   context: BoltContext) -> None:
    """New invoice / Receive payment / New project / New recurring template (value: customer id)."""
    ack()
    value = str(action.get("value") or "")
    if value.isdigit():
        open_form(client, context, body, FORMS[Action(action["action_id"])], int(value))


def open_form(client: WebClient, context: BoltContext, body: dict[str, Any], callback: Callback,
              customer_id: int) -> None:
    """Open (or push, over a modal) the form ``callback`` for ``customer_id``, or say why not."""
    db, tenant, lang, user_id = db_of(context), context["tenant"], lang_of(), user_of(body)
    current = body.get("view") or {}
    in_view = current.get("type") == "modal"  # pushed over the modal clicked in (the Home tab is no modal)
    meta = load_meta(current)
    from_dialog = in_view and current.get("callback_id") == Callback.DEACTIVATE_CONFIRM
    ctx = forms.FormContext(customer_id, channel_of(body) or str(meta.get("c") or ""),
                            back_view_id=str(current.get("id") or "") if from_dialog else "",
                            back_customer_id=meta_int(meta, "id") if from_dialog else None)
    try:
        view = build_form(db, tenant, callback, ctx, currency=workspace(db, tenant, settings_of(context)).currency,
                          lang=lang)
    except ClientDeskError as error:
        text = error.message(lang)
        extra = ([button(t("lc.button.reactivate", lang), Action.REACTIVATE, str(customer_id))]
                 if error.code == "customer_inactive" else [])
        notify(client, user_id=user_id, channel_id=ctx.channel_id, text=text, blocks=result_blocks(text, *extra))
        return
    trigger_id = str(body.get("trigger_id") or "")
    if in_view:
        client.views_push(trigger_id=trigger_id, view=view)
    else:
        client.views_open(trigger_id=trigger_id, view=view)


# ------------------------------------------------------------------------------ submitting a form


@dataclass(frozen=True)
class Submitted:
    """A submitted form and who submitted it, for the savers."""

    tenant: str
    user_id: str
    ctx: forms.FormContext
    view: dict[str, Any]
    currency: str
    lang: str


def _date(value: str | None, field: str) -> date:
    if not value:
        raise InvalidInput.of("required", field)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput.of("bad_date", field, value=value[:20]) from None


def _label(session: Session, s: Submitted) -> str:
    customer = customers.get(session, team_id=s.tenant, customer_id=s.ctx.customer_id)
    return customers.transaction_label(customer, s.lang)


def _save_invoice(session: Session, s: Submitted) -> str:
    draft = forms.parse_invoice(s.view)
    invoice = transactions.add_invoice(
        session, team_id=s.tenant, customer_id=s.ctx.customer_id, number=draft.number, amount=draft.amount,
        invoice_date=_date(draft.invoice_date, "invoice_date"),
        due_date=_date(draft.due_date, "due_date") if draft.due_date else None, actor=s.user_id)
    return forms.invoice_done(invoice, _label(session, s), lang=s.lang, currency=s.currency)


def _save_payment(session: Session, s: Submitted) -> str:
    draft = forms.parse_payment(s.view)
    payment = transactions.receive_payment(
        session, team_id=s.tenant, customer_id=s.ctx.customer_id, amount=draft.amount,
        payment_date=_date(draft.payment_date, "payment_date"), invoice_id=draft.invoice_id, actor=s.user_id)
    invoice = None
    if payment.invoice_id is not None:
        invoice = ledger.get_invoice(session, team_id=s.tenant, invoice_id=payment.invoice_id)
    balance = customers.balance(session, team_id=s.tenant, customer_id=s.ctx.customer_id)
    return forms.payment_done(payment, _label(session, s), balance, invoice_number=invoice.number if invoice else None,
                              lang=s.lang, currency=s.currency)


def _save_project(session: Session, s: Submitted) -> str:
    project = transactions.add_project(session, team_id=s.tenant, customer_id=s.ctx.customer_id,
                                       name=forms.parse_project(s.view), actor=s.user_id)
    return forms.project_done(project, _label(session, s), s.lang)


def _save_template(session: Session, s: Submitted) -> str:
    draft = forms.parse_template(s.view)
    try:
        interval = Interval(draft.interval or "")
    except ValueError:
        raise InvalidInput.of("required", "interval") from None
    template = transactions.add_recurring_template(
        session, team_id=s.tenant, customer_id=s.ctx.customer_id, name=draft.name, interval=interval,
        next_date=_date(draft.next_date, "next_date"), amount=draft.amount, actor=s.user_id)
    return forms.template_done(template, _label(session, s), lang=s.lang, currency=s.currency)


SAVERS: dict[Callback, Callable[[Session, Submitted], str]] = {
    Callback.INVOICE_FORM: _save_invoice,
    Callback.PAYMENT_FORM: _save_payment,
    Callback.PROJECT_FORM: _save_project,
    Callback.TEMPLATE_FORM: _save_template,
}


def on_form_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                   context: BoltContext) -> None:
    """Save the transaction; problems under their inputs; once saved, confirm and refresh what shows it."""
    db, tenant, lang, user_id = db_of(context), context["tenant"], lang_of(), user_of(body)
    callback = Callback(view["callback_id"])
    ctx = forms.parse_context(view)
    if ctx is None:
        ack()
        return
    submitted = Submitted(tenant, user_id, ctx, view, workspace(db, tenant, settings_of(context)).currency, lang)
    try:
        with db() as session:
            if not idempotency.claim(session, team_id=tenant, key=f"view:{view.get('id')}"):
                ack()  # a second submit of a form already saved
                return
            text = SAVERS[callback](session, submitted)
    except ClientDeskError as error:
        ack(response_action="errors", errors=forms.errors_for(callback, error, lang))
        return
    ack()
    notify(client, user_id=user_id, channel_id=ctx.channel_id, text=text)
    if ctx.back_view_id and ctx.back_customer_id is not None:
        refresh_dialog(client, context, view_id=ctx.back_view_id, customer_id=ctx.back_customer_id,
                       channel_id=ctx.channel_id)
    refresh_home(client, db, tenant, user_id, default_currency=settings_of(context).currency)


def refresh_dialog(client: WebClient, context: BoltContext, *, view_id: str, customer_id: int, channel_id: str,
                   view_hash: str | None = None) -> None:
    """Show the make-inactive dialog ``view_id`` as things are now (what still blocks, or the confirmation)."""
    db, tenant, lang = db_of(context), context["tenant"], lang_of()
    currency = workspace(db, tenant, settings_of(context)).currency
    try:
        view = dialog(db, tenant, customer_id, channel_id=channel_id, currency=currency, lang=lang)
    except ClientDeskError as error:
        view = notice_view(error.message(lang), title=t("lc.deactivate.refused_title", lang))
    try:
        client.views_update(view_id=view_id, hash=view_hash, view=view)
    except SlackApiError:  # closed meanwhile, or changed by another click: nothing to refresh
        log.info("make-inactive dialog %s not refreshed", view_id, exc_info=True)


# ------------------------------------------------------------------------------ close a project


def on_close_project(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                     context: BoltContext) -> None:
    """"Close a project…" (option value: project id), from the transactions message or the make-inactive
    dialog (a button whose value is the project id works too)."""
    ack()
    db, tenant, lang, user_id = db_of(context), context["tenant"], lang_of(), user_of(body)
    value = str(action.get("value") or (action.get("selected_option") or {}).get("value") or "")
    if not value.isdigit():
        return
    current = body.get("view") or {}
    meta = load_meta(current)
    channel_id = channel_of(body) or str(meta.get("c") or "")
    try:
        with db() as session:
            project = transactions.close_project(session, team_id=tenant, project_id=int(value), actor=user_id)
            customer = customers.get(session, team_id=tenant, customer_id=project.customer_id)
            text = forms.project_closed(project, customers.transaction_label(customer, lang), lang)
    except ClientDeskError as error:
        notify(client, user_id=user_id, channel_id=channel_id, text=error.message(lang))
        return
    notify(client, user_id=user_id, channel_id=channel_id, text=text)
    dialog_customer = meta_int(meta, "id")
    if current.get("callback_id") == Callback.DEACTIVATE_CONFIRM and dialog_customer is not None:
        refresh_dialog(client, context, view_id=str(current.get("id")), customer_id=dialog_customer,
                       channel_id=channel_id, view_hash=current.get("hash"))
    refresh_home(client, db, tenant, user_id, default_currency=settings_of(context).currency)


# ------------------------------------------------------------------------------ a customer's transactions


def ledger_message(db: SessionFactory, tenant: str, customer_id: int, *, currency: str,
                   lang: str) -> tuple[str, list[dict[str, Any]]]:
    """The transactions message of a customer (text, blocks)."""
    with db(read_only=True) as session:
        customer = customers.get(session, team_id=tenant, customer_id=customer_id)
        found = ledger.of_customer(session, team_id=tenant, customer_id=customer_id)
        v = forms.LedgerView(
            customer_id=customer_id, label=customers.transaction_label(customer, lang), active=customer.active,
            balance=customers.balance(session, team_id=tenant, customer_id=customer_id),
            invoices=found.invoices, payments=found.payments, projects=found.projects, templates=found.templates,
        )
    return forms.ledger_text(v, lang), forms.ledger_blocks(v, lang=lang, currency=currency)


@subcommand("transactions", "operations", "factures", usage="lc.usage.transactions")
def transactions_command(request: CommandRequest) -> None:
    """``/clients transactions <name>``."""
    customer = resolve_named(request, command="transactions", action=Action.TRANSACTIONS,
                             label_key="lc.button.transactions")
    if customer is None or customer.id is None:
        return
    currency = workspace(request.db, request.tenant, request.settings).currency
    text, blocks = ledger_message(request.db, request.tenant, customer.id, currency=currency, lang=request.lang)
    request.reply(text, blocks)


def show_transactions(client: WebClient, context: BoltContext, body: dict[str, Any], customer_id: int) -> None:
    """"Transactions" (a button or the card's menu): the transactions message, to the person who asked."""
    db, tenant, lang, user_id = db_of(context), context["tenant"], lang_of(), user_of(body)
    try:
        currency = workspace(db, tenant, settings_of(context)).currency
        text, blocks = ledger_message(db, tenant, customer_id, currency=currency, lang=lang)
    except ClientDeskError as error:
        text, blocks = error.message(lang), []
    notify(client, user_id=user_id, channel_id=channel_of(body), text=text, blocks=blocks or None)


def _template_from_menu(request: ButtonRequest) -> None:
    open_form(request.client, request.context, request.body, Callback.TEMPLATE_FORM, request.customer_id)


def register(app: App) -> None:
    register_overflow(Action.NEW_TEMPLATE, _template_from_menu)  # the profile card's "more" menu
    register_customer_action(app, Action.TRANSACTIONS, show_transactions)
    for action in FORMS:
        app.action(action)(on_form_button)
    for callback in SAVERS:
        app.view(callback)(on_form_submit)
    app.action(Action.CLOSE_PROJECT)(on_close_project)
