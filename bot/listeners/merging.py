"""Merge a duplicate customer into the one to keep: form → preview (pushed) → merge → message with
Undo. From ``/clients merge [duplicate] [into <kept>]``, "Merge" on a card or a list row, or the
customer form's "merge into X?" offer (``Action.MERGE_INTO``, straight to the preview).

Merging and undoing are guarded actions, checked on every click and submit. The preview is checked
again on confirm: if anything it showed changed, the fresh preview is shown instead of merging.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.customer_form import FormMeta
from bot.blocks.ids import Action, Callback
from bot.blocks.merge_views import (
    DUPLICATE_BLOCK,
    KEPT_BLOCK,
    MergeChoice,
    Pick,
    fingerprint,
    merge_form,
    merge_notice,
    merge_preview,
    parse_merge_form,
    parse_preview,
    parse_undo,
    undone_notice,
)
from bot.blocks.modal_kit import notice_view
from bot.context import db_of, settings_of
from bot.listeners.browse import ButtonRequest, register_overflow
from bot.listeners.guard import channel_of, lang_of, require, user_of, workspace
from bot.listeners.home import refresh_home
from bot.listeners.router import CommandRequest, subcommand
from bot.replies import notify
from db.session import SessionFactory
from db.workspace import MergeNotice
from handlers import customers, hierarchy, merge
from handlers.errors import ClientDeskError, NotFound, PermissionDenied
from handlers.merge import MergePreview
from handlers.messages import t
from handlers.permissions import Guarded

log = logging.getLogger(__name__)
INTO = re.compile(r"\s(?:into|dans|vers|->|→)\s", re.IGNORECASE)


# ------------------------------------------------------------------------------ opening the form


def split_pair(args: str) -> tuple[str, str]:
    """``"Acme Corp into ACME"`` → ``("Acme Corp", "ACME")``; either may be empty."""
    parts = INTO.split(f" {args.strip()} ", maxsplit=1)
    return parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")


def _pick(db: SessionFactory, tenant: str, *, text: str = "", customer_id: int | None = None) -> Pick | None:
    """A customer to prefill, by name or id; None when it designates no single customer."""
    if not text and customer_id is None:
        return None
    with db(read_only=True) as session:
        try:
            if customer_id is not None:
                customer = customers.get(session, team_id=tenant, customer_id=customer_id)
            else:
                customer = customers.resolve(session, team_id=tenant, text=text)
        except ClientDeskError:
            return None
        assert customer.id is not None
        return Pick(customer.id, hierarchy.fully_qualified_name(session, customer))


@subcommand("merge", "fusionner", "fusion", usage="lc.usage.merge")
def merge_command(request: CommandRequest) -> None:
    """``/clients merge [duplicate] [into <kept>]``: the form, prefilled with what the names designate."""
    require(request.client, request.db, request.tenant, request.user_id, Guarded.MERGE)
    duplicate_text, kept_text = split_pair(request.args)
    view = merge_form(duplicate=_pick(request.db, request.tenant, text=duplicate_text),
                      kept=_pick(request.db, request.tenant, text=kept_text),
                      channel_id=request.channel_id, lang=request.lang)
    request.client.views_open(trigger_id=request.trigger_id, view=view)


def open_merge_form(client: WebClient, context: BoltContext, body: dict[str, Any], duplicate_id: int | None) -> None:
    """"Merge" on a card or a list row: the form with the duplicate prefilled (after the permission check)."""
    db, tenant, lang, user_id = db_of(context), context["tenant"], lang_of(), user_of(body)
    try:
        require(client, db, tenant, user_id, Guarded.MERGE)
    except ClientDeskError as error:
        notify(client, user_id=user_id, channel_id=channel_of(body), text=error.message(lang))
        return
    view = merge_form(duplicate=_pick(db, tenant, customer_id=duplicate_id), channel_id=channel_of(body), lang=lang)
    client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=view)


def on_merge_button(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                    context: BoltContext) -> None:
    ack()
    value = str(action.get("value") or "")
    open_merge_form(client, context, body, int(value) if value.isdigit() else None)


def on_merge_into(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
                  context: BoltContext) -> None:
    """"Merge into X?" (value ``"duplicate_id:kept_id"``): the preview, pushed over the form it came from."""
    ack()
    db, tenant, lang, user_id = db_of(context), context["tenant"], lang_of(), user_of(body)
    raw_dup, _, raw_kept = str(action.get("value") or "").partition(":")
    if not (raw_dup.isdigit() and raw_kept.isdigit()):
        return
    offer = body.get("view") or {}
    channel_id = channel_of(body) or (
        FormMeta.load(offer.get("private_metadata")).channel_id if offer.get("callback_id") == Callback.MERGE_OFFER
        else "")
    try:
        require(client, db, tenant, user_id, Guarded.MERGE)
        view = preview_view(db, tenant, int(raw_dup), int(raw_kept), channel_id=channel_id,
                            currency=workspace(db, tenant, settings_of(context)).currency, lang=lang)
    except ClientDeskError as error:
        view = notice_view(error.message(lang), lang=lang)
    _show(client, body, view)


def _show(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Push ``view`` over the modal the click came from (replace it when the stack is full), else open it."""
    trigger_id = str(body.get("trigger_id") or "")
    if (body.get("view") or {}).get("type") != "modal":
        client.views_open(trigger_id=trigger_id, view=view)
        return
    try:
        client.views_push(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") != "push_limit_reached":
            raise
        current = body.get("view") or {}
        client.views_update(view_id=current.get("id"), hash=current.get("hash"), view=view)


# ------------------------------------------------------------------------------ form → preview


def preview_view(db: SessionFactory, tenant: str, duplicate_id: int, kept_id: int, *, channel_id: str,
                 currency: str, lang: str, changed: bool = False) -> dict[str, Any]:
    """The preview of merging ``duplicate_id`` into ``kept_id`` (raises what ``merge.preview`` raises)."""
    preview, names = _preview(db, tenant, duplicate_id, kept_id)
    return merge_preview(preview, duplicate_name=names[0], kept_name=names[1], channel_id=channel_id, lang=lang,
                         currency=currency, changed=changed)


def _preview(db: SessionFactory, tenant: str, duplicate_id: int, kept_id: int) -> tuple[MergePreview, tuple[str, str]]:
    with db(read_only=True) as session:
        preview = merge.preview(session, team_id=tenant, duplicate_id=duplicate_id, kept_id=kept_id)
        names = hierarchy.fully_qualified_names(session, [preview.duplicate, preview.kept])
        return preview, (names.get(duplicate_id, preview.duplicate.display_name),
                         names.get(kept_id, preview.kept.display_name))


def on_merge_form(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                  context: BoltContext) -> None:
    """Form submitted: refusals under the right input, else the preview pushed over the form."""
    db, tenant, lang, user_id = db_of(context), context["tenant"], lang_of(), user_of(body)
    choice = parse_merge_form(view)
    missing = {b: t("lc.merge.required", lang) for b, v in ((DUPLICATE_BLOCK, choice.duplicate_id),
                                                            (KEPT_BLOCK, choice.kept_id)) if v is None}
    if missing:
        ack(response_action="errors", errors=missing)
        return
    assert choice.duplicate_id is not None and choice.kept_id is not None
    try:
        require(client, db, tenant, user_id, Guarded.MERGE)
    except PermissionDenied as error:
        ack(response_action="update", view=notice_view(error.message(lang), title=t("lc.not_allowed_title", lang)))
        return
    try:
        preview = preview_view(db, tenant, choice.duplicate_id, choice.kept_id, channel_id=choice.channel_id,
                               currency=workspace(db, tenant, settings_of(context)).currency, lang=lang)
    except ClientDeskError as error:
        ack(response_action="errors", errors={_block_for(db, tenant, choice, error): error.message(lang)[:2000]})
        return
    ack(response_action="push", view=preview)


def _block_for(db: SessionFactory, tenant: str, choice: MergeChoice, error: ClientDeskError) -> str:
    """The input a merge refusal is about: the kept customer for "same"/"kept inactive", else whichever
    customer the refusal names."""
    if error.code in ("merge_same", "merge_kept_inactive"):
        return KEPT_BLOCK
    if error.code == "customer_not_found":
        return DUPLICATE_BLOCK if error.params.get("id") == choice.duplicate_id else KEPT_BLOCK
    with db(read_only=True) as session:
        try:
            duplicate = hierarchy.get_customer(session, tenant, choice.duplicate_id or 0)
        except NotFound:
            return DUPLICATE_BLOCK
    return DUPLICATE_BLOCK if error.params.get("name") == duplicate.display_name else KEPT_BLOCK


# ------------------------------------------------------------------------------ preview → merge


def on_preview_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                      context: BoltContext) -> None:
    """Confirmed: merge in one transaction, close the dialogs, post the message with Undo."""
    db, tenant, lang, user_id = db_of(context), context["tenant"], lang_of(), user_of(body)
    confirm = parse_preview(view)
    if confirm is None:
        ack()
        return
    config = workspace(db, tenant, settings_of(context))
    try:
        require(client, db, tenant, user_id, Guarded.MERGE)
        preview, _ = _preview(db, tenant, confirm.duplicate_id, confirm.kept_id)
    except ClientDeskError as error:
        title = t("lc.not_allowed_title" if isinstance(error, PermissionDenied) else "lc.preview.title", lang)
        ack(response_action="update", view=notice_view(error.message(lang), title=title))
        return
    if fingerprint(preview) != confirm.fingerprint:
        ack(response_action="update", view=preview_view(
            db, tenant, confirm.duplicate_id, confirm.kept_id, channel_id=confirm.channel_id,
            currency=config.currency, lang=lang, changed=True))
        return
    copy = [f for f in confirm.copy_fields if f in preview.fillable_fields]
    try:
        with db() as session:
            result = merge.merge(session, team_id=tenant, duplicate_id=confirm.duplicate_id, kept_id=confirm.kept_id,
                                 actor=user_id, copy_fields=copy)
            names = hierarchy.fully_qualified_names(session, [result.duplicate, result.kept])
            balance = customers.balance(session, team_id=tenant, customer_id=confirm.kept_id)
    except ClientDeskError as error:
        ack(response_action="update", view=notice_view(error.message(lang), title=t("lc.preview.title", lang)))
        return
    ack(response_action="clear")
    assert result.record.id is not None
    text, blocks = merge_notice(
        user_id=user_id, duplicate=names.get(confirm.duplicate_id, result.duplicate.display_name),
        kept=names.get(confirm.kept_id, result.kept.display_name), counts=result.moved,
        copied=result.copied_fields, balance=balance, merge_id=result.record.id, lang=lang,
        currency=config.currency)
    _post_notice(client, user_id, confirm.channel_id, config.merge_notice, text, blocks)
    refresh_home(client, db, tenant, user_id, default_currency=settings_of(context).currency)


