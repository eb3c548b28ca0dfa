"""Import jobs: an import's state in the database, so any process can carry it on.

A job goes ``pending`` → ``planned`` (dry run recorded: mapping, options, counts) → ``running`` (claimed
for apply, with a lease) → ``done`` (in the same transaction as the customers it wrote) or ``failed``
(refused or errored: the apply transaction rolled back, nothing written). A process that dies while
applying leaves its job ``running``: once the lease has passed, ``recover_interrupted`` marks it
``interrupted`` — its transaction never committed, so no customer was written — and it can run again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from db.imports import ImportJob, ImportStatus
from db.models import utcnow
from handlers.errors import ClientDeskError, InvalidInput, NotFound, Refused

if TYPE_CHECKING:
    from handlers.importing.plan import Plan

JOB = ImportJob.__table__  # type: ignore[attr-defined]
BASE_LEASE = timedelta(minutes=2)
LEASE_PER_ROW = timedelta(milliseconds=2)


def lease_for(rows: int) -> timedelta:
    """How long an apply of ``rows`` rows may take before its job counts as interrupted."""
    return BASE_LEASE + LEASE_PER_ROW * rows


def create(
    session: Session,
    *,
    team_id: str,
    actor: str,
    file_name: str,
    sha256: str,
    source_ref: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> tuple[ImportJob, bool]:
    """A new job for a file, or the existing one for the same ``source_ref`` (a Slack file id: Slack may
    send several events for one file). Returns (job, created). Commits."""
    if source_ref is not None:
        existing = _by_source(session, team_id, source_ref)
        if existing is not None:
            return existing, False
    job = ImportJob(team_id=team_id, created_by=actor, file_name=file_name[:255], sha256=sha256,
                    source_ref=source_ref, context=dict(context or {}))
    session.add(job)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = _by_source(session, team_id, source_ref or "")
        if existing is None:
            raise
        return existing, False
    return job, True


def _by_source(session: Session, team_id: str, source_ref: str) -> ImportJob | None:
    stmt = select(ImportJob).where(ImportJob.team_id == team_id, ImportJob.source_ref == source_ref)
    return session.exec(stmt).first()


def get(session: Session, *, team_id: str, job_id: int) -> ImportJob:
    """The workspace's job. Raises ``NotFound`` (``import_job_not_found``)."""
    stmt = select(ImportJob).where(ImportJob.id == job_id, ImportJob.team_id == team_id)
    # Jobs change under other sessions and through Core updates: always the stored state.
    job = session.exec(stmt.execution_options(populate_existing=True)).first()
    if job is None:
        raise NotFound.of("import_job_not_found", id=job_id)
    return job


def record_plan(session: Session, *, team_id: str, job_id: int, plan: Plan, selection: str = "all") -> ImportJob:
    """Store what the dry run decided (mapping, options, counts), so any process can apply it. Commits."""
    from handlers.importing.mapping import header_signature

    job = get(session, team_id=team_id, job_id=job_id)
    if job.status in (ImportStatus.RUNNING, ImportStatus.DONE):
        raise Refused.of(f"import_job_{ImportStatus(job.status).value}", file=job.file_name)
    job.status = ImportStatus.PLANNED
    job.mapping = dict(plan.fields)
    job.update_by = plan.update_by.value
    job.sheet = plan.info.sheet
    job.sha256 = plan.sha256
    job.header_signature = header_signature(plan.info.headers)
    job.planned = {status.value: count for status, count in plan.counts.items()}
    job.rows_total = len(plan.rows)
    job.selection = selection[:2000]
    job.updated_at = utcnow()
    session.add(job)
    session.commit()
    return job


def plan_again(session: Session, *, team_id: str, job_id: int, path: str | os.PathLike[str]) -> Plan:
    """The dry run of a recorded job, with its stored mapping, options and sheet (another process, or
    after a restart: the Slack file downloaded again). Raises ``InvalidInput`` ``import_file_changed``
    when the file is not the one the job recorded, and what ``plan_import`` raises."""
    from handlers.importing.plan import plan_import
    from handlers.importing.read import sha256_of

    job = get(session, team_id=team_id, job_id=job_id)
    session.rollback()
    if sha256_of(path) != job.sha256:
        raise InvalidInput.of("import_file_changed")
    fields = {name: int(column) for name, column in job.mapping.items()}
    return plan_import(session, team_id=team_id, path=path, fields=fields, update_by=job.update_by,
                       sheet=job.sheet, file_name=job.file_name)


