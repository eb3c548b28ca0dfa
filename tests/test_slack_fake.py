"""The Slack test doubles work with the real slack_sdk and slack_bolt libraries."""

from __future__ import annotations

import copy
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from tests.slack_fake import (
    DOWNLOAD,
    EXTERNAL,
    FakeSlack,
    SignedClient,
    check_message,
    check_view,
    external_select,
    file_shared_event,
    plain_text,
    serve_wsgi,
)

SECRET = "s"
TOKEN = "xoxb-test"


def modal(**overrides: Any) -> dict[str, Any]:
    """A valid modal with a text input and an external select."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "add_client",
        "title": {"type": "plain_text", "text": "New client"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "name",
                "label": {"type": "plain_text", "text": "Name"},
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 100},
            },
            {
                "type": "input",
                "block_id": "parent",
                "optional": True,
                "label": {"type": "plain_text", "text": "Parent"},
                "element": {"type": "external_select", "action_id": "parent_search", "min_query_length": 1},
            },
        ],
    }
    view.update(overrides)
    return view


def select_block(text: str = "Acme", value: str = "c1") -> dict[str, Any]:
    """A section with a static select holding one option."""
    return {
        "type": "section",
        "block_id": "pick",
        "text": {"type": "mrkdwn", "text": "Pick"},
        "accessory": {
            "type": "static_select",
            "action_id": "choose",
            "options": [{"text": {"type": "plain_text", "text": text}, "value": value}],
        },
    }


def http_get(url: str, token: str | None = None, *, follow: bool = True) -> tuple[int, dict[str, str], bytes]:
    """GET ``url`` with urllib (Authorization as a normal header, so redirects carry it)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect())
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with opener.open(request, timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def web(fake: FakeSlack) -> WebClient:
    return WebClient(base_url=fake.api_url, token=TOKEN)


def api_error(call: Callable[[], Any]) -> str:
    """The Slack error code a WebClient call fails with."""
    with pytest.raises(SlackApiError) as failure:
        call()
    return str(failure.value.response["error"])


# ------------------------------------------------------------------------------------------ Web API


def test_auth_test_identifies_the_bot(fake: FakeSlack, web: WebClient) -> None:
    answer = web.auth_test()
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == ("T0001", "UBOT", "BBOT")
    assert fake.last("auth.test").token == TOKEN


def test_unknown_or_missing_token_is_refused(fake: FakeSlack) -> None:
    assert api_error(WebClient(base_url=fake.api_url, token="xoxb-wrong").auth_test) == "invalid_auth"
    assert api_error(WebClient(base_url=fake.api_url).auth_test) == "not_authed"


def test_post_message_stores_messages_with_increasing_ts(fake: FakeSlack, web: WebClient) -> None:
    first = web.chat_postMessage(channel="C1", text="hello", blocks=[{"type": "divider"}])
    reply = web.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])
    assert float(reply["ts"]) > float(first["ts"])
    assert reply["message"]["thread_ts"] == first["ts"]
    assert [m["text"] for m in fake.messages("C1")] == ["hello", "reply"]
    assert fake.messages("C1")[0]["blocks"] == [{"type": "divider"}]


def test_chat_update_changes_the_stored_message(fake: FakeSlack, web: WebClient) -> None:
    ts = web.chat_postMessage(channel="C1", text="draft")["ts"]
    web.chat_update(channel="C1", ts=ts, text="final")
    assert fake.messages("C1")[0]["text"] == "final"
    assert api_error(lambda: web.chat_update(channel="C1", ts="1.2", text="x")) == "message_not_found"


def test_post_ephemeral_is_stored_for_the_user(fake: FakeSlack, web: WebClient) -> None:
    answer = web.chat_postEphemeral(channel="C1", user="U2", text="only you")
    assert answer["message_ts"]
    assert [(m["user"], m["text"]) for m in fake.ephemerals("C1")] == [("U2", "only you")]


def test_strict_fake_rejects_blocks_over_limits(web: WebClient) -> None:
    with pytest.raises(SlackApiError) as failure:
        web.chat_postMessage(channel="C1", text="x", blocks=[select_block(text="x" * 76)])
    assert failure.value.response["error"] == "invalid_blocks"
    assert "75" in failure.value.response["response_metadata"]["messages"][0]


