"""Send Slack-signed requests (commands, interactions, events) to a running app over real HTTP.

:class:`SignedClient` builds payloads in the shapes Slack sends (see ``/work/shared/slack-payloads``):
slash commands as form fields, interactivity as a form field ``payload=<json>``, events as JSON
envelopes. When given a :class:`~.server.FakeSlack`, every payload carries a fresh ``trigger_id`` and
``response_url`` issued by that fake, so the app's ``views.open`` / ``respond()`` calls succeed there.

The module also has helpers for ``view.state.values`` entries (``plain_text``, ``static_select``, ...)
and for common events (``file_shared_event``, ``file_share_message_event``).
"""

from __future__ import annotations

import copy
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from .server import APP_ID, BOT_ID, BOT_USER_ID, FakeSlack

Json = dict[str, Any]


@dataclass(frozen=True)
class Response:
    """The app's HTTP answer (header names lower-cased)."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode()

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty (a bare ``ack()``)."""
        return json.loads(self.body) if self.body.strip() else None


class SignedClient:
    """Plays Slack's side of the HTTP conversation with an app served at ``app_url``.

    ``timestamp_offset`` shifts the signed timestamp (``-301`` makes every request stale).
    ``team_id`` / ``user_id`` / ``channel_id`` are the defaults of every builder.
    """

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        fake: FakeSlack | None = None,
        *,
        path: str = "/slack/events",
        team_id: str = "T0001",
        team_domain: str = "clientdesk-test",
        user_id: str = "U0001",
        channel_id: str = "C0001",
        channel_name: str = "general",
        api_app_id: str = APP_ID,
        timestamp_offset: float = 0.0,
        timeout: float = 10.0,
    ) -> None:
        base = app_url.rstrip("/")
        self.url = base if base.endswith(path) else base + path
        self.verifier = SignatureVerifier(signing_secret)
        self.fake = fake
        self.team_id = team_id
        self.team_domain = team_domain
        self.user_id = user_id
        self.channel_id = channel_id
        self.channel_name = channel_name
        self.api_app_id = api_app_id
        self.timestamp_offset = timestamp_offset
        self.timeout = timeout

    # ----------------------------------------------------------------------------------- transport

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """The ``X-Slack-Request-Timestamp`` / ``X-Slack-Signature`` headers for ``body``."""
        stamp = str(int(time.time() + self.timestamp_offset) if timestamp is None else timestamp)
        return {
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=stamp, body=body) or "",
        }

    def raw(self, body: bytes, headers: Mapping[str, str]) -> Response:
        """POST ``body`` with exactly ``headers`` (no signing: forge or replay requests with it)."""
        request = urllib.request.Request(self.url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return Response(
                    answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
                )
        except urllib.error.HTTPError as e:
            return Response(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())

    def post(self, body: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> Response:
        """POST ``body`` signed as Slack does."""
        return self.raw(body, {"Content-Type": content_type, **self.sign(body), **(headers or {})})

    def post_form(self, fields: Mapping[str, Any]) -> Response:
        """POST form-urlencoded ``fields``, signed."""
        return self.post(urlencode(fields).encode(), "application/x-www-form-urlencoded")

    def post_interaction(self, payload: Mapping[str, Any]) -> Response:
        """POST an interactivity payload as Slack does (``payload=<json>``), signed."""
        return self.post_form({"payload": json.dumps(payload)})

    # ----------------------------------------------------------------------------------- ids

    def trigger(self, user_id: str | None = None) -> str:
        """A fresh trigger_id: issued by the fake when there is one, else a random look-alike."""
        user_id = user_id or self.user_id
        if self.fake is not None:
            return self.fake.new_trigger(user_id=user_id)
        return f"{secrets.randbelow(10**10)}.{int(time.time())}.{secrets.token_hex(8)}"

    def response_url(self) -> str:
        """A fresh response_url: a hook on the fake when there is one, else a dead hooks.slack.com URL."""
        if self.fake is not None:
            return self.fake.response_url()
        return f"https://hooks.slack.com/commands/{self.team_id}/{secrets.randbelow(10**10)}/{secrets.token_hex(8)}"

    # ----------------------------------------------------------------------------------- builders

    def _user(self, user_id: str | None, team_id: str | None) -> Json:
        user_id = user_id or self.user_id
        return {
            "id": user_id,
            "username": user_id.lower(),
            "name": user_id.lower(),
            "team_id": team_id or self.team_id,
        }

    def _team(self, team_id: str | None, enterprise_id: str | None) -> Json:
        team: Json = {"id": team_id or self.team_id, "domain": self.team_domain}
        if enterprise_id:
            team.update(enterprise_id=enterprise_id, enterprise_name="Enterprise Grid")
        return team

    def _interaction(
        self,
        kind: str,
        *,
        user_id: str | None,
        team_id: str | None,
        enterprise_id: str | None = None,
        with_trigger: bool = True,
        **fields: Any,
    ) -> Json:
        payload: Json = {
            "type": kind,
            "user": self._user(user_id, team_id),
            "api_app_id": self.api_app_id,
            "token": "verification_token",
            "team": self._team(team_id, enterprise_id),
            "enterprise": {"id": enterprise_id, "name": "Enterprise Grid"} if enterprise_id else None,
            "is_enterprise_install": False,
        }
        if with_trigger:
            payload["trigger_id"] = self.trigger(user_id)
        payload.update(fields)
        return payload

    def view_payload(self, view: Mapping[str, Any] | str, values: Mapping[str, Any] | None = None) -> Json:
        """A view as Slack sends it in payloads: a fake's view id, or a dict completed with defaults."""
        if isinstance(view, str):
            if self.fake is None:
                raise ValueError("a view id needs a FakeSlack")
            view = self.fake.view(view)
        full: Json = {
            "id": "V00000000",
            "team_id": self.team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_urlsafe(6)}",
            "title": {"type": "plain_text", "text": "ClientDesk"},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            "previous_view_id": None,
            "root_view_id": None,
            "app_id": self.api_app_id,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
            **copy.deepcopy(dict(view)),
        }
        full["root_view_id"] = full["root_view_id"] or full["id"]
        if values is not None:
            full["state"] = {"values": copy.deepcopy(dict(values))}
        return full

    def _message_context(self, channel_id: str | None, message: Mapping[str, Any] | None) -> Json:
        message = dict(
            message
            or {
                "type": "message",
                "user": BOT_USER_ID,
                "bot_id": BOT_ID,
                "text": "",
                "ts": "1700000000.000100",
            }
        )
        channel_id = channel_id or self.channel_id
        return {
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "channel": {"id": channel_id, "name": self.channel_name},
            "message": message,
        }

    def command(
        self,
        text: str = "",
        *,
        command: str = "/clients",
        user_id: str | None = None,
        team_id: str | None = None,
        channel_id: str | None = None,
        enterprise_id: str | None = None,
    ) -> Response:
        """Send a slash command (form fields, as Slack does)."""
        user_id = user_id or self.user_id
        fields: Json = {
            "token": "verification_token",
            "team_id": team_id or self.team_id,
            "team_domain": self.team_domain,
        }
        if enterprise_id:
            fields.update(enterprise_id=enterprise_id, enterprise_name="Enterprise Grid")
        fields.update(
            channel_id=channel_id or self.channel_id,
            channel_name=self.channel_name,
            user_id=user_id,
            user_name=user_id.lower(),
            command=command,
            text=text,
            api_app_id=self.api_app_id,
            is_enterprise_install="false",
            response_url=self.response_url(),
            trigger_id=self.trigger(user_id),
        )
        return self.post_form(fields)

    def block_action(
        self,
        action_id: str,
        *,
        value: str | None = None,
        selected_option: Mapping[str, Any] | str | None = None,
        action_type: str | None = None,
        block_id: str = "actions",
        container: str = "message",
        view: Mapping[str, Any] | str | None = None,
        values: Mapping[str, Any] | None = None,
        message: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        user_id: str | None = None,
        team_id: str | None = None,
        channel_id: str | None = None,
    ) -> Response:
        """Send a ``block_actions`` payload for one action in a message (default) or a view.

        ``value`` suits buttons; ``selected_option`` (an option dict or a value) suits selects;
        ``extra`` adds other action fields (``selected_user``...). In a view, ``values`` replaces
        ``view.state.values``; in a message it becomes ``state.values``.
        """
        kind = action_type or ("static_select" if selected_option is not None else "button")
        action: Json = {
            "action_id": action_id,
            "block_id": block_id,
            "type": kind,
            "action_ts": f"{time.time():.6f}",
        }
        if kind == "button":
            action["text"] = {"type": "plain_text", "text": "Button", "emoji": True}
        if value is not None:
            action["value"] = value
        if selected_option is not None:
            action["selected_option"] = (
                option(selected_option) if isinstance(selected_option, str) else selected_option
            )
        action.update(extra or {})
        if container == "view":
            if view is None:
                raise ValueError("container='view' needs a view")
            full = self.view_payload(view, values)
            fields: Json = {"container": {"type": "view", "view_id": full["id"]}, "view": full}
        else:
            fields = {
                **self._message_context(channel_id, message),
                "state": {"values": dict(values or {})},
                "response_url": self.response_url(),
            }
        payload = self._interaction(
            "block_actions", user_id=user_id, team_id=team_id, actions=[action], **fields
        )
        return self.post_interaction(payload)

    def view_submission(
        self,
        view: Mapping[str, Any] | str,
        values: Mapping[str, Any],
        *,
        user_id: str | None = None,
        team_id: str | None = None,
        private_metadata: str | None = None,
        hash: str | None = None,
        response_urls: Sequence[Mapping[str, str]] = (),
    ) -> Response:
        """Submit ``view`` (a dict, or a view id known to the fake) with ``values`` as ``state.values``."""
        full = self.view_payload(view, values)
        if private_metadata is not None:
            full["private_metadata"] = private_metadata
        if hash is not None:
            full["hash"] = hash
        payload = self._interaction(
            "view_submission", user_id=user_id, team_id=team_id, view=full, response_urls=list(response_urls)
        )
        return self.post_interaction(payload)

    def view_closed(
        self,
        view: Mapping[str, Any] | str,
        *,
        is_cleared: bool = False,
        user_id: str | None = None,
        team_id: str | None = None,
    ) -> Response:
        """Send ``view_closed`` (only delivered by Slack when the view has ``notify_on_close``)."""
        payload = self._interaction(
            "view_closed",
            user_id=user_id,
            team_id=team_id,
            with_trigger=False,
            view=self.view_payload(view),
            is_cleared=is_cleared,
        )
        return self.post_interaction(payload)

    def block_suggestion(
        self,
        action_id: str,
        value: str,
        *,
        block_id: str = "search",
        view: Mapping[str, Any] | str | None = None,
        user_id: str | None = None,
        team_id: str | None = None,
        channel_id: str | None = None,
    ) -> Response:
        """Ask for external_select options (``value`` is the typed text), in a view or a message."""
        if view is not None:
            full = self.view_payload(view)
            fields: Json = {"container": {"type": "view", "view_id": full["id"]}, "view": full}
        else:
            fields = self._message_context(channel_id, None)
        payload = self._interaction(
            "block_suggestion",
            user_id=user_id,
            team_id=team_id,
            with_trigger=False,
            action_id=action_id,
            block_id=block_id,
            value=value,
            **fields,
        )
        return self.post_interaction(payload)

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        team_id: str | None = None,
    ) -> Response:
        """Deliver an Events API ``event_callback`` (with retry headers when ``retry_num`` is given)."""
        now = time.time()
        team_id = team_id or self.team_id
        envelope = {
            "token": "verification_token",
            "team_id": team_id,
            "api_app_id": self.api_app_id,
            "event": {"event_ts": f"{now:.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_hex(8)}",
        }
        headers = (
            {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason} if retry_num else {}
        )
        return self.post(json.dumps(envelope).encode(), "application/json", headers)

    def url_verification(self, challenge: str = "challenge-token") -> Response:
        """Send the Events API URL-verification handshake."""
        body = {"token": "verification_token", "challenge": challenge, "type": "url_verification"}
        return self.post(json.dumps(body).encode(), "application/json")


# --------------------------------------------------------------------------------------------- events


def file_shared_event(file_id: str, *, channel_id: str = "C0001", user_id: str = "U0001") -> Json:
    """A ``file_shared`` event (it carries the file id only; apps call ``files.info``)."""
    return {
        "type": "file_shared",
        "channel_id": channel_id,
        "file_id": file_id,
        "user_id": user_id,
        "file": {"id": file_id},
    }


def file_share_message_event(
    files: Sequence[Mapping[str, Any]],
    *,
    channel_id: str = "C0001",
    user_id: str = "U0001",
    text: str = "",
    thread_ts: str | None = None,
) -> Json:
    """A ``message`` event with subtype ``file_share`` carrying full file objects."""
    ts = f"{time.time():.6f}"
    event: Json = {
        "type": "message",
        "subtype": "file_share",
        "text": text,
        "files": [dict(f) for f in files],
        "upload": False,
        "user": user_id,
        "display_as_bot": False,
        "ts": ts,
        "channel": channel_id,
        "event_ts": ts,
        "channel_type": "channel",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


# --------------------------------------------------------------------------------------------- state values


def option(value: str, text: str | None = None) -> Json:
    """An option object as Slack echoes it back in payloads."""
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def _options(choices: Sequence[str] | Mapping[str, str]) -> list[Json]:
    if isinstance(choices, Mapping):
        return [option(value, text) for value, text in choices.items()]
    return [option(value) for value in choices]


def plain_text(value: str | None) -> Json:
    """``plain_text_input`` state (``None`` when an optional input was left empty)."""
    return {"type": "plain_text_input", "value": value}


def number(value: str | None) -> Json:
    """``number_input`` state (Slack sends the number as a string)."""
    return {"type": "number_input", "value": value}


def static_select(value: str | None, text: str | None = None) -> Json:
    """``static_select`` state."""
    return {"type": "static_select", "selected_option": None if value is None else option(value, text)}


def external_select(value: str | None, text: str | None = None) -> Json:
    """``external_select`` state."""
    return {"type": "external_select", "selected_option": None if value is None else option(value, text)}


def multi_static_select(choices: Sequence[str] | Mapping[str, str]) -> Json:
    """``multi_static_select`` state (values, or a value → text mapping)."""
    return {"type": "multi_static_select", "selected_options": _options(choices)}


def checkboxes(choices: Sequence[str] | Mapping[str, str]) -> Json:
    """``checkboxes`` state (values, or a value → text mapping)."""
    return {"type": "checkboxes", "selected_options": _options(choices)}


def radio(value: str | None, text: str | None = None) -> Json:
    """``radio_buttons`` state."""
    return {"type": "radio_buttons", "selected_option": None if value is None else option(value, text)}


def date(value: str | None) -> Json:
    """``datepicker`` state (``YYYY-MM-DD``)."""
    return {"type": "datepicker", "selected_date": value}


def file_input(files: Sequence[Mapping[str, Any]]) -> Json:
    """``file_input`` state: full file objects (as returned by ``FakeSlack.add_file``)."""
    return {"type": "file_input", "files": [dict(f) for f in files]}


def users_select(user_id: str | None) -> Json:
    """``users_select`` state."""
    return {"type": "users_select", "selected_user": user_id}


def multi_users_select(user_ids: Sequence[str]) -> Json:
    """``multi_users_select`` state."""
    return {"type": "multi_users_select", "selected_users": list(user_ids)}


def conversations_select(conversation_id: str | None) -> Json:
    """``conversations_select`` state."""
    return {"type": "conversations_select", "selected_conversation": conversation_id}
