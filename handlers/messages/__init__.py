"""The message catalog: every sentence a user reads, by language.

Keys are dotted (``error.name_taken``); parameters use ``str.format`` fields. A French interface is
a ``fr`` dictionary with the same keys, nothing else changes. A missing key in a language falls back
to English; a key missing everywhere is a programming error (a test checks every key used exists).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from handlers.messages import (
    en,
    en_export,
    en_import,
    en_slack,
    en_slack_browse,
    en_slack_form,
    en_slack_import,
    en_slack_lifecycle,
)


def _merge(*parts: dict[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in parts:
        clash = merged.keys() & part.keys()
        if clash:
            raise ValueError(f"message keys defined twice: {sorted(clash)}")
        merged |= part
    return merged


CATALOGS: dict[str, dict[str, str]] = {
    "en": _merge(
        en.MESSAGES,
        en_slack.MESSAGES,
        en_slack_form.MESSAGES,
        en_slack_browse.MESSAGES,
        en_slack_lifecycle.MESSAGES,
        en_import.MESSAGES,
        en_slack_import.MESSAGES,
        en_export.MESSAGES,
    )
}
DEFAULT_LANGUAGE = "en"


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The sentence for ``key`` in ``lang`` with ``params`` filled in."""
    catalog = CATALOGS.get(lang, CATALOGS[DEFAULT_LANGUAGE])
    template = catalog.get(key) or CATALOGS[DEFAULT_LANGUAGE][key]
    if not params:
        return template
    return template.format(**{k: money(v) if isinstance(v, Decimal) else v for k, v in params.items()})


def money(amount: Decimal, currency: str = "") -> str:
    """``1234.5`` → ``1,234.50`` (with the currency code after it when one is set)."""
    text = f"{amount:,.2f}"
    return f"{text} {currency}" if currency else text
