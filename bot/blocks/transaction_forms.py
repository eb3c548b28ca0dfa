"""Transactions: the invoice, payment, project and recurring-template modals with their parsers, the
confirmation texts, and a customer's transactions message.

Each input's ``block_id`` is the handler field it carries (``number``, ``amount``, ``invoice_date``...),
so a problem's ``field`` names the input it is shown under.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot.blocks.ids import Action, Callback
from bot.blocks.modal_kit import (
    close_project_menu,
    context,
    date_input,
    date_value,
    input_block,
    int_or_none,
    load_meta,
    meta_int,
    meta_str,
    modal,
    option,
    selected_value,
    text_input,
    text_value,
)
from bot.blocks.text import Block, bounded_lines, button, safe, section
from db.models import Interval, Invoice, Payment, Project, RecurringTemplate
from handlers.errors import ClientDeskError
from handlers.messages import money, t
from handlers.transactions import INVOICE_NUMBER_MAX

VALUE = "value"
NAME_MAX = 200

# The input each form shows a problem under, by the handler's field name; the last entry is the default.
FORM_FIELDS: dict[str, tuple[str, ...]] = {
    Callback.INVOICE_FORM: ("number", "invoice_date", "due_date", "amount"),
    Callback.PAYMENT_FORM: ("payment_date", "invoice_id", "amount"),
    Callback.PROJECT_FORM: ("name",),
    Callback.TEMPLATE_FORM: ("name", "interval", "next_date", "amount"),
}


@dataclass(frozen=True)
class FormContext:
    """Where a transaction form comes from: its customer, the channel to answer in, and the dialog to
    refresh afterwards (a make-inactive dialog the form was pushed over)."""

    customer_id: int
    channel_id: str = ""
    back_view_id: str = ""
    back_customer_id: int | None = None


@dataclass(frozen=True)
class CustomerHeading:
    """How a form names its customer: current name ("(inactive)" when it is) and balance."""

    label: str
    balance: Decimal


def _meta(ctx: FormContext) -> dict[str, Any]:
    return {"id": ctx.customer_id, "c": ctx.channel_id, "back": ctx.back_view_id, "bid": ctx.back_customer_id}


def parse_context(view: Mapping[str, Any]) -> FormContext | None:
    meta = load_meta(view)
    customer_id = meta_int(meta, "id")
    if customer_id is None:
        return None
    return FormContext(customer_id, meta_str(meta, "c"), meta_str(meta, "back"), meta_int(meta, "bid"))


def _heading(heading: CustomerHeading, lang: str, currency: str) -> Block:
    return section(t("lc.for_customer", lang, name=safe(heading.label, NAME_MAX * 2),
                     balance=money(heading.balance, currency)))


def _amount(lang: str, currency: str, *, initial: str | None = None) -> Block:
    label = t("lc.amount", lang, currency=currency) if currency else t("lc.amount_plain", lang)
    return input_block("amount", label, text_input(VALUE, initial=initial, max_length=20,
                                                   placeholder=t("lc.amount_placeholder", lang)))


def errors_for(callback: str, error: ClientDeskError, lang: str = "en") -> dict[str, str]:
    """Each problem under its input (unknown fields under the form's main input)."""
    fields = FORM_FIELDS[callback]
    errors: dict[str, str] = {}
    for problem in error.problems:
        block = problem.field if problem.field in fields else fields[-1]
        errors[block] = (errors[block] + " " if block in errors else "") + problem.message(lang)
    return {k: v[:2000] for k, v in errors.items()}


# ------------------------------------------------------------------------------ invoice


def invoice_form(ctx: FormContext, heading: CustomerHeading, *, today: date, lang: str = "en",
                 currency: str = "") -> Block:
    blocks = [
        _heading(heading, lang, currency),
        input_block("number", t("lc.invoice.number", lang), text_input(VALUE, max_length=INVOICE_NUMBER_MAX)),
        input_block("invoice_date", t("lc.invoice.date", lang), date_input(VALUE, today.isoformat())),
        input_block("due_date", t("lc.invoice.due", lang), date_input(VALUE), optional=True),
        _amount(lang, currency),
    ]
    return modal(Callback.INVOICE_FORM, t("lc.invoice.title", lang), blocks, submit=t("lc.invoice.submit", lang),
                 metadata=_meta(ctx), lang=lang)


@dataclass(frozen=True)
class InvoiceDraft:
    number: str
    invoice_date: str | None
    due_date: str | None
    amount: str


def parse_invoice(view: Mapping[str, Any]) -> InvoiceDraft:
    return InvoiceDraft(
        number=text_value(view, "number", VALUE),
        invoice_date=date_value(view, "invoice_date", VALUE),
        due_date=date_value(view, "due_date", VALUE),
        amount=text_value(view, "amount", VALUE),
    )


def invoice_done(invoice: Invoice, customer_label: str, *, lang: str = "en", currency: str = "") -> str:
    params = {"number": safe(invoice.number, 100), "customer": safe(customer_label, NAME_MAX * 2),
              "amount": money(invoice.amount, currency), "date": invoice.date.isoformat()}
    if invoice.due_date:
        return t("lc.invoice.done_due", lang, due=invoice.due_date.isoformat(), **params)
    return t("lc.invoice.done", lang, **params)


# ------------------------------------------------------------------------------ payment


def payment_form(ctx: FormContext, heading: CustomerHeading, open_invoices: Sequence[Invoice], *, today: date,
                 lang: str = "en", currency: str = "") -> Block:
    blocks = [
        _heading(heading, lang, currency),
        _amount(lang, currency),
        input_block("payment_date", t("lc.payment.date", lang), date_input(VALUE, today.isoformat())),
    ]
    if open_invoices:
        options = [
            option(t("lc.payment.invoice_option", lang, number=inv.number,
                     open=money(inv.amount - inv.amount_paid, currency)), str(inv.id))
            for inv in open_invoices[:100]
        ]
        blocks.append(input_block("invoice_id", t("lc.payment.invoice", lang),
                                  {"type": "static_select", "action_id": VALUE, "options": options},
                                  optional=True, hint=t("lc.payment.invoice_hint", lang)))
    else:
        blocks.append(context(t("lc.payment.no_invoices", lang)))
    return modal(Callback.PAYMENT_FORM, t("lc.payment.title", lang), blocks, submit=t("lc.payment.submit", lang),
                 metadata=_meta(ctx), lang=lang)


@dataclass(frozen=True)
class PaymentDraft:
    amount: str
    payment_date: str | None
    invoice_id: int | None


def parse_payment(view: Mapping[str, Any]) -> PaymentDraft:
    return PaymentDraft(
        amount=text_value(view, "amount", VALUE),
        payment_date=date_value(view, "payment_date", VALUE),
        invoice_id=int_or_none(selected_value(view, "invoice_id", VALUE)),
    )


def payment_done(payment: Payment, customer_label: str, balance: Decimal, *, invoice_number: str | None,
                 lang: str = "en", currency: str = "") -> str:
    params = {"amount": money(payment.amount, currency), "customer": safe(customer_label, NAME_MAX * 2),
              "balance": money(balance, currency)}
    if invoice_number:
        return t("lc.payment.done_applied", lang, number=safe(invoice_number, 100), **params)
    return t("lc.payment.done", lang, **params)


# ------------------------------------------------------------------------------ project


def project_form(ctx: FormContext, heading: CustomerHeading, *, lang: str = "en", currency: str = "") -> Block:
    blocks = [
        _heading(heading, lang, currency),
        input_block("name", t("lc.project.name", lang), text_input(VALUE, max_length=100)),
    ]
    return modal(Callback.PROJECT_FORM, t("lc.project.title", lang), blocks, submit=t("lc.project.submit", lang),
                 metadata=_meta(ctx), lang=lang)


def parse_project(view: Mapping[str, Any]) -> str:
    return text_value(view, "name", VALUE)


def project_done(project: Project, customer_label: str, lang: str = "en") -> str:
    return t("lc.project.done", lang, name=safe(project.name, 200), customer=safe(customer_label, NAME_MAX * 2))


def project_closed(project: Project, customer_label: str, lang: str = "en") -> str:
    return t("lc.project.closed", lang, name=safe(project.name, 200), customer=safe(customer_label, NAME_MAX * 2))


# ------------------------------------------------------------------------------ recurring template


def interval_label(interval: Interval | str, lang: str = "en") -> str:
    return t(f"lc.interval.{Interval(interval).value}", lang)


def template_form(ctx: FormContext, heading: CustomerHeading, *, today: date, lang: str = "en",
                  currency: str = "") -> Block:
    options = [option(interval_label(i, lang), i.value) for i in Interval]
    monthly = options[list(Interval).index(Interval.MONTHLY)]
    blocks = [
        _heading(heading, lang, currency),
        input_block("name", t("lc.template.name", lang), text_input(VALUE, max_length=100)),
        input_block("interval", t("lc.template.interval", lang),
                    {"type": "static_select", "action_id": VALUE, "options": options, "initial_option": monthly}),
        input_block("next_date", t("lc.template.next_date", lang), date_input(VALUE, today.isoformat())),
        _amount(lang, currency),
    ]
    return modal(Callback.TEMPLATE_FORM, t("lc.template.title", lang), blocks, submit=t("lc.template.submit", lang),
                 metadata=_meta(ctx), lang=lang)


@dataclass(frozen=True)
class TemplateDraft:
    name: str
    interval: str | None
    next_date: str | None
    amount: str


def parse_template(view: Mapping[str, Any]) -> TemplateDraft:
    return TemplateDraft(
        name=text_value(view, "name", VALUE),
        interval=selected_value(view, "interval", VALUE),
        next_date=date_value(view, "next_date", VALUE),
        amount=text_value(view, "amount", VALUE),
    )


def template_done(template: RecurringTemplate, customer_label: str, *, lang: str = "en", currency: str = "") -> str:
    return t("lc.template.done", lang, name=safe(template.name, 200), customer=safe(customer_label, NAME_MAX * 2),
             interval=interval_label(template.interval, lang), date=template.next_date.isoformat(),
             amount=money(template.amount, currency))


# ------------------------------------------------------------------------------ transactions message


@dataclass(frozen=True)
class LedgerView:
    customer_id: int
    label: str  # the customer's current name, "(inactive)" when it is
    active: bool
    balance: Decimal
    invoices: Sequence[Invoice]
    payments: Sequence[Payment]
    projects: Sequence[Project]
    templates: Sequence[RecurringTemplate]


def ledger_text(v: LedgerView, lang: str = "en") -> str:
    return t("lc.ledger.text", lang, name=safe(v.label, NAME_MAX * 2))


def ledger_blocks(v: LedgerView, *, lang: str = "en", currency: str = "") -> list[Block]:
    """A customer's open invoices, latest payments, open projects (with Close buttons) and templates."""
    label = safe(v.label, NAME_MAX * 2)
    blocks: list[Block] = [section(t("lc.ledger.title", lang, name=label, balance=money(v.balance, currency)))]
    invoices = [
        t("lc.ledger.invoice_line", lang, number=safe(i.number, 100), customer=label, date=i.date.isoformat(),
          open=money(i.amount - i.amount_paid, currency), amount=money(i.amount, currency))
        for i in v.invoices
    ]
    payments = [t("lc.ledger.payment_line", lang, date=p.date.isoformat(), amount=money(p.amount, currency))
                for p in v.payments]
    projects = [t("lc.ledger.project_line", lang, name=safe(p.name, 200)) for p in v.projects]
    templates = [
        t("lc.ledger.template_line", lang, name=safe(tp.name, 200), customer=label,
          interval=interval_label(tp.interval, lang), date=tp.next_date.isoformat(),
          amount=money(tp.amount, currency))
        for tp in v.templates
    ]
    for key, lines in (("invoices", invoices), ("payments", payments), ("projects", projects),
                       ("templates", templates)):
        title = t(f"lc.ledger.{key}", lang)
        block = section(bounded_lines(title, lines, total=len(lines), lang=lang) if lines
                        else title + "\n" + t("lc.ledger.none", lang))
        if key == "projects" and v.projects:
            block["accessory"] = close_project_menu([(p.id or 0, p.name) for p in v.projects], lang)
        blocks.append(block)
    if v.active:
        cid = str(v.customer_id)
        blocks.append({"type": "actions", "block_id": "ledger_new", "elements": [
            button(t("lc.button.new_invoice", lang), Action.NEW_INVOICE, cid),
            button(t("lc.button.receive_payment", lang), Action.RECEIVE_PAYMENT, cid),
            button(t("lc.button.new_project", lang), Action.NEW_PROJECT, cid),
            button(t("lc.button.new_template", lang), Action.NEW_TEMPLATE, cid),
        ]})
    return blocks
