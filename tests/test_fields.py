"""Field rules: QuickBooks' lengths, forbidden characters in names, formats, money, dates, booleans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from db.models import FIELD_MAX_LENGTHS, DeliveryMethod
from handlers import customers
from handlers.errors import InvalidInput
from handlers.fields import NAME_FIELDS, clean_fields, derived_display_name, parse_money, require_clean
from tests.factories import ACTOR, TEAM


def _value_of_length(field: str, length: int) -> str:
    if field == "email":
        domain = "@example.com"
        return "a" * (length - len(domain)) + domain
    return "x" * length


def _problem(field: str, value: object):
    _, problems = clean_fields({field: value})
    assert len(problems) == 1, problems
    return problems[0]


# ------------------------------------------------------------------------------ lengths


@pytest.mark.parametrize(("field", "limit"), sorted(FIELD_MAX_LENGTHS.items()))
def test_text_field_accepts_its_quickbooks_maximum_length(field: str, limit: int) -> None:
    value = _value_of_length(field, limit)
    assert require_clean({field: value}) == {field: value}


@pytest.mark.parametrize(("field", "limit"), sorted(FIELD_MAX_LENGTHS.items()))
def test_text_field_one_character_over_its_maximum_is_refused(field: str, limit: int) -> None:
    problem = _problem(field, _value_of_length(field, limit + 1))
    assert problem.code == "too_long"
    assert problem.field == field
    assert problem.message() == f"Too long: {limit + 1} characters, at most {limit}."


def test_customer_with_every_text_field_at_its_maximum_length_is_stored(session) -> None:
    values = {f: _value_of_length(f, n) for f, n in FIELD_MAX_LENGTHS.items()}
    added = customers.add(session, team_id=TEAM, fields=values, actor=ACTOR)
    session.expire_all()
    stored = customers.get(session, team_id=TEAM, customer_id=added.id)
    assert {f: getattr(stored, f) for f in FIELD_MAX_LENGTHS} == values


def test_display_name_at_maximum_length_whose_letters_fold_longer_is_stored(session) -> None:
    # "ß" folds to "ss": the comparison keys must still fit their columns (PostgreSQL enforces them).
    name = "Straße " + "ß" * 493
    added = customers.add(session, team_id=TEAM, fields={"display_name": name, "email": "groß@straße.de"},
                          actor=ACTOR)
    session.expire_all()
    assert customers.get(session, team_id=TEAM, customer_id=added.id).display_name == name
    assert customers.find_by_name(session, team_id=TEAM, name=name.upper()).id == added.id


def test_length_is_counted_after_trimming_and_collapsing_spaces() -> None:
    assert require_clean({"title": "  Dr.   " + "x" * 12 + "  "}) == {"title": "Dr. " + "x" * 12}


# ----------------------------------------------------------------------- name characters


@pytest.mark.parametrize("field", sorted(NAME_FIELDS))
@pytest.mark.parametrize(("char", "label"), [(":", "colon"), ("\t", "tab"), ("\n", "newline"), ("\r", "newline")])
def test_name_field_refuses_colon_tab_and_newline(field: str, char: str, label: str) -> None:
    problem = _problem(field, f"Acme{char}West")
    assert problem.code == "forbidden_character"
    assert problem.field == field
    assert label in problem.message()


def test_colon_is_allowed_outside_name_fields() -> None:
    assert require_clean({"notes": "Call: mornings", "company_name": "Acme: West"}) == {
        "notes": "Call: mornings", "company_name": "Acme: West",
    }


def test_trailing_newline_pasted_into_a_name_is_trimmed_not_refused() -> None:
    assert require_clean({"display_name": "Acme West\n"}) == {"display_name": "Acme West"}


def test_multiline_fields_keep_their_lines_trimmed() -> None:
    cleaned = require_clean({"bill_street": "  12  Main St \n Suite   4 \n"})
    assert cleaned == {"bill_street": "12 Main St\nSuite 4"}


def test_blank_text_is_stored_as_nothing() -> None:
    assert require_clean({"company_name": "   ", "phone": ""}) == {"company_name": None, "phone": None}


# ------------------------------------------------------------------------------- email


@pytest.mark.parametrize("email", ["jane@example.com", "Jane.Doe+billing@mail.example.co.uk"])
def test_valid_email_is_accepted(email: str) -> None:
    assert require_clean({"email": email}) == {"email": email}


@pytest.mark.parametrize("email", ["jane", "jane@example", "jane doe@example.com", "@example.com",
                                   "jane@@example.com", "jane@example .com"])
def test_malformed_email_is_refused(email: str) -> None:
    problem = _problem("email", email)
    assert problem.code == "bad_email"
    assert "isn't an email address" in problem.message()


# ------------------------------------------------------------------------------- money


@pytest.mark.parametrize(("typed", "amount"), [
    ("1,234.50", "1234.50"),
    ("1 234,50", "1234.50"),
    ("1.234,50", "1234.50"),
    ("1\u202f234,50", "1234.50"),
    ("1,234", "1234.00"),
    ("12,5", "12.50"),
    ("(12.00)", "-12.00"),
    ("-12", "-12.00"),
    ("€ 5", "5.00"),
    ("$1,000.10", "1000.10"),
    ("99.99 EUR", "99.99"),
    ("", "0.00"),
    (None, "0.00"),
    (12, "12.00"),
    (Decimal("7.1"), "7.10"),
    (0.1, "0.10"),
])
def test_money_is_parsed_as_typed(typed: object, amount: str) -> None:
    parsed = parse_money(typed)
    assert parsed == Decimal(amount)
    assert isinstance(parsed, Decimal)
    assert parsed.as_tuple().exponent == -2


@pytest.mark.parametrize("typed", ["12.345", "0.001", 1.005])
def test_money_with_three_decimals_is_refused(typed: object) -> None:
    problem = _problem("opening_balance", typed)
    assert problem.code == "amount_precision"
    assert "more than 2 decimals" in problem.message()


@pytest.mark.parametrize("typed", ["abc", "12..5", "NaN", "Infinity", "10000000000000", float("nan"),
                                   float("inf"), 1e300])
def test_text_that_is_not_an_amount_is_refused(typed: str) -> None:
    problem = _problem("opening_balance", typed)
    assert problem.code == "bad_amount"
    assert problem.message() == f"\"{str(typed)[:50]}\" isn't an amount."


def test_opening_balance_is_stored_as_exact_decimal(session) -> None:
    added = customers.add(session, team_id=TEAM, fields={"display_name": "Acme", "opening_balance": "0.10"},
                          actor=ACTOR)
    session.expire_all()
    stored = customers.get(session, team_id=TEAM, customer_id=added.id)
    assert stored.opening_balance == Decimal("0.10")
    assert isinstance(stored.opening_balance, Decimal)


# ------------------------------------------------------------------ spreadsheet numbers


@pytest.mark.parametrize(("field", "cell", "text"), [
    ("phone", 33612345678.0, "33612345678"),
    ("mobile", 612345678, "612345678"),
    ("bill_postal_code", 75001.0, "75001"),
    ("resale_number", 12.5, "12.5"),
])
def test_numbers_from_spreadsheets_are_kept_as_text(field: str, cell: object, text: str) -> None:
    assert require_clean({field: cell}) == {field: text}


def test_spreadsheet_float_with_binary_noise_is_the_amount_it_shows() -> None:
    # A formula cell =0.1+0.2 reads as 0.30000000000000004.
    assert parse_money(0.1 + 0.2) == Decimal("0.30")
    assert parse_money(1234.5 * 3) == Decimal("3703.50")


@pytest.mark.parametrize(("cell", "value"), [(1.0, True), (0.0, False), (1, True)])
def test_spreadsheet_numbers_are_understood_as_booleans(cell: object, value: bool) -> None:
    assert require_clean({"tax_exempt": cell}) == {"tax_exempt": value}


# ------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(("typed", "expected"), [
    ("2026-03-04", date(2026, 3, 4)),
    ("04.03.2026", date(2026, 3, 4)),
    (date(2026, 3, 4), date(2026, 3, 4)),
    (datetime(2026, 3, 4, 15, 30), date(2026, 3, 4)),
    ("", None),
    (None, None),
])
def test_opening_balance_date_is_parsed(typed: object, expected: date | None) -> None:
    assert require_clean({"opening_balance_date": typed}) == {"opening_balance_date": expected}


@pytest.mark.parametrize("typed", ["03/04/2026", "2026-02-30", "tomorrow"])
def test_ambiguous_or_invalid_date_is_refused(typed: str) -> None:
    problem = _problem("opening_balance_date", typed)
    assert problem.code == "bad_date"
    assert "YYYY-MM-DD" in problem.message()


# ------------------------------------------------------------------- delivery, booleans


@pytest.mark.parametrize(("typed", "method"), [
    ("print", DeliveryMethod.PRINT), ("Email", DeliveryMethod.EMAIL), ("e-mail", DeliveryMethod.EMAIL),
    ("courriel", DeliveryMethod.EMAIL), ("", DeliveryMethod.NONE), (None, DeliveryMethod.NONE),
    (DeliveryMethod.PRINT, DeliveryMethod.PRINT),
])
def test_delivery_method_is_understood(typed: object, method: DeliveryMethod) -> None:
    assert require_clean({"delivery_method": typed}) == {"delivery_method": method}


def test_unknown_delivery_method_is_refused() -> None:
    problem = _problem("delivery_method", "fax")
    assert problem.code == "bad_delivery_method"
    assert "print, email or none" in problem.message()


@pytest.mark.parametrize(("typed", "value"), [
    (True, True), (False, False), ("yes", True), ("No", False), ("1", True), ("0", False), (1, True),
    ("oui", True), ("x", True), ("", False), (None, False),
])
def test_booleans_are_understood(typed: object, value: bool) -> None:
    assert require_clean({"tax_exempt": typed}) == {"tax_exempt": value}


def test_unknown_boolean_is_refused() -> None:
    problem = _problem("tax_exempt", "maybe")
    assert problem.code == "bad_boolean"
    assert problem.message() == "\"maybe\" isn't yes or no."


# -------------------------------------------------------------------------- all at once


def test_every_field_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        require_clean({"given_name": "A:B", "email": "nope", "phone": "1" * 31, "tax_exempt": "maybe"})
    assert [(p.field, p.code) for p in caught.value.problems] == [
        ("given_name", "forbidden_character"), ("email", "bad_email"), ("phone", "too_long"),
        ("tax_exempt", "bad_boolean"),
    ]
    assert len(str(caught.value).splitlines()) == 4


def test_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        clean_fields({"favourite_colour": "blue"})


@pytest.mark.parametrize(("parts", "expected"), [
    ({"title": "Dr.", "given_name": "Jane", "middle_name": "Q.", "family_name": "Doe", "suffix": "Jr."},
     "Dr. Jane Q. Doe Jr."),
    ({"given_name": "Jane", "family_name": "Doe", "company_name": "Acme"}, "Jane Doe"),
    ({"company_name": "Acme"}, "Acme"),
    ({}, None),
])
def test_display_name_is_derived_as_quickbooks_does(parts: dict[str, str], expected: str | None) -> None:
    assert derived_display_name(parts) == expected
