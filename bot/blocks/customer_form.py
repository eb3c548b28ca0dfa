"""The customer form (add / edit modal): ``build_form`` and its parser ``parse_form``, the
``FormMeta`` carried in ``private_metadata``, and the small views of the form's flows (possible
duplicates, reactivation offer, merge offer).

Every field input has the customer field name as block_id and action_id, so a handler's
``Problem.field`` is the block its message goes under. A ``Draft`` holds the form's values as the
form shows them (text, ``True``/``False``, ISO dates, the delivery method's value); the handlers clean
them (``handlers.fields.clean_fields``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from bot.blocks.ids import Action, Callback, FormBlock, Suggest
from db.models import BILL_ADDRESS_FIELDS, FIELD_MAX_LENGTHS, SHIP_ADDRESS_FIELDS, Customer, DeliveryMethod
from handlers.errors import Problem
from handlers.fields import EDITABLE_FIELDS, MULTILINE_FIELDS
from handlers.hierarchy import SEPARATOR
from handlers.messages import t

Block = dict[str, Any]

OPENING_FIELDS = ("opening_balance", "opening_balance_date")
"""Entered when a customer is added only (QuickBooks: the opening balance is write-on-create)."""
ADD_FIELDS: tuple[str, ...] = EDITABLE_FIELDS
EDIT_FIELDS: tuple[str, ...] = tuple(f for f in EDITABLE_FIELDS if f not in OPENING_FIELDS)

NAME_AND_CONTACT = (
    "title", "given_name", "middle_name", "family_name", "suffix", "company_name", "display_name",
    "email", "phone", "mobile", "fax", "other_phone", "website", "print_on_check_name",
)
PAYMENTS = ("payment_method", "terms")
YES = "yes"
BILL_PARENT, BILL_SELF = "parent", "self"
OPTION_TEXT_MAX = 75
ELLIPSIS = "…"
MAX_INPUT_LENGTH = 3000


# --------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Draft:
    """What the form holds. ``fields`` has every field the form shows (``ADD_FIELDS`` or
    ``EDIT_FIELDS``); ``parent_label`` is the shown name of ``parent_id``."""

    fields: dict[str, Any]
    is_sub: bool = False
    parent_id: int | None = None
    parent_label: str = ""
    same_as_billing: bool = True

    @property
    def handler_parent_id(self) -> int | None:
        """The parent to save: none unless "Is a sub-customer" is ticked."""
        return self.parent_id if self.is_sub else None


@dataclass(frozen=True)
class FormMeta:
    """The form's ``private_metadata``: ids only (the tenant always comes from the request)."""

    customer_id: int | None = None  # the customer being edited; None when adding
    version: int | None = None  # its version when the form was opened
    channel_id: str = ""  # where to confirm (a DM when empty)
    warned: tuple[int, ...] = ()  # possible duplicates already shown to the user
    lang: str = "en"

    @property
    def editing(self) -> bool:
        return self.customer_id is not None

    def dump(self) -> str:
        data: dict[str, Any] = {"customer_id": self.customer_id, "version": self.version,
                                "channel_id": self.channel_id, "warned": list(self.warned), "lang": self.lang}
        return json.dumps({k: v for k, v in data.items() if v not in (None, "", [])}, separators=(",", ":"))

    @classmethod
    def load(cls, text: str | None) -> FormMeta:
        """The metadata in ``text``; anything malformed is dropped (it is re-checked anyway)."""
        try:
            data = json.loads(text or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        channel, lang = data.get("channel_id"), data.get("lang")
        return cls(
            customer_id=_int_or_none(data.get("customer_id")),
            version=_int_or_none(data.get("version")),
            channel_id=channel if isinstance(channel, str) and channel.isalnum() else "",
            warned=tuple(i for i in map(_int_or_none, data.get("warned") or []) if i is not None)
            if isinstance(data.get("warned"), list) else (),
            lang=lang if isinstance(lang, str) and lang.isalpha() and len(lang) <= 5 else "en",
        )


@dataclass(frozen=True)
class DuplicateRow:
    """One possible duplicate as the warning lists it."""

    customer_id: int
    name: str
    reasons: tuple[str, ...]
    score: int
    active: bool = True


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def form_value(value: Any) -> Any:
    """A stored value as the form shows it."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def new_draft(*, display_name: str = "", parent_id: int | None = None, parent_label: str = "") -> Draft:
    """An empty add form (display name and parent preset when given)."""
    fields: dict[str, Any] = {name: None for name in ADD_FIELDS}
    fields.update(display_name=display_name.strip() or None, delivery_method=DeliveryMethod.NONE.value,
                  tax_exempt=False, bill_with_parent=False)
    return Draft(fields, is_sub=parent_id is not None, parent_id=parent_id, parent_label=parent_label)


def draft_from_customer(customer: Customer, *, parent_label: str = "") -> Draft:
    """The edit form of ``customer`` (``parent_label``: its parent's full name)."""
    fields = {name: form_value(getattr(customer, name)) for name in EDIT_FIELDS}
    same = all(fields[s] == fields[b] for b, s in zip(BILL_ADDRESS_FIELDS, SHIP_ADDRESS_FIELDS, strict=True))
    return Draft(fields, is_sub=customer.parent_id is not None, parent_id=customer.parent_id,
                 parent_label=parent_label, same_as_billing=same)


# --------------------------------------------------------------------------------------- labels


def short_label(name: str, limit: int = OPTION_TEXT_MAX) -> str:
    """A ``Top:Parent:Child`` name cut to ``limit`` characters: middle levels first
    (``Top:…:Parent:Child``), then the top (``…:Child``), then the end of the child's own name."""
    if len(name) <= limit:
        return name
    parts = name.split(SEPARATOR)
    leaf = parts[-1]
    if len(parts) > 1:
        top, middle = parts[0], parts[1:-1]
        for kept in range(len(middle) - 1, -1, -1):
            candidate = SEPARATOR.join([top, ELLIPSIS, *middle[len(middle) - kept:], leaf])
            if len(candidate) <= limit:
                return candidate
        candidate = ELLIPSIS + SEPARATOR + leaf
        if len(candidate) <= limit:
            return candidate
    return leaf[: limit - 1].rstrip() + ELLIPSIS


def customer_option(customer_id: int, full_name: str, *, active: bool = True, lang: str = "en") -> Block:
    """A select option for a customer: its full name (``(inactive)`` when it is), value its id."""
    if active:
        text = short_label(full_name)
    else:
        room = OPTION_TEXT_MAX - len(t("label.inactive", lang, name=""))
        text = t("label.inactive", lang, name=short_label(full_name, room))
    return {"text": _plain(text), "value": str(customer_id)}


# --------------------------------------------------------------------------------------- building


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _header(text: str) -> Block:
    return {"type": "header", "text": _plain(text)}


def _input(block_id: str, label: str, element: Block, *, optional: bool = True, hint: str = "",
           dispatch: bool = False) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "optional": optional, "label": _plain(label),
                    "element": element}
    if hint:
        block["hint"] = _plain(hint)
    if dispatch:
        block["dispatch_action"] = True
    return block


def _text_input(name: str, value: Any, lang: str, *, hint: str = "") -> Block:
    limit = min(FIELD_MAX_LENGTHS.get(name, MAX_INPUT_LENGTH), MAX_INPUT_LENGTH)
    element: Block = {"type": "plain_text_input", "action_id": name, "max_length": limit}
    if name in MULTILINE_FIELDS:
        element["multiline"] = True
    if value:
        element["initial_value"] = str(value)[:limit]
    return _input(name, t(f"field.{name}", lang), element, hint=hint)


def _checkbox(block_id: str, action_id: str, label: str, text: str, ticked: bool, *,
              dispatch: bool = False) -> Block:
    option = {"text": _plain(text), "value": YES}
    element: Block = {"type": "checkboxes", "action_id": action_id, "options": [option]}
    if ticked:
        element["initial_options"] = [option]
    return _input(block_id, label, element, dispatch=dispatch)


def _delivery_select(value: Any, lang: str) -> Block:
    options = [{"text": _plain(t(f"label.delivery.{m.value}", lang)), "value": m.value} for m in DeliveryMethod]
    chosen = next((o for o in options if o["value"] == value), options[-1])
    element = {"type": "static_select", "action_id": "delivery_method", "options": options,
               "initial_option": chosen}
    return _input("delivery_method", t("field.delivery_method", lang), element)


def _date_input(name: str, value: Any, lang: str) -> Block:
    element: Block = {"type": "datepicker", "action_id": name}
    if value:
        element["initial_date"] = str(value)
    return _input(name, t(f"field.{name}", lang), element)


def _sub_customer_blocks(draft: Draft, lang: str) -> list[Block]:
    blocks = [_checkbox(FormBlock.IS_SUB, Action.FORM_IS_SUB, t("form.label.sub_customer", lang),
                        t("form.is_sub_customer", lang), draft.is_sub, dispatch=True)]
    if not draft.is_sub:
        return blocks
    picker: Block = {"type": "external_select", "action_id": Suggest.PARENT, "min_query_length": 1,
                     "placeholder": _plain(t("form.placeholder.customer", lang))}
    if draft.parent_id is not None:
        picker["initial_option"] = {"text": _plain(short_label(draft.parent_label or str(draft.parent_id))),
                                    "value": str(draft.parent_id)}
    bill_options = [{"text": _plain(t("field.bill_with_parent", lang)), "value": BILL_PARENT},
                    {"text": _plain(t("form.bill_this_customer", lang)), "value": BILL_SELF}]
    radio = {"type": "radio_buttons", "action_id": FormBlock.BILL_WITH_PARENT, "options": bill_options,
             "initial_option": bill_options[0 if draft.fields.get("bill_with_parent") else 1]}
    return [
        *blocks,
        _input(FormBlock.PARENT, t("field.parent_id", lang), picker, optional=False,
               hint=t("form.hint.parent", lang)),
        _input(FormBlock.BILL_WITH_PARENT, t("form.label.bill_to", lang), radio, optional=False),
    ]


def _form_blocks(draft: Draft, editing: bool, lang: str) -> list[Block]:
    f = draft.fields
    blocks: list[Block] = [_header(t("form.section.name_contact", lang))]
    for name in NAME_AND_CONTACT:
        hint = t("form.hint.display_name", lang) if name == "display_name" else ""
        blocks.append(_text_input(name, f.get(name), lang, hint=hint))
    blocks += _sub_customer_blocks(draft, lang)
    blocks.append(_header(t("form.section.addresses", lang)))
    blocks += [_text_input(name, f.get(name), lang) for name in BILL_ADDRESS_FIELDS]
    blocks.append(_checkbox(FormBlock.SAME_AS_BILLING, Action.FORM_SAME_AS_BILLING,
                            t("form.label.shipping", lang), t("form.same_as_billing", lang),
                            draft.same_as_billing, dispatch=True))
    if not draft.same_as_billing:
        blocks += [_text_input(name, f.get(name), lang) for name in SHIP_ADDRESS_FIELDS]
    blocks.append(_header(t("form.section.notes", lang)))
    blocks.append(_text_input("notes", f.get("notes"), lang))
    blocks.append(_header(t("form.section.payments", lang)))
    blocks += [_text_input(name, f.get(name), lang) for name in PAYMENTS]
    blocks.append(_delivery_select(f.get("delivery_method"), lang))
    blocks.append(_header(t("form.section.additional", lang)))
    blocks.append(_checkbox("tax_exempt", "tax_exempt", t("form.label.taxes", lang), t("field.tax_exempt", lang),
                            bool(f.get("tax_exempt"))))
    blocks.append(_text_input("resale_number", f.get("resale_number"), lang))
    if editing:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": t("form.opening_balance_locked", lang)}]})
    else:
        blocks.append(_text_input("opening_balance", f.get("opening_balance"), lang,
                                  hint=t("form.hint.opening_balance", lang)))
        blocks.append(_date_input("opening_balance_date", f.get("opening_balance_date"), lang))
    return blocks


def build_form(draft: Draft, meta: FormMeta, *, notice: Sequence[Block] = (), warning: bool = False) -> Block:
    """The add form (``meta.customer_id`` None) or the edit form. ``notice`` blocks go on top;
    ``warning`` makes it the possible-duplicates view (its submit saves anyway)."""
    lang = meta.lang
    title = "form.title.duplicates" if warning else "form.title.edit" if meta.editing else "form.title.add"
    return {
        "type": "modal",
        "callback_id": Callback.DUPLICATE_WARNING if warning else Callback.CUSTOMER_FORM,
        "title": _plain(t(title, lang)),
        "submit": _plain(t("form.submit.anyway" if warning else "form.submit", lang)),
        "close": _plain(t("form.cancel", lang)),
        "private_metadata": meta.dump(),
        "blocks": [*notice, *_form_blocks(draft, meta.editing, lang)],
    }


def notice_blocks(view: Mapping[str, Any]) -> list[Block]:
    """The notice blocks on top of a built form (kept when the form is rebuilt)."""
    return [b for b in view.get("blocks") or [] if str(b.get("block_id", "")).startswith(FormBlock.NOTICE)]


def problem_notice(text: str) -> list[Block]:
    """A problem found after the form was acknowledged, on top of the form shown again (mrkdwn)."""
    return [{"type": "section", "block_id": f"{FormBlock.NOTICE}.problem",
             "text": {"type": "mrkdwn", "text": f":warning: {text}"[:3000]}}]


def duplicate_notice(rows: Iterable[DuplicateRow], lang: str) -> list[Block]:
    """The top of the possible-duplicates view: why, then each match with an "Open" button."""
    blocks: list[Block] = [
        {"type": "section", "block_id": f"{FormBlock.NOTICE}.intro",
         "text": {"type": "mrkdwn", "text": t("form.dup.intro", lang)}},
    ]
    for row in rows:
        reasons = ", ".join(t(f"form.dup.reason.{r}", lang) for r in row.reasons)
        key = "form.dup.row" if row.active else "form.dup.row_inactive"
        blocks.append({
            "type": "section", "block_id": f"{FormBlock.NOTICE}.{row.customer_id}",
            "text": {"type": "mrkdwn", "text": t(key, lang, name=_mrkdwn(row.name)[:2000], reasons=reasons,
                                                 score=row.score)},
            "accessory": {"type": "button", "action_id": Action.OPEN_EXISTING, "value": str(row.customer_id),
                          "text": _plain(t("form.dup.open", lang))},
        })
    blocks.append({"type": "divider", "block_id": f"{FormBlock.NOTICE}.end"})
    return blocks


def _mrkdwn(text: str) -> str:
    """``text`` safe inside mrkdwn (no accidental links, mentions or formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("*", "\u2217")


def reactivate_offer(customer_id: int, name: str, meta: FormMeta) -> Block:
    """Pushed when a new customer's name is an inactive customer's: its submit reactivates that one."""
    lang = meta.lang
    text = t("error.name_taken_inactive", lang, name=f"*{_mrkdwn(name)}*")
    return {
        "type": "modal",
        "callback_id": Callback.REACTIVATE_OFFER,
        "title": _plain(t("form.title.reactivate", lang)),
        "submit": _plain(t("form.submit.reactivate", lang)),
        "close": _plain(t("form.back", lang)),
        "private_metadata": replace(meta, customer_id=customer_id, version=None, warned=()).dump(),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": t("form.reactivate.explain", lang, name=_mrkdwn(name))}]},
        ],
    }


def merge_offer(this_id: int, this_name: str, other_id: int, other_name: str, meta: FormMeta) -> Block:
    """Pushed when an edit renames a customer to another active customer's name (QuickBooks' merge).
    Its ``private_metadata`` keeps the form's channel (``FormMeta.load(...).channel_id``)."""
    lang = meta.lang
    offer = t("form.merge.offer", lang, this=_mrkdwn(this_name), other=_mrkdwn(other_name))
    return {
        "type": "modal",
        "callback_id": Callback.MERGE_OFFER,
        "title": _plain(t("form.title.merge", lang)),
        "close": _plain(t("form.back", lang)),
        "private_metadata": FormMeta(channel_id=meta.channel_id, lang=lang).dump(),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": offer[:3000]}},
            {"type": "actions", "elements": [
                {"type": "button", "action_id": Action.MERGE_INTO, "value": f"{this_id}:{other_id}",
                 "style": "primary", "text": _plain(t("form.merge.button", lang))}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": t("form.merge.back", lang)}]},
        ],
    }


def notice_view(text: str, lang: str) -> Block:
    """A closing-only modal saying ``text`` (mrkdwn)."""
    return {
        "type": "modal",
        "title": _plain(t("form.title.notice", lang)),
        "close": _plain(t("form.close", lang)),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }


# --------------------------------------------------------------------------------------- parsing


def _state(view: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    return ((view.get("state") or {}).get("values")) or {}


def _element(view: Mapping[str, Any], block_id: str, action_id: str) -> Mapping[str, Any] | None:
    return (_state(view).get(block_id) or {}).get(action_id)


def _selected(element: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return (element or {}).get("selected_option") or None


def _ticked(view: Mapping[str, Any], block_id: str, action_id: str) -> bool:
    element = _element(view, block_id, action_id)
    return any(o.get("value") == YES for o in (element or {}).get("selected_options") or [])


def _field_value(view: Mapping[str, Any], name: str) -> Any:
    element = _element(view, name, name)
    if name == "tax_exempt":
        return _ticked(view, name, name)
    if name == "delivery_method":
        option = _selected(element)
        return option["value"] if option else DeliveryMethod.NONE.value
    if name == "opening_balance_date":
        return (element or {}).get("selected_date") or None
    if name == "bill_with_parent":
        option = _selected(_element(view, FormBlock.BILL_WITH_PARENT, FormBlock.BILL_WITH_PARENT))
        return bool(option and option.get("value") == BILL_PARENT)
    return (element or {}).get("value") or None


def parse_form(view: Mapping[str, Any]) -> Draft:
    """The draft a submitted (or changed) form holds: ``view`` as Slack sends it in payloads.

    Hidden shipping inputs ("Same as billing address") take the billing values; the opening balance
    is read only from an add form.
    """
    editing = FormMeta.load(view.get("private_metadata")).editing
    names = EDIT_FIELDS if editing else ADD_FIELDS
    fields = {name: _field_value(view, name) for name in names}
    same = _ticked(view, FormBlock.SAME_AS_BILLING, Action.FORM_SAME_AS_BILLING)
    if same:
        fields.update({s: fields[b] for b, s in zip(BILL_ADDRESS_FIELDS, SHIP_ADDRESS_FIELDS, strict=True)})
    parent = _selected(_element(view, FormBlock.PARENT, Suggest.PARENT))
    parent_id = _int_or_none(parent.get("value")) if parent else None
    return Draft(
        fields,
        is_sub=_ticked(view, FormBlock.IS_SUB, Action.FORM_IS_SUB),
        parent_id=parent_id,
        parent_label=(parent or {}).get("text", {}).get("text", "") if parent_id is not None else "",
        same_as_billing=same,
    )


def form_problems(draft: Draft) -> list[Problem]:
    """What only the form can get wrong (the handlers check the rest)."""
    if draft.is_sub and draft.parent_id is None:
        return [Problem("form_parent_required", FormBlock.PARENT)]
    return []


def input_block_ids(view: Mapping[str, Any]) -> list[str]:
    """The block ids of the view's inputs, in order (an error must go under one of them)."""
    return [str(b["block_id"]) for b in view.get("blocks") or [] if b.get("type") == "input" and "block_id" in b]


def form_errors(problems: Iterable[Problem], view: Mapping[str, Any], lang: str,
                default_field: str = "display_name") -> dict[str, str]:
    """``{block_id: message}`` for ``ack(response_action="errors")``: each problem under its field's
    input, or under ``default_field`` when the form has no such input (several messages are joined)."""
    inputs = input_block_ids(view)
    fallback = default_field if default_field in inputs else (inputs[0] if inputs else default_field)
    errors: dict[str, list[str]] = {}
    for problem in problems:
        block = problem.field if problem.field in inputs else fallback
        text = problem.message(lang)
        if text not in errors.setdefault(block, []):
            errors[block].append(text)
    return {block: " ".join(texts)[:2000] for block, texts in errors.items()}


@dataclass(frozen=True)
class Confirmation:
    """The ephemeral message after a save: ``text`` and the profile card under it."""

    text: str
    card: list[Block] = field(default_factory=list)

    def blocks(self) -> list[Block]:
        head = {"type": "section", "text": {"type": "mrkdwn", "text": self.text[:3000]}}
        return [head, *self.card] if len(self.card) < 50 else list(self.card)
