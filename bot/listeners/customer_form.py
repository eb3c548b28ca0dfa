"""The customer form: open it (add / edit), show or hide its parts, submit it, and its follow-ups.

Submitting runs: parse (``bot.blocks.customer_form.parse_form``) → every problem at once under its
input (the handlers' own checks, run before saving) → for a new customer, possible duplicates shown
first (the form is updated in place into the warning view, so what was typed stays) → save through
``handlers.customers.add`` / ``edit`` → close and confirm with the profile card. A taken name offers
what QuickBooks offers: reactivate the inactive customer, or (when editing) merge into the name's
active owner.

The save waits at most ``QUICK_LOCK_WAIT`` for the database before Slack's 3-second deadline: when
another change holds it (an import being written, on SQLite), the modal is acknowledged as "Saving…"
and the save goes on after the ack; the modal then shows the outcome (or the form again, with the
problem on top).
"""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.blocks.card import render_card
from bot.blocks.customer_form import (
    Confirmation,
    Draft,
    DuplicateRow,
    FormMeta,
    build_form,
    draft_from_customer,
    duplicate_notice,
    form_errors,
    form_problems,
    merge_offer,
    new_draft,
    notice_blocks,
    notice_view,
    parse_form,
    problem_notice,
    reactivate_offer,
)
from bot.blocks.ids import Action, Callback, FormBlock
from bot.blocks.text import safe
from bot.context import db_of, settings_of
from bot.replies import tell_user, update_view
from db.models import Customer
from db.session import DEFAULT_LOCK_WAIT, SessionFactory
from handlers import customers, hierarchy, normalize, profile
from handlers.errors import Busy, ClientDeskError, Conflict, Problem
from handlers.fields import clean_fields, derived_display_name
from handlers.messages import t

log = logging.getLogger(__name__)

Json = dict[str, Any]
QUICK_LOCK_WAIT = 0.1   # seconds a save waits for the database before the modal says "Saving…"
LATER_LOCK_WAIT = 4 * DEFAULT_LOCK_WAIT  # after the ack: an import of 100,000 rows is written in seconds
# Saves deferred past the ack wait for the lock here, a few at a time: never on Bolt's listener threads,
# which every other request needs for its ack (nor on more database connections than these).
_LATER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="clientdesk-save-later")


# ------------------------------------------------------------------------------ opening


def open_customer_form(
    client: WebClient,
    trigger_id: str,
    *,
    db: SessionFactory,
    tenant: str,
    customer_id: int | None = None,
    display_name: str = "",
    parent_id: int | None = None,
    lang: str = "en",
    channel_id: str = "",
) -> None:
    """Open the add form (``display_name`` / ``parent_id`` preset) or, with ``customer_id``, the edit
    form of that customer, prefilled and carrying its version. ``channel_id``: where the confirmation
    goes (a direct message when empty).

    Raises ``NotFound`` (customer or parent not in this workspace) and, for a preset parent, the
    ``Refused`` of ``handlers.hierarchy.check_parent`` (inactive, too deep): show ``error.message``.
    """
    with db(read_only=True) as session:
        view = form_view(session, tenant=tenant, customer_id=customer_id, display_name=display_name,
                         parent_id=parent_id, lang=lang, channel_id=channel_id)
    client.views_open(trigger_id=trigger_id, view=view)


def form_view(session: Session, *, tenant: str, customer_id: int | None = None, display_name: str = "",
              parent_id: int | None = None, lang: str = "en", channel_id: str = "") -> Json:
    """The add or edit form (see ``open_customer_form``), built from the database."""
    if customer_id is not None:
        customer = customers.get(session, team_id=tenant, customer_id=customer_id)
        label = _full_name(session, tenant, customer.parent_id)
        meta = FormMeta(customer_id=customer.id, version=customer.version, channel_id=channel_id, lang=lang)
        return build_form(draft_from_customer(customer, parent_label=label), meta)
    label = ""
    if parent_id is not None:
        parent = hierarchy.check_parent(session, tenant, None, parent_id)
        label = hierarchy.fully_qualified_name(session, parent)
    draft = new_draft(display_name=display_name, parent_id=parent_id, parent_label=label)
    return build_form(draft, FormMeta(channel_id=channel_id, lang=lang))


