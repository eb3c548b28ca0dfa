"""Cleaning and validating customer fields, shared by the form, the import and the CLI.

Input is a mapping of field name to raw value (text typed in Slack, a spreadsheet cell, a CLI flag).
``clean_fields`` returns the values as stored and every problem found, without raising, so an import
can report all of a row's problems at once; ``require_clean`` raises ``InvalidInput`` instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from db.models import FIELD_MAX_LENGTHS, CustomerFields, DeliveryMethod
from handlers.errors import InvalidInput, Problem

EDITABLE_FIELDS: tuple[str, ...] = tuple(CustomerFields.model_fields)
NAME_PART_FIELDS = ("title", "given_name", "middle_name", "family_name", "suffix")
# QuickBooks forbids these characters in every name field (":" separates Parent:Child).
NAME_FIELDS = frozenset({*NAME_PART_FIELDS, "display_name", "print_on_check_name"})
FORBIDDEN_IN_NAMES = {":": "colon", "\t": "tab", "\n": "newline", "\r": "newline"}
MULTILINE_FIELDS = frozenset({"notes", "bill_street", "ship_street"})
BOOL_FIELDS = frozenset({"tax_exempt", "bill_with_parent"})
_TRUE = frozenset({"true", "yes", "y", "1", "oui", "o", "x", "vrai"})
_FALSE = frozenset({"false", "no", "n", "0", "non", "faux", ""})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MONEY_NOISE = re.compile(r"[\s\u00a0\u202f'$€£¥]|[A-Z]{3}$")


def clean_fields(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Clean every field present in ``raw``; unknown keys are a programming error (``KeyError``)."""
    cleaned: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in raw.items():
        clean = _CLEANERS.get(name)
        if clean is None:
            raise KeyError(f"not a customer field: {name}")
        try:
            cleaned[name] = clean(value)
        except FieldProblem as p:
            problems.append(p.problem(name))
    return cleaned, problems


FieldCleaner = Callable[[Any], Any]


def field_cleaner(name: str) -> FieldCleaner:
    """One field's rule exactly as ``clean_fields`` applies it, for callers that clean many values of
    the same field (an import's column): ``clean(value)`` returns the value as stored (``None`` for
    an empty text) or raises ``FieldProblem``, whose ``problem(name)`` is the ``Problem`` that
    ``clean_fields`` would report. Raises ``KeyError`` for an unknown field."""
    clean = _CLEANERS.get(name)
    if clean is None:
        raise KeyError(f"not a customer field: {name}")
    return clean


