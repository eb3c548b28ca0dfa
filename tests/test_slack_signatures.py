"""Requests that are not Slack's are refused with 401, never served and never a 500."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request

import pytest

from tests.slack_fake import RESPONSE_URL
from tests.slack_harness import SlackHarness

COMMAND = urllib.parse.urlencode(
    {"command": "/clients", "text": "help", "team_id": "T0001", "user_id": "U0001", "channel_id": "C0001"}
).encode()


def test_signed_command_is_served(app: SlackHarness) -> None:
    body = COMMAND + b"&" + urllib.parse.urlencode({"response_url": app.fake.response_url()}).encode()
    assert app.slack.post(body, "application/x-www-form-urlencoded").status == 200
    app.fake.wait_for(RESPONSE_URL)
    assert "/clients" in (app.fake.responses()[0].text or "")


@pytest.mark.parametrize(
    "tamper",
    ["forged", "tampered_body", "unsigned", "too_old", "from_the_future", "non_numeric_timestamp", "empty_timestamp"],
)
def test_request_not_from_slack_is_refused_with_401(app: SlackHarness, tamper: str) -> None:
    now = int(time.time())
    headers = app.slack.sign(COMMAND, now)
    body = COMMAND
    if tamper == "forged":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    elif tamper == "tampered_body":
        body = COMMAND.replace(b"help", b"find")
    elif tamper == "unsigned":
        headers = {}
    elif tamper == "too_old":
        headers = app.slack.sign(COMMAND, now - 301)
    elif tamper == "from_the_future":
        headers = app.slack.sign(COMMAND, now + 301)
    elif tamper == "non_numeric_timestamp":
        headers["X-Slack-Request-Timestamp"] = "yesterday"
    elif tamper == "empty_timestamp":
        headers["X-Slack-Request-Timestamp"] = ""
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = app.slack.raw(body, headers)
    assert response.status == 401
    assert app.fake.calls("chat.postEphemeral") == [] and app.fake.responses() == []


def test_unsigned_ssl_check_reaches_no_listener(app: SlackHarness) -> None:
    response = app.slack.raw(b"ssl_check=1&token=x&command=/clients&text=help",
                             {"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status in (200, 401)
    assert app.fake.responses() == []


def test_healthz_reports_database_ok(app: SlackHarness) -> None:
    with urllib.request.urlopen(app.url + "/healthz") as response:
        assert response.status == 200
        assert b'"ok"' in response.read()