def test_trigger_is_single_use(fake: FakeSlack, web: WebClient) -> None:
    trigger = fake.new_trigger()
    view = web.views_open(trigger_id=trigger, view=modal())["view"]
    assert view["id"].startswith("V") and view["hash"] and view["root_view_id"] == view["id"]
    assert view["state"] == {"values": {}}
    assert api_error(lambda: web.views_open(trigger_id=trigger, view=modal())) == "exchanged_trigger_id"


def test_trigger_expires_after_three_seconds(fake: FakeSlack, web: WebClient) -> None:
    stale = fake.new_trigger(issued_ago=3.5)
    assert api_error(lambda: web.views_open(trigger_id=stale, view=modal())) == "expired_trigger_id"
    assert api_error(lambda: web.views_open(trigger_id="123.456.abc", view=modal())) == "invalid_trigger_id"


def test_invalid_view_is_refused_like_slack(fake: FakeSlack, web: WebClient) -> None:
    with pytest.raises(SlackApiError) as failure:
        web.views_open(
            trigger_id=fake.new_trigger(), view=modal(title={"type": "plain_text", "text": "x" * 25})
        )
    assert failure.value.response["error"] == "invalid_arguments"
    assert any("view.title" in m for m in failure.value.response["response_metadata"]["messages"])


def test_views_push_keeps_a_stack_of_three(fake: FakeSlack, web: WebClient) -> None:
    root = web.views_open(trigger_id=fake.new_trigger(), view=modal())["view"]
    second = web.views_push(trigger_id=fake.new_trigger(), view=modal(callback_id="two"))["view"]
    web.views_push(trigger_id=fake.new_trigger(), view=modal(callback_id="three"))
    assert (second["previous_view_id"], second["root_view_id"]) == (root["id"], root["id"])
    assert [v["callback_id"] for v in fake.open_views("U0001")] == ["add_client", "two", "three"]
    assert (
        api_error(lambda: web.views_push(trigger_id=fake.new_trigger(), view=modal())) == "push_limit_reached"
    )


def test_views_update_checks_the_hash(fake: FakeSlack, web: WebClient) -> None:
    opened = web.views_open(trigger_id=fake.new_trigger(), view=modal(external_id="client-1"))["view"]
    updated = web.views_update(view_id=opened["id"], hash=opened["hash"], view=modal(callback_id="v2"))[
        "view"
    ]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert fake.view(opened["id"])["callback_id"] == "v2"
    assert api_error(lambda: web.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())) == (
        "hash_conflict"
    )
    web.views_update(external_id="client-1", view=modal(callback_id="v3"))
    assert fake.view(opened["id"])["callback_id"] == "v3"
    assert api_error(lambda: web.views_update(view_id="VNOPE", view=modal())) == "not_found"


def test_views_publish_stores_the_home_tab(fake: FakeSlack, web: WebClient) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Clients"}}]}
    published = web.views_publish(user_id="U0001", view=home)["view"]
    stored = fake.home("U0001")
    assert stored is not None and stored["id"] == published["id"] and stored["type"] == "home"
    assert fake.home("U0002") is None


def test_users_info_returns_registered_users(fake: FakeSlack, web: WebClient) -> None:
    fake.add_user("U0001", name="alice", is_admin=True, locale="fr-FR")
    user = web.users_info(user="U0001")["user"]
    assert (user["id"], user["name"], user["is_admin"], user["is_owner"]) == ("U0001", "alice", True, False)
    assert user["profile"]["display_name"] == "alice" and user["tz"] == "Europe/Paris"
    assert "locale" not in user
    assert web.users_info(user="U0001", include_locale=True)["user"]["locale"] == "fr-FR"
    assert api_error(lambda: web.users_info(user="U404")) == "user_not_found"


def test_files_info_and_download_need_the_bot_token(fake: FakeSlack, web: WebClient) -> None:
    added = fake.add_file(b"name\nAcme\n", "clients.csv")
    file = web.files_info(file=added["id"])["file"]
    assert (file["name"], file["filetype"], file["mimetype"], file["size"]) == (
        "clients.csv",
        "csv",
        "text/csv",
        10,
    )
    assert file["url_private_download"].startswith(fake.root_url + "/files-pri/T0001-")
    assert http_get(file["url_private_download"], TOKEN)[::2] == (200, b"name\nAcme\n")
    assert http_get(file["url_private_download"])[0] == 403
    assert [c.token for c in fake.calls(DOWNLOAD)] == [TOKEN, None]
    assert api_error(lambda: web.files_info(file="F404")) == "file_not_found"


