"""Merge: the form (duplicate and customer to keep), the preview pushed over it, the message with the
Undo button, and their parsers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from bot.blocks.ids import Action, Callback, Suggest
from bot.blocks.modal_kit import (
    context,
    input_block,
    int_or_none,
    load_meta,
    meta_int,
    meta_str,
    modal,
    option,
    plain,
    selected_value,
    selected_values,
)
from bot.blocks.text import Block, button, clip, safe, section
from handlers.merge import MergePreview
from handlers.messages import money, t

DUPLICATE_BLOCK = "merge_duplicate"
KEPT_BLOCK = "merge_kept"
COPY_BLOCK = "merge_copy_{n}"
COPY_ACTION = "fields"
CHECKBOXES_MAX = 10
NAME_MAX = 200
MOVED_KINDS = ("invoice", "payment", "project", "recurring_template")


@dataclass(frozen=True)
class Pick:
    """A customer prefilled in a picker: its id and the text shown (full name)."""

    customer_id: int
    name: str


@dataclass(frozen=True)
class MergeChoice:
    """The submitted merge form (ids as chosen; both are re-checked by the handlers)."""

    duplicate_id: int | None
    kept_id: int | None
    channel_id: str


@dataclass(frozen=True)
class MergeConfirm:
    """The submitted preview: the pair, the fields to copy, and the preview's fingerprint."""

    duplicate_id: int
    kept_id: int
    channel_id: str
    fingerprint: str
    copy_fields: tuple[str, ...]


# ------------------------------------------------------------------------------ the form


def _picker(suggest: Suggest, initial: Pick | None, lang: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "external_select",
        "action_id": str(suggest),
        "min_query_length": 1,
        "placeholder": plain(t("lc.merge.placeholder", lang), 150),
    }
    if initial is not None:
        element["initial_option"] = option(initial.name, str(initial.customer_id))
    return element


def merge_form(*, duplicate: Pick | None = None, kept: Pick | None = None, channel_id: str = "",
               lang: str = "en") -> Block:
    """The merge modal: the duplicate (any customer) and the one to keep (active ones), typeahead both."""
    blocks = [
        context(t("lc.merge.intro", lang)),
        input_block(DUPLICATE_BLOCK, t("lc.merge.duplicate", lang), _picker(Suggest.CUSTOMER_ANY, duplicate, lang)),
        input_block(KEPT_BLOCK, t("lc.merge.kept", lang), _picker(Suggest.CUSTOMER, kept, lang)),
    ]
    return modal(Callback.MERGE_FORM, t("lc.merge.title", lang), blocks, submit=t("lc.merge.next", lang),
                 metadata={"c": channel_id}, lang=lang)


def parse_merge_form(view: Mapping[str, Any]) -> MergeChoice:
    """The chosen duplicate and kept customer (None where nothing valid was chosen)."""
    return MergeChoice(
        duplicate_id=int_or_none(selected_value(view, DUPLICATE_BLOCK, Suggest.CUSTOMER_ANY)),
        kept_id=int_or_none(selected_value(view, KEPT_BLOCK, Suggest.CUSTOMER)),
        channel_id=meta_str(load_meta(view), "c"),
    )


# ------------------------------------------------------------------------------ the preview


def fingerprint(p: MergePreview) -> str:
    """What the preview showed, condensed: a confirm whose preview no longer matches is shown again."""
    facts = {
        "v": [p.duplicate.version, p.kept.version],
        "m": {k: [s.count, str(s.amount)] for k, s in sorted(p.moved.items())},
        "b": [str(p.duplicate_balance), str(p.kept_balance)],
        "f": sorted(p.fillable_fields),
    }
    return hashlib.sha1(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


def shown_value(value: Any, lang: str = "en") -> str:
    """A field value as the preview shows it."""
    if isinstance(value, bool):
        return t("slack.browse.event.yes" if value else "slack.browse.event.no", lang)
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum) and value.value in ("print", "email", "none"):
        return t(f"label.delivery.{value.value}", lang)
    return " ".join(str(value).split())


def merge_preview(p: MergePreview, *, duplicate_name: str, kept_name: str, channel_id: str = "",
                  lang: str = "en", currency: str = "", changed: bool = False) -> Block:
    """What the merge will move and the balances before and after, with the fields to copy."""
    dup, kept = safe(duplicate_name, NAME_MAX * 2), safe(kept_name, NAME_MAX * 2)
    blocks: list[Block] = []
    if changed:
        blocks.append(context(t("lc.preview.changed", lang)))
    blocks.append(section(t("lc.preview.heading", lang, duplicate=dup, kept=kept)))
    blocks.append(section(t("lc.preview.moves", lang, kept=kept)))
    blocks.append({"type": "section", "fields": [
        {"type": "mrkdwn", "text": _moved(p, kind, lang, currency)} for kind in MOVED_KINDS
    ]})
    blocks.append(section(t("lc.preview.balances", lang)))
    blocks.append({"type": "section", "fields": [
        {"type": "mrkdwn", "text": t("lc.preview.balance_duplicate", lang, name=dup,
                                     amount=money(p.duplicate_balance, currency))},
        {"type": "mrkdwn", "text": t("lc.preview.balance_kept", lang, name=kept,
                                     amount=money(p.kept_balance, currency))},
        {"type": "mrkdwn", "text": t("lc.preview.balance_after", lang, name=kept,
                                     amount=money(p.kept_balance_after, currency))},
    ]})
    blocks.extend(_copy_inputs(p.fillable_fields, kept_name, duplicate_name, lang))
    blocks.append(context(t("lc.preview.after", lang, duplicate=dup)))
    meta = {"d": p.duplicate.id, "k": p.kept.id, "c": channel_id, "f": fingerprint(p)}
    return modal(Callback.MERGE_PREVIEW, t("lc.preview.title", lang), blocks, submit=t("lc.preview.submit", lang),
                 close=t("lc.preview.back", lang), metadata=meta, lang=lang)