def _full_name(session: Session, tenant: str, customer_id: int | None) -> str:
    if customer_id is None:
        return ""
    return hierarchy.fully_qualified_name(session, hierarchy.get_customer(session, tenant, customer_id))


# ------------------------------------------------------------------------------ show / hide parts


def on_toggle(ack: Ack, body: Json, client: WebClient) -> None:
    """"Is a sub-customer" / "Same as billing address" changed: rebuild the form with the parts they
    show or hide (same block ids, so what was typed stays)."""
    ack()
    view = body["view"]
    meta = FormMeta.load(view.get("private_metadata"))
    rebuilt = build_form(parse_form(view), meta, notice=notice_blocks(view),
                         warning=view.get("callback_id") == Callback.DUPLICATE_WARNING)
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=rebuilt)
    except SlackApiError as error:
        if error.response.get("error") != "hash_conflict":
            raise
        # A newer change of the same form is being applied; it rebuilds from the newer state.
        log.info("customer form %s changed again before this update; skipped", view["id"])


# ------------------------------------------------------------------------------ submitting


def on_submit(ack: Ack, body: Json, view: Json, client: WebClient, context: BoltContext) -> None:
    """Validate and save the form (or answer with errors, the duplicates warning, or an offer)."""
    db, tenant, user = db_of(context), str(context["tenant"]), body["user"]["id"]
    meta = FormMeta.load(view.get("private_metadata"))
    draft = parse_form(view)
    lang = meta.lang
    try:
        with db(read_only=True) as session:
            problems = _problems(session, tenant, draft, meta)
            rows = [] if problems or meta.editing else _new_duplicates(session, tenant, draft, meta)
        if problems:
            ack(response_action="errors", errors=form_errors(problems, view, lang))
            return
        if rows:
            warned = replace(meta, warned=tuple(sorted({*meta.warned, *(r.customer_id for r in rows)})))
            ack(response_action="update",
                view=build_form(draft, warned, notice=duplicate_notice(rows, lang), warning=True))
            return
        try:
            with db(lock_wait=QUICK_LOCK_WAIT) as session:
                customer = _save(session, tenant, draft, meta, user)
                changed = customer.version != meta.version
        except Busy:
            saving = t("form.saving", lang, name=safe(_typed_name(draft), 200))
            ack(response_action="update", view=notice_view(saving, lang))
            _LATER.submit(_save_after_ack, client, context, view["id"], draft, meta, user)
            return
    except ClientDeskError as error:
        ack(**_answer_refusal(error, view, draft, meta, db, tenant))
        return
    ack()
    confirm(context, user, meta, customer_id=customer.id, key=_saved_key(meta, changed))


def _saved_key(meta: FormMeta, changed: bool) -> str:
    return "form.added" if not meta.editing else "form.saved" if changed else "form.unchanged"


def _typed_name(draft: Draft) -> str:
    return str(draft.fields.get("display_name") or derived_display_name(clean_fields(draft.fields)[0]) or "")


def _save_after_ack(client: WebClient, context: BoltContext, view_id: str, draft: Draft, meta: FormMeta,
                    user: str) -> None:
    """The save the database was too busy for before the ack, waiting as long as it takes; the "Saving…"
    modal then says it is done (with the usual confirmation), or shows the form again with the problem."""
    db, tenant, lang = db_of(context), str(context["tenant"]), meta.lang
    try:
        with db(lock_wait=LATER_LOCK_WAIT) as session:
            customer = _save(session, tenant, draft, meta, user)
            changed = customer.version != meta.version
    except ClientDeskError as error:
        update_view(client, view_id, build_form(draft, meta, notice=problem_notice(error.message(lang))))
        return
    except Exception:
        ref = secrets.token_hex(3)
        log.exception("deferred save failed (ref %s)", ref)
        update_view(client, view_id, notice_view(t("slack.unexpected_error", lang, ref=ref), lang))
        return
    key = _saved_key(meta, changed)
    update_view(client, view_id, notice_view(t(key, lang, name=safe(customer.display_name, 200)), lang))
    confirm(context, user, meta, customer_id=customer.id, key=key)




