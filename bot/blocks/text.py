"""Text helpers shared by the block builders: mrkdwn escaping and cutting to Slack's limits, sections,
buttons, bounded lists ("…and N more"), and audit events in words (who, when, what).

Every builder in ``bot.blocks`` imports these from here (the card, the lists, the modals, the history).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.blocks.ids import Action
from db.models import AuditEvent
from handlers.messages import money, t

Block = dict[str, Any]

SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
BUTTON_TEXT_MAX = 75
VALUE_IN_HISTORY_MAX = 40
CHANGES_IN_HISTORY = 3


# ------------------------------------------------------------------------------ text


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
                  limit: int = SECTION_TEXT_MAX, more_key: str = "slack.browse.card.more") -> str:
    """``title`` then as many ``lines`` as fit in ``limit`` characters, then "…and N more" (the
    catalog's ``more_key``) for the rest of ``total`` (the full count, which may exceed ``len(lines)``)."""
    reserve = len(t(more_key, lang, count=total)) + 1
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
        parts.append(t(more_key, lang, count=hidden))
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
