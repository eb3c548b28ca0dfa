"""Issue 7's round trip through Slack: /clients export, then drop that very file back in a channel."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from handlers import customers
from tests.factories import chain as make_chain
from tests.factories import customer, invoice
from tests.slack_harness import SlackHarness
from tests.test_slack_import import imported, names, preview_of, preview_text, result_of, submit_preview


def _exported_file(app: SlackHarness, tmp_path: Path) -> Path:
    assert app.slack.command("export").status == 200
    app.fake.wait_for("files.completeUploadExternal")
    path = tmp_path / "customers.xlsx"
    path.write_bytes(app.fake.uploaded_files()[-1].content)
    return path


def _seed(app: SlackHarness) -> None:
    with app.db() as session:
        customer(session, "Hélène Dupont", email="h@dupont.fr", phone="+33 6 12 34 56 78", bill_city="Paris",
                 notes="=1+1", opening_balance="12.50", opening_balance_date="2026-01-01")
        _top, _kid, oven = make_chain(session, "Acme Corp", "Acme Kitchen", "Acme Kitchen Oven")
        invoice(session, oven, "99.00")


def test_unchanged_export_dropped_back_in_slack_changes_nothing(app: SlackHarness, tmp_path: Path) -> None:
    _seed(app)
    before = names(app)
    path = _exported_file(app, tmp_path)
    summary = imported(app, path, update="name")
    assert names(app) == before
    assert "*0* created, *0* updated" in summary["text"], summary["text"]


def test_edited_export_updates_exactly_the_edited_fields(app: SlackHarness, tmp_path: Path) -> None:
    _seed(app)
    path = _exported_file(app, tmp_path)
    workbook = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    sheet = workbook.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[header.index("Display name")].value == "Hélène Dupont":
            row[header.index("Billing city")].value = "Lyon"
    workbook.save(path)
    preview = preview_of(app, path, mode="name")
    text = preview_text(preview)
    assert "Lyon" in text and "Paris" in text
    summary = submit_and_wait(app, preview)
    assert "*0* created, *1* updated" in summary["text"], summary["text"]
    with app.db(read_only=True) as session:
        helene = customers.find_by_name(session, team_id="T0001", name="Hélène Dupont")
        assert helene is not None
        assert (helene.bill_city, helene.email, helene.notes) == ("Lyon", "h@dupont.fr", "=1+1")


def submit_and_wait(app: SlackHarness, preview: dict[str, object]) -> dict[str, object]:
    submit_preview(app, preview)
    return result_of(app)
