"""Test-time lint for Block Kit views and messages against Slack's documented limits.

``slack_sdk.models`` validates part of Block Kit when serialising, but stops at the first error and
misses several rules Slack enforces (option text/value lengths when options are dicts, ``max_length``,
``submit`` with inputs, unknown block types, duplicate ids, payload size). These functions check those
rules themselves, list every violation, and fall back on slack_sdk's own validation for the rest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

VIEW_TYPES = ("modal", "home")
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BYTES = 250_000
MAX_MESSAGE_TEXT = 40_000

# (path of a text inside the block, limit)
_BLOCK_TEXTS: dict[str, tuple[tuple[str, int], ...]] = {
    "section": (("text", 3000),),
    "header": (("text", 150),),
    "input": (("label", 2000), ("hint", 2000)),
}
_BLOCK_ITEMS: dict[str, tuple[str, int]] = {
    "section": ("fields", 10),
    "context": ("elements", 10),
    "actions": ("elements", 25),
}
_OPTION_COUNTS = {
    "static_select": 100,
    "multi_static_select": 100,
    "overflow": 5,
    "checkboxes": 10,
    "radio_buttons": 10,
}
_OPTION_LIMITS = (("text", 75), ("value", 150), ("description", 75), ("url", 3000))
_BUTTON_LIMITS = (("text", 75), ("value", 2000), ("url", 3000))


def _all_block_types() -> frozenset[str]:
    found: set[str] = set()
    todo: list[type[Block]] = [Block]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if isinstance(kind := getattr(sub, "type", None), str):
                found.add(kind)
    return frozenset(found)


KNOWN_BLOCK_TYPES = _all_block_types()


def _text(value: Any) -> str:
    """The string of a text object (``{"type": ..., "text": ...}``) or of a plain string."""
    if isinstance(value, Mapping):
        return str(value.get("text") or "")
    return "" if value is None else str(value)


def _limit(problems: list[str], path: str, value: Any, limit: int) -> None:
    text = _text(value)
    if len(text) > limit:
        problems.append(f"{path}: {len(text)} characters > {limit}")


def _count(problems: list[str], path: str, items: Any, limit: int) -> None:
    if isinstance(items, Sequence) and len(items) > limit:
        problems.append(f"{path}: {len(items)} items > {limit}")


def _walk(node: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every object nested in ``node`` (itself included), with its JSON-ish path."""
    if isinstance(node, Mapping):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def _sdk_problem(path: str, validate: Callable[[], object]) -> str | None:
    """Run a slack_sdk validation, returning its complaint (if any) as a problem line."""
    try:
        validate()
    except Exception as e:  # slack_sdk raises SlackObjectFormationError, or TypeError/KeyError on bad shapes
        return f"{path}: slack_sdk: {type(e).__name__}: {e}"
    return None


def _sdk_block(block: Mapping[str, Any]) -> object:
    parsed = Block.parse(dict(block))
    return parsed.to_dict() if parsed is not None else None


def _element_problems(problems: list[str], path: str, node: Mapping[str, Any]) -> None:
    kind = node.get("type")
    if kind == "button":
        for key, limit in _BUTTON_LIMITS:
            _limit(problems, f"{path}.{key}", node.get(key), limit)
    if kind == "plain_text_input":
        for key in ("max_length", "min_length"):
            if isinstance(node.get(key), int) and not 0 <= node[key] <= 3000:
                problems.append(f"{path}.{key}: {node[key]} not in 0..3000")
    if kind in _OPTION_COUNTS:
        _count(problems, f"{path}.options", node.get("options"), _OPTION_COUNTS[str(kind)])
    if "option_groups" in node:
        _count(problems, f"{path}.option_groups", node["option_groups"], 100)
    if "label" in node and "options" in node:  # an option group
        _limit(problems, f"{path}.label", node["label"], 75)
    options = [
        (f"{path}.{key}[{i}]", o)
        for key in ("options", "initial_options")
        for i, o in enumerate(node.get(key) or [])
    ]
    if isinstance(node.get("initial_option"), Mapping):
        options.append((f"{path}.initial_option", node["initial_option"]))
    for option_path, option in options:
        for key, limit in _OPTION_LIMITS:
            _limit(problems, f"{option_path}.{key}", option.get(key), limit)


