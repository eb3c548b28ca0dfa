"""English for the customer form, its validation and the typeahead."""

from __future__ import annotations

MESSAGES: dict[str, str] = {}
