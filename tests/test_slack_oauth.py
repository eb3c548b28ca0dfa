"""Distribution: a workspace installs the app through OAuth; its installation lives in our database."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from db.session import SessionFactory
from tests.slack_fake.server import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, RESPONSE_URL
from tests.slack_harness import SlackHarness, running_app


@pytest.fixture
def oauth_app(engine: Engine, db: SessionFactory) -> Iterator[SlackHarness]:
    with running_app(engine, db, bot_token="", client_id=OAUTH_CLIENT_ID, client_secret=OAUTH_CLIENT_SECRET) as h:
        yield h


def _get(url: str, cookie: str = "") -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, response.read().decode(), response.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), ""


def _install(app: SlackHarness, team_id: str) -> int:
    status, page, cookie = _get(app.url + "/slack/install")
    assert status == 200 and OAUTH_CLIENT_ID in page
    state = re.search(r"state=([\w-]+)", page)
    assert state is not None
    code = app.fake.oauth_code(team_id)
    status, _, _ = _get(f"{app.url}/slack/oauth_redirect?code={code}&state={state.group(1)}", cookie.split(";")[0])
    return status


def test_install_page_asks_for_the_scopes_the_features_need(oauth_app: SlackHarness) -> None:
    status, page, _ = _get(oauth_app.url + "/slack/install")
    assert status == 200
    assert "scope=commands,chat:write,users:read,files:read,files:write" in page.replace("%2C", ",").replace("%3A", ":")


def test_installed_workspace_is_served_with_its_own_token(oauth_app: SlackHarness) -> None:
    assert _install(oauth_app, "T0009") == 200
    with oauth_app.db() as session:
        bots = session.execute(text("SELECT team_id, bot_token FROM slack_bots")).all()
    assert [(team, token) for team, token in bots] == [("T0009", "xoxb-t0009-installed")]
    response = oauth_app.slack.command("help", team_id="T0009")
    assert response.status == 200
    oauth_app.fake.wait_for(RESPONSE_URL)
    assert "/clients" in (oauth_app.fake.responses()[0].text or "")


def test_workspace_that_did_not_install_is_only_told_to_install(oauth_app: SlackHarness) -> None:
    _install(oauth_app, "T0009")
    oauth_app.slack.command("help", team_id="T0404")
    oauth_app.fake.wait_for(RESPONSE_URL)
    answers = [r.text or "" for r in oauth_app.fake.responses()]
    assert all("/clients" not in a for a in answers)
    assert any("install" in a for a in answers)


def test_oauth_redirect_with_a_forged_state_installs_nothing(oauth_app: SlackHarness) -> None:
    code = oauth_app.fake.oauth_code("T0009")
    status, _, _ = _get(f"{oauth_app.url}/slack/oauth_redirect?code={code}&state=forged")
    assert status >= 400
    with oauth_app.db() as session:
        assert session.execute(text("SELECT count(*) FROM slack_bots")).scalar() == 0
