"""English for sub-customers, make inactive/reactivate, merge and undo, transactions, history, App Home, permissions."""

from __future__ import annotations

MESSAGES: dict[str, str] = {}
