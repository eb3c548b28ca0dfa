"""Small Block Kit helpers for modals and messages of the lifecycle flows (text objects, inputs, metadata).

Text helpers (``escape``, ``safe``, ``clip``, ``section``, ``button``) live in ``bot.blocks.text``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.blocks.ids import Action
from bot.blocks.text import Block, clip, section
from handlers.messages import t

TITLE_MAX = 24
PLACEHOLDER_MAX = 150
LABEL_MAX = 2000
OPTION_TEXT_MAX = 75
CONTEXT_TEXT_MAX = 3000
METADATA_MAX = 3000


def plain(text: str, limit: int = 3000) -> dict[str, Any]:
    """A plain_text object (cut to ``limit``)."""
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def context(text: str) -> Block:
    """A context block with one mrkdwn line."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, CONTEXT_TEXT_MAX)}]}


def option(text: str, value: str) -> dict[str, Any]:
    """An option object (text ≤ 75 characters; ``value`` an id or a code, ≤ 150)."""
    return {"text": plain(text, OPTION_TEXT_MAX), "value": value[:150]}


def input_block(block_id: str, label: str, element: Mapping[str, Any], *, optional: bool = False,
                hint: str | None = None) -> Block:
    """An input block whose ``block_id`` names what a problem's field is shown under."""
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label, LABEL_MAX),
                    "element": dict(element), "optional": optional}
    if hint:
        block["hint"] = plain(hint, LABEL_MAX)
    return block


def text_input(action_id: str, *, initial: str | None = None, max_length: int | None = None,
               placeholder: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id}
    if initial:
        element["initial_value"] = initial
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder, PLACEHOLDER_MAX)
    return element


def date_input(action_id: str, initial: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker", "action_id": action_id}
    if initial:
        element["initial_date"] = initial
    return element


def modal(callback_id: str, title: str, blocks: Sequence[Block], *, submit: str | None = None,
          close: str | None = None, metadata: Mapping[str, Any] | None = None, lang: str = "en") -> Block:
    """A modal view; ``metadata`` (ids only) goes to ``private_metadata`` as JSON."""
    view: Block = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, TITLE_MAX),
        "close": plain(close or t("lc.cancel" if submit else "lc.close", lang), TITLE_MAX),
        "blocks": list(blocks)[:100],
    }
    if submit:
        view["submit"] = plain(submit, TITLE_MAX)
    if metadata:
        view["private_metadata"] = dump_meta(metadata)
    return view


def notice_view(text: str, *, title: str | None = None, lang: str = "en") -> Block:
    """A modal that only says something (a refusal shown where a form was)."""
    return modal("lc.notice", title or t("lc.notice_title", lang), [section(text)], lang=lang)


def close_project_menu(projects: Sequence[tuple[int, str]], lang: str = "en") -> dict[str, Any]:
    """A select closing the chosen project (``Action.CLOSE_PROJECT``, option value: project id), after a
    confirmation (Slack requires action ids unique per block, so one menu instead of one button each)."""
    return {
        "type": "static_select",
        "action_id": str(Action.CLOSE_PROJECT),
        "placeholder": plain(t("lc.close_project.placeholder", lang), PLACEHOLDER_MAX),
        "options": [option(name, str(pid)) for pid, name in projects[:100]],
        "confirm": {
            "title": plain(t("lc.close_project.confirm_title", lang), 100),
            "text": plain(t("lc.close_project.confirm_text", lang), 300),
            "confirm": plain(t("lc.close_project.confirm", lang), 30),
            "deny": plain(t("lc.close_project.deny", lang), 30),
        },
    }


def dump_meta(data: Mapping[str, Any]) -> str:
    text = json.dumps(dict(data), separators=(",", ":"))
    if len(text) > METADATA_MAX:
        raise ValueError("private_metadata over 3000 characters")
    return text


def load_meta(view: Mapping[str, Any] | None) -> dict[str, Any]:
    """A view's ``private_metadata`` as a dict ({} when absent or malformed)."""
    try:
        data = json.loads((view or {}).get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def meta_int(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def meta_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def state_value(view: Mapping[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    """The ``state.values`` entry of one input ({} when absent)."""
    values = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    entry = values.get(action_id) or {}
    return entry if isinstance(entry, dict) else {}


def text_value(view: Mapping[str, Any], block_id: str, action_id: str) -> str:
    return str(state_value(view, block_id, action_id).get("value") or "").strip()


def selected_value(view: Mapping[str, Any], block_id: str, action_id: str) -> str | None:
    selected = state_value(view, block_id, action_id).get("selected_option") or {}
    value = selected.get("value") if isinstance(selected, dict) else None
    return str(value) if value else None


def selected_values(view: Mapping[str, Any], block_id: str, action_id: str) -> list[str]:
    options = state_value(view, block_id, action_id).get("selected_options") or []
    return [str(o.get("value")) for o in options if isinstance(o, dict) and o.get("value")]


def date_value(view: Mapping[str, Any], block_id: str, action_id: str) -> str | None:
    value = state_value(view, block_id, action_id).get("selected_date")
    return str(value) if value else None


def int_or_none(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None