def test_redirected_download_exposes_token_leaks(fake: FakeSlack) -> None:
    file = fake.add_file(b"data", "a.csv")
    fake.redirect_download(file["id"], fake.external_url("cdn/a.csv"))
    status, headers, _ = http_get(file["url_private_download"], TOKEN, follow=False)
    assert (status, headers["Location"]) == (302, fake.external_url("cdn/a.csv"))
    # urllib's default opener re-sends a normal Authorization header to the other host:
    http_get(file["url_private_download"], TOKEN)
    assert fake.last(EXTERNAL).token == TOKEN
    # ... unless it is added as an "unredirected" header.
    request = urllib.request.Request(file["url_private_download"])
    request.add_unredirected_header("Authorization", f"Bearer {TOKEN}")
    urllib.request.urlopen(request, timeout=5).close()
    assert fake.last(EXTERNAL).token is None


@pytest.mark.parametrize("as_file", [False, True], ids=["content", "file"])
def test_files_upload_v2_round_trip(fake: FakeSlack, web: WebClient, as_file: bool) -> None:
    data = b"id;name\n1;Acme\n"
    common: dict[str, Any] = {
        "channel": "C1",
        "filename": "export.csv",
        "title": "Export",
        "initial_comment": "here",
    }
    answer = (
        web.files_upload_v2(file=data, **common) if as_file else web.files_upload_v2(content=data, **common)
    )
    (uploaded,) = fake.uploaded_files()
    assert (uploaded.name, uploaded.title, uploaded.content) == ("export.csv", "Export", data)
    assert (uploaded.channel_id, uploaded.initial_comment) == ("C1", "here")
    assert (
        answer["file"]["id"]
        == uploaded.file_id
        == fake.last("files.getUploadURLExternal").response["file_id"]
    )
    assert fake.messages("C1")[0]["files"][0]["id"] == uploaded.file_id
    assert http_get(web.files_info(file=uploaded.file_id)["file"]["url_private_download"], TOKEN)[2] == data


def test_upload_url_accepts_multipart_bodies(fake: FakeSlack, web: WebClient) -> None:
    target = web.files_getUploadURLExternal(filename="a.csv", length=3)
    body = (
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\nabc\r\n--XX--\r\n"
    )
    headers = {"Content-Type": "multipart/form-data; boundary=XX"}
    urllib.request.urlopen(urllib.request.Request(target["upload_url"], body, headers), timeout=5).close()
    web.files_completeUploadExternal(files=[{"id": target["file_id"], "title": "A"}])
    assert [(f.content, f.channel_id) for f in fake.uploaded_files()] == [(b"abc", None)]


def test_response_url_records_posted_messages(fake: FakeSlack) -> None:
    url = fake.response_url()
    assert WebhookClient(url).send(text="done", response_type="ephemeral").status_code == 200
    (message,) = fake.responses()
    assert (message.url, message.text, message.body["response_type"]) == (url, "done", "ephemeral")
    assert WebhookClient(fake.root_url + "/hooks/999").send(text="x").status_code == 404


def test_rate_limit_raises_without_retry_handler(fake: FakeSlack, web: WebClient) -> None:
    fake.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as failure:
        web.chat_postMessage(channel="C1", text="x")
    assert failure.value.response.status_code == 429
    assert failure.value.response.headers["Retry-After"] == "7"
    assert failure.value.response["error"] == "ratelimited"


def test_rate_limit_retry_handler_retries_then_succeeds(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", retry_after=0)
    client = WebClient(base_url=fake.api_url, token=TOKEN, retry_handlers=[RateLimitErrorRetryHandler()])
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.status for c in fake.calls("chat.postMessage")] == [429, 200]
    assert len(fake.messages("C1")) == 1


def test_fail_next_can_simulate_any_api_error(fake: FakeSlack, web: WebClient) -> None:
    fake.fail_next("users.info", status=200, error="ratelimited", times=2)
    assert api_error(lambda: web.users_info(user="U1")) == "ratelimited"
    assert api_error(lambda: web.users_info(user="U1")) == "ratelimited"
    assert api_error(lambda: web.users_info(user="U1")) == "user_not_found"


