"""The App Home tab: counts, import / export / settings, a searchable customer list with paging and an
"include inactive" toggle, and the latest changes.

The list rows are the browse lists' rows (``bot.blocks.customer_list``: Show, Edit and the overflow
menu), so a customer acts the same wherever it is listed. The tab's state (search text, page, toggle)
rides in each button's value and in the view's ``private_metadata`` as ``HomeState`` JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.blocks.customer_list import row_actions, row_text
from bot.blocks.ids import Action
from bot.blocks.modal_kit import context, load_meta, plain
from bot.blocks.text import Block, button, clip, history_line, safe, section, when, who
from handlers.activity import Change, Counts
from handlers.messages import t
from handlers.profile import CustomerRow

PAGE_SIZE = 10
TEXT_MAX = 200
NAME_MAX = 200


@dataclass(frozen=True)
class HomeState:
    """What the Home list shows: the search text, where the page starts, whether inactive ones count."""

    text: str = ""
    offset: int = 0
    include_inactive: bool = False

    def value(self) -> str:
        return json.dumps({"q": clip(self.text, TEXT_MAX), "o": self.offset, "a": self.include_inactive},
                          ensure_ascii=False)


def parse_state(value: str | None) -> HomeState:
    """A ``HomeState`` from a button value or metadata; anything malformed gives the first page."""
    try:
        data = json.loads(value or "{}")
    except ValueError:
        return HomeState()
    if not isinstance(data, dict):
        return HomeState()
    text, offset = data.get("q"), data.get("o")
    return HomeState(
        text=clip(text, TEXT_MAX) if isinstance(text, str) else "",
        offset=max(offset, 0) if isinstance(offset, int) and not isinstance(offset, bool) else 0,
        include_inactive=data.get("a") is True,
    )


def state_of(view: Mapping[str, Any] | None) -> HomeState:
    """The state a published Home view was built with."""
    return parse_state(json.dumps(load_meta(view)))


@dataclass(frozen=True)
class HomeData:
    counts: Counts
    rows: Sequence[CustomerRow]
    has_more: bool
    recent: Sequence[Change]


def home_view(data: HomeData, state: HomeState, *, lang: str = "en", currency: str = "") -> Block:
    """The Home tab view for ``views.publish``."""
    blocks: list[Block] = [
        {"type": "header", "text": plain(t("lc.home.header", lang), 150)},
        section(t("lc.home.counts", lang, active=data.counts.active, inactive=data.counts.inactive)),
        {"type": "actions", "block_id": "home_tools", "elements": [
            button(t("lc.button.import", lang), Action.IMPORT_START, "import", style="primary"),
            button(t("lc.button.export", lang), Action.EXPORT, "export"),
            button(t("lc.button.settings", lang), Action.SETTINGS_OPEN, "settings"),
        ]},
        context(t("lc.home.import_hint", lang)),
        {"type": "divider"},
        _search(state, lang),
        *_list(data, state, lang, currency),
        {"type": "divider"},
        section(_recent(data.recent, lang)),
    ]
    return {"type": "home", "callback_id": "home", "private_metadata": state.value(), "blocks": blocks[:100]}


def _search(state: HomeState, lang: str) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": str(Action.HOME_SEARCH),
        "placeholder": plain(t("lc.home.search_placeholder", lang), 150),
        "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
        "max_length": TEXT_MAX,
    }
    if state.text:
        element["initial_value"] = state.text
    return {"type": "input", "block_id": "home_search", "dispatch_action": True, "optional": True,
            "label": plain(t("lc.home.search", lang)), "element": element}


def _list(data: HomeData, state: HomeState, lang: str, currency: str) -> list[Block]:
    scope = context(t("lc.home.scope_all" if state.include_inactive else "lc.home.scope_active", lang))
    if not data.rows:
        if state.text:
            empty = t("lc.home.no_match", lang, text=safe(state.text, TEXT_MAX * 5))
        else:
            empty = t("lc.home.empty", lang)
        return [section(empty), scope, _navigation(state, False, lang)]
    first, last = state.offset + 1, state.offset + len(data.rows)
    if state.text:
        title = t("lc.home.list_query", lang, text=safe(state.text, TEXT_MAX * 5), first=first, last=last)
    else:
        title = t("lc.home.list_all", lang, first=first, last=last)
    blocks: list[Block] = [section(title), scope]
    for row in data.rows[:PAGE_SIZE]:
        blocks += [section(row_text(row, lang, currency)), row_actions(row, lang)]
    blocks.append(_navigation(state, data.has_more, lang))
    return blocks


def _navigation(state: HomeState, has_more: bool, lang: str) -> Block:
    elements = []
    if state.offset > 0:
        back = replace(state, offset=max(state.offset - PAGE_SIZE, 0))
        elements.append(button(t("lc.button.previous", lang), Action.HOME_PAGE_BACK, back.value()))
    if has_more:
        elements.append(button(t("lc.button.next", lang), Action.HOME_PAGE,
                               replace(state, offset=state.offset + PAGE_SIZE).value()))
    toggled = replace(state, offset=0, include_inactive=not state.include_inactive)
    key = "lc.button.hide_inactive" if state.include_inactive else "lc.button.include_inactive"
    elements.append(button(t(key, lang), Action.HOME_TOGGLE_INACTIVE, toggled.value()))
    return {"type": "actions", "block_id": "home_nav", "elements": elements}


def _recent(changes: Sequence[Change], lang: str) -> str:
    lines = [t("lc.home.recent", lang)]
    for change in changes:
        line = _settings_line(change, lang) if change.event.action == "settings" else history_line(change.event, lang)
        if change.customer_name:
            label = change.customer_name if change.customer_active else t(
                "label.inactive", lang, name=clip(change.customer_name, NAME_MAX))
            line = t("lc.home.recent_line", lang, line=line, customer=safe(label, NAME_MAX * 2))
        lines.append(line)
    if not changes:
        lines.append(t("lc.home.no_recent", lang))
    return "\n".join(lines)


def _settings_line(change: Change, lang: str) -> str:
    return t("slack.browse.card.history_line", lang, when=when(change.event, lang), who=who(change.event.actor),
             what=t("lc.home.settings_changed", lang))
