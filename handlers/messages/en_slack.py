"""English for the Slack surface shared by every flow (help, generic answers)."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "slack.unexpected_error": "Something went wrong on our side (ref `{ref}`). Nothing was changed by"
    " the failed step; try again, and give this reference to your admin if it persists.",
    "slack.help.title": "*ClientDesk* — your customer list, in Slack. You can type:",
    "slack.help.unknown": "I don't know `/clients {word}`.",
}
