"""Slack's delivery quirks: redelivered events, rate limits."""

from __future__ import annotations

import time

from sqlmodel import select

from bot.app import make_client
from db.models import ProcessedRequest
from tests.slack_harness import SlackHarness


def test_event_redelivered_by_slack_is_acted_on_once(app: SlackHarness) -> None:
    event = {"type": "app_home_opened", "user": "U0001", "channel": "D0001", "tab": "home"}
    for retry in (None, 1, 2, 3):
        response = app.slack.event(event, event_id="Ev0DUPLICATE", retry_num=retry)
        assert response.status == 200
    app.fake.wait_for("views.publish")
    time.sleep(0.3)  # give a wrongly processed retry the time to show up
    assert len(app.fake.calls("views.publish")) == 1


def test_same_event_id_in_two_workspaces_is_two_events(app: SlackHarness) -> None:
    event = {"type": "app_home_opened", "user": "U0001", "channel": "D0001", "tab": "home"}
    app.slack.event(event, event_id="Ev0SAME", team_id="T0001")
    app.slack.event(event, event_id="Ev0SAME", team_id="T0002")
    with app.db() as session:
        teams = {c.team_id for c in session.exec(select(ProcessedRequest))}
    assert teams == {"T0001", "T0002"}


def test_web_api_call_is_retried_after_a_429(app: SlackHarness) -> None:
    client = make_client(app.settings)
    app.fake.fail_next("chat.postMessage", status=429, retry_after=0, times=2)
    response = client.chat_postMessage(channel="C0001", text="hello")
    assert response["ok"]
    statuses = [c.status for c in app.fake.calls("chat.postMessage")]
    assert statuses == [429, 429, 200]
