"""The slow part of an import, after the ack: planning (the preview) and the import itself, on a small
pool of background threads, with rate-friendly progress messages.

Progress: one message in the file's thread, updated at most once every ``PROGRESS_INTERVAL`` seconds
(``chat.update`` is Tier 3, ~50 a minute per workspace), plus once when writing begins, then with
the final summary. Nothing here keeps an import's state: it is read from the job each time.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.blocks.import_views import (
    PICK_MAX,
    Change,
    Messages,
    PreviewRow,
    PreviewSummary,
    failed_message,
    field_label,
    notice,
    preview_modal,
    progress_message,
    summary_message,
)
from bot.config import Settings
from bot.files import DownloadError, upload
from bot.listeners.home import refresh_home
from bot.listeners.importing import plans, store
from bot.replies import update_view
from db.imports import ImportJob
from db.session import SessionFactory
from handlers import customers
from handlers.errors import ClientDeskError, InvalidInput, Refused
from handlers.importing import (
    NEW_ONLY,
    Plan,
    RowStatus,
    Selection,
    apply_plan,
    jobs,
    plan_import,
    problem_text,
    remember,
    write_rejected_report,
)
from handlers.messages import t

if TYPE_CHECKING:
    from bot.listeners.importing.runner import ImportRunner

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 2.0      # seconds between two chat.update of one import's progress
LISTED = 40                  # rows of each kind handed to the preview (it shows what fits)
SIMILAR_NAMES = 3
_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="clientdesk-import")


def shutdown() -> None:
    """Wait for the import threads' tasks to end (the import process, before it exits)."""
    _EXECUTOR.shutdown(wait=True)


def run_later(task: Callable[[], None], *, client: WebClient, channel: str | None, thread_ts: str | None = None,
              lang: str = "en") -> Future[None]:
    """Run ``task`` on the import threads; an unexpected error is logged with a reference, which the
    user is given in the conversation (``channel``, ``thread_ts``)."""

    def guarded() -> None:
        try:
            task()
        except Exception:
            ref = secrets.token_hex(3)
            log.exception("import task failed (ref %s)", ref)
            if channel:
                _post(client, channel=channel, thread_ts=thread_ts, message=(t("slack.unexpected_error", lang, ref=ref),
                                                                             []))

    return _EXECUTOR.submit(guarded)


def _post(client: WebClient, *, channel: str, thread_ts: str | None, message: Messages) -> str | None:
    text, blocks = message
    try:
        answer = client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text, blocks=blocks or None)
    except SlackApiError as error:
        log.warning("could not post in %s: %s", channel, error.response.get("error"))
        return None
    return str(answer.get("ts") or "") or None


# ------------------------------------------------------------------------------ progress


@dataclass
class Throttle:
    """At most one call every ``interval`` seconds (``force`` lets one through regardless)."""

    interval: float = field(default_factory=lambda: PROGRESS_INTERVAL)
    clock: Callable[[], float] = time.monotonic
    last: float | None = None

    def ready(self, *, force: bool = False) -> bool:
        now = self.clock()
        if force or self.last is None or now - self.last >= self.interval:
            self.last = now
            return True
        return False


@dataclass
class Progress:
    """The import's message in the thread: posted at the start, updated as rows are read and written."""

    client: WebClient
    channel: str
    thread_ts: str | None
    file_name: str
    lang: str = "en"
    throttle: Throttle = field(default_factory=Throttle)
    ts: str | None = None
    writing: bool = False

    def start(self) -> str | None:
        self.ts = _post(self.client, channel=self.channel, thread_ts=self.thread_ts,
                        message=progress_message(self.file_name, phase="start", lang=self.lang))
        self.throttle.ready(force=True)
        return self.ts

    def rows_read(self, rows: int) -> None:
        if self.throttle.ready():
            self._show(progress_message(self.file_name, phase="reading", done=rows, lang=self.lang))

    def rows_written(self, done: int, total: int) -> None:
        first, self.writing = not self.writing, True
        if self.throttle.ready(force=first):
            self._show(progress_message(self.file_name, phase="writing", done=done, total=total, lang=self.lang))

    def finish(self, message: Messages) -> None:
        """The final word (summary or refusal), always shown."""
        if self.ts is None:
            self.ts = _post(self.client, channel=self.channel, thread_ts=self.thread_ts, message=message)
            return
        self._show(message)

    def _show(self, message: Messages) -> None:
        if self.ts is None:
            return
        text, blocks = message
        try:
            self.client.chat_update(channel=self.channel, ts=self.ts, text=text, blocks=blocks)
        except SlackApiError as error:
            log.warning("could not update the import progress: %s", error.response.get("error"))


# ------------------------------------------------------------------------------ planning (the preview)


@dataclass(frozen=True)
class Where:
    """Where a job talks: the Slack client (with the workspace's token), its settings and database."""

    client: WebClient
    db: SessionFactory
    settings: Settings
    tenant: str
    lang: str = "en"
    runner: ImportRunner | None = None  # the import process, when the app has one (``clientdesk serve``)


