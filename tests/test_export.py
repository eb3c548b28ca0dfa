"""Exporting the customer list: every field, hierarchy, balances, inert formulas, the CLI."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from db.models import Customer
from handlers import customers, exporting, hierarchy, merge
from handlers.exporting import ExportFormat
from handlers.importing.read import open_source
from tests.factories import ACTOR, OTHER_TEAM, TEAM, chain, customer, invoice, payment


def _xlsx_rows(path: Path) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_has_every_field_under_its_quickbooks_label(session: Session, tmp_path: Path) -> None:
    customer(session, "Hélène Dupont", company_name="Dupont SARL", email="h@dupont.fr", phone="06 12 34 56 78",
             bill_city="Lyon", bill_postal_code="01000", notes="line one\nline two", terms="Net 30")
    rows = _xlsx_rows(exporting.export_customers(session, team_id=TEAM, path=tmp_path / "c.xlsx").path)
    assert len(rows) == 1
    row = rows[0]
    assert row["Display name"] == "Hélène Dupont"
    assert row["Company name"] == "Dupont SARL"
    assert row["Billing ZIP/postal code"] == "01000"
    assert row["Notes"] == "line one\nline two"
    assert row["Terms"] == "Net 30"
    assert row["Status"] == "Active"


def test_export_gives_full_names_parents_and_rolled_up_balances(session: Session, tmp_path: Path) -> None:
    _top, kid, grandchild = chain(session, "Top", "Kid", "Grand")
    invoice(session, grandchild, "100.00")
    invoice(session, kid, "40.00")
    payment(session, kid, "15.00")
    rows = {r["Display name"]: r for r in _xlsx_rows(
        exporting.export_customers(session, team_id=TEAM, path=tmp_path / "c.xlsx").path)}
    assert rows["Grand"]["Full name"] == "Top:Kid:Grand"
    assert rows["Grand"]["Parent customer"] == "Top:Kid"
    assert rows["Top"]["Parent customer"] is None
    assert Decimal(str(rows["Kid"]["Balance"])) == Decimal("25.00")
    assert Decimal(str(rows["Kid"]["Balance with sub-customers"])) == Decimal("125.00")
    assert Decimal(str(rows["Top"]["Balance with sub-customers"])) == Decimal("125.00")


def test_export_leaves_out_inactive_customers_unless_asked(session: Session, tmp_path: Path) -> None:
    customer(session, "Active Ltd")
    gone = customer(session, "Gone Ltd")
    assert gone.id is not None
    customers.make_inactive(session, team_id=TEAM, customer_id=gone.id, actor=ACTOR)
    active_only = _csv_rows(exporting.export_customers(
        session, team_id=TEAM, path=tmp_path / "a.csv", fmt=ExportFormat.CSV).path)
    everyone = _csv_rows(exporting.export_customers(
        session, team_id=TEAM, path=tmp_path / "b.csv", fmt=ExportFormat.CSV, include_inactive=True).path)
    assert [r["Display name"] for r in active_only] == ["Active Ltd"]
    assert {r["Display name"]: r["Status"] for r in everyone} == {"Active Ltd": "Active", "Gone Ltd": "Inactive"}


def test_export_never_shows_another_workspace(session: Session, tmp_path: Path) -> None:
    customer(session, "Ours")
    customer(session, "Theirs", team=OTHER_TEAM)
    rows = _xlsx_rows(exporting.export_customers(session, team_id=TEAM, path=tmp_path / "c.xlsx").path)
    assert [r["Display name"] for r in rows] == ["Ours"]


def test_formula_looking_text_is_a_text_cell_in_xlsx(session: Session, tmp_path: Path) -> None:
    customer(session, "Evil", notes='=HYPERLINK("http://evil.test","click")', phone="+33 6 12 34 56 78")
    path = exporting.export_customers(session, team_id=TEAM, path=tmp_path / "c.xlsx").path
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    notes = sheet.cell(row=2, column=header.index("Notes") + 1)
    assert notes.data_type == "s"
    assert notes.value == '=HYPERLINK("http://evil.test","click")'


def test_formula_looking_text_gets_an_apostrophe_in_csv(session: Session, tmp_path: Path) -> None:
    customer(session, "Evil", notes="=1+1", company_name="@SUM(A1)", phone="+33 6 12 34 56 78")
    row = _csv_rows(exporting.export_customers(
        session, team_id=TEAM, path=tmp_path / "c.csv", fmt=ExportFormat.CSV).path)[0]
    assert (row["Notes"], row["Company name"], row["Phone"]) == ("'=1+1", "'@SUM(A1)", "'+33 6 12 34 56 78")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text())
def test_no_exported_csv_cell_can_start_a_formula(text: str) -> None:
    cell = exporting.csv_value(text)
    assert not str(cell).startswith(exporting.FORMULA_TRIGGERS)
    assert cell == text or cell == "'" + text


def test_cli_exports_a_file(session: Session, tmp_path: Path, database_url: str) -> None:
    customer(session, "Acme Corp")
    output = tmp_path / "out.csv"
    env = {**os.environ, "DATABASE_URL": database_url, "CLIENTDESK_TEAM": TEAM}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "export", "--format", "csv", "--output", str(output)],
        env=env, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "1 customer" in done.stdout
    assert [r["Display name"] for r in _csv_rows(output)] == ["Acme Corp"]


def test_dates_and_amounts_stay_typed_cells_in_xlsx(session: Session, tmp_path: Path) -> None:
    customer(session, "Dated Ltd", opening_balance="120.50", opening_balance_date="2026-01-01")
    path = exporting.export_customers(session, team_id=TEAM, path=tmp_path / "c.xlsx").path
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    as_of = sheet.cell(row=2, column=header.index("As of") + 1)
    assert (as_of.value, as_of.number_format) == (datetime(2026, 1, 1), "yyyy-mm-dd")
    for label in ("Opening balance", "Balance", "Balance with sub-customers"):
        amount = sheet.cell(row=2, column=header.index(label) + 1)
        assert (amount.data_type, amount.value) == ("n", 120.5)
    # What the importer's reader gets: a date and numbers, not text.
    with open_source(path) as source:
        row = dict(zip(source.info.headers, next(iter(source.rows())).cells, strict=True))
    assert (row["As of"], row["Opening balance"], row["Balance"]) == (date(2026, 1, 1), 120.5, 120.5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(), min_size=1, max_size=6))
def test_no_exported_xlsx_text_can_be_a_formula(texts: list[str], tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    exporting.write_xlsx(iter([["x", text] for text in texts]), path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    assert [c.data_type for c in cells if c.value] == ["s" for text in texts if text]


TRICKY_TEXTS = [
    "=1+1", "+33 6 12 34 56 78", "-5 Degrees", "@SUM(A1)", "\tindented", "\rreturn", "\x00nul", "a\x01b\x1fc",
    "line one\nline two", " leading space", "trailing space ", "_x0041_ literal", "0012", "1e5", "TRUE",
    "https://evil.test", "2026-01-01", "Zoë 🙂 東京", "",
]


def test_every_exported_xlsx_text_reads_back_exactly_through_the_importer(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    exporting.write_xlsx(iter([["x", text] for text in TRICKY_TEXTS]), path)
    with open_source(path) as source:
        read = [(row.cells[1] if len(row.cells) > 1 else None) or "" for row in source.rows()]
    assert read == TRICKY_TEXTS


def _csv_export(session: Session, path: Path, **options: Any) -> tuple[int, list[dict[str, str]]]:
    result = exporting.export_customers(session, team_id=TEAM, path=path, fmt=ExportFormat.CSV, **options)
    return result.count, _csv_rows(path)


def _what_the_app_shows(session: Session, c: Customer) -> dict[str, str]:
    assert c.id is not None
    names = [a.display_name for a in hierarchy.ancestors(session, c)]
    return {
        "Full name": ":".join([*names, c.display_name]),
        "Parent customer": ":".join(names),
        "Status": "Active" if c.active else "Inactive",
        "Balance": str(customers.balance(session, team_id=TEAM, customer_id=c.id)),
        "Balance with sub-customers": str(
            customers.balance_with_sub_customers(session, team_id=TEAM, customer_id=c.id)),
    }


def test_a_list_longer_than_a_page_keeps_full_names_and_roll_ups_across_pages(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = customer(session, "Acme Corp", opening_balance="10.00")
    other_top = customer(session, "Zed Inc")
    fillers = [customer(session, f"Filler {i}") for i in range(9)]
    # Sub-customers pages after their parents, a chain four levels down, money at several levels.
    kid = customer(session, "Acme Kitchen", parent=top)
    grand = customer(session, "Acme Kitchen Oven", parent=kid, opening_balance="1.50")
    great = customer(session, "Oven Door", parent=grand)
    greater = customer(session, "Door Hinge", parent=great)
    zed_kid = customer(session, "Zed Shop", parent=other_top)
    gone = customer(session, "Zed Old Shop", parent=other_top)
    merged_away = customer(session, "Acme Annex", parent=top)
    for c, amount in ((top, "100.00"), (grand, "40.00"), (greater, "7.25"), (zed_kid, "99.99"),
                      (merged_away, "30.00"), (fillers[3], "5.00")):
        invoice(session, c, amount)
    payment(session, greater, "2.25")
    payment(session, kid, "15.00")
    assert gone.id is not None and merged_away.id is not None and fillers[0].id is not None
    customers.make_inactive(session, team_id=TEAM, customer_id=gone.id, actor=ACTOR)
    merge.merge(session, team_id=TEAM, duplicate_id=merged_away.id, kept_id=fillers[0].id, actor=ACTOR)
    listed = list(session.exec(
        select(Customer).where(Customer.team_id == TEAM, col(Customer.merged_into_id).is_(None))
    ))
    expected = {c.display_name: _what_the_app_shows(session, c) for c in listed}
    assert expected["Acme Corp"]["Balance with sub-customers"] == "141.50"

    monkeypatch.setattr(exporting, "PAGE", 4)
    count, rows = _csv_export(session, tmp_path / "paged.csv", include_inactive=True)
    assert count == len(listed) == 17
    shown = {r["Display name"]: {k: r[k] for k in expected["Acme Corp"]} for r in rows}
    assert shown == expected
    # Paging changes nothing in the file: the same export read in one page is byte for byte the same.
    monkeypatch.setattr(exporting, "PAGE", 1000)
    _csv_export(session, tmp_path / "whole.csv", include_inactive=True)
    assert (tmp_path / "paged.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    # Active only, in other pages: the inactive sub-customer is left out, every other row unchanged.
    monkeypatch.setattr(exporting, "PAGE", 3)
    count, rows = _csv_export(session, tmp_path / "active.csv")
    assert count == 16
    assert {r["Display name"]: {k: r[k] for k in expected["Acme Corp"]} for r in rows} == {
        name: shown for name, shown in expected.items() if name != "Zed Old Shop"
    }


def test_the_list_is_read_in_bounded_pages_with_no_query_per_customer(
    session: Session, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = chain(session, "Top", "Kid", "Grand", "Great")
    made += [customer(session, f"Customer {i:02d}", parent=made[i % 4]) for i in range(7)]
    monkeypatch.setattr(exporting, "PAGE", 4)
    pages = list(exporting.pages(session, team_id=TEAM, include_inactive=True))
    assert [len(p) for p in pages] == [4, 4, 3]
    assert [r.id for p in pages for r in p] == [c.id for c in made]

    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "customer" in statement:  # reads of the list, not the connection's set-up or BEGIN
            statements.append(statement)

    monkeypatch.setattr(exporting, "PAGE", 1000)
    event.listen(engine, "before_cursor_execute", count)
    try:
        before = len(statements)
        assert _csv_export(session, tmp_path / "a.csv", include_inactive=True)[0] == 11
        first = len(statements) - before
        made += [customer(session, f"More {i:02d}", parent=made[i % 4]) for i in range(11)]
        before = len(statements)
        assert _csv_export(session, tmp_path / "b.csv", include_inactive=True)[0] == 22
        second = len(statements) - before
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # Twice the customers in one page: the same statements, none per customer.
    assert first == second
