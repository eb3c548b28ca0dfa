"""The customer profile card: everything about one customer in one message, with its action buttons.

``customer_card(session, customer)`` gathers the data (read-only queries) and renders it. The card
stays within Slack's limits whatever the data: at most ``MAX_CARD_BLOCKS`` blocks (room is left for
a caller's own lines), long texts cut with "…", long lists summarised with "…and N more".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from bot.blocks.ids import Action
from db.models import AuditEvent, Customer, Invoice, Project, ProjectStatus, RecurringTemplate
from handlers import audit, customers, hierarchy
from handlers.messages import money, t

Block = dict[str, Any]

MAX_CARD_BLOCKS = 40  # Slack allows 50 per message; callers may add a few of their own.
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
SHOWN_SUB_CUSTOMERS = 15
SHOWN_INVOICES = 5
SHOWN_PROJECTS = 5
SHOWN_TEMPLATES = 5
SHOWN_HISTORY = 5
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


# ------------------------------------------------------------------------------ the data


@dataclass(frozen=True)
class Profile:
    """What the card shows about one customer, read in one go."""

    customer: Customer
    parent_name: str | None  # fully qualified name of the parent ("Top:Child"), None at the top
    sub_customers: list[tuple[int, Customer]]  # (depth below the customer, sub-customer), tree order
    balance: Decimal
    balance_with_subs: Decimal
    can_take_child: bool
    open_invoices: list[Invoice] = field(default_factory=list)
    open_invoice_count: int = 0
    open_total: Decimal = Decimal("0.00")
    projects: list[Project] = field(default_factory=list)
    open_project_count: int = 0
    closed_project_count: int = 0
    templates: list[RecurringTemplate] = field(default_factory=list)
    template_count: int = 0
    history: list[AuditEvent] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # customer id -> name, for history lines


def load_profile(session: Session, customer: Customer) -> Profile:
    """Read everything the card shows about ``customer`` (its own workspace only)."""
    assert customer.id is not None
    team, cid = customer.team_id, customer.id
    chain = hierarchy.ancestors(session, customer)
    subs = [c for c in hierarchy.descendants(session, customer) if c.merged_into_id is None]
    invoices, invoice_count, open_total = _open_invoices(session, team, cid)
    projects, open_count, closed_count = _projects(session, team, cid)
    templates, template_count = _templates(session, team, cid)
    history = audit.history(session, team, cid, limit=SHOWN_HISTORY)
    return Profile(
        customer=customer,
        parent_name=hierarchy.SEPARATOR.join(a.display_name for a in chain) or None,
        sub_customers=_tree(cid, subs),
        balance=customers.balance(session, team_id=team, customer_id=cid),
        balance_with_subs=customers.balance_with_sub_customers(session, team_id=team, customer_id=cid),
        can_take_child=customer.active and len(chain) < hierarchy.MAX_LEVEL,
        open_invoices=invoices, open_invoice_count=invoice_count, open_total=open_total,
        projects=projects, open_project_count=open_count, closed_project_count=closed_count,
        templates=templates, template_count=template_count,
        history=history, names=_names_in_history(session, team, history),
    )


def _tree(root_id: int, subs: Sequence[Customer]) -> list[tuple[int, Customer]]:
    by_parent: dict[int | None, list[Customer]] = defaultdict(list)
    for c in subs:
        by_parent[c.parent_id].append(c)
    ordered: list[tuple[int, Customer]] = []
    stack: list[tuple[int, Customer]] = [(1, c) for c in reversed(by_parent[root_id])]
    while stack:
        depth, node = stack.pop()
        ordered.append((depth, node))
        stack.extend((depth + 1, c) for c in reversed(by_parent[node.id]))
    return ordered


def _open_invoices(session: Session, team: str, cid: int) -> tuple[list[Invoice], int, Decimal]:
    is_open = (Invoice.team_id == team, Invoice.customer_id == cid, col(Invoice.amount) > col(Invoice.amount_paid))
    shown = list(session.exec(
        select(Invoice).where(*is_open).order_by(col(Invoice.date), col(Invoice.id)).limit(SHOWN_INVOICES)
    ))
    count, total = session.exec(
        select(func.count(), func.coalesce(func.sum(col(Invoice.amount) - col(Invoice.amount_paid)), 0))
        .where(*is_open)
    ).one()
    return shown, int(count), Decimal(total).quantize(Decimal("0.01"))


def _projects(session: Session, team: str, cid: int) -> tuple[list[Project], int, int]:
    mine = (Project.team_id == team, Project.customer_id == cid)
    open_first = case((col(Project.status) == ProjectStatus.OPEN.value, 0), else_=1)
    shown = list(session.exec(
        select(Project).where(*mine).order_by(open_first, col(Project.name), col(Project.id)).limit(SHOWN_PROJECTS)
    ))
    counts = dict(session.exec(select(Project.status, func.count()).where(*mine).group_by(Project.status)).all())
    return shown, int(counts.get(ProjectStatus.OPEN, 0)), int(counts.get(ProjectStatus.CLOSED, 0))


def _templates(session: Session, team: str, cid: int) -> tuple[list[RecurringTemplate], int]:
    mine = (RecurringTemplate.team_id == team, RecurringTemplate.customer_id == cid)
    shown = list(session.exec(
        select(RecurringTemplate).where(*mine)
        .order_by(col(RecurringTemplate.next_date), col(RecurringTemplate.id)).limit(SHOWN_TEMPLATES)
    ))
    count = session.exec(select(func.count()).select_from(RecurringTemplate).where(*mine)).one()
    return shown, int(count)


def _names_in_history(session: Session, team: str, events: Sequence[AuditEvent]) -> dict[int, str]:
    """Names of the parents an edit moved the customer between (history shows names, not ids)."""
    ids = {
        v for e in events if e.action == "edit" for v in (e.before.get("parent_id"), e.after.get("parent_id"))
        if isinstance(v, int)
    }
    if not ids:
        return {}
    found = list(session.exec(select(Customer).where(Customer.team_id == team, col(Customer.id).in_(ids))))
    return hierarchy.fully_qualified_names(session, found)


# ------------------------------------------------------------------------------ the card


def customer_card(session: Session, customer: Customer, *, lang: str = "en", currency: str = "") -> list[Block]:
    """The profile card blocks of ``customer`` (read with ``session``; a read-only session is enough).

    Shows: display and full name, company, contacts, addresses, parent chain and sub-customers,
    billing mode, balances (own and with sub-customers), open invoices, projects, recurring
    templates, status, recent history, and the action buttons (ids from ``bot.blocks.ids.Action``,
    each button's value the customer id).
    """
    return render_card(load_profile(session, customer), lang=lang, currency=currency)


def card_text(customer: Customer, lang: str = "en") -> str:
    """The notification text that goes with the card blocks."""
    name = with_inactive(customer.display_name, customer.active, lang, 500)
    return t("slack.browse.card_text", lang, name=safe(name, 2000))


def render_card(profile: Profile, *, lang: str = "en", currency: str = "") -> list[Block]:
    """The card's blocks from already-read ``profile`` data."""
    c = profile.customer
    blocks: list[Block | None] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": False,
                                    "text": with_inactive(c.display_name, c.active, lang, HEADER_MAX)}},
        _status_line(profile, lang),
        fields_section(_contact_fields(c, lang)) or section(t("slack.browse.card.no_contact", lang)),
        fields_section(_address_fields(c, lang)),
        fields_section(_money_fields(profile, lang, currency)),
        _hierarchy_section(profile, lang),
        _invoices_section(profile, lang, currency),
        _projects_section(profile, lang),
        _templates_section(profile, lang, currency),
        _history_section(profile, lang, currency),
        {"type": "divider"},
        _actions(profile, lang),
    ]
    return [b for b in blocks if b is not None][:MAX_CARD_BLOCKS]


