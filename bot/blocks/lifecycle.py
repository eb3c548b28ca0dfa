"""Make inactive / reactivate: the confirmation dialog (what else becomes inactive, or what blocks it),
its parser, the result messages, and the "which one?" picker shared by the lifecycle commands."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.blocks.ids import Action, Callback
from bot.blocks.modal_kit import close_project_menu, context, load_meta, meta_int, meta_str, modal
from bot.blocks.text import Block, bounded_lines, button, safe, section, with_inactive
from handlers.messages import money, t

NAME_MAX = 200
SHOWN_BLOCKERS = 15
PICK_MAX = 10


@dataclass(frozen=True)
class BlockerLine:
    """A customer of the subtree that stops the inactivation: its balance and open projects (id, name)."""

    customer_id: int
    name: str
    balance: Decimal
    projects: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Deactivation:
    """What making a customer inactive would do, as the dialog shows it."""

    customer_id: int
    name: str  # fully qualified
    affected: list[str]  # fully qualified names of the active sub-customers that go with it
    affected_ids: list[int]
    blockers: list[BlockerLine] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """Identifies the set of sub-customers the dialog announced (checked again on submit)."""
        ids = ",".join(str(i) for i in sorted(self.affected_ids))
        return hashlib.sha1(ids.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class DeactivateRequest:
    customer_id: int
    fingerprint: str
    channel_id: str


def deactivate_view(d: Deactivation, *, channel_id: str = "", lang: str = "en", currency: str = "",
                    changed: bool = False) -> Block:
    """The confirmation dialog: what becomes inactive with the customer, or, when refused, each blocking
    customer with its balance or open projects and a button to fix it (then no submit button)."""
    blocks: list[Block] = []
    if changed:
        blocks.append(context(t("lc.deactivate.changed", lang)))
    meta = {"id": d.customer_id, "f": d.fingerprint, "c": channel_id}
    name = safe(d.name, NAME_MAX * 2)
    if d.blockers:
        blocks.append(section(t("lc.deactivate.blocked", lang, name=name)))
        for blocker in d.blockers[:SHOWN_BLOCKERS]:
            blocks.extend(_blocker_blocks(blocker, lang, currency))
        if len(d.blockers) > SHOWN_BLOCKERS:
            blocks.append(context(t("lc.more", lang, count=len(d.blockers) - SHOWN_BLOCKERS)))
        blocks.append(context(t("lc.deactivate.blocked_after", lang)))
        return modal(Callback.DEACTIVATE_CONFIRM, t("lc.deactivate.title", lang), blocks, metadata=meta, lang=lang)
    blocks.append(section(t("lc.deactivate.question", lang, name=name)))
    if d.affected:
        lines = ["• " + safe(n, NAME_MAX * 2) for n in d.affected]
        title = t("lc.deactivate.subs", lang, count=len(d.affected))
        blocks.append(section(bounded_lines(title, lines, total=len(d.affected), lang=lang)))
    else:
        blocks.append(section(t("lc.deactivate.no_subs", lang)))
    blocks.append(context(t("lc.deactivate.explain", lang)))
    return modal(Callback.DEACTIVATE_CONFIRM, t("lc.deactivate.title", lang), blocks,
                 submit=t("lc.deactivate.submit", lang), metadata=meta, lang=lang)


def _blocker_blocks(b: BlockerLine, lang: str, currency: str) -> list[Block]:
    name = safe(b.name, NAME_MAX * 2)
    blocks: list[Block] = []
    if b.balance > 0:
        line = section(t("lc.deactivate.blocked_balance", lang, name=name, balance=money(b.balance, currency)))
        line["accessory"] = button(t("lc.button.receive_payment", lang), Action.RECEIVE_PAYMENT, str(b.customer_id))
        blocks.append(line)
    elif b.balance < 0:
        blocks.append(section(t("lc.deactivate.blocked_credit", lang, name=name,
                                balance=money(-b.balance, currency))))
    if b.projects:
        names = ", ".join(safe(p, 100) for _, p in b.projects)
        line = section(t("lc.deactivate.blocked_projects", lang, name=name, projects=names))
        line["accessory"] = close_project_menu(b.projects, lang)
        blocks.append(line)
    return blocks


def parse_deactivate(view: Mapping[str, Any]) -> DeactivateRequest | None:
    """The customer and the announced sub-customers of a submitted dialog (None if malformed)."""
    meta = load_meta(view)
    customer_id = meta_int(meta, "id")
    if customer_id is None:
        return None
    return DeactivateRequest(customer_id, meta_str(meta, "f"), meta_str(meta, "c"))


def deactivated_text(name: str, sub_names: Sequence[str], lang: str = "en") -> str:
    """"ACME is now inactive, with 2 sub-customers: A, B"."""
    shown = safe(name, NAME_MAX * 2)
    if not sub_names:
        return t("lc.deactivate.done", lang, name=shown)
    names = ", ".join(safe(n, NAME_MAX) for n in sub_names[:20])
    if len(sub_names) > 20:
        names += " " + t("lc.more", lang, count=len(sub_names) - 20)
    return t("lc.deactivate.done_subs", lang, name=shown, count=len(sub_names), names=names)


def reactivated_text(name: str, ancestor_names: Sequence[str], lang: str = "en") -> str:
    """"Site 1 is active again, and so are its parent customers: ACME, ACME:North"."""
    shown = safe(name, NAME_MAX * 2)
    if not ancestor_names:
        return t("lc.reactivate.done", lang, name=shown)
    names = ", ".join("*" + safe(n, NAME_MAX) + "*" for n in ancestor_names)
    return t("lc.reactivate.done_ancestors", lang, name=shown, names=names)


def result_blocks(text: str, *buttons: Block) -> list[Block]:
    """A result message: its text, and a row of follow-up buttons when there are any."""
    blocks: list[Block] = [section(text)]
    if buttons:
        blocks.append({"type": "actions", "elements": list(buttons)})
    return blocks


@dataclass(frozen=True)
class Candidate:
    customer_id: int
    name: str  # fully qualified
    active: bool


def pick_customer(candidates: Sequence[Candidate], *, text: str, action: Action, label: str,
                  lang: str = "en") -> list[Block]:
    """Several customers match ``text``: one row per candidate with a button doing ``action`` on it."""
    blocks: list[Block] = [section(t("lc.pick_one", lang, count=len(candidates), text=safe(text, 500)))]
    for c in candidates[:PICK_MAX]:
        row = section("*" + safe(with_inactive(c.name, c.active, lang, NAME_MAX), NAME_MAX * 5) + "*")
        row["accessory"] = button(label, action, str(c.customer_id))
        blocks.append(row)
    return blocks
