"""English for exporting the customer list."""

from __future__ import annotations

MESSAGES: dict[str, str] = {}
