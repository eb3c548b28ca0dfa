"""Lists of customers (``/clients find``, "pick one" among several matches) and their parsers.

A list page shows ``PAGE_SIZE`` customers (rows read by ``handlers.profile``), each as a section (fully
qualified name, email, phone, balance) and an actions row (Show, Edit, and an overflow menu whose option
values are ``"<action>|<customer id>"``), then Previous / Next / Include inactive buttons whose value is
the ``ListQuery`` as JSON. Everything stays well under Slack's 50 blocks per message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.blocks.card import choice, more_menu
from bot.blocks.ids import Action
from bot.blocks.text import Block, button, clip, safe, section, with_inactive
from handlers.messages import money, t
from handlers.normalize import fold
from handlers.profile import CustomerRow

PAGE_SIZE = 10
QUERY_TEXT_MAX = 500  # search text kept in a button value (Slack allows 2,000 characters)
NAME_MAX = 300  # a fully qualified name in a list row
ALL_FLAGS = frozenset({"--all", "--tout", "-a"})


# ------------------------------------------------------------------------------ queries


@dataclass(frozen=True)
class ListQuery:
    """What a list shows: the search text, where the page starts, whether inactive customers count."""

    text: str = ""
    offset: int = 0
    include_inactive: bool = False

    def value(self) -> str:
        """The button value that carries this query (``{"q", "offset", "all"}`` JSON)."""
        return json.dumps({"q": clip(self.text, QUERY_TEXT_MAX), "offset": self.offset,
                           "all": self.include_inactive}, ensure_ascii=False)


def parse_query(value: str | None) -> ListQuery:
    """A ``ListQuery`` from a button value; anything malformed gives the first page of everyone."""
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return ListQuery()
    if not isinstance(data, dict):
        return ListQuery()
    text, offset = data.get("q"), data.get("offset")
    return ListQuery(
        text=clip(text, QUERY_TEXT_MAX) if isinstance(text, str) else "",
        offset=max(offset, 0) if isinstance(offset, int) and not isinstance(offset, bool) else 0,
        include_inactive=data.get("all") is True,
    )


def parse_find_args(args: str) -> ListQuery:
    """``/clients find`` text: ``--all`` (or ``--tout``) anywhere includes inactive customers."""
    words = args.split()
    flags = {w for w in words if fold(w) in ALL_FLAGS}
    text = " ".join(w for w in words if w not in flags)
    return ListQuery(text=clip(text, QUERY_TEXT_MAX), include_inactive=bool(flags))


# ------------------------------------------------------------------------------ rendering


def row_text(row: CustomerRow, lang: str, currency: str) -> str:
    """``*Top:Child* (inactive)`` then email · phone · balance."""
    c = row.customer
    title = "*" + safe(with_inactive(row.name, c.active, lang, NAME_MAX), 3 * NAME_MAX) + "*"
    details = [safe(v, 100) for v in (c.email, c.phone or c.mobile) if v]
    details.append(t("slack.browse.list.row_balance", lang, balance=money(row.balance, currency)))
    return title + "\n" + " · ".join(details)


def row_actions(row: CustomerRow, lang: str) -> Block:
    """Show, Edit and the overflow menu (add sub-customer, make inactive / reactivate, merge, history)."""
    c = row.customer
    cid = str(c.id)
    options: list[tuple[str, Action]] = []
    if row.can_take_child:
        options.append(("slack.browse.button.add_sub", Action.ADD_SUB))
    options.append(("slack.browse.button.make_inactive", Action.DEACTIVATE) if c.active
                   else ("slack.browse.button.reactivate", Action.REACTIVATE))
    options += [("slack.browse.button.merge", Action.MERGE), ("slack.browse.button.history", Action.HISTORY)]
    return {"type": "actions", "elements": [
        button(t("slack.browse.button.show", lang), Action.SHOW, cid),
        button(t("slack.browse.button.edit", lang), Action.EDIT, cid),
        more_menu(c.id, options, lang),
    ]}


def list_text(query: ListQuery, lang: str = "en") -> str:
    """The notification text of a list message."""
    if query.text:
        return t("slack.browse.list.text_query", lang, text=safe(query.text, QUERY_TEXT_MAX * 5))
    return t("slack.browse.list.text_all", lang)


def customer_list(rows: Sequence[CustomerRow], *, query: ListQuery, has_more: bool, lang: str = "en",
                  currency: str = "") -> list[Block]:
    """A page of the customer list, with its paging and "include inactive" buttons."""
    if not rows:
        return _empty_list(query, lang)
    first, last = query.offset + 1, query.offset + len(rows)
    if query.text:
        title = t("slack.browse.list.title_query", lang, text=safe(query.text, 5 * QUERY_TEXT_MAX),
                  first=first, last=last)
    else:
        title = t("slack.browse.list.title_all", lang, first=first, last=last)
    scope = t("slack.browse.list.including_inactive" if query.include_inactive else "slack.browse.list.active_only",
              lang)
    blocks: list[Block] = [
        section(title),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": scope}]},
        {"type": "divider"},
    ]
    for row in rows:
        blocks += [section(row_text(row, lang, currency)), row_actions(row, lang)]
    blocks.append(_navigation(query, has_more, lang))
    return blocks


def _navigation(query: ListQuery, has_more: bool, lang: str) -> Block:
    elements = []
    if query.offset > 0:
        back = replace(query, offset=max(query.offset - PAGE_SIZE, 0))
        elements.append(button(t("slack.browse.button.previous", lang), Action.PAGE_BACK, back.value()))
    if has_more:
        forward = replace(query, offset=query.offset + PAGE_SIZE)
        elements.append(button(t("slack.browse.button.next", lang), Action.PAGE, forward.value()))
    elements.append(_toggle(query, lang))
    return {"type": "actions", "elements": elements}


def _toggle(query: ListQuery, lang: str) -> Block:
    toggled = ListQuery(text=query.text, offset=0, include_inactive=not query.include_inactive)
    key = "slack.browse.button.hide_inactive" if query.include_inactive else "slack.browse.button.include_inactive"
    return button(t(key, lang), Action.TOGGLE_INACTIVE, toggled.value())


def _empty_list(query: ListQuery, lang: str) -> list[Block]:
    if query.offset > 0:
        first = replace(query, offset=0)
        return [section(t("slack.browse.list.page_empty", lang)), {"type": "actions", "elements": [
            button(t("slack.browse.button.first_page", lang), Action.PAGE, first.value())]}]
    if not query.text:
        if query.include_inactive:
            return [section(t("slack.browse.list.no_one", lang))]
        return [section(t("slack.browse.list.no_one", lang)), {"type": "actions", "elements": [_toggle(query, lang)]}]
    return no_match(query.text, lang=lang, offer_inactive=not query.include_inactive, query=query)


def no_match(text: str, *, lang: str = "en", offer_inactive: bool = False,
             query: ListQuery | None = None) -> list[Block]:
    """Nothing matches ``text``: say so, suggest a search, offer to add it (and to include inactive ones)."""
    shown = safe(text, 5 * QUERY_TEXT_MAX)
    elements = [button(t("slack.browse.button.add_named", lang, name=clip(text, 40)), Action.ADD_NAMED,
                       clip(text, 500), style="primary")]
    if offer_inactive:
        elements.append(_toggle(query or ListQuery(text=text), lang))
    return [
        section(t("slack.browse.no_match", lang, text=shown) + "\n" + t("slack.browse.no_match_hint", lang)),
        {"type": "actions", "elements": elements},
    ]


def no_match_text(text: str, lang: str = "en") -> str:
    return t("slack.browse.no_match", lang, text=safe(text, 5 * QUERY_TEXT_MAX))


def pick_one(rows: Sequence[CustomerRow], *, text: str, intent: Action, lang: str = "en",
             currency: str = "") -> list[Block]:
    """Several customers match ``text``: one section per candidate with a button (``Action.PICK``,
    value ``"<intent>|<id>"``) that then does what was asked (show or edit)."""
    label = t("slack.browse.button.edit" if intent == Action.EDIT else "slack.browse.button.show", lang)
    blocks: list[Block] = [section(pick_text(text, len(rows), lang))]
    for row in rows:
        block = section(row_text(row, lang, currency))
        block["accessory"] = button(label, Action.PICK, choice(intent, row.customer.id))
        blocks.append(block)
    return blocks


def pick_text(text: str, count: int, lang: str = "en") -> str:
    return t("slack.browse.pick_one", lang, count=count, text=safe(text, 5 * QUERY_TEXT_MAX))