def _save(session: Session, tenant: str, draft: Draft, meta: FormMeta, user: str) -> Customer:
    if meta.customer_id is None:
        return customers.add(session, team_id=tenant, fields=draft.fields, actor=user,
                             parent_id=draft.handler_parent_id)
    return customers.edit(session, team_id=tenant, customer_id=meta.customer_id,
                          expected_version=meta.version or 0, changes=draft.fields, actor=user,
                          parent_id=draft.handler_parent_id)


def _problems(session: Session, tenant: str, draft: Draft, meta: FormMeta) -> list[Problem]:
    """Every problem of the draft at once, through the handlers' own checks (nothing is saved):
    the form's, each field's, the display name's and the parent's."""
    problems = form_problems(draft)
    values, field_problems = clean_fields(draft.fields)
    problems += field_problems
    named = values.get("display_name") or (not meta.editing and derived_display_name(values))
    if not named and not any(p.field == "display_name" for p in problems):
        problems.append(Problem("display_name_required", "display_name"))
    if draft.is_sub and draft.parent_id is not None:
        editing = None
        if meta.customer_id is not None:
            editing = customers.get(session, team_id=tenant, customer_id=meta.customer_id)
        if editing is None or draft.parent_id != editing.parent_id:
            problems += _parent_problems(session, tenant, editing, draft.parent_id)
    return problems


def _parent_problems(session: Session, tenant: str, customer: Customer | None, parent_id: int) -> list[Problem]:
    try:
        hierarchy.check_parent(session, tenant, customer, parent_id)
    except ClientDeskError as error:
        return [replace(p, field=FormBlock.PARENT) for p in error.problems]
    return []


def _new_duplicates(session: Session, tenant: str, draft: Draft, meta: FormMeta) -> list[DuplicateRow]:
    """Possible duplicates the user has not been shown yet (all of them, when there is a new one).

    None when one of them holds this very name: saving then says so (or offers reactivation).
    """
    name = draft.fields.get("display_name") or derived_display_name(clean_fields(draft.fields)[0]) or ""
    matches = customers.possible_duplicates(session, team_id=tenant, fields={**draft.fields, "display_name": name})
    key = normalize.name_key(name)
    if not matches or any(m.customer.name_key == key for m in matches):
        return []
    if {m.customer.id for m in matches} <= set(meta.warned):
        return []
    names = hierarchy.fully_qualified_names(session, [m.customer for m in matches])
    return [DuplicateRow(m.customer.id, names.get(m.customer.id, m.customer.display_name), m.reasons, m.score,
                         m.customer.active)
            for m in matches if m.customer.id is not None]


def _answer_refusal(error: ClientDeskError, view: Json, draft: Draft, meta: FormMeta, db: SessionFactory,
                    tenant: str) -> Json:
    """The ``ack`` arguments for a save the handlers refused."""
    lang = meta.lang
    code, params = error.code, error.params
    if isinstance(error, Conflict) and code == "name_taken_inactive" and not meta.editing:
        return {"response_action": "push",
                "view": reactivate_offer(int(params["customer_id"]), str(params["name"]), meta)}
    if isinstance(error, Conflict) and code == "name_belongs_to" and meta.customer_id is not None:
        with db(read_only=True) as session:
            this = customers.get(session, team_id=tenant, customer_id=meta.customer_id)
            this_name = this.display_name
        return {"response_action": "push",
                "view": merge_offer(meta.customer_id, this_name, int(params["customer_id"]), str(params["name"]),
                                    meta)}
    if isinstance(error, Conflict) and code == "stale_version":
        text = t("form.error.stale", lang, name=params.get("name", ""), at=params.get("at", ""))
        return {"response_action": "errors", "errors": {"display_name": text}}
    if isinstance(error, Conflict) and code == "name_taken_inactive":
        text = t("form.error.name_inactive_on_edit", lang, name=params.get("name", ""))
        return {"response_action": "errors", "errors": {"display_name": text}}
    # The chosen parent gone (its "not found" names no field) concerns the parent input.
    problems = [replace(p, field=FormBlock.PARENT) if _is_parent_gone(p, draft) else p for p in error.problems]
    return {"response_action": "errors", "errors": form_errors(problems, view, lang)}


