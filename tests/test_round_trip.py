"""Export, then import the file back: zero surprises (issue 7's round trip)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from sqlmodel import Session

from handlers import customers, exporting
from handlers.exporting import ExportFormat
from handlers.importing import RowStatus, apply_plan, inspect, plan_import, suggest_for
from tests.factories import ACTOR, TEAM, chain, customer, invoice


def _seed(session: Session) -> None:
    customer(session, "Hélène Dupont", company_name="Dupont SARL", email="h@dupont.fr", phone="+33 6 12 34 56 78",
             bill_street="1 rue de la Paix\nBâtiment B", bill_city="Paris", bill_postal_code="01000",
             notes='=HYPERLINK("http://evil.test")', terms="Net 30", tax_exempt=True, resale_number="R-1",
             opening_balance="120.50", opening_balance_date="2026-01-01", delivery_method="email")
    top, _kid, grandchild = chain(session, "Acme Corp", "Acme Kitchen", "Acme Kitchen Oven")
    invoice(session, grandchild, "99.00")
    customer(session, "-5 Degrees Ltd", phone="+1 555 0100", website="https://5degrees.test")
    assert top.id is not None


def _plan(session: Session, path: Path, update_by: str = "name"):  # type: ignore[no-untyped-def]
    info = inspect(path)
    suggestion = suggest_for(session, team_id=TEAM, headers=info.headers)
    return info, suggestion, plan_import(session, team_id=TEAM, path=path, fields=suggestion.fields,
                                         update_by=update_by)


def test_unchanged_export_maps_every_column_and_changes_nothing(session: Session, tmp_path: Path) -> None:
    _seed(session)
    path = exporting.export_customers(session, team_id=TEAM, path=tmp_path / "export.xlsx").path
    info, suggestion, plan = _plan(session, path)
    with plan:
        mapped_headers = {info.headers[i] for i in suggestion.fields.values()}
        assert mapped_headers >= set(exporting.headers()[: len(exporting.FIELD_COLUMNS)])
        assert {row.status for row in plan.rows} == {RowStatus.UNCHANGED}
        assert len(plan.rows) == 5
        result = apply_plan(session, plan, actor=ACTOR)
    assert (result.created, result.updated) == (0, 0)


def test_unchanged_csv_export_changes_nothing_either(session: Session, tmp_path: Path) -> None:
    _seed(session)
    path = exporting.export_customers(session, team_id=TEAM, path=tmp_path / "export.csv", fmt=ExportFormat.CSV).path
    _info, _suggestion, plan = _plan(session, path)
    with plan:
        assert {row.status for row in plan.rows} == {RowStatus.UNCHANGED}, [
            (r.name, r.changes, r.problems) for r in plan.rows if r.status != RowStatus.UNCHANGED
        ]


def test_edited_cells_update_exactly_those_fields(session: Session, tmp_path: Path) -> None:
    _seed(session)
    path = exporting.export_customers(session, team_id=TEAM, path=tmp_path / "export.xlsx").path
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Display name")].value == "Hélène Dupont":
            row[header.index("Email")].value = "helene@dupont.fr"
            row[header.index("Billing city")].value = "Lyon"
    workbook.save(path)
    _info, _suggestion, plan = _plan(session, path)
    with plan:
        updates = plan.with_status(RowStatus.UPDATE)
        assert [r.name for r in updates] == ["Hélène Dupont"]
        assert {(c.field, c.before, c.after) for c in updates[0].changes} == {
            ("email", "h@dupont.fr", "helene@dupont.fr"), ("bill_city", "Paris", "Lyon"),
        }
        assert all(r.status == RowStatus.UNCHANGED for r in plan.rows if r.name != "Hélène Dupont")
        result = apply_plan(session, plan, actor=ACTOR)
    assert (result.created, result.updated) == (0, 1)
    helene = customers.find_by_name(session, team_id=TEAM, name="Hélène Dupont")
    assert helene is not None
    assert (helene.email, helene.bill_city, helene.notes) == ("helene@dupont.fr", "Lyon", '=HYPERLINK("http://evil.test")')
