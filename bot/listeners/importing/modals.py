"""The import's clicks and modals: ``/clients import`` and the Home tab's Import button (a file modal),
the offer's Import button (download, read, mapping modal), the mapping (→ preview), the preview
(→ import after the ack) and the Restart button of an interrupted import.

Importing is a guarded action: the permission is checked on every click and every submit. Views and
buttons carry the job id only; the job is read back with the tenant each time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.import_views import (
    FILE_BLOCK,
    PICK_BLOCK,
    ROWS_BLOCK,
    MappingForm,
    failed_message,
    file_modal,
    job_of,
    mapping_errors,
    mapping_modal,
    notice,
    parse_file_modal,
    parse_mapping,
    parse_preview,
    restarted_message,
)
from bot.context import db_of, settings_of
from bot.files import DownloadError, full_file
from bot.listeners.guard import channel_of, lang_of, require, user_of
from bot.listeners.importing import events, store
from bot.listeners.importing.worker import (
    Where,
    as_rows,
    dispatch,
    download_problem,
    job_snapshot,
)
from bot.listeners.router import CommandRequest, subcommand
from bot.replies import notify, update_view
from db.imports import ImportJob
from handlers import idempotency
from handlers.errors import ClientDeskError, InvalidInput, Refused
from handlers.importing import (
    ALL,
    NEW_ONLY,
    TARGET_FIELDS,
    Selection,
    inspect,
    jobs,
    parse_selection,
    suggest_for,
    validate,
)
from handlers.messages import t
from handlers.permissions import Guarded

log = logging.getLogger(__name__)


def _where(client: WebClient, context: BoltContext) -> Where:
    return Where(client, db_of(context), settings_of(context), context["tenant"], lang_of(),
                 runner=context.get("import_runner"))


def _job_id(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None


def startable_job(where: Where, user_id: str, job_id: int) -> ImportJob:
    """The job, once the user may import and the job may start (raises ``PermissionDenied``,
    ``NotFound``, ``Refused``): checked on every click and submit of the import's flow."""
    require(where.client, where.db, where.tenant, user_id, Guarded.IMPORT)
    job = job_snapshot(where.db, where.tenant, job_id)
    jobs.check_startable(job)
    return job


# ------------------------------------------------------------------------------ the file modal


@subcommand("import", "importer", usage="slack_import.usage")
def import_command(request: CommandRequest) -> None:
    """``/clients import``: a modal to send a spreadsheet (after the permission check)."""
    require(request.client, request.db, request.tenant, request.user_id, Guarded.IMPORT)
    request.client.views_open(trigger_id=request.trigger_id, view=file_modal(request.lang))


def on_import_start(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """The Home tab's Import button: the same modal."""
    ack()
    user_id, lang = user_of(body), lang_of()
    try:
        require(client, db_of(context), context["tenant"], user_id, Guarded.IMPORT)
    except ClientDeskError as error:
        notify(client, user_id=user_id, channel_id=channel_of(body), text=error.message(lang))
        return
    client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=file_modal(lang))


def on_file_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                   context: BoltContext) -> None:
    """The file modal: the offer, in the user's DM (as for a file shared there)."""
    where, user_id = _where(client, context), user_of(body)
    try:
        require(client, where.db, where.tenant, user_id, Guarded.IMPORT)
    except ClientDeskError as error:
        ack(response_action="update", view=notice(error.message(where.lang), lang=where.lang))
        return
    files = parse_file_modal(view)
    if not files:
        ack(response_action="errors", errors={FILE_BLOCK: t("slack_import.file_missing", where.lang)})
        return
    if not store.is_spreadsheet(files[0]):
        ack(response_action="errors", errors={FILE_BLOCK: t("slack_import.file_not_spreadsheet", where.lang)})
        return
    ack()
    file = full_file(client, files[0]) or files[0]
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    events.offer(client, where.db, tenant=where.tenant, file=file, user_id=user_id, channel=channel, thread_ts=None,
                 lang=where.lang)


# ------------------------------------------------------------------------------ the offer's button: mapping


