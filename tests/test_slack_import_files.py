"""Downloading shared files (``bot.files``): the bot token goes only to Slack's file host, redirects
elsewhere are refused, the size is capped while streaming, and an HTML answer is refused — directly
and through the import flow against the fake Slack API."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.blocks.ids import Action
from bot.config import Settings
from bot.files import DownloadError, download, download_slack_file, file_origin
from bot.listeners.importing import store
from tests import spreadsheets as s
from tests.slack_fake import DOWNLOAD, EXTERNAL, FakeSlack, file_share_message_event
from tests.slack_harness import BOT_TOKEN, SlackHarness
from tests.test_slack_import import ROWS, button_value, names, offer_of, share, until

CAP = 10_000


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


def origin_of(fake: FakeSlack) -> tuple[str, str]:
    return file_origin(Settings(bot_token=BOT_TOKEN, signing_secret="x", slack_api_url=fake.api_url))


def fetch(fake: FakeSlack, file: dict[str, Any], dest: Path, cap: int = CAP) -> int:
    return download(file["url_private_download"], dest, token=BOT_TOKEN, origin=origin_of(fake), max_bytes=cap)


# ------------------------------------------------------------------------------ where the token goes


def test_file_host_is_slacks_unless_the_api_url_is_set() -> None:
    assert file_origin(Settings(bot_token="x", signing_secret="y")) == ("https", "files.slack.com")
    staging = Settings(bot_token="x", signing_secret="y", slack_api_url="http://127.0.0.1:8080/api/")
    assert file_origin(staging) == ("http", "127.0.0.1:8080")


def test_download_sends_the_bot_token_to_slacks_file_host(fake: FakeSlack, tmp_path: Path) -> None:
    file = fake.add_file(b"Display Name\nAcme\n", "list.csv")
    assert fetch(fake, file, tmp_path / "list.csv") == 18
    assert (tmp_path / "list.csv").read_bytes() == b"Display Name\nAcme\n"
    assert [c.token for c in fake.calls(DOWNLOAD)] == [BOT_TOKEN]


def test_url_on_another_host_is_refused_before_any_request(fake: FakeSlack, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as refused:
        download(fake.external_url("list.csv"), tmp_path / "x", token=BOT_TOKEN, origin=origin_of(fake),
                 max_bytes=CAP)
    assert refused.value.reason == "host"
    assert fake.calls(EXTERNAL) == []
    assert not (tmp_path / "x").exists()


def test_redirect_to_another_host_is_not_followed(fake: FakeSlack, tmp_path: Path) -> None:
    file = fake.add_file(b"Display Name\nAcme\n", "list.csv")
    fake.redirect_download(file["id"], fake.external_url("stolen"))
    with pytest.raises(DownloadError) as refused:
        fetch(fake, file, tmp_path / "list.csv")
    assert refused.value.reason == "redirect"
    assert fake.calls(EXTERNAL) == []  # never asked, so never given the token
    assert [c.token for c in fake.calls(DOWNLOAD)] == [BOT_TOKEN]


def test_redirect_within_slacks_file_host_is_followed(fake: FakeSlack, tmp_path: Path) -> None:
    moved = fake.add_file(b"Display Name\nGlobex\n", "moved.csv")
    file = fake.add_file(b"old", "list.csv")
    fake.redirect_download(file["id"], moved["url_private_download"])
    fetch(fake, file, tmp_path / "list.csv")
    assert (tmp_path / "list.csv").read_bytes() == b"Display Name\nGlobex\n"
    assert [c.token for c in fake.calls(DOWNLOAD)] == [BOT_TOKEN, BOT_TOKEN]


def test_download_error_status_is_reported(fake: FakeSlack, tmp_path: Path) -> None:
    file = fake.add_file(b"data", "list.csv")
    fake.fail_next(DOWNLOAD, status=403, error="forbidden")
    with pytest.raises(DownloadError) as refused:
        fetch(fake, file, tmp_path / "list.csv")
    assert (refused.value.reason, refused.value.params) == ("http", {"status": 403})


# ------------------------------------------------------------------------------ size and content


def test_a_file_of_exactly_the_cap_is_downloaded(fake: FakeSlack, tmp_path: Path) -> None:
    file = fake.add_file(b"x" * CAP, "list.csv")
    assert fetch(fake, file, tmp_path / "list.csv") == CAP


def test_a_file_declared_bigger_than_the_cap_is_not_downloaded(fake: FakeSlack, tmp_path: Path) -> None:
    file = fake.add_file(b"x" * (CAP + 1), "list.csv")
    with pytest.raises(DownloadError) as refused:
        download_slack_file(_client(fake), file, tmp_path / "list.csv", settings=_settings(fake), max_bytes=CAP)
    assert refused.value.reason == "too_big"
    assert fake.calls(DOWNLOAD) == []


def test_content_length_over_the_cap_is_refused(fake: FakeSlack, tmp_path: Path) -> None:
    file = fake.add_file(b"x" * (CAP + 1), "list.csv")
    with pytest.raises(DownloadError) as refused:
        fetch(fake, file, tmp_path / "list.csv")
    assert refused.value.params == {"size": CAP + 1, "max_bytes": CAP}
    assert not (tmp_path / "list.csv").exists()


class _Streaming(BaseHTTPRequestHandler):
    """Streams ``size`` bytes with no Content-Length (the stream ends when the connection closes)."""

    size = 0

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        sent = 0
        chunk = b"x" * 4096
        try:
            while sent < self.size:
                piece = chunk[: self.size - sent]
                self.wfile.write(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):  # the client stopped reading: what we want
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def streaming() -> Iterator[tuple[str, type[_Streaming]]]:
    handler = type("Handler", (_Streaming,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/files-pri/T1-F1/download/list.csv", handler
    server.shutdown()
    server.server_close()


def test_stream_is_cut_at_the_cap_plus_one_byte(streaming: tuple[str, type[_Streaming]], tmp_path: Path) -> None:
    url, handler = streaming
    handler.size = 50 * CAP
    with pytest.raises(DownloadError) as refused:
        download(url, tmp_path / "list.csv", token=BOT_TOKEN, origin=("http", urlsplit(url).netloc), max_bytes=CAP)
    assert refused.value.params == {"size": CAP + 1, "max_bytes": CAP}
    assert not (tmp_path / "list.csv").exists()
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_stream_of_exactly_the_cap_is_kept(streaming: tuple[str, type[_Streaming]], tmp_path: Path) -> None:
    url, handler = streaming
    handler.size = CAP
    assert download(url, tmp_path / "list.csv", token=BOT_TOKEN, origin=("http", urlsplit(url).netloc),
                    max_bytes=CAP) == CAP


def test_html_answer_is_refused(fake: FakeSlack, tmp_path: Path) -> None:
    page = b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>"
    declared = fake.add_file(page, "list.xlsx", mimetype="text/html; charset=utf-8")
    disguised = fake.add_file(b"  " + page, "list.csv", mimetype="application/octet-stream")
    for file in (declared, disguised):
        with pytest.raises(DownloadError) as refused:
            fetch(fake, file, tmp_path / "list")
        assert refused.value.reason == "html"
    assert not (tmp_path / "list").exists()


def _settings(fake: FakeSlack) -> Settings:
    return Settings(bot_token=BOT_TOKEN, signing_secret="x", slack_api_url=fake.api_url)


def _client(fake: FakeSlack) -> Any:
    from slack_sdk import WebClient

    return WebClient(token=BOT_TOKEN, base_url=fake.api_url)


# ------------------------------------------------------------------------------ through the import flow


def click_import(app: SlackHarness) -> None:
    offer = offer_of(app)
    app.slack.block_action(Action.IMPORT_OPEN, value=button_value(offer, Action.IMPORT_OPEN), message=offer)


def thread_refusal(app: SlackHarness) -> str:
    message = until(lambda: next((m for m in app.fake.messages("C0001")
                                  if (m.get("text") or "").startswith("Nothing was imported")), None),
                    "the refusal in the thread", app)
    return str(message["text"])


def test_import_downloads_with_the_bot_token_from_the_api_host(app: SlackHarness, tmp_path: Path) -> None:
    share(app, s.xlsx(tmp_path / "customers.xlsx", ROWS))
    click_import(app)
    app.fake.wait_for(DOWNLOAD)
    download_call = app.fake.calls(DOWNLOAD)[0]
    assert download_call.token == BOT_TOKEN
    assert download_call.headers["host"] == urlsplit(app.fake.api_url).netloc


def test_import_refuses_a_file_redirected_to_another_host(app: SlackHarness, tmp_path: Path) -> None:
    file = share(app, s.xlsx(tmp_path / "customers.xlsx", ROWS))
    app.fake.redirect_download(file["id"], app.fake.external_url("customers.xlsx"))
    click_import(app)
    assert "from another address (localhost:" in thread_refusal(app)
    assert app.fake.calls(EXTERNAL) == []
    assert names(app) == []


def test_import_refuses_a_file_over_the_cap(app: SlackHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "max_bytes", lambda: 2 * 1024 * 1024)
    big = s.csv_file(tmp_path / "big.csv", [["Display Name", "Notes"]] + [[f"C{n}", "x" * 500] for n in range(5000)])
    share(app, big)
    click_import(app)
    assert "MB; files up to 2 MB can be imported." in thread_refusal(app)
    assert app.fake.calls(DOWNLOAD) == []


def test_import_refuses_an_html_answer(app: SlackHarness, tmp_path: Path) -> None:
    page = b"<!DOCTYPE html><html><body>Sign in</body></html>"
    file = app.fake.add_file(page, "customers.xlsx", mimetype="text/html")
    app.slack.event(file_share_message_event([file]))
    click_import(app)
    assert "answered with a web page" in thread_refusal(app)