def _status_line(profile: Profile, lang: str) -> Block:
    c = profile.customer
    parts = [t("slack.browse.card.status_active" if c.active else "slack.browse.card.status_inactive", lang)]
    if profile.parent_name:
        parts.append(t("slack.browse.card.sub_customer_of", lang, parent=safe(profile.parent_name, 2000)))
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


def _money_fields(profile: Profile, lang: str, currency: str) -> list[tuple[str, str]]:
    c = profile.customer
    pairs = [(t("slack.browse.card.balance", lang), money(profile.balance, currency))]
    if profile.sub_customers:
        pairs.append((t("slack.browse.card.balance_with_subs", lang), money(profile.balance_with_subs, currency)))
    for name in ("terms", "payment_method"):
        if getattr(c, name):
            pairs.append((t(f"field.{name}", lang), getattr(c, name)))
    return pairs


def _hierarchy_section(profile: Profile, lang: str) -> Block | None:
    if not profile.sub_customers:
        return None
    lines = [
        "    " * (depth - 1) + ("• " if depth == 1 else "◦ ")
        + safe(with_inactive(sub.display_name, sub.active, lang, NAME_IN_LIST_MAX), 4 * NAME_IN_LIST_MAX)
        for depth, sub in profile.sub_customers[:SHOWN_SUB_CUSTOMERS]
    ]
    title = t("slack.browse.card.sub_customers", lang, count=len(profile.sub_customers))
    return section(bounded_lines(title, lines, total=len(profile.sub_customers), lang=lang))


