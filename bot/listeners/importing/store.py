"""Where an import job's file and its Slack ids are kept between steps (never in process memory).

The file is downloaded once into a folder named after the job (``<tmp>/clientdesk-imports/<tenant>/<job
id>/``); a process that doesn't have it (a restart, a second instance) downloads it again from the job's
``source_ref`` (the Slack file id) through ``files.info``, and the pipeline checks it is the same file
(its sha256). The Slack ids (channel, thread, progress message) live in the job's ``context``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from bot.config import Settings
from bot.files import DownloadError, download_slack_file, full_file
from db.imports import ImportJob
from db.session import SessionFactory
from handlers.importing import DEFAULT_LIMITS, jobs

log = logging.getLogger(__name__)

ROOT = Path(tempfile.gettempdir()) / "clientdesk-imports"
SUFFIXES = (".xlsx", ".csv")
KEEP_DAYS = 7
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def max_bytes() -> int:
    """The largest file downloaded (the pipeline's own cap on what it reads)."""
    return DEFAULT_LIMITS.max_file_bytes


def suffix_of(name: str) -> str:
    """``"List.XLSX"`` → ``".xlsx"``; "" for anything but .xlsx and .csv."""
    lowered = name.lower()
    return next((s for s in SUFFIXES if lowered.endswith(s)), "")


def is_spreadsheet(file: Mapping[str, Any]) -> bool:
    """A file the import offers to read: an .xlsx workbook or a .csv file (by Slack's type or its name)."""
    kind = str(file.get("filetype") or "").lower()
    return kind in ("xlsx", "csv") or bool(suffix_of(str(file.get("name") or "")))


def job_folder(tenant: str, job: ImportJob) -> Path:
    """The job's folder on this machine: named after its id and what makes it unique beyond its database
    (when it was created, from which file), so a database reset or another database never finds a
    stranger's file under a reused id."""
    assert job.id is not None
    unique = hashlib.sha256(f"{job.created_at.isoformat()}|{job.source_ref}".encode()).hexdigest()[:16]
    return ROOT / _UNSAFE.sub("_", tenant) / f"{int(job.id)}-{unique}"


def job_file(tenant: str, job: ImportJob) -> Path:
    """Where the job's file is (or will be) on this machine."""
    return job_folder(tenant, job) / f"source{suffix_of(job.file_name) or '.xlsx'}"


def fetch(client: WebClient, settings: Settings, *, tenant: str, job: ImportJob) -> Path:
    """The job's file on this machine: already there, or downloaded now from Slack (``files.info`` on
    the job's Slack file id, then the bot-token download of ``bot.files``). Raises ``DownloadError``."""
    path = job_file(tenant, job)
    if path.exists():
        return path
    file = full_file(client, {"id": job.source_ref or ""}) if job.source_ref else None
    if file is None:
        raise DownloadError("missing")
    download_slack_file(client, file, path, settings=settings, max_bytes=max_bytes())
    return path


def discard(tenant: str, job: ImportJob) -> None:
    """Forget a job's file (once imported)."""
    shutil.rmtree(job_folder(tenant, job), ignore_errors=True)


def sweep(days: int = KEEP_DAYS) -> None:
    """Remove the files of jobs untouched for ``days`` (offers never followed, imports abandoned)."""
    limit = time.time() - days * 86400
    if not ROOT.exists():
        return
    for folder in ROOT.glob("*/*"):
        try:
            if folder.is_dir() and folder.stat().st_mtime < limit:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def remember_ids(db: SessionFactory, tenant: str, job_id: int, **ids: str | list[str] | None) -> dict[str, Any]:
    """Add Slack ids (channel, thread_ts, progress_ts ...) to the job's ``context``; returns it. Also the
    file's ``headers`` as the mapping modal showed them, so that its submission is checked without
    reading the file again before the ack.

    (The jobs module has no setter for ``context``, which its model leaves to the surface: this is the
    only write of the Slack layer to a job, and it touches nothing else.)"""
    with db() as session:
        job = jobs.get(session, team_id=tenant, job_id=job_id)
        context = {**(job.context or {}), **{k: v for k, v in ids.items() if v is not None}}
        job.context = context
        session.add(job)
        session.commit()
        return context


def shown_headers(job: ImportJob) -> list[str] | None:
    """The headers the mapping modal showed for the job's file (``remember_ids(headers=...)``), if known."""
    headers = (job.context or {}).get("headers")
    if isinstance(headers, list) and all(isinstance(h, str) for h in headers):
        return headers
    return None
