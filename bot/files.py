"""Files to and from Slack: downloading a shared file safely, uploading a file into a conversation.

A download carries the bot token, so it goes **only** to Slack's file host (``Settings.file_host``:
``files.slack.com``, or the host of ``SLACK_API_URL`` when set, so tests and staging work):

- a URL on any other host is refused before any request is made;
- redirects are never followed automatically (``urllib`` forwards ``Authorization`` across hosts): a
  redirect to the same host is followed by hand, a redirect anywhere else is refused, token unsent;
- the size is capped while streaming: the file's declared size, then ``Content-Length``, then the bytes
  actually read (``max_bytes + 1`` bytes read → refused, partial file deleted);
- an HTML answer (Slack's sign-in page when the token or scope is wrong) is refused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import SLACK_API_DEFAULT, Settings

log = logging.getLogger(__name__)

CHUNK = 64 * 1024
MAX_REDIRECTS = 3
TIMEOUT = 30.0
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")


class DownloadError(Exception):
    """A download refused or failed. ``reason`` is one of: ``host`` (not Slack's file host),
    ``redirect`` (sent elsewhere), ``too_big``, ``html``, ``http`` (``status`` param), ``network``,
    ``missing`` (no download URL). The catalog words it (``slack_import.download.<reason>``)."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def file_origin(settings: Settings) -> tuple[str, str]:
    """(scheme, host) of the only place files are downloaded from with the bot token."""
    if settings.slack_api_url == SLACK_API_DEFAULT:
        return "https", settings.file_host
    return urlsplit(settings.slack_api_url).scheme or "https", settings.file_host


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand every 3xx back to the caller instead of following it (with the token) anywhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _check_origin(url: str, origin: tuple[str, str], reason: str) -> None:
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != origin:
        raise DownloadError(reason, host=parts.netloc or url[:100])


def download(url: str, dest: str | os.PathLike[str], *, token: str, origin: tuple[str, str], max_bytes: int,
             timeout: float = TIMEOUT) -> int:
    """Download ``url`` to ``dest`` with the bot ``token``; returns the number of bytes written.

    Only ``origin`` (scheme, host) ever receives the token (see the module's docstring). Raises
    ``DownloadError``; on any error nothing is left at ``dest``.
    """
    _check_origin(url, origin, "host")
    target = Path(dest)
    for _hop in range(MAX_REDIRECTS + 1):
        request = urllib.request.Request(url, method="GET")
        # Unredirected: even if a redirect were ever followed, this header would not go with it.
        request.add_unredirected_header("Authorization", f"Bearer {token}")
        try:
            answer = _OPENER.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            error.close()
            if error.code in (301, 302, 303, 307, 308) and error.headers.get("Location"):
                url = urljoin(url, error.headers["Location"])
                _check_origin(url, origin, "redirect")
                continue
            raise DownloadError("http", status=error.code) from None
        except (urllib.error.URLError, OSError) as error:
            log.warning("download from %s failed: %s", origin[1], error)
            raise DownloadError("network") from None
        with answer:
            return _save(answer, target, max_bytes)
    raise DownloadError("redirect", host=urlsplit(url).netloc)


def _save(answer: Any, target: Path, max_bytes: int) -> int:
    kind = str(answer.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        raise DownloadError("html")
    declared = answer.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise DownloadError("too_big", size=int(declared), max_bytes=max_bytes)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=".download-")
    written = 0
    try:
        with os.fdopen(handle, "wb") as out:
            first = True
            while chunk := answer.read(min(CHUNK, max_bytes + 1 - written)):
                if first and chunk.lstrip()[:20].lower().startswith(_HTML_STARTS):
                    raise DownloadError("html")
                first = False
                written += len(chunk)
                if written > max_bytes:
                    raise DownloadError("too_big", size=written, max_bytes=max_bytes)
                out.write(chunk)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise
    return written


def download_slack_file(client: WebClient, file: Mapping[str, Any], dest: str | os.PathLike[str], *,
                        settings: Settings, max_bytes: int) -> int:
    """Download a Slack file object (from an event, a ``file_input`` or ``files.info``) with the bot
    token of ``client``. The declared ``size`` is checked before any request. Raises ``DownloadError``."""
    size = file.get("size")
    if isinstance(size, int) and size > max_bytes:
        raise DownloadError("too_big", size=size, max_bytes=max_bytes)
    url = str(file.get("url_private_download") or file.get("url_private") or "")
    if not url:
        raise DownloadError("missing")
    return download(url, dest, token=client.token or "", origin=file_origin(settings), max_bytes=max_bytes)


def full_file(client: WebClient, file: Mapping[str, Any]) -> dict[str, Any] | None:
    """The complete file object: as given, or through ``files.info`` for the stubs Slack sends in
    Slack Connect channels and some DMs (``"file_access": "check_file_info"``). None when unreadable."""
    if file.get("url_private_download") and file.get("name") and not file.get("file_access"):
        return dict(file)
    file_id = str(file.get("id") or "")
    if not file_id:
        return None
    try:
        found = client.files_info(file=file_id)["file"]
    except SlackApiError as error:
        log.warning("files.info %s failed: %s", file_id, error.response.get("error"))
        return None
    return dict(found) if isinstance(found, dict) else None


def upload(client: WebClient, path: str | os.PathLike[str], *, channel: str, filename: str, comment: str,
           thread_ts: str | None = None) -> bool:
    """Share a file in a conversation (files v2 API), in a thread when ``thread_ts`` is given.
    Returns False (and logs) when Slack refuses it."""
    try:
        client.files_upload_v2(channel=channel, file=os.fspath(path), filename=filename, title=filename,
                               initial_comment=comment, thread_ts=thread_ts)
    except SlackApiError as error:
        log.warning("upload of %s to %s failed: %s", filename, channel, error.response.get("error"))
        return False
    return True