def _post_notice(client: WebClient, user_id: str, channel_id: str, where: MergeNotice, text: str,
                 blocks: list[dict[str, Any]]) -> None:
    if channel_id and where == MergeNotice.IN_CHANNEL:
        try:
            client.chat_postMessage(channel=channel_id, text=text, blocks=blocks)
            return
        except SlackApiError:  # e.g. the bot isn't in the channel: tell the person who merged
            log.warning("could not post the merge notice in %s", channel_id, exc_info=True)
    notify(client, user_id=user_id, channel_id=channel_id, text=text, blocks=blocks)


# ------------------------------------------------------------------------------ undo


def on_undo(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond,
            context: BoltContext) -> None:
    """"Undo merge" (value: merge record id): put everything back, or say clearly why it no longer can."""
    ack()
    db, tenant, lang, user_id = db_of(context), context["tenant"], lang_of(), user_of(body)
    merge_id = parse_undo(action.get("value"))
    if merge_id is None:
        return
    channel_id = channel_of(body)
    try:
        require(client, db, tenant, user_id, Guarded.UNDO_MERGE)
        with db() as session:
            result = merge.undo(session, team_id=tenant, merge_id=merge_id, actor=user_id)
            names = hierarchy.fully_qualified_names(session, [result.duplicate, result.kept])
    except ClientDeskError as error:
        notify(client, user_id=user_id, channel_id=channel_id, text=_undo_refusal(db, tenant, merge_id, error, lang))
        return
    text, blocks = undone_notice(
        user_id=user_id, duplicate=names.get(result.duplicate.id or 0, result.duplicate.display_name),
        kept=names.get(result.kept.id or 0, result.kept.display_name), counts=result.moved_back, lang=lang)
    _replace_message(client, respond, body, text, blocks)
    refresh_home(client, db, tenant, user_id, default_currency=settings_of(context).currency)


