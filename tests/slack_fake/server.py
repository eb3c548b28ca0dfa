"""A stateful fake of the Slack Web API, served over real HTTP for tests.

Point a real ``slack_sdk.WebClient(base_url=fake.api_url, token="xoxb-test")`` (or a Bolt ``App`` built
on it) at a running :class:`FakeSlack`. Every request is recorded as a :class:`Call`; tests read the
state back (``messages``, ``view``, ``open_views``, ``home``, ``uploaded_files``, ``responses``) or the
whole conversation with ``transcript()``.

Besides ``/api/<method>``, the fake serves the non-API URLs Slack hands out: private file downloads
(``/files-pri/...``), upload URLs (``/upload/<file_id>``), ``response_url`` hooks (``/hooks/<n>``) and an
``/external/...`` sink reachable under another host name (``localhost``) for redirect tests. Those
requests are recorded under the pseudo-methods :data:`DOWNLOAD`, :data:`UPLOAD`, :data:`RESPONSE_URL`
and :data:`EXTERNAL`.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import mimetypes
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, quote, urlsplit
from zoneinfo import ZoneInfo

from .limits import message_problems, view_problems

DOWNLOAD = "download"
UPLOAD = "upload"
RESPONSE_URL = "response_url"
EXTERNAL = "external"

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A0001"

Json = dict[str, Any]

_JSON_FIELDS = ("view", "blocks", "attachments", "files", "metadata")
_MAX_VIEW_STACK = 3
_UNPARSED = "_unparsed_body"
_DOWNLOAD_PATH = re.compile(r"^/files-pri/(?P<team>[^/-]+)-(?P<file_id>[^/]+)/(?:download/)?(?P<name>[^/]+)$")


# --------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Call:
    """One request received by the fake (an API method or one of the pseudo-methods)."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    token: str | None
    at: float
    status: int = 200
    response: Any = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (HTTP 2xx/3xx and, for API calls, ``"ok": true``)."""
        return self.status < 400 and not (
            isinstance(self.response, dict) and self.response.get("ok") is False
        )

    @property
    def error(self) -> str | None:
        """The Slack error code of a failed API call, if any."""
        return self.response.get("error") if isinstance(self.response, dict) else None


@dataclass(frozen=True)
class UploadedFile:
    """A file the app shared with ``files_upload_v2`` (getUploadURLExternal → upload → complete)."""

    file_id: str
    name: str
    title: str
    content: bytes
    channel_id: str | None
    initial_comment: str | None
    thread_ts: str | None


@dataclass(frozen=True)
class WebhookMessage:
    """A JSON message posted to a ``response_url`` (e.g. by Bolt's ``respond()``)."""

    url: str
    body: dict[str, Any]
    at: float

    @property
    def text(self) -> str | None:
        """The message's ``text`` field."""
        return self.body.get("text")


@dataclass
class _Trigger:
    user_id: str
    issued: float
    used: bool = False


@dataclass
class _Fault:
    status: int
    error: str
    retry_after: int | None
    times: int


@dataclass
class Hold:
    """A call the fake keeps waiting, unanswered, as a slow Slack would (see :meth:`FakeSlack.hold`)."""

    method: str
    when: Callable[[dict[str, Any]], bool] | None = None
    timeout: float = 60.0
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        """Let the held call through (it is then answered as usual)."""
        self.released.set()


@dataclass
class _Request:
    verb: str
    path: str
    match: str
    params: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    token: str | None


@dataclass
class _Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    record: Any = None  # what the transcript shows as the response

    @classmethod
    def json(cls, data: Json, status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
        """A JSON reply, as the Web API sends."""
        return cls(status, json.dumps(data).encode(), "application/json; charset=utf-8", headers or {}, data)

    @classmethod
    def text(cls, text: str, status: int = 200, headers: dict[str, str] | None = None) -> _Reply:
        """A plain-text reply."""
        return cls(status, text.encode(), headers=headers or {}, record=text)


class SlackError(Exception):
    """Raised inside an API method implementation: becomes ``{"ok": false, "error": code, ...}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


ApiMethod = Callable[["FakeSlack", dict[str, Any]], Json]
OAUTH_CLIENT_ID = "111.222"
OAUTH_CLIENT_SECRET = "oauth-client-secret"
_NO_TOKEN = frozenset({"oauth.v2.access"})
_TOKEN_PARAM = "_token"  # the caller's token, passed to method implementations
_API: dict[str, ApiMethod] = {}


def _api(name: str) -> Callable[[ApiMethod], ApiMethod]:
    """Register a FakeSlack method as the implementation of the Web API method ``name``."""

    def register(fn: ApiMethod) -> ApiMethod:
        _API[name] = fn
        return fn

    return register


# --------------------------------------------------------------------------------------------- parsing


def _need(params: dict[str, Any], key: str, error: str = "invalid_arguments") -> Any:
    value = params.get(key)
    if value in (None, ""):
        raise SlackError(error)
    return value


def _truthy(value: Any) -> bool:
    return value in (True, 1) or str(value).lower() in ("1", "true")


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    """Split a multipart/form-data body into text fields and file parts."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition") or ""
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        if part.get_filename() is not None:
            files[str(name)] = payload
        else:
            fields[str(name)] = payload.decode()
    return fields, files


def _parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Merge query-string, form, multipart or JSON parameters the way the Web API accepts them."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";")[0].strip().lower()
    if body and kind == "application/json":
        params.update(json.loads(body))
    elif body and kind == "multipart/form-data":
        fields, files = _multipart(content_type, body)
        params.update(fields)
        params.update(files)
    elif body:
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
    for key in _JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("{", "["):
            params[key] = json.loads(value)
    return params


def _basic_auth(headers: dict[str, str]) -> dict[str, str]:
    """``client_id``/``client_secret`` from HTTP Basic auth (how slack_sdk sends them to oauth.v2.access)."""
    header = headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return {}
    client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    return {"client_id": client_id, "client_secret": secret}


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def _short(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=repr, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------- server


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        """Serve a GET request."""
        self.server.fake._serve(self)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeSlack) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake


class FakeSlack:
    """A stateful fake Slack Web API on ``127.0.0.1:<random port>`` (use as a context manager).

    State that describes the workspace (tokens, users, files) survives :meth:`reset`; everything the
    app did (calls, messages, views, uploads, hooks, pending faults) is cleared by it. With
    ``strict=True`` every view and message the app sends is checked with :mod:`.limits`, and a
    violation is answered as Slack does (``invalid_arguments`` / ``invalid_blocks`` with
    ``response_metadata.messages``).
    """

    def __init__(
        self,
        *,
        bot_tokens: tuple[str, ...] | set[str] = ("xoxb-test",),
        team_id: str = "T0001",
        team_domain: str = "clientdesk-test",
        team_name: str = "ClientDesk Test",
        trigger_ttl: float = 3.0,
        strict: bool = True,
    ) -> None:
        self.bot_tokens = set(bot_tokens)
        self.team_id = team_id
        self.team_domain = team_domain
        self.team_name = team_name
        self.trigger_ttl = trigger_ttl
        self.strict = strict
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._started = time.time()
        self._users: dict[str, Json] = {}
        self._files: dict[str, Json] = {}
        self._contents: dict[str, bytes] = {}
        self._redirects: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._oauth_codes: dict[str, str] = {}
        self._token_teams: dict[str, str] = {}
        self.reset()

    # ----------------------------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Start serving in a daemon thread; returns ``self``."""
        if self._server is None:
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="FakeSlack",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(5)
            self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the fake listens on."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Base URL for ``WebClient(base_url=...)`` (ends with ``/``)."""
        return f"{self.root_url}/api/"

    def external_url(self, path: str = "elsewhere") -> str:
        """A URL on *another host name* (``localhost``) served by this fake and recorded as EXTERNAL."""
        return f"http://localhost:{self.port}/external/{path.lstrip('/')}"

    def reset(self) -> None:
        """Forget everything the app did; keep tokens, users, files and redirects."""
        with self._lock:
            self._calls: list[Call] = []
            self._messages: dict[str, list[Json]] = {}
            self._ephemerals: list[Json] = []
            self._views: dict[str, Json] = {}
            self._view_users: dict[str, str] = {}
            self._stacks: dict[str, list[str]] = {}
            self._homes: dict[str, Json] = {}
            self._triggers: dict[str, _Trigger] = {}
            self._pending_uploads: dict[str, Json] = {}
            self._uploads: list[UploadedFile] = []
            self._hooks: set[str] = set()
            self._faults: dict[str, list[_Fault]] = {}
            self._holds: list[Hold] = []
            self._ts = itertools.count(1)

    # ----------------------------------------------------------------------------------- recording

    def calls(self, method: str | None = None) -> list[Call]:
        """All recorded calls, or those to ``method``, oldest first."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def last(self, method: str) -> Call:
        """The most recent call to ``method`` (AssertionError with the transcript if none)."""
        found = self.calls(method)
        if not found:
            raise AssertionError(f"no call to {method}\n{self.transcript()}")
        return found[-1]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Poll until ``count`` calls to ``method`` were recorded; return them all."""
        deadline = time.monotonic() + timeout
        while len(found := self.calls(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} call(s) to {method} within {timeout}s, got {len(found)}\n"
                    f"{self.transcript()}"
                )
            time.sleep(0.01)
        return found

    def transcript(self) -> str:
        """A readable log of every call, for assertion messages."""
        lines = [f"Slack fake transcript ({len(self.calls())} calls):"]
        for n, call in enumerate(self.calls(), 1):
            params = {k: v for k, v in call.params.items() if k != "token"}
            lines.append(
                f"{n:>3}. +{call.at - self._started:7.3f}s {call.method} {_short(params, 300)}"
                f"  [{call.token or 'no token'}]\n       -> {call.status} {_short(call.response, 240)}"
            )
        return "\n".join(lines)

    # ----------------------------------------------------------------------------------- test setup

    def new_trigger(self, *, user_id: str = "U0001", issued_ago: float = 0.0) -> str:
        """Issue a single-use ``trigger_id`` for ``user_id``, valid ``trigger_ttl`` seconds.

        ``issued_ago`` back-dates it (``issued_ago=4`` gives an already expired trigger).
        """
        with self._lock:
            trigger_id = f"{next(self._ids)}.{int(time.time())}.{secrets.token_hex(8)}"
            self._triggers[trigger_id] = _Trigger(user_id, time.monotonic() - issued_ago)
            return trigger_id

    def response_url(self) -> str:
        """A fresh ``response_url`` whose posted messages are returned by :meth:`responses`."""
        with self._lock:
            url = f"{self.root_url}/hooks/{next(self._ids)}"
            self._hooks.add(url)
            return url

    def add_user(
        self,
        user_id: str,
        *,
        team_id: str | None = None,
        name: str | None = None,
        real_name: str | None = None,
        email: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
        is_stranger: bool = False,
        tz: str = "Europe/Paris",
        locale: str = "en-US",
    ) -> Json:
        """Register (or replace) a user returned by ``users.info``; returns the user object."""
        name = name or user_id.lower()
        real_name = real_name or name.replace(".", " ").title()
        zone = datetime.now(ZoneInfo(tz))
        offset = zone.utcoffset()
        user: Json = {
            "id": user_id,
            "team_id": team_id or self.team_id,
            "name": name,
            "deleted": deleted,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": tz,
            "tz_label": zone.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": name,
                "display_name_normalized": name,
                "email": email or f"{name}@example.com",
                "team": team_id or self.team_id,
            },
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": is_primary_owner,
            "is_restricted": is_restricted,
            "is_ultra_restricted": is_ultra_restricted,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "locale": locale,
        }
        if is_stranger:
            user["is_stranger"] = True
        with self._lock:
            self._users[user_id] = user
        return copy.deepcopy(user)

    def add_file(
        self,
        content: bytes,
        name: str,
        *,
        title: str | None = None,
        filetype: str | None = None,
        mimetype: str | None = None,
        user: str = "U0001",
        channels: list[str] | tuple[str, ...] = ("C0001",),
    ) -> Json:
        """Register a file (served by ``files.info`` and the download URLs); returns the file object."""
        with self._lock:
            return copy.deepcopy(
                self._store_file(content, name, title, filetype, mimetype, user, list(channels))
            )

    def redirect_download(self, file_id: str, to_url: str) -> None:
        """Make the file's download URLs answer ``302 Location: to_url``."""
        with self._lock:
            self._redirects[file_id] = to_url

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        error: str = "ratelimited",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with ``status`` and ``{"ok": false, "error": ...}``.

        A 429 carries ``Retry-After: retry_after``. ``status=200`` simulates a plain API error.
        """
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(status, error, retry_after, times))

    def hold(self, method: str, *, when: Callable[[dict[str, Any]], bool] | None = None,
             timeout: float = 60.0) -> Hold:
        """Keep the next call to ``method`` whose parameters satisfy ``when`` waiting (at most ``timeout``
        seconds) before it is answered, as Slack does when it is slow: the app is then frozen inside
        that call (e.g. mid-import, to kill it there). ``hold.reached`` is set when the call arrives."""
        held = Hold(method, when, timeout)
        with self._lock:
            self._holds.append(held)
        return held

    def _held(self, method: str, params: dict[str, Any]) -> Hold | None:
        with self._lock:
            for held in self._holds:
                if held.method == method and (held.when is None or held.when(params)):
                    self._holds.remove(held)
                    return held
        return None

    # ----------------------------------------------------------------------------------- state access

    def messages(self, channel: str) -> list[Json]:
        """Messages posted (and updated) in ``channel``, oldest first."""
        with self._lock:
            return copy.deepcopy(self._messages.get(channel, []))

    def ephemerals(self, channel: str | None = None, user: str | None = None) -> list[Json]:
        """Ephemeral messages (each with ``channel`` and ``user``), optionally filtered."""
        with self._lock:
            return copy.deepcopy(
                [m for m in self._ephemerals if channel in (None, m["channel"]) and user in (None, m["user"])]
            )

    def view(self, view_id: str) -> Json:
        """The current state of a modal or Home view, as Slack would send it in a payload."""
        with self._lock:
            if view_id not in self._views:
                raise AssertionError(f"unknown view {view_id}\n{self.transcript()}")
            return copy.deepcopy(self._views[view_id])

    def open_views(self, user_id: str | None = None) -> list[Json]:
        """Modals currently on the view stacks (root first), optionally for one user."""
        with self._lock:
            return [
                self.view(view_id)
                for user, stack in self._stacks.items()
                if user_id in (None, user)
                for view_id in stack
            ]

    def home(self, user_id: str) -> Json | None:
        """The Home tab last published for ``user_id``."""
        with self._lock:
            view_id = self._homes.get(user_id, {}).get("id")
            return self.view(view_id) if view_id else None

    def uploaded_files(self) -> list[UploadedFile]:
        """Files completed through the upload-v2 flow, in order."""
        with self._lock:
            return list(self._uploads)

    def responses(self, url: str | None = None) -> list[WebhookMessage]:
        """Messages posted to ``response_url`` hooks, in order (optionally for one url)."""
        return [
            WebhookMessage(c.params["url"], c.params["body"], c.at)
            for c in self.calls(RESPONSE_URL)
            if c.status == 200 and url in (None, c.params["url"])
        ]

    # ----------------------------------------------------------------------------------- HTTP plumbing

    def _serve(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        method, route, match = self._route(url.path)
        try:
            params = (
                {} if method == UPLOAD else _parse_params(url.query, headers.get("content-type", ""), body)
            )
        except ValueError:  # undecodable JSON/form: answered as invalid_form_data by the API route
            params = {_UNPARSED: body.decode(errors="replace")}
        token = _bearer(headers.get("authorization")) or params.get("token")
        if (held := self._held(method, params)) is not None:
            held.reached.set()
            held.released.wait(held.timeout)
        request = _Request(handler.command, url.path, match, params, body, headers, token)
        with self._lock:
            reply = self._fault(method) or route(self, request)
            call = Call(method, request.params, headers, token, time.time(), reply.status, reply.record)
            self._calls.append(call)
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(reply.body)

    def _route(self, path: str) -> tuple[str, Callable[[FakeSlack, _Request], _Reply], str]:
        if path.startswith("/api/"):
            return path[5:], FakeSlack._route_api, path[5:]
        if m := _DOWNLOAD_PATH.match(path):
            return DOWNLOAD, FakeSlack._route_download, m["file_id"]
        for prefix, method, route in (
            ("/upload/", UPLOAD, FakeSlack._route_upload),
            ("/hooks/", RESPONSE_URL, FakeSlack._route_hook),
            ("/external/", EXTERNAL, FakeSlack._route_external),
        ):
            if path.startswith(prefix):
                return method, route, path[len(prefix) :]
        return f"404 {path}", FakeSlack._route_not_found, path

    def _fault(self, method: str) -> _Reply | None:
        faults = self._faults.get(method)
        if not faults:
            return None
        fault = faults[0]
        fault.times -= 1
        if fault.times <= 0:
            faults.pop(0)
        headers = (
            {"Retry-After": str(fault.retry_after)}
            if fault.status == 429 and fault.retry_after is not None
            else {}
        )
        return _Reply.json({"ok": False, "error": fault.error}, fault.status, headers)

    def _route_api(self, request: _Request) -> _Reply:
        implementation = _API.get(request.match, FakeSlack._default_method)
        try:
            if request.match in _NO_TOKEN:
                params = {**_basic_auth(request.headers), **request.params}
                return _Reply.json({"ok": True, **implementation(self, params)})
            if request.token is None:
                raise SlackError("not_authed")
            if request.token not in self.bot_tokens:
                raise SlackError("invalid_auth")
            if _UNPARSED in request.params:
                raise SlackError("invalid_form_data")
            return _Reply.json({"ok": True, **implementation(self, {**request.params, _TOKEN_PARAM: request.token})})
        except SlackError as e:
            return _Reply.json({"ok": False, "error": e.code, **e.extra})

    def _route_download(self, request: _Request) -> _Reply:
        file_id = request.match
        if file_id in self._redirects:
            return _Reply.text("", 302, {"Location": self._redirects[file_id]})
        if request.token not in self.bot_tokens:
            return _Reply.text("forbidden: a valid bot token is required", 403)
        if file_id not in self._contents:
            return _Reply.text("file not found", 404)
        content = self._contents[file_id]
        return _Reply(200, content, self._files[file_id]["mimetype"], record=f"<{len(content)} bytes>")

    def _route_upload(self, request: _Request) -> _Reply:
        request.params = {"file_id": request.match, "bytes": len(request.body)}
        pending = self._pending_uploads.get(request.match)
        if pending is None or request.verb != "POST":
            return _Reply.text("upload url not found", 404)
        content = request.body
        if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            _, files = _multipart(request.headers["content-type"], request.body)
            content = next(iter(files.values()), b"")
        pending["content"] = content
        return _Reply.text(f"OK - {len(content)}")

    def _route_hook(self, request: _Request) -> _Reply:
        url = f"{self.root_url}{request.path}"
        request.params = {"url": url, "body": request.params}
        if url not in self._hooks:
            return _Reply.text("no_active_hooks", 404)
        return _Reply.text("ok")

    def _route_external(self, request: _Request) -> _Reply:
        return _Reply.text("external content")

    def _route_not_found(self, request: _Request) -> _Reply:
        return _Reply.text("not found", 404)

    # ----------------------------------------------------------------------------------- helpers

    def _next_ts(self) -> str:
        n = next(self._ts)
        return f"{1_700_000_000 + n // 10_000}.{n % 10_000 * 100:06d}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _store_file(
        self,
        content: bytes,
        name: str,
        title: str | None,
        filetype: str | None,
        mimetype: str | None,
        user: str,
        channels: list[str],
        file_id: str | None = None,
    ) -> Json:
        file_id = file_id or self._next_id("F")
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        filetype = filetype or {"txt": "text"}.get(extension, extension)
        base = f"{self.root_url}/files-pri/{self.team_id}-{file_id}"
        now = int(time.time())
        file: Json = {
            "id": file_id,
            "created": now,
            "timestamp": now,
            "name": name,
            "title": title or name,
            "mimetype": mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream",
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": user,
            "user_team": self.team_id,
            "editable": False,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": True,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{base}/{quote(name)}",
            "url_private_download": f"{base}/download/{quote(name)}",
            "permalink": f"https://{self.team_domain}.slack.com/files/{user}/{file_id}/{quote(name)}",
            "permalink_public": f"https://slack-files.com/{self.team_id}-{file_id}-{secrets.token_hex(5)}",
            "comments_count": 0,
            "is_starred": False,
            "shares": {},
            "channels": channels,
            "groups": [],
            "ims": [],
            "has_rich_preview": False,
        }
        self._files[file_id] = file
        self._contents[file_id] = content
        return file

    def _trigger(self, params: dict[str, Any]) -> _Trigger:
        trigger = self._triggers.get(str(params.get("trigger_id")))
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if time.monotonic() - trigger.issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        return trigger

    def _view_param(self, params: dict[str, Any], *kinds: str) -> Json:
        view = params.get("view")
        if not isinstance(view, dict) or view.get("type") not in kinds:
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": [f"view.type must be {kinds}"]}
            )
        if self.strict and (problems := view_problems(view)):
            raise SlackError("invalid_arguments", response_metadata={"messages": problems})
        return view

    def _save_view(
        self,
        view: Json,
        user_id: str,
        *,
        existing: Json | None = None,
        previous: str | None = None,
        root: str | None = None,
    ) -> Json:
        view_id = existing["id"] if existing else self._next_id("V")
        saved: Json = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": {}},
            "hash": "",
            "title": None,
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            "previous_view_id": existing["previous_view_id"] if existing else previous,
            "root_view_id": existing["root_view_id"] if existing else root or view_id,
            "app_id": APP_ID,
            "external_id": existing["external_id"] if existing else "",
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }
        saved.update({k: copy.deepcopy(v) for k, v in view.items() if k not in ("id", "hash", "state")})
        saved["hash"] = f"{int(time.time())}.{secrets.token_urlsafe(6)}"
        self._views[view_id] = saved
        self._view_users[view_id] = user_id
        return {"view": copy.deepcopy(saved)}

    def _message_fields(self, params: dict[str, Any]) -> Json:
        text, blocks = params.get("text"), params.get("blocks")
        if not text and not blocks and not params.get("attachments"):
            raise SlackError("no_text")
        if self.strict and (problems := message_problems(text, blocks)):
            raise SlackError("invalid_blocks", response_metadata={"messages": problems})
        fields: Json = {"text": text or ""}
        fields.update(
            {k: params[k] for k in ("blocks", "attachments", "thread_ts", "metadata") if params.get(k)}
        )
        return fields

    def _find_message(self, channel: str, ts: str) -> Json:
        for message in self._messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")

    # ----------------------------------------------------------------------------------- Web API methods

    def _default_method(self, params: dict[str, Any]) -> Json:
        return {}

    @_api("oauth.v2.access")
    def _oauth_v2_access(self, params: dict[str, Any]) -> Json:
        """Exchange a code made by :meth:`oauth_code` for a new workspace's bot token."""
        code = _need(params, "code", "invalid_code")
        if params.get("client_id") != OAUTH_CLIENT_ID or params.get("client_secret") != OAUTH_CLIENT_SECRET:
            raise SlackError("invalid_client_id")
        team_id = self._oauth_codes.pop(code, None)
        if team_id is None:
            raise SlackError("invalid_code")
        token = f"xoxb-{team_id.lower()}-installed"
        self.bot_tokens.add(token)
        self._token_teams[token] = team_id
        return {
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write,users:read,files:read,files:write",
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": {"id": team_id, "name": f"Team {team_id}"},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "U0001"},
        }

    def oauth_code(self, team_id: str) -> str:
        """A one-time OAuth code that installs the app in ``team_id`` (``oauth.v2.access``)."""
        code = f"code-{next(self._ids)}"
        self._oauth_codes[code] = team_id
        return code

    @_api("conversations.open")
    def _conversations_open(self, params: dict[str, Any]) -> Json:
        """A direct-message channel with the user(s): ``D<user id>``."""
        users = str(_need(params, "users", "users_not_found")).split(",")
        if any(u not in self._users for u in users):
            raise SlackError("user_not_found")
        return {"channel": {"id": "D" + users[0], "is_im": len(users) == 1}}

    @_api("auth.test")
    def _auth_test(self, params: dict[str, Any]) -> Json:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": "clientdesk",
            "team_id": self._token_teams.get(params.get(_TOKEN_PARAM, ""), self.team_id),
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    @_api("chat.postMessage")
    def _chat_post_message(self, params: dict[str, Any]) -> Json:
        channel = _need(params, "channel", "channel_not_found")
        ts = self._next_ts()
        message = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "ts": ts,
            **self._message_fields(params),
        }
        self._messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    @_api("chat.update")
    def _chat_update(self, params: dict[str, Any]) -> Json:
        channel = _need(params, "channel", "channel_not_found")
        message = self._find_message(channel, _need(params, "ts", "message_not_found"))
        message.update(self._message_fields(params))
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    @_api("chat.postEphemeral")
    def _chat_post_ephemeral(self, params: dict[str, Any]) -> Json:
        channel = _need(params, "channel", "channel_not_found")
        user = _need(params, "user", "user_not_found")
        ts = self._next_ts()
        self._ephemerals.append({"channel": channel, "user": user, "ts": ts, **self._message_fields(params)})
        return {"message_ts": ts}

    @_api("views.open")
    def _views_open(self, params: dict[str, Any]) -> Json:
        trigger = self._trigger(params)
        view = self._view_param(params, "modal")
        trigger.used = True
        result = self._save_view(view, trigger.user_id)
        self._stacks[trigger.user_id] = [result["view"]["id"]]
        return result

    @_api("views.push")
    def _views_push(self, params: dict[str, Any]) -> Json:
        trigger = self._trigger(params)
        view = self._view_param(params, "modal")
        stack = self._stacks.setdefault(trigger.user_id, [])
        if len(stack) >= _MAX_VIEW_STACK:
            raise SlackError("push_limit_reached")
        trigger.used = True
        result = self._save_view(
            view, trigger.user_id, previous=stack[-1] if stack else None, root=stack[0] if stack else None
        )
        stack.append(result["view"]["id"])
        return result

    @_api("views.update")
    def _views_update(self, params: dict[str, Any]) -> Json:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        existing = (
            self._views.get(str(view_id))
            if view_id
            else next(
                (v for v in self._views.values() if external_id and v.get("external_id") == external_id), None
            )
        )
        if existing is None:
            raise SlackError("not_found")
        if params.get("hash") and params["hash"] != existing["hash"]:
            raise SlackError("hash_conflict")
        view = self._view_param(params, existing["type"])
        return self._save_view(view, self._view_users[existing["id"]], existing=existing)

    @_api("views.publish")
    def _views_publish(self, params: dict[str, Any]) -> Json:
        user_id = _need(params, "user_id", "user_not_found")
        existing = self._homes.get(user_id)
        if existing and params.get("hash") and params["hash"] != existing["hash"]:
            raise SlackError("hash_conflict")
        result = self._save_view(self._view_param(params, "home"), user_id, existing=existing)
        self._homes[user_id] = self._views[result["view"]["id"]]
        return result

    @_api("users.info")
    def _users_info(self, params: dict[str, Any]) -> Json:
        user = self._users.get(str(params.get("user")))
        if user is None:
            raise SlackError("user_not_found")
        user = copy.deepcopy(user)
        if not _truthy(params.get("include_locale")):
            user.pop("locale")
        return {"user": user}

    @_api("files.info")
    def _files_info(self, params: dict[str, Any]) -> Json:
        file = self._files.get(str(params.get("file")))
        if file is None:
            raise SlackError("file_not_found")
        return {"file": copy.deepcopy(file), "comments": [], "response_metadata": {"next_cursor": ""}}

    @_api("files.getUploadURLExternal")
    def _files_get_upload_url(self, params: dict[str, Any]) -> Json:
        filename = _need(params, "filename")
        try:
            length = int(_need(params, "length"))
        except ValueError as e:
            raise SlackError("invalid_arguments") from e
        file_id = self._next_id("F")
        self._pending_uploads[file_id] = {"filename": filename, "length": length, "content": None}
        return {"upload_url": f"{self.root_url}/upload/{file_id}", "file_id": file_id}

    @_api("files.completeUploadExternal")
    def _files_complete_upload(self, params: dict[str, Any]) -> Json:
        entries = _need(params, "files")
        channels = [c for c in str(params.get("channels") or "").split(",") if c]
        channel = params.get("channel_id") or (channels[0] if channels else None)
        if any(self._pending_uploads.get(e.get("id"), {}).get("content") is None for e in entries):
            raise SlackError("file_not_found")
        shared = []
        for entry in entries:
            pending = self._pending_uploads.pop(entry["id"])
            title = entry.get("title") or pending["filename"]
            file = self._store_file(
                pending["content"],
                pending["filename"],
                title,
                None,
                None,
                BOT_USER_ID,
                [channel] if channel else [],
                file_id=entry["id"],
            )
            shared.append(file)
            self._uploads.append(
                UploadedFile(
                    file["id"],
                    file["name"],
                    title,
                    pending["content"],
                    channel,
                    params.get("initial_comment"),
                    params.get("thread_ts"),
                )
            )
        if channel:
            message = {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "ts": self._next_ts(),
                "text": params.get("initial_comment") or "",
                "files": copy.deepcopy(shared),
                "upload": True,
            }
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            self._messages.setdefault(channel, []).append(message)
        return {"files": copy.deepcopy(shared)}