def _moved(p: MergePreview, kind: str, lang: str, currency: str) -> str:
    summary = p.moved.get(kind)
    count, amount = (summary.count, summary.amount) if summary else (0, Decimal("0.00"))
    key = {"invoice": "invoices", "payment": "payments", "project": "projects",
           "recurring_template": "templates"}[kind]
    return t(f"lc.preview.{key}", lang, count=count, amount=money(amount, currency))


def _copy_inputs(fields: Mapping[str, Any], kept_name: str, duplicate_name: str, lang: str) -> list[Block]:
    if not fields:
        return [context(t("lc.preview.nothing_to_copy", lang, kept=safe(kept_name, NAME_MAX),
                          duplicate=safe(duplicate_name, NAME_MAX)))]
    options = [
        option(t("lc.preview.copy_option", lang, label=t(f"field.{name}", lang),
                 value=clip(shown_value(value, lang), 60)), name)
        for name, value in fields.items()
    ]
    blocks = []
    for n, start in enumerate(range(0, len(options), CHECKBOXES_MAX)):
        chunk = options[start:start + CHECKBOXES_MAX]
        element = {"type": "checkboxes", "action_id": COPY_ACTION, "options": chunk, "initial_options": chunk}
        blocks.append(input_block(
            COPY_BLOCK.format(n=n), t("lc.preview.copy", lang, kept=clip(kept_name, 500)), element, optional=True,
            hint=t("lc.preview.copy_hint", lang, kept=clip(kept_name, 500)) if n == 0 else None,
        ))
    return blocks


def parse_preview(view: Mapping[str, Any]) -> MergeConfirm | None:
    """The confirmed pair and the ticked fields (None if the metadata is malformed)."""
    meta = load_meta(view)
    duplicate_id, kept_id = meta_int(meta, "d"), meta_int(meta, "k")
    if duplicate_id is None or kept_id is None:
        return None
    values = (view.get("state") or {}).get("values") or {}
    ticked: list[str] = []
    for block_id in sorted(values):
        if block_id.startswith("merge_copy_"):
            ticked.extend(selected_values(view, block_id, COPY_ACTION))
    return MergeConfirm(duplicate_id, kept_id, meta_str(meta, "c"), meta_str(meta, "f"), tuple(ticked))


# ------------------------------------------------------------------------------ the messages


def _counts(counts: Mapping[str, int]) -> dict[str, int]:
    return {"invoices": counts.get("invoice", 0), "payments": counts.get("payment", 0),
            "projects": counts.get("project", 0), "templates": counts.get("recurring_template", 0)}


def merge_notice(*, user_id: str, duplicate: str, kept: str, counts: Mapping[str, int],
                 copied: Sequence[str], balance: Decimal, merge_id: int, lang: str = "en",
                 currency: str = "") -> tuple[str, list[Block]]:
    """The message after a merge (text, blocks), with its Undo button (value: the merge record id)."""
    dup, keep = safe(duplicate, NAME_MAX * 2), safe(kept, NAME_MAX * 2)
    text = t("lc.merged.text", lang, user=user_id, duplicate=dup, kept=keep)
    lines = [text, t("lc.merged.moved", lang, kept=keep, balance=money(balance, currency), **_counts(counts))]
    if copied:
        labels = ", ".join(t(f"field.{f}", lang) for f in copied)
        lines.append(t("lc.merged.copied", lang, kept=keep, fields=labels))
    blocks = [
        section("\n".join(lines)),
        {"type": "actions", "elements": [button(t("lc.button.undo", lang), Action.UNDO_MERGE, str(merge_id))]},
        context(t("lc.merged.undo_hint", lang)),
    ]
    return text, blocks


def undone_notice(*, user_id: str, duplicate: str, kept: str, counts: Mapping[str, int],
                  lang: str = "en") -> tuple[str, list[Block]]:
    """The merge message once undone (no button any more)."""
    text = t("lc.undone.text", lang, user=user_id, duplicate=safe(duplicate, NAME_MAX * 2),
             kept=safe(kept, NAME_MAX * 2), **_counts(counts))
    return text, [section(text)]


def parse_undo(value: str | None) -> int | None:
    """The merge record id of an Undo button."""
    return int_or_none(value)
