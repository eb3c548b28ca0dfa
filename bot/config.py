"""Settings from the environment, with missing variables reported by name."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from db.session import DEFAULT_DATABASE_URL, normalize_database_url
from handlers.messages import t

SLACK_API_DEFAULT = "https://slack.com/api/"
# The bot scopes the features need (the same list as manifest.yml; a test keeps them equal).
BOT_SCOPES = (
    "commands", "chat:write", "users:read", "files:read", "files:write",
    "channels:history", "groups:history", "im:history", "im:write",
)
README_SETUP = "README.md, section \"Create the Slack app\""


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it."""


@dataclass(frozen=True)
class Settings:
    bot_token: str
    signing_secret: str
    app_token: str = ""
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    slack_api_url: str = SLACK_API_DEFAULT
    currency: str = ""
    log_level: str = "INFO"
    client_id: str = ""
    client_secret: str = ""

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def oauth(self) -> bool:
        """Distributed app: each workspace installs it through /slack/install (no single bot token)."""
        return bool(self.client_id)

    @property
    def file_host(self) -> str:
        """The only host files are downloaded from with the bot token."""
        if self.slack_api_url == SLACK_API_DEFAULT:
            return "files.slack.com"
        return urlparse(self.slack_api_url).netloc

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; raises ``ConfigError`` naming every missing variable."""
        env = os.environ if env is None else env
        app_token = env.get("SLACK_APP_TOKEN", "")
        if env.get("SLACK_CLIENT_ID"):
            required = ["SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"]
        else:
            required = ["SLACK_BOT_TOKEN"] + ([] if app_token else ["SLACK_SIGNING_SECRET"])
        missing = [name for name in required if not env.get(name)]
        if missing:
            raise ConfigError(t("cli.config_missing", names=", ".join(missing), readme=README_SETUP))
        try:
            port = int(env.get("PORT", "3000"))
        except ValueError:
            raise ConfigError(t("cli.config_bad_port", value=env.get("PORT", ""))) from None
        api_url = env.get("SLACK_API_URL") or SLACK_API_DEFAULT
        return cls(
            bot_token=env.get("SLACK_BOT_TOKEN", ""),
            signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            app_token=app_token,
            database_url=normalize_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            port=port,
            slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
            currency=env.get("CLIENTDESK_CURRENCY", ""),
            log_level=env.get("LOG_LEVEL", "INFO"),
            client_id=env.get("SLACK_CLIENT_ID", ""),
            client_secret=env.get("SLACK_CLIENT_SECRET", ""),
        )
