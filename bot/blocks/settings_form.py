"""``/clients settings``: the workspace settings modal (who may do the guarded actions, where merge
notices go, the currency), its parser, and the summary shown after saving."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.blocks.ids import Callback
from bot.blocks.modal_kit import (
    context,
    input_block,
    load_meta,
    meta_int,
    meta_str,
    modal,
    option,
    selected_value,
    state_value,
    text_input,
    text_value,
)
from db.workspace import MergeNotice, PermissionMode
from handlers.errors import ClientDeskError
from handlers.messages import t
from handlers.settings import WorkspaceConfig

VALUE = "value"
MODE_BLOCK = "permission_mode"
USERS_BLOCK = "allowed_user_ids"
NOTICE_BLOCK = "merge_notice"
CURRENCY_BLOCK = "currency"
BLOCKS = (MODE_BLOCK, USERS_BLOCK, NOTICE_BLOCK, CURRENCY_BLOCK)


@dataclass(frozen=True)
class SettingsDraft:
    permission_mode: str
    allowed_user_ids: tuple[str, ...]
    merge_notice: str
    currency: str
    expected_version: int
    channel_id: str


def settings_form(config: WorkspaceConfig, *, channel_id: str = "", lang: str = "en") -> dict[str, Any]:
    """The settings modal, showing the workspace's current (or default) choices."""
    modes = [option(t(f"lc.settings.mode.{m.value}", lang), m.value) for m in PermissionMode]
    notices = [option(t(f"lc.settings.notice.{n.value}", lang), n.value) for n in MergeNotice]
    users: dict[str, Any] = {"type": "multi_users_select", "action_id": VALUE}
    if config.rule.user_ids:
        users["initial_users"] = list(config.rule.user_ids)
    blocks = [
        context(t("lc.settings.intro", lang)),
        input_block(MODE_BLOCK, t("lc.settings.who", lang), {
            "type": "radio_buttons", "action_id": VALUE, "options": modes,
            "initial_option": modes[list(PermissionMode).index(config.rule.mode)],
        }),
        input_block(USERS_BLOCK, t("lc.settings.users", lang), users, optional=True),
        input_block(NOTICE_BLOCK, t("lc.settings.notice", lang), {
            "type": "radio_buttons", "action_id": VALUE, "options": notices,
            "initial_option": notices[list(MergeNotice).index(config.merge_notice)],
        }),
        input_block(CURRENCY_BLOCK, t("lc.settings.currency", lang),
                    text_input(VALUE, initial=config.currency or None, max_length=3), optional=True,
                    hint=t("lc.settings.currency_hint", lang)),
    ]
    return modal(Callback.SETTINGS_FORM, t("lc.settings.title", lang), blocks, submit=t("lc.settings.submit", lang),
                 metadata={"v": config.version, "c": channel_id}, lang=lang)


def parse_settings(view: Mapping[str, Any]) -> SettingsDraft:
    meta = load_meta(view)
    users = state_value(view, USERS_BLOCK, VALUE).get("selected_users") or []
    return SettingsDraft(
        permission_mode=selected_value(view, MODE_BLOCK, VALUE) or "",
        allowed_user_ids=tuple(str(u) for u in users if u),
        merge_notice=selected_value(view, NOTICE_BLOCK, VALUE) or "",
        currency=text_value(view, CURRENCY_BLOCK, VALUE),
        expected_version=meta_int(meta, "v") or 0,
        channel_id=meta_str(meta, "c"),
    )


def errors_for(error: ClientDeskError, lang: str = "en") -> dict[str, str]:
    """Each problem under its input (problems about the whole form under the first one)."""
    errors: dict[str, str] = {}
    for problem in error.problems:
        block = problem.field if problem.field in BLOCKS else MODE_BLOCK
        errors[block] = (errors[block] + " " if block in errors else "") + problem.message(lang)
    return {k: v[:2000] for k, v in errors.items()}


def saved_text(config: WorkspaceConfig, lang: str = "en") -> str:
    """"Settings saved. Workspace admins and owners may …. Merge messages: …. Currency: EUR."""
    users = ", ".join(f"<@{u}>" for u in config.rule.user_ids)
    who = t(f"lc.settings.saved_who.{config.rule.mode.value}", lang, users=users)
    notice = t(f"lc.settings.notice.{config.merge_notice.value}", lang)
    currency = config.currency or t("lc.settings.no_currency", lang)
    return "\n".join([t("lc.settings.saved", lang), who,
                      t("lc.settings.saved_notice", lang, notice=notice, currency=currency)])
