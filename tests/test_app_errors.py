"""What a user sees when the bot is misconfigured or something unexpected breaks."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import text

from bot.config import ConfigError, Settings
from tests.slack_harness import SlackHarness


def test_missing_variables_are_named_with_a_pointer_to_the_readme() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({})
    message = str(caught.value)
    assert "SLACK_BOT_TOKEN" in message and "SLACK_SIGNING_SECRET" in message
    assert "README.md" in message and "Create the Slack app" in message


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"})
    assert settings.socket_mode


def test_distributed_app_needs_client_secret_not_a_bot_token() -> None:
    with pytest.raises(ConfigError, match="SLACK_CLIENT_SECRET"):
        Settings.from_env({"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"})


def test_serve_without_configuration_exits_with_the_missing_names(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    done = subprocess.run([sys.executable, "-m", "bot", "serve"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "SLACK_BOT_TOKEN" in done.stderr


def test_unexpected_error_shows_a_reference_that_is_also_in_the_log(
    app: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    with app.db() as session:
        session.execute(text("ALTER TABLE customer RENAME TO customer_away"))
        session.commit()
    try:
        with caplog.at_level(logging.ERROR):
            app.slack.command("find acme")
            call = app.fake.wait_for("chat.postEphemeral")[0]
    finally:
        with app.db() as session:
            session.execute(text("ALTER TABLE customer_away RENAME TO customer"))
            session.commit()
    shown = re.search(r"ref `(\w+)`", call.params["text"])
    assert shown is not None, call.params["text"]
    assert any(shown.group(1) in record.getMessage() and record.exc_info for record in caplog.records)
    assert "Traceback" not in call.params["text"]