def _invoices_section(profile: Profile, lang: str, currency: str) -> Block | None:
    if not profile.open_invoice_count:
        return None
    lines = []
    for inv in profile.open_invoices:
        params = {"number": safe(inv.number, 100), "date": inv.date.isoformat(),
                  "open": money(inv.amount - inv.amount_paid, currency)}
        if inv.due_date:
            lines.append(t("slack.browse.card.invoice_line", lang, due=inv.due_date.isoformat(), **params))
        else:
            lines.append(t("slack.browse.card.invoice_line_no_due", lang, **params))
    title = t("slack.browse.card.open_invoices", lang, count=profile.open_invoice_count,
              total=money(profile.open_total, currency))
    return section(bounded_lines(title, lines, total=profile.open_invoice_count, lang=lang))


def _projects_section(profile: Profile, lang: str) -> Block | None:
    total = profile.open_project_count + profile.closed_project_count
    if not total:
        return None
    lines = [
        t("slack.browse.card.project_open" if p.status == ProjectStatus.OPEN else "slack.browse.card.project_closed",
          lang, name=safe(p.name, NAME_IN_LIST_MAX))
        for p in profile.projects
    ]
    title = t("slack.browse.card.projects", lang, open=profile.open_project_count,
              closed=profile.closed_project_count)
    return section(bounded_lines(title, lines, total=total, lang=lang))


def _templates_section(profile: Profile, lang: str, currency: str) -> Block | None:
    if not profile.template_count:
        return None
    lines = [
        t("slack.browse.card.template_line", lang, name=safe(tp.name, NAME_IN_LIST_MAX),
          interval=t(f"slack.browse.card.interval.{tp.interval}", lang), date=tp.next_date.isoformat(),
          amount=money(tp.amount, currency))
        for tp in profile.templates
    ]
    title = t("slack.browse.card.templates", lang, count=profile.template_count)
    return section(bounded_lines(title, lines, total=profile.template_count, lang=lang))


def _history_section(profile: Profile, lang: str, currency: str) -> Block | None:
    if not profile.history:
        return None
    lines = [history_line(e, lang, names=profile.names, currency=currency) for e in profile.history]
    # The full history sits behind the History button: show what fits, without a count.
    return section(bounded_lines(t("slack.browse.card.history", lang), lines, total=len(lines), lang=lang))


def _actions(profile: Profile, lang: str) -> Block:
    c = profile.customer
    cid = str(c.id)
    elements = [button(t("slack.browse.button.edit", lang), Action.EDIT, cid, style="primary")]
    if c.active:
        if profile.can_take_child:
            elements.append(button(t("slack.browse.button.add_sub", lang), Action.ADD_SUB, cid))
        elements += [
            button(t("slack.browse.button.new_invoice", lang), Action.NEW_INVOICE, cid),
            button(t("slack.browse.button.receive_payment", lang), Action.RECEIVE_PAYMENT, cid),
            button(t("slack.browse.button.new_project", lang), Action.NEW_PROJECT, cid),
            button(t("slack.browse.button.make_inactive", lang), Action.DEACTIVATE, cid, style="danger"),
        ]
    else:
        elements.append(button(t("slack.browse.button.reactivate", lang), Action.REACTIVATE, cid))
    elements += [
        button(t("slack.browse.button.merge", lang), Action.MERGE, cid),
        button(t("slack.browse.button.history", lang), Action.HISTORY, cid),
    ]
    return {"type": "actions", "elements": elements}


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