def job_snapshot(db: SessionFactory, tenant: str, job_id: int) -> ImportJob:
    """The job as stored now (detached: read freely after the session closed)."""
    with db(read_only=True) as session:
        job = jobs.get(session, team_id=tenant, job_id=job_id)
        session.expunge(job)
        return job


def plan_job(where: Where, *, job_id: int, user_id: str, fields: dict[str, int], mode: str, view_id: str) -> None:
    """After the mapping is confirmed: plan the file (nothing written), record it on the job, remember
    the mapping for these headers, and show the preview in the modal."""
    job = job_snapshot(where.db, where.tenant, job_id)
    file_name = job.file_name
    checking = Throttle()

    def show_rows(rows: int) -> None:
        if checking.ready():
            update_view(where.client, view_id, notice(t("slack_import.checking_rows", where.lang, file=file_name,
                                                         rows=rows), job_id=job_id, lang=where.lang))

    try:
        path = store.fetch(where.client, where.settings, tenant=where.tenant, job=job)
        with where.db(read_only=True) as reading:
            plan = plan_import(reading, team_id=where.tenant, path=path, fields=fields,
                               update_by="email" if mode == "email" else "name", sheet=job.sheet,
                               file_name=file_name, on_row=show_rows)
        try:
            with where.db() as session:
                planned = jobs.record_plan(session, team_id=where.tenant, job_id=job_id, plan=plan,
                                           selection="new" if mode == "create" else "all")
                remember(session, team_id=where.tenant, headers=plan.info.headers, fields=plan.fields,
                         actor=user_id, update_by=plan.update_by.value)
                summary = summarize(session, plan, job_id=job_id, create_only=mode == "create", lang=where.lang)
        except BaseException:
            plan.close()
            raise
        plans.keep(where.tenant, job_id, planned.updated_at.isoformat(), plan)
    except DownloadError as error:
        update_view(where.client, view_id, notice(download_problem(error, where.lang), job_id=job_id,
                                                   lang=where.lang))
        return
    except ClientDeskError as error:
        update_view(where.client, view_id, notice(error.message(where.lang), job_id=job_id, lang=where.lang))
        return
    update_view(where.client, view_id, preview_modal(summary, lang=where.lang))


def summarize(session: Session, plan: Plan, *, job_id: int, create_only: bool, lang: str = "en") -> PreviewSummary:
    """The preview's data from a plan: counts, the first rejected rows with their problems, possible
    duplicates with the names they look like, the updates with their changes, and (for small files)
    every importable row to tick."""
    counts = {status.value: count for status, count in plan.counts.items()}
    rejected = [PreviewRow(r.number, r.name, problem_text(r, lang)) for r in plan.rejected[:LISTED]]
    similar_rows = plan.possible_duplicates
    ids = {i for r in similar_rows[:LISTED] for i in r.similar_to[:SIMILAR_NAMES]}
    names = {i: c.display_name for i, c in customers.get_many(session, team_id=plan.team_id, ids=ids).items()}
    similar = [PreviewRow(r.number, r.name, ", ".join(names[i] for i in r.similar_to[:SIMILAR_NAMES] if i in names))
               for r in similar_rows[:LISTED]]
    updates = [PreviewRow(r.number, r.name, changes=tuple(_change(c, lang) for c in r.changes))
               for r in plan.with_status(RowStatus.UPDATE)[:LISTED]]
    wanted = (RowStatus.NEW,) if create_only else (RowStatus.NEW, RowStatus.UPDATE)
    importable = plan.with_status(*wanted)
    pickable = [PreviewRow(r.number, r.name, status=r.status.value) for r in importable] \
        if len(importable) <= PICK_MAX else []
    return PreviewSummary(job_id=job_id, file_name=plan.file_name, counts=counts, create_only=create_only,
                          rejected=rejected, similar=similar, similar_total=len(similar_rows), updates=updates,
                          pickable=pickable, stopped_early=plan.stopped_early)


def _change(change: Any, lang: str) -> Change:
    def shown(value: Any) -> str:
        return "" if value is None else str(value)

    return Change(field_label(change.field, lang), shown(change.before), shown(change.after))


def download_problem(error: DownloadError, lang: str = "en") -> str:
    """A failed download in words the user can act on."""
    if error.reason == "too_big":
        return t("error.import_file_too_big", lang, size_mb=round(error.params.get("size", 0) / 1024**2, 1),
                 max_mb=round(error.params.get("max_bytes", 0) / 1024**2))
    return t(f"slack_import.download.{error.reason}", lang, **error.params)


# ------------------------------------------------------------------------------ the import


def narrowed(selection: Selection, plan: Plan) -> Selection:
    """Create only: the selection limited to the new rows (rows matching a customer are skipped)."""
    if selection.kind in ("all", "new"):
        return NEW_ONLY
    rows = sorted(r.number for r in plan.with_status(RowStatus.NEW) if selection.includes(r))
    if not rows:
        raise Refused.of("import_nothing_selected", "selection")
    return as_rows(rows)