def _undo_refusal(db: SessionFactory, tenant: str, merge_id: int, error: ClientDeskError, lang: str) -> str:
    if isinstance(error, PermissionDenied | NotFound):
        return error.message(lang)
    with db(read_only=True) as session:
        record = merge.get_record(session, team_id=tenant, merge_id=merge_id)
        pair = [hierarchy.get_customer(session, tenant, record.duplicate_id),
                hierarchy.get_customer(session, tenant, record.kept_id)]
        names = hierarchy.fully_qualified_names(session, pair)
    return t("lc.undo.refused", lang, duplicate=names.get(record.duplicate_id, pair[0].display_name),
             kept=names.get(record.kept_id, pair[1].display_name), reason=error.message(lang))


def _replace_message(client: WebClient, respond: Respond, body: dict[str, Any], text: str,
                     blocks: list[dict[str, Any]]) -> None:
    """Update the merge message the Undo button was on (ephemeral ones through their response_url)."""
    container = body.get("container") or {}
    if container.get("type") == "message" and not container.get("is_ephemeral") and container.get("message_ts"):
        try:
            client.chat_update(channel=str(container.get("channel_id") or ""), ts=container["message_ts"], text=text,
                               blocks=blocks)
            return
        except SlackApiError:
            log.warning("could not update the merge message; answering through response_url", exc_info=True)
    respond(text=text, blocks=blocks, replace_original=True)


def _merge_from_menu(request: ButtonRequest) -> None:
    open_merge_form(request.client, request.context, request.body, request.customer_id)


def register(app: App) -> None:
    register_overflow(Action.MERGE, _merge_from_menu)
    app.action(Action.MERGE)(on_merge_button)
    app.action(Action.MERGE_INTO)(on_merge_into)
    app.action(Action.UNDO_MERGE)(on_undo)
    app.view(Callback.MERGE_FORM)(on_merge_form)
    app.view(Callback.MERGE_PREVIEW)(on_preview_submit)