def require_clean(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``clean_fields`` that raises ``InvalidInput`` with every problem."""
    cleaned, problems = clean_fields(raw)
    if problems:
        raise InvalidInput(*problems)
    return cleaned


def derived_display_name(fields: Mapping[str, Any]) -> str | None:
    """QuickBooks' rule when no display name is given: the name parts in order, else the company."""
    parts = [fields.get(f) for f in NAME_PART_FIELDS]
    built = " ".join(p for p in parts if p)
    return built or fields.get("company_name") or None


class _FieldProblem(Exception):
    """A value a field's rule refuses (``field_cleaner``): the catalog code and its parameters."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params

    def problem(self, name: str) -> Problem:
        """The problem as reported about field ``name``."""
        return Problem(self.code, name, {"field": name, **self.params})


FieldProblem = _FieldProblem


def _text_cleaner(name: str) -> FieldCleaner:
    """The rule of a text field, specialised once per field (names, multi-line, email, lengths)."""
    limit = FIELD_MAX_LENGTHS[name]
    forbidden = tuple(FORBIDDEN_IN_NAMES.items()) if name in NAME_FIELDS else ()
    multiline = name in MULTILINE_FIELDS
    email = name == "email"

    if not (forbidden or multiline or email):
        # Most fields: the general rule below with nothing but the white space and the length to check.
        def clean_plain(value: Any) -> str | None:
            if value is None:
                return None
            text = value if isinstance(value, str) else _number_as_text(value)
            text = " ".join(text.split()) if text.isascii() else " ".join(_nfc("NFC", text).split())
            if not text:
                return None
            if len(text) > limit:
                raise _FieldProblem("too_long", max=limit, length=len(text))
            return text

        return clean_plain

    def clean(value: Any) -> str | None:
        if value is None:
            return None
        text = value if isinstance(value, str) else _number_as_text(value)
        if forbidden:
            stripped = text.strip()
            for char, label in forbidden:
                if char in stripped:
                    raise _FieldProblem("forbidden_character", character=label)
        if multiline:
            lines = text.strip().splitlines()
            text = _clean_text(lines[0]) if len(lines) == 1 else "\n".join(_clean_text(line) for line in lines).strip()
        else:
            text = _clean_text(text)
        if not text:
            return None
        if len(text) > limit:
            raise _FieldProblem("too_long", max=limit, length=len(text))
        if email and not _EMAIL.match(text):
            raise _FieldProblem("bad_email", value=text[:100])
        return text

    return clean


def _clean_text(text: str) -> str:
    """``normalize.clean_text``, faster: ``str.split()`` splits on exactly the characters ``\\s`` matches
    (``str.isspace``), so collapsing and trimming the white space is a join of the words; ASCII text
    needs no NFC (``test_import_apply`` checks imported cells against ``clean_text``)."""
    if text.isascii():
        return " ".join(text.split())
    return " ".join(_nfc("NFC", text).split())


_nfc = unicodedata.normalize


def _number_as_text(value: Any) -> str:
    # Spreadsheets store phone numbers and postal codes as floats: 33612345678.0 is "33612345678".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clean_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = _number_as_text(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _FieldProblem("bad_boolean", value=str(value)[:50])


def parse_money_field(value: Any, field: str) -> Decimal:
    """``parse_money`` raising ``InvalidInput`` about ``field``."""
    try:
        return parse_money(value)
    except _FieldProblem as p:
        raise InvalidInput.of(p.code, field, field=field, **p.params) from None


def parse_money(value: Any) -> Decimal:
    """An amount as typed: ``1,234.50``, ``1 234,50``, ``-12``, ``(12.00)``, ``€ 5``; at most 2 decimals."""
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, Decimal | int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
        # A spreadsheet formula's binary noise (0.1 + 0.2 = 0.30000000000000004) is not a third decimal.
        if amount.is_finite() and abs(amount) < 1e13 and abs(amount - amount.quantize(Decimal("0.01"))) < 1e-9:
            amount = amount.quantize(Decimal("0.01"))
    else:
        amount = _parse_money_text(str(value))
    if not amount.is_finite() or abs(amount) >= Decimal("1e13"):
        raise _FieldProblem("bad_amount", value=str(value)[:50])
    if amount != amount.quantize(Decimal("0.01")):
        raise _FieldProblem("amount_precision", value=str(value)[:50])
    return amount.quantize(Decimal("0.01"))


def _parse_money_text(text: str) -> Decimal:
    s = _MONEY_NOISE.sub("", text.strip())
    negative = s.startswith("(") and s.endswith(")")
    s = s.strip("()")
    if "," in s and "." in s:
        # The last separator is the decimal one: 1,234.50 or 1.234,50.
        s = s.replace(",", "") if s.rfind(".") > s.rfind(",") else s.replace(".", "").replace(",", ".")
    elif "," in s:
        head, _, tail = s.rpartition(",")
        s = s.replace(",", "") if len(tail) == 3 and head.lstrip("-") else s.replace(",", ".")
    try:
        amount = Decimal(s)
    except InvalidOperation:
        raise _FieldProblem("bad_amount", value=text[:50]) from None
    return -amount if negative else amount


def _clean_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    # ISO only (and the unambiguous dotted day-first form): 03/04/2026 means two dates.
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _FieldProblem("bad_date", value=text[:50])


def _clean_delivery(value: Any) -> DeliveryMethod:
    if isinstance(value, DeliveryMethod):
        return value
    text = str(value or "none").strip().casefold()
    aliases = {"": "none", "courriel": "email", "e-mail": "email", "imprimer": "print", "aucun": "none"}
    try:
        return DeliveryMethod(aliases.get(text, text))
    except ValueError:
        raise _FieldProblem("bad_delivery_method", value=str(value)[:50]) from None


# Each field's rule, chosen once (``clean_fields`` and ``field_cleaner``).
_CLEANERS: dict[str, FieldCleaner] = {
    name: (
        _clean_bool if name in BOOL_FIELDS
        else parse_money if name == "opening_balance"
        else _clean_date if name == "opening_balance_date"
        else _clean_delivery if name == "delivery_method"
        else _text_cleaner(name)
    )
    for name in EDITABLE_FIELDS
}
