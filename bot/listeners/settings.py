"""``/clients settings`` (and the Home tab's Settings button): workspace admins choose who may make
customers inactive, merge, undo and import, where merge messages go, and the currency shown."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.blocks.ids import Action, Callback
from bot.blocks.modal_kit import notice_view
from bot.blocks.settings_form import errors_for, parse_settings, saved_text, settings_form
from bot.context import db_of, settings_of
from bot.listeners.guard import actor_of, channel_of, lang_of, user_of, workspace
from bot.listeners.router import CommandRequest, subcommand
from bot.replies import notify
from handlers import permissions, settings
from handlers.errors import ClientDeskError, PermissionDenied
from handlers.messages import t


@subcommand("settings", "parametres", "reglages", usage="lc.usage.settings")
def settings_command(request: CommandRequest) -> None:
    """``/clients settings``: the settings form, for workspace admins and owners."""
    permissions.require_admin(actor_of(request.client, request.user_id))
    config = workspace(request.db, request.tenant, request.settings)
    request.client.views_open(trigger_id=request.trigger_id,
                              view=settings_form(config, channel_id=request.channel_id, lang=request.lang))


def on_settings_button(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The Home tab's Settings button."""
    ack()
    lang, user_id = lang_of(), user_of(body)
    try:
        permissions.require_admin(actor_of(client, user_id))
    except ClientDeskError as error:
        notify(client, user_id=user_id, channel_id=channel_of(body), text=error.message(lang))
        return
    config = workspace(db_of(context), context["tenant"], settings_of(context))
    client.views_open(trigger_id=str(body.get("trigger_id") or ""),
                      view=settings_form(config, channel_id=channel_of(body), lang=lang))


def on_settings_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                       context: BoltContext) -> None:
    """Save (admins only, checked again now); problems under their inputs."""
    db, tenant, lang, user_id = db_of(context), context["tenant"], lang_of(), user_of(body)
    draft = parse_settings(view)
    actor = actor_of(client, user_id)
    try:
        with db() as session:
            config = settings.update(
                session, team_id=tenant, actor=actor, expected_version=draft.expected_version,
                permission_mode=draft.permission_mode, allowed_user_ids=draft.allowed_user_ids,
                merge_notice=draft.merge_notice, currency=draft.currency)
    except PermissionDenied as error:
        ack(response_action="update", view=notice_view(error.message(lang), title=t("lc.not_allowed_title", lang)))
        return
    except ClientDeskError as error:
        ack(response_action="errors", errors=errors_for(error, lang))
        return
    ack()
    text = saved_text(config, lang)
    notify(client, user_id=user_id, channel_id=draft.channel_id, text=text)


def register(app: App) -> None:
    app.action(Action.SETTINGS_OPEN)(on_settings_button)
    app.view(Callback.SETTINGS_FORM)(on_settings_submit)
