"""English for /clients find, show, edit, lists and the profile card."""

from __future__ import annotations

MESSAGES: dict[str, str] = {}