def on_open(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """"Import…": download and read the file, then the mapping modal (a hostile or broken file gets the
    pipeline's refusal, in the thread and in the modal)."""
    ack()
    where, user_id = _where(client, context), user_of(body)
    job_id = _job_id(action.get("value"))
    if job_id is None:
        return
    try:
        job = startable_job(where, user_id, job_id)
    except ClientDeskError as error:
        notify(client, user_id=user_id, channel_id=channel_of(body), text=error.message(where.lang))
        return
    # Open a modal at once (a trigger_id lasts 3 s; a big download may take longer), then fill it in.
    opened = client.views_open(trigger_id=str(body.get("trigger_id") or ""),
                               view=notice(t("slack_import.reading", where.lang, file=job.file_name), job_id=job_id,
                                           lang=where.lang))
    show_mapping(where, job, view_id=str(opened["view"]["id"]))


def show_mapping(where: Where, job: ImportJob, *, view_id: str) -> None:
    """Read the job's file and put the mapping modal in ``view_id`` (or the refusal, also in the thread)."""
    assert job.id is not None
    try:
        path = store.fetch(where.client, where.settings, tenant=where.tenant, job=job)
        info = inspect(path, file_name=job.file_name, sheet=job.sheet)
    except (DownloadError, ClientDeskError) as error:
        reason = download_problem(error, where.lang) if isinstance(error, DownloadError) else error.message(where.lang)
        _refuse_in_thread(where, job, reason)
        update_view(where.client, view_id, notice(reason, job_id=job.id, lang=where.lang))
        return
    store.remember_ids(where.db, where.tenant, job.id, headers=list(info.headers))
    with where.db(read_only=True) as session:
        suggestion = suggest_for(session, team_id=where.tenant, headers=info.headers)
    fields, mode = dict(suggestion.fields), suggestion.update_by
    if job.mapping:  # planned before: what the user chose then
        fields, mode = {k: int(v) for k, v in job.mapping.items()}, ("create" if job.selection == "new"
                                                                     else job.update_by)
    samples = [next((row[i] for row in info.samples if i < len(row) and row[i]), "") for i in range(len(info.headers))]
    form = MappingForm(job_id=job.id, file_name=job.file_name, header_row=info.header_row, headers=info.headers,
                       samples=samples, fields=TARGET_FIELDS, suggested=fields,
                       guessed=suggestion.guessed if not job.mapping else frozenset(),
                       remembered=suggestion.remembered and not job.mapping, mode=mode, data_rows=info.data_rows)
    update_view(where.client, view_id, mapping_modal(form, where.lang))


def _refuse_in_thread(where: Where, job: ImportJob, reason: str) -> None:
    context = job.context or {}
    if not context.get("channel"):
        return
    text, blocks = failed_message(job.file_name, reason, lang=where.lang)
    try:
        where.client.chat_postMessage(channel=str(context["channel"]), thread_ts=context.get("thread_ts"), text=text,
                                      blocks=blocks)
    except SlackApiError as error:
        log.warning("could not post the refusal of import %s: %s", job.id, error.response.get("error"))


# ------------------------------------------------------------------------------ mapping → preview


def on_mapping_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                      context: BoltContext) -> None:
    """The mapping: refused under the right input, or accepted → "checking rows" → the preview."""
    where, user_id = _where(client, context), user_of(body)
    job_id = job_of(view)
    if job_id is None:
        ack()
        return
    choice = parse_mapping(view, TARGET_FIELDS)
    try:
        job = startable_job(where, user_id, job_id)
        headers: Sequence[str] | None = store.shown_headers(job)
        if headers is None:  # not recorded when the modal was shown (an older version): read them again
            path = store.fetch(client, where.settings, tenant=where.tenant, job=job)
            headers = inspect(path, file_name=job.file_name, sheet=job.sheet).headers
        validate(headers, choice.fields)
    except InvalidInput as error:
        ack(response_action="errors", errors=mapping_errors(error.problems, TARGET_FIELDS, where.lang))
        return
    except (ClientDeskError, DownloadError) as error:
        reason = download_problem(error, where.lang) if isinstance(error, DownloadError) else error.message(where.lang)
        ack(response_action="update", view=notice(reason, job_id=job_id, lang=where.lang))
        return
    ack(response_action="update", view=notice(t("slack_import.checking", where.lang, file=job.file_name),
                                              job_id=job_id, lang=where.lang))
    view_id = str(view.get("id") or "")
    dispatch(where, "plan", channel=str((job.context or {}).get("channel") or user_id),
             thread_ts=(job.context or {}).get("thread_ts"), job_id=job_id, user_id=user_id, fields=choice.fields,
             mode=choice.mode, view_id=view_id)


