"""The customer profile card: everything about one customer in one message, with its action buttons.

``render_card(profile)`` renders a ``handlers.profile.CustomerProfile`` (read by the handler, bounded
lists with their full counts). The card stays within Slack's limits whatever the data: at most
``MAX_CARD_BLOCKS`` blocks (room is left for a caller's own lines), long texts cut with "…", long lists
summarised with "…and N more".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlmodel import Session

from bot.blocks.ids import Action
from db.models import AuditEvent, Customer, ProjectStatus
from handlers import profile as profiles
from handlers.messages import money, t
from handlers.profile import CustomerProfile

Block = dict[str, Any]

MAX_CARD_BLOCKS = 40  # Slack allows 50 per message; callers may add a few of their own.
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
NAME_IN_LIST_MAX = 120
VALUE_IN_HISTORY_MAX = 40
CHANGES_IN_HISTORY = 3


# ------------------------------------------------------------------------------ text helpers


def escape(text: str) -> str:
    """Text made safe for Slack mrkdwn (``&``, ``<`` and ``>`` escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with "…" when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def safe(text: str, limit: int) -> str:
    """``text`` escaped for mrkdwn and cut so that the *escaped* form fits in ``limit``."""
    escaped = escape(text)
    cut = len(text)
    while len(escaped) > limit:
        cut -= len(escaped) - limit
        escaped = escape(clip(text, max(cut, 1)))
    return escaped


def with_inactive(name: str, active: bool, lang: str, limit: int) -> str:
    """``name`` (cut to fit ``limit`` with its label), followed by "(inactive)" when it is."""
    if active:
        return clip(name, limit)
    overhead = len(t("label.inactive", lang, name=""))
    return t("label.inactive", lang, name=clip(name, limit - overhead))


def bounded_lines(title: str, lines: Sequence[str], *, total: int, lang: str,
                  limit: int = SECTION_TEXT_MAX) -> str:
    """``title`` then as many ``lines`` as fit in ``limit`` characters, then "…and N more" for the rest
    of ``total`` (the full count, which may exceed ``len(lines)``)."""
    reserve = len(t("slack.browse.card.more", lang, count=total)) + 1
    shown: list[str] = []
    used = len(title)
    for line in lines:
        if used + 1 + len(line) + reserve > limit:
            break
        shown.append(line)
        used += 1 + len(line)
    hidden = total - len(shown)
    parts = [title, *shown]
    if hidden > 0:
        parts.append(t("slack.browse.card.more", lang, count=hidden))
    return "\n".join(parts)


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_TEXT_MAX)}}


def fields_section(pairs: Iterable[tuple[str, str]]) -> Block | None:
    """A section of up to ten "*label*\\nvalue" fields (values raw text, escaped here); None if empty."""
    fields = []
    for label, value in pairs:
        head = f"*{escape(label)}*\n"
        fields.append({"type": "mrkdwn", "text": head + safe(value, FIELD_TEXT_MAX - len(head))})
    return {"type": "section", "fields": fields[:10]} if fields else None


def button(label: str, action: Action | str, value: str, *, style: str | None = None) -> Block:
    """A button whose ``value`` carries an id (never a name)."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(label, BUTTON_TEXT_MAX), "emoji": True},
        "action_id": str(action),
        "value": value,
    }
    if style:
        element["style"] = style
    return element


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
        # Imported here: modal_kit builds on this module's text helpers (a module-level import is a cycle).
        from bot.blocks.modal_kit import close_project_menu

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


# ------------------------------------------------------------------------------ history words


def who(actor: str) -> str:
    """A Slack mention for a user id (``U…``/``W…``), else the actor as plain text."""
    if actor[:1] in ("U", "W") and actor.isalnum():
        return f"<@{actor}>"
    return safe(actor, 64) if actor else ""


def when(event: AuditEvent, lang: str = "en") -> str:
    """The event's time, shown in each reader's own time zone by Slack."""
    return t("slack.browse.card.when", lang, ts=int(event.at.timestamp()),
             fallback=event.at.strftime("%Y-%m-%d %H:%M UTC"))


def history_line(event: AuditEvent, lang: str = "en", *, names: Mapping[int, str] | None = None,
                 currency: str = "") -> str:
    """One audit event in words: "• <when> — <@U…> changed Email: a@x → b@x"."""
    return t("slack.browse.card.history_line", lang, when=when(event, lang),
             who=who(event.actor) or t("slack.browse.event.someone", lang),
             what=describe_event(event, lang, names=names or {}, currency=currency))


def describe_event(event: AuditEvent, lang: str = "en", *, names: Mapping[int, str] | None = None,
                   currency: str = "") -> str:
    """What an audit event did, in the reader's words (escaped for mrkdwn). ``names``: customer id →
    name, for edits that moved the customer under another parent."""
    after, action = event.after or {}, event.action
    if action == "edit":
        return _describe_edit(event, lang, names or {})
    if action == "make_inactive" and after.get("cascaded_from"):
        return t("slack.browse.event.make_inactive_cascaded", lang, parent=_short(after["cascaded_from"]))
    params = {k: _short(after.get(k)) for k in ("invoice", "project", "template", "duplicate", "kept", "other")}
    params["amount"] = _amount(after.get("amount"), currency)
    key = f"slack.browse.event.{action}"
    try:
        return t(key, lang, **params)
    except KeyError:
        return t("slack.browse.event.other", lang, action=_short(action))


def _describe_edit(event: AuditEvent, lang: str, names: Mapping[int, str]) -> str:
    before, after = event.before or {}, event.after or {}
    changed = list(dict.fromkeys([*after, *before]))
    if not changed:
        return t("slack.browse.event.edit_nothing", lang)
    parts = [
        t("slack.browse.event.change", lang, field=_field_label(k, lang),
          before=_value(k, before.get(k), lang, names), after=_value(k, after.get(k), lang, names))
        for k in changed[:CHANGES_IN_HISTORY]
    ]
    if len(changed) > CHANGES_IN_HISTORY:
        parts.append(t("slack.browse.event.more_changes", lang, count=len(changed) - CHANGES_IN_HISTORY))
    return t("slack.browse.event.edit", lang, changes="; ".join(parts))


def _field_label(name: str, lang: str) -> str:
    try:
        return t(f"field.{name}", lang)
    except KeyError:
        return _short(name)


def _value(name: str, value: Any, lang: str, names: Mapping[int, str]) -> str:
    if name == "parent_id":
        return _short(names.get(value, str(value))) if value is not None else t("slack.browse.event.top_level", lang)
    if value is None or value == "":
        return t("slack.browse.event.empty", lang)
    if isinstance(value, bool):
        return t("slack.browse.event.yes" if value else "slack.browse.event.no", lang)
    return _short(value)


def _short(value: Any) -> str:
    return safe(clip(str(value if value is not None else ""), VALUE_IN_HISTORY_MAX), 3 * VALUE_IN_HISTORY_MAX)


def _amount(value: Any, currency: str) -> str:
    try:
        return money(Decimal(str(value)), currency)
    except (InvalidOperation, ValueError):
        return _short(value)
