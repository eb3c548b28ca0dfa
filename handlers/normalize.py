"""Normalised keys: how names, emails and phones are compared (case, accents, spaces, punctuation)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]")
_DIGITS = re.compile(r"\D")

# Lengths of the key columns (db.models.Customer). Folding can lengthen a text ("ß" → "ss", "ﬁ" → "fi"),
# so keys are cut to fit; every look-up goes through the same functions and cuts the same way.
NAME_KEY_MAX = 500
EMAIL_KEY_MAX = 100

# Legal forms and filler words ignored when comparing company names ("ACME Corp." = "Acme Corporation").
LEGAL_FORMS = frozenset(
    {
        "ag", "bv", "co", "company", "corp", "corporation", "cie", "gmbh", "inc", "incorporated",
        "limited", "llc", "llp", "lp", "ltd", "plc", "pty", "sa", "sarl", "sas", "sasu", "sl", "spa",
        "srl", "the", "and", "et",
    }
)


def clean_text(value: str) -> str:
    """Unicode NFC, every run of white space (non-breaking included) as one space, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str) -> str:
    """Case-, accent- and white-space-insensitive form: ``"  Hélène  DUPONT"`` → ``"helene dupont"``."""
    if value.isascii():
        # Most names: nothing to decompose, and ASCII casefold is lower (3× faster on big imports).
        return " ".join(value.lower().split())
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def name_key(display_name: str) -> str:
    """The key display names are unique on within a workspace (at most ``NAME_KEY_MAX`` characters)."""
    return fold(display_name)[:NAME_KEY_MAX]


def core_key(name: str) -> str:
    """A name without punctuation and legal forms, for near-duplicate detection."""
    words = _PUNCT.sub(" ", fold(name)).split()
    core = [w for w in words if w not in LEGAL_FORMS]
    return " ".join(core or words)[:NAME_KEY_MAX]


def email_key(email: str | None) -> str | None:
    return email.strip().casefold()[:EMAIL_KEY_MAX] if email and email.strip() else None


def phone_key(phone: str | None) -> str | None:
    """The last nine digits: ``+33 6 12 34 56 78`` and ``06 12 34 56 78`` share a key."""
    digits = _DIGITS.sub("", phone or "")
    return digits[-9:] if len(digits) >= 7 else None


def digits(value: str | None) -> str:
    return _DIGITS.sub("", value or "")