# ------------------------------------------------------------------------------ preview → import


def selection_of(view: dict[str, Any], lang: str) -> Selection | dict[str, str]:
    """The preview's choice as a ``Selection``, or the modal errors to show."""
    choice = parse_preview(view)
    if choice.rows_text and choice.mode != "rows":  # typed rows, but another choice: ask, don't guess
        return {ROWS_BLOCK: t("slack_import.rows_unused", lang)}
    if choice.picked and choice.mode != "picked":
        return {PICK_BLOCK.format(n=0): t("slack_import.pick_unused", lang)}
    if choice.mode == "all":
        return ALL
    if choice.mode == "new":
        return NEW_ONLY
    if choice.mode == "picked":
        if not choice.picked:
            return {PICK_BLOCK.format(n=0): t("slack_import.pick_missing", lang)}
        return as_rows(list(choice.picked))
    if not choice.rows_text:
        return {ROWS_BLOCK: t("slack_import.rows_missing", lang)}
    try:
        return parse_selection(choice.rows_text)
    except InvalidInput as error:
        return {ROWS_BLOCK: error.message(lang)}


def on_preview_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient,
                      context: BoltContext) -> None:
    """"Import": after the checks, the modal says it started, and the import runs after the ack."""
    where, user_id = _where(client, context), user_of(body)
    job_id = job_of(view)
    if job_id is None:
        ack()
        return
    selection = selection_of(view, where.lang)
    if isinstance(selection, dict):
        ack(response_action="errors", errors=selection)
        return
    try:
        job = startable_job(where, user_id, job_id)
        first_run(where, job)
    except ClientDeskError as error:
        ack(response_action="update", view=notice(error.message(where.lang), job_id=job_id, lang=where.lang))
        return
    ack(response_action="update", view=notice(t("slack_import.importing", where.lang, file=job.file_name),
                                              job_id=job_id, lang=where.lang))
    view_id = str(view.get("id") or "")
    start(where, job, user_id=user_id, selection=selection, create_only=job.selection == "new", view_id=view_id)


def first_run(where: Where, job: ImportJob) -> None:
    """Claim this state of the job for one run: a form submitted twice, or Restart clicked twice, runs once
    (the job's ``updated_at`` changes with every plan, run and failure). Raises ``Refused``."""
    with where.db() as session:
        first = idempotency.claim(session, team_id=where.tenant,
                                  key=f"import-run:{job.id}:{job.updated_at.isoformat()}")
        session.commit()
    if not first:
        raise Refused.of("import_job_running", file=job.file_name)


def start(where: Where, job: ImportJob, *, user_id: str, selection: Selection, create_only: bool,
          view_id: str | None = None) -> None:
    """Run the import on the import threads."""
    assert job.id is not None
    job_id = job.id
    context = job.context or {}
    dispatch(where, "import", channel=str(context.get("channel") or user_id), thread_ts=context.get("thread_ts"),
             job_id=job_id, user_id=user_id, selection=selection, create_only=create_only, view_id=view_id)


def on_restart(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient,
               context: BoltContext) -> None:
    """"Restart the import" on an interrupted import's message: the same file, columns and rows."""
    ack()
    where, user_id = _where(client, context), user_of(body)
    job_id = _job_id(action.get("value"))
    if job_id is None:
        return
    try:
        job = startable_job(where, user_id, job_id)
        if not job.mapping:
            raise Refused.of("import_job_not_found", id=job_id)
        selection = parse_selection(job.selection)
        first_run(where, job)
    except ClientDeskError as error:
        notify(client, user_id=user_id, channel_id=channel_of(body), text=error.message(where.lang))
        return
    message = body.get("message") or {}
    channel = channel_of(body)
    if channel and message.get("ts"):
        text, blocks = restarted_message(job.file_name, user_id=user_id, lang=where.lang)
        try:
            client.chat_update(channel=channel, ts=str(message["ts"]), text=text, blocks=blocks)
        except SlackApiError as error:
            log.info("could not mark the import restarted: %s", error.response.get("error"))
    start(where, job, user_id=user_id, selection=selection, create_only=False)
