"""Per-workspace tables beyond the customer list (settings, permissions)."""

from __future__ import annotations
