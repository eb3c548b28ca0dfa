"""``/clients export`` and the Home button, end to end: the file arrives in the user's DM."""

from __future__ import annotations

import io

import openpyxl

from bot.blocks.ids import Action
from tests.factories import ACTOR, TEAM, customer
from tests.slack_harness import SlackHarness


def _wait_upload(app: SlackHarness) -> list[dict[str, object]]:
    app.fake.wait_for("files.completeUploadExternal")
    upload = app.fake.uploaded_files()[-1]
    sheet = openpyxl.load_workbook(io.BytesIO(upload.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert upload.channel_id == "DU0001"
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_export_command_sends_the_list_to_the_users_dm(app: SlackHarness) -> None:
    with app.db() as session:
        customer(session, "Acme Corp", email="billing@acme.test")
        customer(session, "Zeta", team="T0002")
    assert app.slack.command("export").status == 200
    rows = _wait_upload(app)
    assert [(r["Display name"], r["Email"]) for r in rows] == [("Acme Corp", "billing@acme.test")]
    assert "1 customer" in (app.fake.uploaded_files()[-1].initial_comment or "")


def test_export_all_includes_inactive_customers_in_csv(app: SlackHarness) -> None:
    from handlers import customers

    with app.db() as session:
        gone = customer(session, "Gone")
        assert gone.id is not None
        customers.make_inactive(session, team_id=TEAM, customer_id=gone.id, actor=ACTOR)
    app.slack.command("exporter tout csv")
    app.fake.wait_for("files.completeUploadExternal")
    upload = app.fake.uploaded_files()[-1]
    assert upload.name.endswith(".csv")
    assert "Gone" in upload.content.decode("utf-8-sig") and "Inactive" in upload.content.decode("utf-8-sig")


def test_export_button_on_home_sends_the_file(app: SlackHarness) -> None:
    with app.db() as session:
        customer(session, "Acme Corp")
    app.slack.block_action(Action.EXPORT, value="xlsx", container="view", view={"type": "home", "blocks": []})
    assert [r["Display name"] for r in _wait_upload(app)] == ["Acme Corp"]
