"""Cleaning and validating customer fields, shared by the form, the import and the CLI.

Input is a mapping of field name to raw value (text typed in Slack, a spreadsheet cell, a CLI flag).
``clean_fields`` returns the values as stored and every problem found, without raising, so an import
can report all of a row's problems at once; ``require_clean`` raises ``InvalidInput`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from db.models import FIELD_MAX_LENGTHS, CustomerFields, DeliveryMethod
from handlers.errors import InvalidInput, Problem
from handlers.normalize import clean_text

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
        if name not in EDITABLE_FIELDS:
            raise KeyError(f"not a customer field: {name}")
        try:
            cleaned[name] = _clean_one(name, value)
        except _FieldProblem as p:
            problems.append(Problem(p.code, name, {"field": name, **p.params}))
    return cleaned, problems


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
    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params


def _clean_one(name: str, value: Any) -> Any:
    if name in BOOL_FIELDS:
        return _clean_bool(value)
    if name == "opening_balance":
        return parse_money(value)
    if name == "opening_balance_date":
        return _clean_date(value)
    if name == "delivery_method":
        return _clean_delivery(value)
    return _clean_str(name, value)


def _clean_str(name: str, value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else _number_as_text(value)
    if name in NAME_FIELDS:
        for char, label in FORBIDDEN_IN_NAMES.items():
            if char in text.strip():
                raise _FieldProblem("forbidden_character", character=label)
    if name in MULTILINE_FIELDS:
        text = "\n".join(clean_text(line) for line in text.strip().splitlines()).strip()
    else:
        text = clean_text(text)
    if not text:
        return None
    limit = FIELD_MAX_LENGTHS[name]
    if len(text) > limit:
        raise _FieldProblem("too_long", max=limit, length=len(text))
    if name == "email" and not _EMAIL.match(text):
        raise _FieldProblem("bad_email", value=text[:100])
    return text


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
