"""A customer's history, page by page: who (<@U…>), when (in the reader's time zone), what changed
(field labels before → after), with Newer / Older buttons (value ``"<customer id>:<offset>"``)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bot.blocks.ids import Action
from bot.blocks.text import Block, button, clip, describe_event, safe, section, when, who
from db.models import AuditEvent
from handlers.activity import HistoryPage
from handlers.messages import money, t

PAGE_SIZE = 10
VALUE_MAX = 120
NAME_MAX = 200


def history_text(name: str, lang: str = "en") -> str:
    return t("lc.history.text", lang, name=safe(name, NAME_MAX * 2))


def history_blocks(customer_id: int, name: str, page: HistoryPage, *, names: Mapping[int, str] | None = None,
                   lang: str = "en") -> list[Block]:
    """One page of the customer's changes, newest first, and the buttons to the neighbouring pages."""
    shown = safe(name, NAME_MAX * 2)
    if not page.events:
        return [section(t("lc.history.empty", lang, name=shown))]
    first, last = page.offset + 1, page.offset + len(page.events)
    blocks: list[Block] = [section(t("lc.history.title", lang, name=shown, first=first, last=last, total=page.total))]
    blocks += [section(event_line(e, lang, names=names or {})) for e in page.events]
    nav = []
    if page.offset > 0:
        nav.append(button(t("lc.button.newer", lang), Action.HISTORY_PAGE_BACK,
                          f"{customer_id}:{max(page.offset - PAGE_SIZE, 0)}"))
    if page.has_more:
        nav.append(button(t("lc.button.older", lang), Action.HISTORY_PAGE, f"{customer_id}:{last}"))
    if nav:
        blocks.append({"type": "actions", "elements": nav})
    return blocks


def parse_page(value: str | None) -> tuple[int, int] | None:
    """``"<customer id>:<offset>"`` → ``(id, offset)``; None if malformed."""
    raw_id, sep, raw_offset = (value or "").partition(":")
    if not sep or not raw_id.isdigit() or not raw_offset.isdigit():
        return None
    return int(raw_id), int(raw_offset)


def event_line(event: AuditEvent, lang: str = "en", *, names: Mapping[int, str]) -> str:
    """"• <when> — <@U…> changed Email: a → b; Phone: (empty) → 555" (every changed field)."""
    what = _edit(event, lang, names) if event.action == "edit" else describe_event(event, lang, names=names)
    line = t("slack.browse.card.history_line", lang, when=when(event, lang),
             who=who(event.actor) or t("slack.browse.event.someone", lang), what=what)
    return clip(line, 3000)


def _edit(event: AuditEvent, lang: str, names: Mapping[int, str]) -> str:
    before, after = event.before or {}, event.after or {}
    changed = list(dict.fromkeys([*after, *before]))
    if not changed:
        return t("slack.browse.event.edit_nothing", lang)
    parts = [
        t("slack.browse.event.change", lang, field=_label(k, lang), before=_value(k, before.get(k), lang, names),
          after=_value(k, after.get(k), lang, names))
        for k in changed
    ]
    return t("slack.browse.event.edit", lang, changes="; ".join(parts))


def _label(name: str, lang: str) -> str:
    try:
        return t(f"field.{name}", lang)
    except KeyError:
        return safe(name, 64)


def _value(name: str, value: Any, lang: str, names: Mapping[int, str]) -> str:
    if name == "parent_id":
        if value is None:
            return t("slack.browse.event.top_level", lang)
        return safe(names.get(value, f"#{value}"), VALUE_MAX * 2)
    if value is None or value == "":
        return t("slack.browse.event.empty", lang)
    if isinstance(value, bool):
        return t("slack.browse.event.yes" if value else "slack.browse.event.no", lang)
    if name == "opening_balance":
        try:
            return money(Decimal(str(value)))
        except ArithmeticError:
            pass
    if name == "delivery_method" and value in ("print", "email", "none"):
        return t(f"label.delivery.{value}", lang)
    return safe(clip(" ".join(str(value).split()), VALUE_MAX), VALUE_MAX * 5)

