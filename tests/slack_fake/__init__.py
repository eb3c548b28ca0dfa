"""Test doubles for Slack: a fake Web API, a Slack-signed request client and Block Kit limit checks.

Typical use::

    with FakeSlack() as fake:
        app = create_app(client=WebClient(base_url=fake.api_url, token="xoxb-test"), ...)
        with serve_wsgi(SlackRequestHandler(app)) as running:
            slack = SignedClient(running.url, "signing-secret", fake)
            assert slack.command("add").status == 200
            check_view(fake.last("views.open").params["view"])
"""

from .client import (
    Response,
    SignedClient,
    checkboxes,
    conversations_select,
    date,
    external_select,
    file_input,
    file_share_message_event,
    file_shared_event,
    multi_static_select,
    multi_users_select,
    number,
    option,
    plain_text,
    radio,
    static_select,
    users_select,
)
from .limits import check_message, check_view, message_problems, view_problems
from .server import (
    DOWNLOAD,
    EXTERNAL,
    RESPONSE_URL,
    UPLOAD,
    Call,
    FakeSlack,
    Hold,
    SlackError,
    UploadedFile,
    WebhookMessage,
)
from .wsgi import RunningServer, serve_wsgi

__all__ = [
    "DOWNLOAD",
    "EXTERNAL",
    "RESPONSE_URL",
    "UPLOAD",
    "Call",
    "FakeSlack",
    "Hold",
    "Response",
    "RunningServer",
    "SignedClient",
    "SlackError",
    "UploadedFile",
    "WebhookMessage",
    "check_message",
    "check_view",
    "checkboxes",
    "conversations_select",
    "date",
    "external_select",
    "file_input",
    "file_share_message_event",
    "file_shared_event",
    "message_problems",
    "multi_static_select",
    "multi_users_select",
    "number",
    "option",
    "plain_text",
    "radio",
    "serve_wsgi",
    "static_select",
    "users_select",
    "view_problems",
]