def as_rows(numbers: list[int]) -> Selection:
    """Row numbers as a selection, consecutive rows as ranges (the job stores it as text)."""
    singles: set[int] = set()
    ranges: list[tuple[int, int]] = []
    ordered = sorted(set(numbers))
    start = previous = ordered[0]
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        if previous - start >= 2:
            ranges.append((start, previous))
        else:
            singles.update(range(start, previous + 1))
        if number is not None:
            start = previous = number
    return Selection("rows", frozenset(singles), tuple(ranges))


def run_job(where: Where, *, job_id: int, user_id: str, selection: Selection, create_only: bool = False,
            view_id: str | None = None) -> None:
    """Import the job's file: with the preview's plan (kept by this process) or a new one, apply the
    selected rows in one transaction (apply classifies them again: the list may have changed since the
    preview), then the summary, the rejected rows' report and the Home tab."""
    job = job_snapshot(where.db, where.tenant, job_id)
    context = dict(job.context or {})
    channel, thread_ts = str(context.get("channel") or ""), context.get("thread_ts")
    progress = Progress(where.client, channel, thread_ts, job.file_name, where.lang)
    store.remember_ids(where.db, where.tenant, job_id, progress_ts=progress.start())
    try:
        counts, report = _import(where, job, user_id=user_id, selection=selection, create_only=create_only,
                                 progress=progress)
    except DownloadError as error:
        progress.finish(failed_message(job.file_name, download_problem(error, where.lang), lang=where.lang))
        return
    except ClientDeskError as error:
        progress.finish(failed_message(job.file_name, error.message(where.lang), lang=where.lang))
        update_view(where.client, view_id, notice(error.message(where.lang), job_id=job_id, lang=where.lang))
        return
    except Exception:  # the transaction rolled back (the job is marked failed): say so where it ran
        ref = secrets.token_hex(3)
        log.exception("import %s failed (ref %s)", job_id, ref)
        progress.finish(failed_message(job.file_name, t("slack.unexpected_error", where.lang, ref=ref),
                                       lang=where.lang))
        return
    progress.finish(summary_message(job.file_name, counts, user_id=user_id, lang=where.lang))
    if report is not None:
        upload(where.client, report, channel=channel, thread_ts=thread_ts,
               filename=t("slack_import.report_filename", where.lang, name=Path(job.file_name).stem[:100]),
               comment=t("slack_import.report_comment", where.lang, count=counts["rejected"], file=job.file_name))
    store.discard(where.tenant, job)
    refresh_home(where.client, where.db, where.tenant, user_id, default_currency=where.settings.currency)


def _import(where: Where, job: ImportJob, *, user_id: str, selection: Selection, create_only: bool,
            progress: Progress) -> tuple[dict[str, int], Path | None]:
    assert job.id is not None
    path = store.fetch(where.client, where.settings, tenant=where.tenant, job=job)
    plan = plans.take(where.tenant, job.id, job.updated_at.isoformat())
    if plan is None:  # planned by another process, or long ago: plan again
        with where.db(read_only=True) as reading:
            plan = plan_import(reading, team_id=where.tenant, path=path,
                               fields={k: int(v) for k, v in job.mapping.items()}, update_by=job.update_by,
                               sheet=job.sheet, file_name=job.file_name, on_row=progress.rows_read)
    with plan, where.db() as session:
        if job.sha256 and plan.sha256 != job.sha256:
            raise InvalidInput.of("import_file_changed")
        chosen = narrowed(selection, plan) if create_only else selection
        result = apply_plan(session, plan, actor=user_id, selection=chosen, job_id=job.id,
                            progress=progress.rows_written)
        rejected = [r for r in result.rows if r.status in (RowStatus.INVALID, RowStatus.DUPLICATE)]
        report = None
        if rejected:
            report = store.job_folder(where.tenant, job) / "rejected.xlsx"
            write_rejected_report(plan, report, rows=rejected, lang=where.lang)
    return result.counts(), report


# ------------------------------------------------------------------------------ where tasks run

TASKS: dict[str, Callable[..., None]] = {"plan": plan_job, "import": run_job}


def dispatch(where: Where, kind: str, *, channel: str | None, thread_ts: str | None, **kwargs: Any) -> None:
    """Run ``plan_job`` (``kind`` "plan") or ``run_job`` ("import") after the ack: in the import process
    when the app has one, else on this process's import threads. An unexpected error is told in
    ``channel`` (``thread_ts``) with a reference."""
    if where.runner is not None:
        from bot.listeners.importing.runner import Task

        where.runner.submit(Task(kind, where.client.token, where.tenant, where.lang, channel, thread_ts, kwargs))
        return
    job = TASKS[kind]
    run_later(lambda: job(where, **kwargs), client=where.client, channel=channel, thread_ts=thread_ts,
              lang=where.lang)