def _is_parent_gone(problem: Problem, draft: Draft) -> bool:
    return (problem.field is None and problem.code == "customer_not_found" and draft.parent_id is not None
            and problem.params.get("id") == draft.parent_id)


# ------------------------------------------------------------------------------ follow-up views


def on_reactivate(ack: Ack, body: Json, view: Json, context: BoltContext) -> None:
    """The reactivation offer was accepted: reactivate the inactive customer and close every view."""
    meta = FormMeta.load(view.get("private_metadata"))
    user = body["user"]["id"]
    if meta.customer_id is None:
        ack(response_action="update", view=notice_view(t("error.customer_not_found", meta.lang), meta.lang))
        return
    try:
        with db_of(context)() as session:
            result = customers.reactivate(session, team_id=context["tenant"], customer_id=meta.customer_id,
                                          actor=user)
            parents = ", ".join(a.display_name for a in result.ancestors)
    except ClientDeskError as error:
        ack(response_action="update", view=notice_view(error.message(meta.lang), meta.lang))
        return
    ack(response_action="clear")
    key = "form.reactivated_with_parents" if parents else "form.reactivated"
    confirm(context, user, meta, customer_id=meta.customer_id, key=key, parents=parents)


def on_open_existing(ack: Ack, body: Json, action: Json, client: WebClient, context: BoltContext) -> None:
    """"Open" on a possible duplicate: its edit form, pushed over the warning (closing it comes back
    to what was typed); opened as a new modal when clicked outside a modal."""
    ack()
    in_view = (body.get("container") or {}).get("type") == "view"
    meta = FormMeta.load((body.get("view") or {}).get("private_metadata")) if in_view else FormMeta()
    channel = meta.channel_id or (body.get("channel") or {}).get("id") or ""
    value = str(action.get("value") or "")
    if not value.isdigit():
        log.warning("open-existing button with a bad value %r", value)
        return
    try:
        with db_of(context)(read_only=True) as session:
            form = form_view(session, tenant=context["tenant"], customer_id=int(value), lang=meta.lang,
                             channel_id=channel)
    except ClientDeskError as error:
        tell_user(context, body, error.message(meta.lang))
        return
    if in_view:
        client.views_push(trigger_id=body["trigger_id"], view=form)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=form)


# ------------------------------------------------------------------------------ confirming


def confirm(context: BoltContext, user: str, meta: FormMeta, *, customer_id: int | None, key: str,
            **params: Any) -> None:
    """After the ack: an ephemeral confirmation with the profile card, in the form's channel (else a DM)."""
    if customer_id is None:
        return
    lang = meta.lang
    with db_of(context)(read_only=True) as session:
        found = profile.profile(session, team_id=context["tenant"], customer_id=customer_id)
    text = t(key, lang, name=found.customer.display_name, **params)
    card = render_card(found, lang=lang, currency=settings_of(context).currency)
    where: Json = {"user": {"id": user}}
    if meta.channel_id:
        where["channel"] = {"id": meta.channel_id}
    tell_user(context, where, text, Confirmation(text, card).blocks())


def register(app: App) -> None:
    app.view(Callback.CUSTOMER_FORM)(on_submit)
    app.view(Callback.DUPLICATE_WARNING)(on_submit)
    app.view(Callback.REACTIVATE_OFFER)(on_reactivate)
    app.action(Action.FORM_IS_SUB)(on_toggle)
    app.action(Action.FORM_SAME_AS_BILLING)(on_toggle)
    app.action(Action.OPEN_EXISTING)(on_open_existing)
