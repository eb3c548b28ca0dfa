"""Exporting the customer list: every field, hierarchy, balances, inert formulas, the CLI."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from handlers import customers, exporting
from handlers.exporting import ExportFormat
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
