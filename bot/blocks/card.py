"""The customer profile card: everything about one customer in one message, with its action buttons.

``render_card(profile)`` renders a ``handlers.profile.CustomerProfile`` (read by the handler, bounded
lists with their full counts). The card stays within Slack's limits whatever the data: at most
``MAX_CARD_BLOCKS`` blocks (room is left for a caller's own lines), long texts cut with "…", long lists
summarised with "…and N more". Its text helpers live in ``bot.blocks.text``
(``bot.blocks.import_views`` still imports ``Block``, ``button``, ``clip``, ``safe``, ``section`` from here).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from bot.blocks.ids import Action
from bot.blocks.modal_kit import close_project_menu
from bot.blocks.text import (
    SECTION_TEXT_MAX,
    Block,
    bounded_lines,
    button,
    clip,
    fields_section,
    history_line,
    safe,
    section,
    with_inactive,
)
from bot.blocks.text import describe_event as describe_event  # re-exported (tests import it from here)
from db.models import Customer, ProjectStatus
from handlers import profile as profiles
from handlers.messages import money, t
from handlers.profile import CustomerProfile

MAX_CARD_BLOCKS = 40  # Slack allows 50 per message; callers may add a few of their own.
HEADER_MAX = 150
OPTION_TEXT_MAX = 75
NAME_IN_LIST_MAX = 120


# ------------------------------------------------------------------------------ the card


def customer_card(session: Session, customer: Customer, *, lang: str = "en", currency: str = "") -> list[Block]:
    """The profile card blocks of ``customer``, its profile read through ``handlers.profile`` (a read-only
    session is enough). For callers holding a session and a customer; a listener that reads the profile
    itself renders it with ``render_card``.
    """
    assert customer.id is not None
    found = profiles.profile(session, team_id=customer.team_id, customer_id=customer.id)
    return render_card(found, lang=lang, currency=currency)


def card_text(customer: Customer, lang: str = "en") -> str:
    """The notification text that goes with the card blocks."""
    name = with_inactive(customer.display_name, customer.active, lang, 500)
    return t("slack.browse.card_text", lang, name=safe(name, 2000))


def render_card(found: CustomerProfile, *, lang: str = "en", currency: str = "") -> list[Block]:
    """The card's blocks from a profile read by ``handlers.profile.profile``."""
    c = found.customer
    blocks: list[Block | None] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": False,
                                    "text": with_inactive(c.display_name, c.active, lang, HEADER_MAX)}},
        _status_line(found, lang),
        fields_section(_contact_fields(c, lang)) or section(t("slack.browse.card.no_contact", lang)),
        fields_section(_address_fields(c, lang)),
        fields_section(_money_fields(found, lang, currency)),
        _hierarchy_section(found, lang),
        _invoices_section(found, lang, currency),
        _projects_section(found, lang),
        _templates_section(found, lang, currency),
        _history_section(found, lang, currency),
        {"type": "divider"},
        _actions(found, lang),
    ]
    return [b for b in blocks if b is not None][:MAX_CARD_BLOCKS]


def _status_line(found: CustomerProfile, lang: str) -> Block:
    c = found.customer
    parts = [t("slack.browse.card.status_active" if c.active else "slack.browse.card.status_inactive", lang)]
    if found.parent_name:
        parts.append(t("slack.browse.card.sub_customer_of", lang, parent=safe(found.parent_name, 2000)))
        mode = t("field.bill_with_parent" if c.bill_with_parent else "slack.browse.card.bill_this_customer", lang)
        parts.append(t("slack.browse.card.billing", lang, mode=mode))
    else:
        parts.append(t("slack.browse.card.top_level", lang))
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(p, SECTION_TEXT_MAX)} for p in parts]}


def full_name(c: Customer) -> str:
    """Title, first, middle, last name and suffix, as one line."""
    return " ".join(p for p in (c.title, c.given_name, c.middle_name, c.family_name, c.suffix) if p)


def _contact_fields(c: Customer, lang: str) -> list[tuple[str, str]]:
    pairs = [(t("slack.browse.card.full_name", lang), full_name(c))]
    for name in ("company_name", "email", "phone", "mobile", "fax", "other_phone", "website", "notes"):
        pairs.append((t(f"field.{name}", lang), getattr(c, name) or ""))
    return [(label, value) for label, value in pairs if value]


def _address(c: Customer, prefix: str) -> str:
    def part(name: str) -> str:
        return str(getattr(c, f"{prefix}_{name}") or "")

    city_line = " ".join(p for p in (part("city"), part("state"), part("postal_code")) if p)
    return "\n".join(p for p in (part("street"), city_line, part("country")) if p)


def _address_fields(c: Customer, lang: str) -> list[tuple[str, str]]:
    pairs = [
        (t("slack.browse.card.billing_address", lang), _address(c, "bill")),
        (t("slack.browse.card.shipping_address", lang), _address(c, "ship")),
    ]
    return [(label, value) for label, value in pairs if value]


def _money_fields(found: CustomerProfile, lang: str, currency: str) -> list[tuple[str, str]]:
    c = found.customer
    pairs = [(t("slack.browse.card.balance", lang), money(found.balance, currency))]
    if found.sub_customer_count:
        pairs.append((t("slack.browse.card.balance_with_subs", lang),
                      money(found.balance_with_sub_customers, currency)))
    for name in ("terms", "payment_method"):
        if getattr(c, name):
            pairs.append((t(f"field.{name}", lang), getattr(c, name)))
    return pairs