def check_startable(job: ImportJob) -> None:
    """Refuse a job already imported (``import_job_done``), or being imported by a live process (an
    unexpired lease: ``import_job_running``) — ``Refused``; ``claim`` applies the same rule atomically."""
    if job.status == ImportStatus.DONE:
        raise Refused.of("import_job_done", file=job.file_name)
    if job.status == ImportStatus.RUNNING and job.lease_until is not None and job.lease_until > utcnow():
        raise Refused.of("import_job_running", file=job.file_name)


def claim(session: Session, *, team_id: str, job_id: int, selection: str, rows: int) -> ImportJob:
    """Mark the job running for this process (committed before apply's transaction begins).

    Raises ``Refused`` ``import_job_running`` (another process holds an unexpired lease: a double
    click, a second instance) or ``import_job_done``; ``NotFound``.
    """
    job = get(session, team_id=team_id, job_id=job_id)
    session.rollback()
    now = utcnow()
    claimable = or_(
        col(ImportJob.status).in_([s.value for s in (ImportStatus.PENDING, ImportStatus.PLANNED,
                                                      ImportStatus.FAILED, ImportStatus.INTERRUPTED)]),
        and_(col(ImportJob.status) == ImportStatus.RUNNING.value, col(ImportJob.lease_until) < now),
    )
    stmt = (
        update(JOB)
        .where(JOB.c.id == job_id, JOB.c.team_id == team_id, claimable)
        .values(status=ImportStatus.RUNNING.value, lease_until=now + lease_for(rows), started_at=now,
                updated_at=now, selection=selection[:2000], rows_done=0, error_code=None, error_params={})
    )
    claimed = session.connection().execute(stmt).rowcount
    session.commit()
    session.refresh(job)
    if not claimed:
        raise Refused.of("import_job_done" if job.status == ImportStatus.DONE else "import_job_running",
                         file=job.file_name)
    return job


def finish(session: Session, *, job_id: int, result: Mapping[str, int], rows_done: int) -> None:
    """Mark the job done, inside apply's transaction (committed with the customers, or not at all)."""
    now = utcnow()
    session.connection().execute(
        update(JOB).where(JOB.c.id == job_id).values(
            status=ImportStatus.DONE.value, result=dict(result), rows_done=rows_done, finished_at=now,
            updated_at=now, lease_until=None,
        )
    )


def fail(session: Session, *, team_id: str, job_id: int, error: BaseException) -> None:
    """Mark the job failed after apply's transaction rolled back (nothing was written). Commits."""
    session.rollback()
    code, params = "import_failed", {}
    if isinstance(error, ClientDeskError):
        code, params = error.code, {k: v for k, v in error.params.items() if _plain(v)}
    now = utcnow()
    session.connection().execute(
        update(JOB).where(JOB.c.id == job_id, JOB.c.team_id == team_id).values(
            status=ImportStatus.FAILED.value, error_code=code[:64], error_params=params, finished_at=now,
            updated_at=now, lease_until=None,
        )
    )
    session.commit()


def _plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def recover_interrupted(session: Session, *, now: datetime | None = None) -> list[ImportJob]:
    """Mark ``interrupted`` every running job whose lease has passed (its process died mid-apply; its
    transaction never committed, so it wrote nothing). Call on start-up. Commits. Returns them."""
    moment = now or utcnow()
    stmt = select(ImportJob).where(ImportJob.status == ImportStatus.RUNNING,
                                   col(ImportJob.lease_until) < moment)
    jobs = list(session.exec(stmt))
    for job in jobs:
        job.status = ImportStatus.INTERRUPTED
        job.lease_until = None
        job.updated_at = moment
        session.add(job)
    session.commit()
    return jobs