def _block_problems(problems: list[str], path: str, block: Any, block_ids: set[str]) -> None:
    if not isinstance(block, Mapping):
        problems.append(f"{path}: a block must be an object")
        return
    kind = block.get("type")
    if kind not in KNOWN_BLOCK_TYPES:
        problems.append(f"{path}: unknown block type {kind!r}")
        return
    before = len(problems)
    if (block_id := block.get("block_id")) is not None:
        _limit(problems, f"{path}.block_id", block_id, 255)
        if block_id in block_ids:
            problems.append(f"{path}.block_id: duplicate block_id {block_id!r}")
        block_ids.add(block_id)
    for key, limit in _BLOCK_TEXTS.get(str(kind), ()):
        _limit(problems, f"{path}.{key}", block.get(key), limit)
    if kind == "section":
        for i, text in enumerate(block.get("fields") or []):
            _limit(problems, f"{path}.fields[{i}]", text, 2000)
    if kind in _BLOCK_ITEMS:
        key, limit = _BLOCK_ITEMS[str(kind)]
        _count(problems, f"{path}.{key}", block.get(key), limit)
    action_ids: set[str] = set()
    for node_path, node in _walk(block, path):
        if node is not block and (action_id := node.get("action_id")) is not None:
            _limit(problems, f"{node_path}.action_id", action_id, 255)
            if action_id in action_ids:  # Slack: unique among the action_ids of the containing block
                problems.append(f"{node_path}.action_id: duplicate action_id {action_id!r} in the block")
            action_ids.add(action_id)
        _element_problems(problems, node_path, node)
    if len(problems) == before and (sdk := _sdk_problem(path, lambda: _sdk_block(block))):
        problems.append(sdk)


def _blocks_problems(problems: list[str], path: str, blocks: Sequence[Any], limit: int) -> None:
    _count(problems, path, blocks, limit)
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        _block_problems(problems, f"{path}[{i}]", block, block_ids)


def view_problems(view: Mapping[str, Any]) -> list[str]:
    """Every violation of Slack's limits in a modal or Home view (empty when the view is valid)."""
    problems: list[str] = []
    kind = view.get("type")
    if kind not in VIEW_TYPES:
        problems.append(f"view.type: {kind!r} is not one of {VIEW_TYPES}")
    blocks = view.get("blocks") or []
    if kind == "modal":
        if not _text(view.get("title")):
            problems.append("view.title: required for a modal")
        if not view.get("submit") and any(
            isinstance(b, Mapping) and b.get("type") == "input" for b in blocks
        ):
            problems.append("view.submit: required when a modal has input blocks")
    if kind == "home" and (view.get("submit") or view.get("close")):
        problems.append("view: a Home tab has no submit/close")
    for key in ("title", "submit", "close"):
        _limit(problems, f"view.{key}", view.get(key), 24)
    _limit(problems, "view.private_metadata", view.get("private_metadata"), 3000)
    for key in ("callback_id", "external_id"):
        _limit(problems, f"view.{key}", view.get(key), 255)
    if not blocks:
        problems.append("view.blocks: at least one block is required")
    size = len(json.dumps(view, ensure_ascii=False).encode())
    if size >= MAX_VIEW_BYTES:
        problems.append(f"view: {size} bytes of JSON >= {MAX_VIEW_BYTES} (view_too_large)")
    _blocks_problems(problems, "view.blocks", blocks, MAX_VIEW_BLOCKS)
    if not problems and (sdk := _sdk_problem("view", lambda: View(**dict(view)).to_dict())):
        problems.append(sdk)
    return problems


def message_problems(text: str | None, blocks: Sequence[Any] | None) -> list[str]:
    """Every violation of Slack's limits in a message's ``text`` and ``blocks``."""
    problems: list[str] = []
    if not text and not blocks:
        problems.append("message: text or blocks is required")
    _limit(problems, "message.text", text, MAX_MESSAGE_TEXT)
    _blocks_problems(problems, "message.blocks", list(blocks or []), MAX_MESSAGE_BLOCKS)
    return problems


def _raise(what: str, problems: list[str]) -> None:
    if problems:
        raise AssertionError(f"{what} violates Slack's limits:\n  - " + "\n  - ".join(problems))


def check_view(view: Mapping[str, Any]) -> None:
    """Raise AssertionError listing every Slack-limit violation in ``view`` (modal or Home tab)."""
    _raise("view", view_problems(view))


def check_message(text: str | None, blocks: Sequence[Any] | None) -> None:
    """Raise AssertionError listing every Slack-limit violation in a message."""
    _raise("message", message_problems(text, blocks))