def _hierarchy_section(found: CustomerProfile, lang: str) -> Block | None:
    if not found.sub_customer_count:
        return None
    lines = [
        "    " * (depth - 1) + ("• " if depth == 1 else "◦ ")
        + safe(with_inactive(sub.display_name, sub.active, lang, NAME_IN_LIST_MAX), 4 * NAME_IN_LIST_MAX)
        for depth, sub in found.sub_customers
    ]
    title = t("slack.browse.card.sub_customers", lang, count=found.sub_customer_count)
    return section(bounded_lines(title, lines, total=found.sub_customer_count, lang=lang))


def _invoices_section(found: CustomerProfile, lang: str, currency: str) -> Block | None:
    invoices = found.invoices
    if not invoices.count:
        return None
    lines = []
    for inv in invoices.shown:
        params = {"number": safe(inv.number, 100), "date": inv.date.isoformat(),
                  "open": money(inv.amount - inv.amount_paid, currency)}
        if inv.due_date:
            lines.append(t("slack.browse.card.invoice_line", lang, due=inv.due_date.isoformat(), **params))
        else:
            lines.append(t("slack.browse.card.invoice_line_no_due", lang, **params))
    title = t("slack.browse.card.open_invoices", lang, count=invoices.count, total=money(invoices.total, currency))
    return section(bounded_lines(title, lines, total=invoices.count, lang=lang))


def _projects_section(found: CustomerProfile, lang: str) -> Block | None:
    """The projects, with a menu closing one of the open ones listed (``Action.CLOSE_PROJECT``)."""
    projects = found.projects
    if not projects.total:
        return None
    lines = [
        t("slack.browse.card.project_open" if p.status == ProjectStatus.OPEN else "slack.browse.card.project_closed",
          lang, name=safe(p.name, NAME_IN_LIST_MAX))
        for p in projects.shown
    ]
    title = t("slack.browse.card.projects", lang, open=projects.open, closed=projects.closed)
    block = section(bounded_lines(title, lines, total=projects.total, lang=lang))
    closable = [(p.id, p.name) for p in projects.shown if p.status == ProjectStatus.OPEN and p.id is not None]
    if closable:
        block["accessory"] = close_project_menu(closable, lang)
    return block


def _templates_section(found: CustomerProfile, lang: str, currency: str) -> Block | None:
    templates = found.templates
    if not templates.count:
        return None
    lines = [
        t("slack.browse.card.template_line", lang, name=safe(tp.name, NAME_IN_LIST_MAX),
          interval=t(f"slack.browse.card.interval.{tp.interval}", lang), date=tp.next_date.isoformat(),
          amount=money(tp.amount, currency))
        for tp in templates.shown
    ]
    title = t("slack.browse.card.templates", lang, count=templates.count)
    return section(bounded_lines(title, lines, total=templates.count, lang=lang))


def _history_section(found: CustomerProfile, lang: str, currency: str) -> Block | None:
    if not found.history:
        return None
    lines = [history_line(e, lang, names=found.names, currency=currency) for e in found.history]
    # The full history sits behind the History button: show what fits, without a count.
    return section(bounded_lines(t("slack.browse.card.history", lang), lines, total=len(lines), lang=lang))


def _actions(found: CustomerProfile, lang: str) -> Block:
    """The buttons (value: the customer id), then the "more" menu with the rarer ones."""
    c = found.customer
    cid = str(c.id)
    elements = [button(t("slack.browse.button.edit", lang), Action.EDIT, cid, style="primary")]
    more: list[tuple[str, Action]] = []
    if c.active:
        if found.can_take_child:
            elements.append(button(t("slack.browse.button.add_sub", lang), Action.ADD_SUB, cid))
        elements += [
            button(t("slack.browse.button.new_invoice", lang), Action.NEW_INVOICE, cid),
            button(t("slack.browse.button.receive_payment", lang), Action.RECEIVE_PAYMENT, cid),
            button(t("slack.browse.button.new_project", lang), Action.NEW_PROJECT, cid),
            button(t("slack.browse.button.make_inactive", lang), Action.DEACTIVATE, cid, style="danger"),
        ]
        more.append(("lc.button.new_template", Action.NEW_TEMPLATE))
    else:
        elements.append(button(t("slack.browse.button.reactivate", lang), Action.REACTIVATE, cid))
    elements += [
        button(t("slack.browse.button.merge", lang), Action.MERGE, cid),
        button(t("slack.browse.button.history", lang), Action.HISTORY, cid),
    ]
    more.append(("lc.button.transactions", Action.TRANSACTIONS))
    elements.append(more_menu(c.id, more, lang))
    return {"type": "actions", "elements": elements}


# ------------------------------------------------------------------------------ the "more" menu


def choice(action: Action, customer_id: int | None) -> str:
    """The value of a "more" menu option or a pick button: ``"<action>|<customer id>"``."""
    return f"{action}|{customer_id}"


def parse_choice(value: str | None) -> tuple[str, int] | None:
    """``"<action>|<customer id>"`` (menu options, pick buttons) → ``(action, id)``; None if malformed."""
    action, sep, raw_id = (value or "").partition("|")
    if not sep or not raw_id.isdigit():
        return None
    return action, int(raw_id)


def more_menu(customer_id: int | None, options: Sequence[tuple[str, Action]], lang: str) -> Block:
    """The overflow menu (``Action.OVERFLOW``) of one customer: ``(catalog key, action)`` options (1 to 5),
    each run by the handler registered for its action (``bot.listeners.browse.register_overflow``)."""
    return {
        "type": "overflow",
        "action_id": str(Action.OVERFLOW),
        "options": [
            {"text": {"type": "plain_text", "text": clip(t(key, lang), OPTION_TEXT_MAX)},
             "value": choice(action, customer_id)}
            for key, action in options
        ],
    }