def test_other_methods_answer_ok_and_are_recorded(fake: FakeSlack, web: WebClient) -> None:
    assert web.conversations_info(channel="C1")["ok"]
    assert fake.last("conversations.info").params["channel"] == "C1"


def test_wait_for_times_out_with_the_transcript(fake: FakeSlack, web: WebClient) -> None:
    web.auth_test()
    with pytest.raises(AssertionError, match=r"(?s)views\.open.*auth\.test"):
        fake.wait_for("views.open", timeout=0.05)
    assert len(fake.wait_for("auth.test")) == 1
    fake.reset()
    assert fake.calls() == []


# ------------------------------------------------------------------------------ signed requests to Bolt


@pytest.fixture
def retries() -> list[str]:
    """X-Slack-Retry-Num values seen by the Bolt app."""
    return []


@pytest.fixture
def slack(fake: FakeSlack, retries: list[str]) -> Iterator[SignedClient]:
    """A tiny Bolt app served over HTTP, driven by a SignedClient."""
    app = App(
        client=WebClient(base_url=fake.api_url, token=TOKEN),
        signing_secret=SECRET,
        process_before_response=True,
    )

    @app.middleware
    def note_retries(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
        retries.extend(req.headers.get("x-slack-retry-num", []))
        return next()

    @app.command("/clients")
    def open_form(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=modal(private_metadata=body["text"]))

    @app.view("add_client")
    def submit(ack: Ack, view: dict[str, Any]) -> None:
        if not view["state"]["values"]["name"]["value"]["value"]:
            ack(response_action="errors", errors={"name": "Enter a name"})
        else:
            ack()

    @app.options("parent_search")
    def parents(ack: Ack, payload: dict[str, Any]) -> None:
        ack(options=[{"text": {"type": "plain_text", "text": f"{payload['value']} Inc"}, "value": "c1"}])

    @app.action("pick")
    def pick(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="picked")

    @app.action("refresh")
    def refresh(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body["view"]
        client.views_update(view_id=view["id"], hash=view["hash"], view=modal(callback_id="refreshed"))

    @app.event("file_shared")
    def file_shared(event: dict[str, Any], client: WebClient) -> None:
        file = client.files_info(file=event["file_id"])["file"]
        request = urllib.request.Request(file["url_private_download"])
        request.add_unredirected_header("Authorization", f"Bearer {client.token}")
        urllib.request.urlopen(request, timeout=5).close()

    with serve_wsgi(SlackRequestHandler(app)) as running:
        yield SignedClient(running.url, SECRET, fake)


def test_signed_slash_command_is_acked_and_opens_a_modal(fake: FakeSlack, slack: SignedClient) -> None:
    answer = slack.command("add Acme")
    assert (answer.status, answer.json()) == (200, None)
    (opened,) = fake.open_views()
    assert opened["private_metadata"] == "add Acme"
    assert fake.last("views.open").token == TOKEN
    check_view(fake.last("views.open").params["view"])


def test_view_submission_gets_field_errors(fake: FakeSlack, slack: SignedClient) -> None:
    slack.command("add")
    view_id = fake.open_views()[0]["id"]
    empty = {"name": {"value": plain_text(None)}, "parent": {"parent_search": external_select(None)}}
    answer = slack.view_submission(view_id, empty)
    assert answer.json() == {"response_action": "errors", "errors": {"name": "Enter a name"}}
    filled = {
        "name": {"value": plain_text("Acme")},
        "parent": {"parent_search": external_select("c1", "Big")},
    }
    assert slack.view_submission(view_id, filled).json() is None


def test_block_suggestion_is_answered_with_options(fake: FakeSlack, slack: SignedClient) -> None:
    slack.command()
    answer = slack.block_suggestion("parent_search", "Ac", block_id="parent", view=fake.open_views()[0]["id"])
    assert answer.json() == {"options": [{"text": {"type": "plain_text", "text": "Ac Inc"}, "value": "c1"}]}


def test_block_action_respond_reaches_the_response_url(fake: FakeSlack, slack: SignedClient) -> None:
    assert slack.block_action("pick", value="c1").status == 200
    assert [m.text for m in fake.responses()] == ["picked"]


def test_block_action_in_a_modal_carries_the_current_hash(fake: FakeSlack, slack: SignedClient) -> None:
    slack.command()
    view_id = fake.open_views()[0]["id"]
    assert slack.block_action("refresh", container="view", view=view_id).status == 200
    assert fake.last("views.update").ok and fake.view(view_id)["callback_id"] == "refreshed"


def test_event_makes_the_app_fetch_and_download_the_file(fake: FakeSlack, slack: SignedClient) -> None:
    file = fake.add_file(b"a,b\n", "clients.csv")
    assert slack.event(file_shared_event(file["id"])).status == 200
    assert fake.wait_for(DOWNLOAD)[0].token == TOKEN


def test_event_retry_headers_reach_the_app(slack: SignedClient, retries: list[str]) -> None:
    slack.event({"type": "app_mention", "text": "hi", "user": "U0001", "channel": "C0001"}, retry_num=2)
    assert retries == ["2"]


def test_url_verification_echoes_the_challenge(slack: SignedClient) -> None:
    assert slack.url_verification("abc").json() == {"challenge": "abc"}


def test_forged_signature_is_refused(slack: SignedClient) -> None:
    body = b"command=%2Fclients&text="
    headers = {**slack.sign(body), "Content-Type": "application/x-www-form-urlencoded"}
    assert slack.raw(body, {**headers, "X-Slack-Signature": "v0=" + "0" * 64}).status == 401
    assert slack.raw(body + b"x", headers).status == 401


def test_stale_timestamp_is_refused(fake: FakeSlack, slack: SignedClient) -> None:
    slack.timestamp_offset = -301
    answer = slack.command("add")
    assert (answer.status, answer.json()) == (401, {"error": "invalid request"})
    assert fake.calls("views.open") == []


# ------------------------------------------------------------------------------------------ limits


def _with(view: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    changed = copy.deepcopy(view)
    change(changed)
    return changed


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda v: v["title"].update(text="x" * 25), "view.title: 25 characters > 24"),
        (lambda v: v["blocks"].append(select_block(text="x" * 76)), "options[0].text: 76 characters > 75"),
        (
            lambda v: v["blocks"].append(select_block(value="x" * 151)),
            "options[0].value: 151 characters > 150",
        ),
        (lambda v: v.pop("submit"), "view.submit: required when a modal has input blocks"),
        (lambda v: v["blocks"].extend([{"type": "divider"}] * 99), "view.blocks: 101 items > 100"),
        (lambda v: v["blocks"][0]["element"].update(max_length=5000), "max_length: 5000 not in 0..3000"),
        (lambda v: v["blocks"].append({"type": "poll"}), "unknown block type 'poll'"),
        (lambda v: v["blocks"][1].update(block_id="name"), "duplicate block_id 'name'"),
        (lambda v: v.update(private_metadata="x" * 3001), "view.private_metadata: 3001 characters > 3000"),
        (
            lambda v: v["blocks"].append(
                {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
            ),
            "text: 151 characters > 150",
        ),
    ],
)
def test_check_view_catches(change: Callable[[dict[str, Any]], None], expected: str) -> None:
    check_view(modal())
    with pytest.raises(AssertionError, match=re.escape(expected)):
        check_view(_with(modal(), change))


def test_check_view_lists_every_violation() -> None:
    view = modal(title={"type": "plain_text", "text": "x" * 25}, submit=None)
    with pytest.raises(AssertionError) as failure:
        check_view(view)
    assert "view.title" in str(failure.value) and "view.submit" in str(failure.value)


def test_check_view_falls_back_on_slack_sdk_validation() -> None:
    bad_input = {
        "type": "input",
        "label": {"type": "plain_text", "text": "x" * 2001},
        "element": {"type": "plain_text_input", "action_id": "a"},
    }
    with pytest.raises(AssertionError, match="2001"):
        check_view(modal(blocks=[bad_input]))


def test_check_message_limits() -> None:
    check_message("hi", [select_block()])
    with pytest.raises(AssertionError, match=r"message\.text: 40001"):
        check_message("x" * 40_001, None)
    with pytest.raises(AssertionError, match=r"message\.blocks: 51 items > 50"):
        check_message("x", [{"type": "divider"}] * 51)
    button = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "b",
                "value": "v" * 2001,
                "text": {"type": "plain_text", "text": "t" * 76},
            }
        ],
    }
    with pytest.raises(AssertionError, match=r"(?s)text: 76.*value: 2001"):
        check_message("x", [button])
