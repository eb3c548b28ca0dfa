"""Importing a spreadsheet through Slack, end to end: signed events and interactions → the real app →
the fake Slack API (which serves the files and records the uploads) → the database.

The flow: a file shared (or sent through ``/clients import``) → "Import customers from *f*?" in the
thread → Import… → the mapping modal → the preview → the import, with a progress message, a summary
and the rejected rows' report.
"""

from __future__ import annotations

import io
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import openpyxl
import pytest
from sqlalchemy import Engine
from sqlmodel import col, func, select

from bot.blocks.ids import Action, Callback
from bot.blocks.import_views import (
    FILE_ACTION,
    FILE_BLOCK,
    MODE_ACTION,
    MODE_BLOCK,
    PICK_ACTION,
    ROWS_ACTION,
    ROWS_BLOCK,
    SELECTION_ACTION,
    SELECTION_BLOCK,
)
from bot.listeners.importing import plans, worker
from bot.listeners.importing.runner import NICE
from bot.listeners.importing.worker import Throttle, as_rows
from db.imports import ImportJob, ImportStatus
from db.models import Customer
from db.session import SessionFactory
from tests import spreadsheets as s
from tests.factories import TEAM, customer
from tests.slack_fake import (
    check_message,
    check_view,
    checkboxes,
    file_input,
    file_share_message_event,
    file_shared_event,
    plain_text,
    radio,
    static_select,
)
from tests.slack_harness import SlackHarness, running_app

CHANNEL = "C0001"
ADMIN = "U0001"
T = TypeVar("T")


# ------------------------------------------------------------------------------ helpers (also used by
# tests/test_slack_import_files.py and tests/test_import_kill.py)


def until(check: Callable[[], T | None], what: str, app: SlackHarness | None = None, timeout: float = 15.0) -> T:
    """Poll ``check`` until it returns something truthy (the app works after its ack, on threads)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{app.fake.transcript() if app else ''}")
        time.sleep(0.02)


def share(app: SlackHarness, path: Path, *, name: str | None = None, channel: str = CHANNEL,
          user: str = ADMIN, **extra: Any) -> dict[str, Any]:
    """Upload ``path`` to the fake and send the file_share message event; returns the file object."""
    file = app.fake.add_file(path.read_bytes(), name or path.name, user=user, channels=[channel], **extra)
    event = file_share_message_event([file], channel_id=channel, user_id=user)
    assert app.slack.event(event).status == 200
    return file


def offers(app: SlackHarness, channel: str = CHANNEL) -> list[dict[str, Any]]:
    """The import offers posted in ``channel`` (messages with the Import… button)."""
    return [m for m in app.fake.messages(channel) if Action.IMPORT_OPEN in str(m.get("blocks"))]


def offer_of(app: SlackHarness, channel: str = CHANNEL) -> dict[str, Any]:
    return until(lambda: offers(app, channel)[-1] if offers(app, channel) else None, "the import offer", app)


def button_value(message: dict[str, Any], action: str) -> str:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action:
                return str(element["value"])
    raise AssertionError(f"no {action} button in {message}")


def current_view(app: SlackHarness, callback: str, user: str = ADMIN) -> dict[str, Any]:
    """Wait for the user's open modal to become ``callback`` (a notice when the import was refused)."""
    def found() -> dict[str, Any] | None:
        views = app.fake.open_views(user)
        return views[-1] if views and views[-1]["callback_id"] == callback else None

    return until(found, f"a {callback} modal", app)


def open_mapping(app: SlackHarness, offer: dict[str, Any], *, user: str = ADMIN,
                 channel: str = CHANNEL) -> dict[str, Any]:
    """Click Import… on ``offer``; the mapping modal."""
    response = app.slack.block_action(Action.IMPORT_OPEN, value=button_value(offer, Action.IMPORT_OPEN),
                                      message=offer, channel_id=channel, user_id=user)
    assert response.status == 200
    view = current_view(app, Callback.IMPORT_MAPPING, user)
    check_view(view)
    return view


def selects(view: dict[str, Any]) -> dict[str, str | None]:
    """Field → the column value shown in the mapping modal (None: not imported)."""
    chosen: dict[str, str | None] = {}
    for block in view["blocks"]:
        if block["type"] == "input" and block["element"]["type"] == "static_select":
            chosen[block["block_id"]] = (block["element"].get("initial_option") or {}).get("value")
    return chosen


def shown_column(view: dict[str, Any], field: str) -> str | None:
    """The text of the column shown for ``field`` (e.g. "Email (e.g. a@acme.com)")."""
    for block in view["blocks"]:
        if block.get("block_id") == field:
            return (block["element"].get("initial_option") or {}).get("text", {}).get("text")
    raise AssertionError(f"no {field} input")


def mapping_values(view: dict[str, Any], *, mode: str = "name",
                   columns: dict[str, int | None] | None = None) -> dict[str, Any]:
    """The mapping modal's state as shown, with ``columns`` changed (field → column; None: not imported)."""
    columns = columns or {}
    values: dict[str, Any] = {}
    for name, value in selects(view).items():
        if name in columns:
            value = None if columns[name] is None else str(columns[name])
        values[name] = {"column": static_select(value)}
    values[MODE_BLOCK] = {MODE_ACTION: radio(mode)}
    return values


def submit_mapping(app: SlackHarness, view: dict[str, Any], *, mode: str = "name", user: str = ADMIN,
                   columns: dict[str, int | None] | None = None) -> Any:
    response = app.slack.view_submission(view["id"], mapping_values(view, mode=mode, columns=columns), user_id=user)
    assert response.status == 200
    answer = response.json()
    if answer and "view" in answer:
        check_view(answer["view"])
    return answer


def preview_of(app: SlackHarness, path: Path, *, mode: str = "name", name: str | None = None,
               columns: dict[str, int | None] | None = None) -> dict[str, Any]:
    """Share ``path``, click Import…, confirm the suggested mapping: the preview modal."""
    share(app, path, name=name)
    mapping = open_mapping(app, offer_of(app))
    submit_mapping(app, mapping, mode=mode, columns=columns)
    view = current_view(app, Callback.IMPORT_PREVIEW)
    check_view(view)
    return view


def preview_text(view: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] if b["type"] == "section" else str(b.get("elements", ""))
                     for b in view["blocks"] if b["type"] in ("section", "context"))


def selection_values(mode: str = "all", rows: str | None = None, picked: list[str] | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {SELECTION_BLOCK: {SELECTION_ACTION: radio(mode)},
                              ROWS_BLOCK: {ROWS_ACTION: plain_text(rows)}}
    if picked is not None:
        values["import_pick_0"] = {PICK_ACTION: checkboxes(picked)}
    return values


def submit_preview(app: SlackHarness, view: dict[str, Any], *, user: str = ADMIN, **selection: Any) -> Any:
    response = app.slack.view_submission(view["id"], selection_values(**selection), user_id=user)
    assert response.status == 200
    answer = response.json()
    if answer and "view" in answer:
        check_view(answer["view"])
    return answer


def result_of(app: SlackHarness, channel: str = CHANNEL) -> dict[str, Any]:
    """The import's last word in the thread (the progress message once it says "imported"/"Nothing")."""
    def done() -> dict[str, Any] | None:
        for message in app.fake.messages(channel):
            text = message.get("text") or ""
            if " imported *" in text or text.startswith("Nothing was imported"):
                return message
        return None

    message = until(done, "the import's summary", app, timeout=30)
    check_message(message["text"], message.get("blocks"))
    return message


def imported(app: SlackHarness, path: Path, *, update: str = "name", **selection: Any) -> dict[str, Any]:
    """Share ``path``, confirm the suggested columns (``update``: create, name or email), import ``selection``."""
    submit_preview(app, preview_of(app, path, mode=update), **selection)
    return result_of(app)


def names(app: SlackHarness) -> list[str]:
    with app.db(read_only=True) as session:
        return sorted(c.display_name for c in session.exec(select(Customer).where(Customer.team_id == TEAM)))


def import_jobs(app: SlackHarness) -> list[ImportJob]:
    with app.db(read_only=True) as session:
        return list(session.exec(select(ImportJob).order_by(col(ImportJob.id))))


ROWS = [
    ["Display Name", "Email", "Phone", "City"],
    ["Acme Corp", "billing@acme.test", "+1 555 0100", "Springfield"],
    ["Globex", "not-an-email", "", "Shelbyville"],
    ["Initech", "info@initech.test", "", ""],
    ["ACME corp", "other@acme.test", "", ""],
]


# ------------------------------------------------------------------------------ the offer


def test_spreadsheet_shared_in_a_channel_gets_a_threaded_offer(app: SlackHarness, tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "customers.xlsx", ROWS)
    file = app.fake.add_file(path.read_bytes(), path.name)
    event = file_share_message_event([file])
    assert app.slack.event(event).status == 200
    offer = offer_of(app)
    check_message(offer["text"], offer["blocks"])
    assert offer["text"] == "Import customers from *customers.xlsx*?"
    assert offer["thread_ts"] == event["ts"]  # a reply in the file's thread
    assert [(j.source_ref, j.file_name, j.status) for j in import_jobs(app)] == [
        (file["id"], "customers.xlsx", ImportStatus.PENDING)]


def test_csv_sent_to_the_bot_in_a_dm_gets_an_offer(app: SlackHarness, tmp_path: Path) -> None:
    share(app, s.csv_file(tmp_path / "list.csv", ROWS), channel="DU0001")
    assert offer_of(app, "DU0001")["text"] == "Import customers from *list.csv*?"


def test_event_delivered_four_times_offers_once(app: SlackHarness, tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "customers.xlsx", ROWS)
    file = app.fake.add_file(path.read_bytes(), path.name)
    event = file_share_message_event([file])
    for retry in (None, 1, 2, 3):
        assert app.slack.event(event, event_id="Ev0FILE", retry_num=retry).status == 200
    offer_of(app)
    time.sleep(0.3)  # give a wrongly repeated offer the time to appear
    assert len(offers(app)) == 1
    assert len(import_jobs(app)) == 1


def test_both_event_kinds_of_one_upload_offer_once(app: SlackHarness, tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "customers.xlsx", ROWS)
    file = app.fake.add_file(path.read_bytes(), path.name)
    assert app.slack.event(file_shared_event(file["id"])).status == 200
    assert app.slack.event(file_share_message_event([file])).status == 200
    assert app.slack.event(file_shared_event(file["id"])).status == 200
    offer_of(app)
    time.sleep(0.3)
    assert len(offers(app)) == 1


def test_same_file_shared_again_is_offered_once(app: SlackHarness, tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "customers.xlsx", ROWS)
    file = app.fake.add_file(path.read_bytes(), path.name)
    app.slack.event(file_share_message_event([file]))
    offer_of(app)
    app.slack.event(file_share_message_event([file]))
    time.sleep(0.3)
    assert len(offers(app)) == 1


def test_other_files_and_plain_messages_are_acknowledged_and_ignored(app: SlackHarness, tmp_path: Path) -> None:
    picture = app.fake.add_file(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "photo.png")
    document = app.fake.add_file(b"%PDF-1.4", "terms.pdf")
    assert app.slack.event(file_share_message_event([picture, document])).status == 200
    assert app.slack.event({"type": "message", "text": "hello", "user": ADMIN, "channel": CHANNEL,
                            "ts": "1700000001.000100", "channel_type": "channel"}).status == 200
    assert app.slack.event({"type": "message", "subtype": "message_changed", "channel": CHANNEL,
                            "message": {"text": "edited"}, "ts": "1700000002.000100"}).status == 200
    assert app.slack.event(file_shared_event(picture["id"])).status == 200
    time.sleep(0.3)
    assert app.fake.calls("chat.postMessage") == []
    assert import_jobs(app) == []


def test_slack_connect_stub_is_read_through_files_info(app: SlackHarness, tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "shared.xlsx", ROWS)
    file = app.fake.add_file(path.read_bytes(), path.name)
    stub = {"id": file["id"], "mode": "file_access", "file_access": "check_file_info", "created": 0, "user": ""}
    assert app.slack.event(file_share_message_event([stub])).status == 200
    assert offer_of(app)["text"] == "Import customers from *shared.xlsx*?"
    assert app.fake.calls("files.info")[0].params["file"] == file["id"]


def test_import_command_opens_a_file_modal_whose_file_is_offered_in_a_dm(app: SlackHarness, tmp_path: Path) -> None:
    assert app.slack.command("import").status == 200
    modal = app.fake.wait_for("views.open")[0].params["view"]
    check_view(modal)
    assert modal["callback_id"] == Callback.IMPORT_FILE
    path = s.csv_file(tmp_path / "export.csv", ROWS)
    file = app.fake.add_file(path.read_bytes(), path.name, channels=[])
    view_id = app.fake.open_views(ADMIN)[-1]["id"]
    response = app.slack.view_submission(view_id, {FILE_BLOCK: {FILE_ACTION: file_input([file])}})
    assert response.status == 200 and response.json() is None  # the modal closes
    offer = offer_of(app, "DU0001")
    assert offer["text"] == "Import customers from *export.csv*?"
    mapping = open_mapping(app, offer, channel="DU0001")
    assert selects(mapping)["display_name"] == "0"


def test_home_import_button_opens_the_file_modal(app: SlackHarness) -> None:
    app.slack.block_action(Action.IMPORT_START, value="import", container="view", view={"type": "home", "blocks": []})
    modal = app.fake.wait_for("views.open")[0].params["view"]
    check_view(modal)
    assert modal["callback_id"] == Callback.IMPORT_FILE


def test_file_modal_refuses_a_file_that_is_not_a_spreadsheet(app: SlackHarness) -> None:
    app.slack.command("import")
    app.fake.wait_for("views.open")
    file = app.fake.add_file(b"%PDF-1.4", "terms.pdf", channels=[])
    response = app.slack.view_submission(app.fake.open_views(ADMIN)[-1]["id"],
                                         {FILE_BLOCK: {FILE_ACTION: file_input([file])}})
    assert response.json() == {"response_action": "errors",
                               "errors": {FILE_BLOCK: "Send an Excel workbook (.xlsx) or a CSV file (.csv)."}}


# ------------------------------------------------------------------------------ mapping


def test_mapping_modal_shows_suggested_columns_with_a_sample(app: SlackHarness, tmp_path: Path) -> None:
    share(app, s.xlsx(tmp_path / "customers.xlsx", ROWS))
    view = open_mapping(app, offer_of(app))
    chosen = selects(view)
    assert (chosen["display_name"], chosen["email"], chosen["phone"], chosen["bill_city"]) == ("0", "1", "2", "3")
    assert chosen["company_name"] is None
    assert shown_column(view, "email") == "Email (e.g. billing@acme.test)"
    assert "headers are on row 1" in view["blocks"][0]["text"]["text"]


def test_mapping_modal_reads_french_headers(app: SlackHarness, tmp_path: Path) -> None:
    rows = [["Société", "Prénom", "Nom", "Courriel", "Tél.", "Code postal", "Ville", "Client parent"],
            ["Côté & fils", "Marie", "Côté", "marie@cote.ca", "0612345678", "01000", "Bourg", ""]]
    share(app, s.xlsx(tmp_path / "clients.xlsx", rows))
    chosen = selects(open_mapping(app, offer_of(app)))
    assert {k: v for k, v in chosen.items() if v is not None} == {
        "company_name": "0", "given_name": "1", "family_name": "2", "email": "3", "phone": "4",
        "bill_postal_code": "5", "bill_city": "6", "parent": "7"}


def test_mapping_confirmed_once_is_proposed_first_for_the_same_headers(app: SlackHarness, tmp_path: Path) -> None:
    rows = [["Client", "Contact", "Notes"], ["Acme", "a@acme.test", "VIP"]]
    view = preview_of(app, s.xlsx(tmp_path / "one.xlsx", rows), columns={"email": 1})  # "Contact" is the email
    submit_preview(app, view)
    result_of(app)
    share(app, s.xlsx(tmp_path / "two.xlsx", [rows[0], ["Globex", "g@globex.test", ""]]))
    second = until(lambda: offers(app)[-1] if len(offers(app)) == 2 else None, "a second offer", app)
    mapping = open_mapping(app, second)
    assert selects(mapping)["email"] == "1"
    assert "confirmed last time" in str(mapping["blocks"])


def test_mapping_without_a_name_is_refused_under_display_name(app: SlackHarness, tmp_path: Path) -> None:
    share(app, s.xlsx(tmp_path / "customers.xlsx", ROWS))
    view = open_mapping(app, offer_of(app))
    answer = submit_mapping(app, view, columns={"display_name": None})
    assert answer["response_action"] == "errors"
    assert "display names" in answer["errors"]["display_name"]
    assert names(app) == []


def test_mapping_one_column_to_two_fields_is_refused_under_the_field(app: SlackHarness, tmp_path: Path) -> None:
    share(app, s.xlsx(tmp_path / "customers.xlsx", ROWS))
    answer = submit_mapping(app, open_mapping(app, offer_of(app)), columns={"notes": 1})  # Email again
    assert answer["response_action"] == "errors"
    assert "Email" in next(iter(answer["errors"].values()))


# ------------------------------------------------------------------------------ preview


def test_preview_shows_counts_and_the_invalid_rows_with_their_problems(app: SlackHarness, tmp_path: Path) -> None:
    view = preview_of(app, s.xlsx(tmp_path / "customers.xlsx", ROWS))
    text = preview_text(view)
    assert "*2* new, *0* to update, *0* unchanged, *1* duplicate(s) in the file, *1* with problems" in text
    assert "Row 3: Email:" in text
    assert "Row 5: Same customer as row 2" in text
    assert names(app) == []  # a preview writes nothing


def test_preview_flags_possible_duplicates_and_lists_the_changes_of_updates(app: SlackHarness,
                                                                          tmp_path: Path) -> None:
    with app.db() as session:
        customer(session, "Initech", email="old@initech.test")
        customer(session, "Globex Corporation", email="sales@globex.test")
    rows = [["Display Name", "Email"], ["Initech", "info@initech.test"], ["Globex Corp.", "sales@globex.test"]]
    text = preview_text(preview_of(app, s.xlsx(tmp_path / "customers.xlsx", rows)))
    assert "Row 2: *Initech*: Email old@initech.test → info@initech.test" in text
    assert "Row 3: *Globex Corp.* looks like Globex Corporation" in text


def test_import_all_valid_rows_reports_created_and_rejected(app: SlackHarness, tmp_path: Path) -> None:
    summary = imported(app, s.xlsx(tmp_path / "customers.xlsx", ROWS))
    assert summary["text"] == ("<@U0001> imported *customers.xlsx*: *2* created, *0* updated, *0* skipped,"
                               " *2* rejected.")
    assert names(app) == ["Acme Corp", "Initech"]
    assert [j.status for j in import_jobs(app)] == [ImportStatus.DONE]


@pytest.fixture
def served(engine: Engine, db: SessionFactory, database_url: str) -> Iterator[SlackHarness]:
    """The app as ``clientdesk serve`` runs it: imports in an import process of their own."""
    with running_app(engine, db, import_process_url=database_url) as harness:
        yield harness


def test_imports_run_in_a_process_of_their_own_below_the_bots_priority(served: SlackHarness,
                                                                        tmp_path: Path) -> None:
    app = served
    view = preview_of(app, s.xlsx(tmp_path / "customers.xlsx", ROWS))
    assert "*2* new, *0* to update, *0* unchanged, *1* duplicate(s) in the file, *1* with problems" in \
        preview_text(view)
    assert app.runner is not None and app.runner.pid is not None and app.runner.pid != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, app.runner.pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + NICE)
    assert not plans._PLANS  # the preview's plan is kept by the import process, for the import
    submit_preview(app, view)
    summary = result_of(app)
    assert summary["text"] == ("<@U0001> imported *customers.xlsx*: *2* created, *0* updated, *0* skipped,"
                               " *2* rejected.")
    assert names(app) == ["Acme Corp", "Initech"]
    assert [j.status for j in import_jobs(app)] == [ImportStatus.DONE]
    [report] = until(lambda: app.fake.uploaded_files(), "the rejected rows' report", app)  # by the import process
    assert report.name == "customers - rejected rows.xlsx"


def test_an_import_process_that_died_is_started_again_for_the_next_import(served: SlackHarness,
                                                                            tmp_path: Path) -> None:
    app = served
    assert app.runner is not None
    imported(app, s.xlsx(tmp_path / "first.xlsx", ROWS))
    first = app.runner.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    until(lambda: app.runner is not None and app.runner.pid is None, "the import process to die")
    rows = [["Display Name"], ["Umbrella"]]
    share(app, s.xlsx(tmp_path / "second.xlsx", rows))
    offer = until(lambda: next((m for m in offers(app) if "second.xlsx" in str(m)), None), "the second offer", app)
    submit_mapping(app, open_mapping(app, offer))
    submit_preview(app, current_view(app, Callback.IMPORT_PREVIEW))
    until(lambda: "Umbrella" in names(app), "the second import", app)
    assert app.runner.pid not in (None, first)


def test_import_only_new_rows_leaves_existing_customers_as_they_are(app: SlackHarness, tmp_path: Path) -> None:
    with app.db() as session:
        customer(session, "Initech", email="old@initech.test")
    summary = imported(app, s.xlsx(tmp_path / "customers.xlsx", ROWS), mode="new")
    assert "*1* created, *0* updated, *1* skipped" in summary["text"]
    with app.db(read_only=True) as session:
        assert session.exec(select(Customer.email).where(Customer.display_name == "Initech")).one() == \
            "old@initech.test"


def test_import_listed_row_numbers_only(app: SlackHarness, tmp_path: Path) -> None:
    rows = s.customers_rows(6)
    summary = imported(app, s.xlsx(tmp_path / "customers.xlsx", rows), mode="rows", rows="2, 5-6")
    assert "*3* created, *0* updated, *3* skipped" in summary["text"]
    assert names(app) == ["Customer 1", "Customer 4", "Customer 5"]


def test_import_ticked_rows_only(app: SlackHarness, tmp_path: Path) -> None:
    view = preview_of(app, s.xlsx(tmp_path / "customers.xlsx", s.customers_rows(4)))
    ticks = next(b for b in view["blocks"] if b.get("block_id") == "import_pick_0")
    assert [o["text"]["text"] for o in ticks["element"]["options"]][:2] == [
        "Row 2: Customer 1 (New)", "Row 3: Customer 2 (New)"]
    submit_preview(app, view, mode="picked", picked=["3", "5"])
    assert "*2* created" in result_of(app)["text"]
    assert names(app) == ["Customer 2", "Customer 4"]


def test_listed_rows_are_checked_before_the_import(app: SlackHarness, tmp_path: Path) -> None:
    view = preview_of(app, s.xlsx(tmp_path / "customers.xlsx", s.customers_rows(3)))
    answer = submit_preview(app, view, mode="rows", rows="two")
    assert answer["response_action"] == "errors"
    assert "isn't a list of rows" in answer["errors"][ROWS_BLOCK]
    assert submit_preview(app, view, mode="picked", picked=[])["errors"] == {"import_pick_0": "Tick at least one row."}
    assert "choose \"Only the rows listed below\"" in submit_preview(app, view, rows="2")["errors"][ROWS_BLOCK]
    time.sleep(0.3)
    assert names(app) == []


def test_rows_that_cannot_be_imported_are_refused_with_nothing_written(app: SlackHarness, tmp_path: Path) -> None:
    submit_preview(app, preview_of(app, s.xlsx(tmp_path / "customers.xlsx", ROWS)), mode="rows", rows="2-3")
    result = result_of(app)
    assert result["text"].startswith("Nothing was imported from *customers.xlsx*. Row(s) 3 can't be imported")
    assert names(app) == []


def test_create_only_leaves_matching_customers_unchanged(app: SlackHarness, tmp_path: Path) -> None:
    with app.db() as session:
        customer(session, "Initech", email="old@initech.test")
    view = preview_of(app, s.xlsx(tmp_path / "customers.xlsx", ROWS), mode="create")
    assert "1 row(s) match customers already on the list" in preview_text(view)
    submit_preview(app, view, mode="new")
    assert "*1* created, *0* updated, *1* skipped" in result_of(app)["text"]
    with app.db(read_only=True) as session:
        assert session.exec(select(Customer.email).where(Customer.display_name == "Initech")).one() == \
            "old@initech.test"


def test_update_by_email_renames_the_matching_customer(app: SlackHarness, tmp_path: Path) -> None:
    with app.db() as session:
        customer(session, "Acme", email="billing@acme.test")
    rows = [["Display Name", "Email"], ["Acme Corporation", "billing@acme.test"]]
    view = preview_of(app, s.xlsx(tmp_path / "customers.xlsx", rows), mode="email")
    assert "Display name Acme → Acme Corporation" in preview_text(view)
    submit_preview(app, view)
    assert "*0* created, *1* updated" in result_of(app)["text"]
    assert names(app) == ["Acme Corporation"]


def test_big_preview_stays_within_slack_limits(app: SlackHarness, tmp_path: Path) -> None:
    rows: list[list[Any]] = [["Display Name", "Email"]]
    rows += [[f"Customer {n}", f"bad email {n} " + "x" * 200] for n in range(300)]
    view = preview_of(app, s.csv_file(tmp_path / "bad.csv", rows))
    check_view(view)
    assert "…and" in preview_text(view)
    assert not any(b.get("block_id") == "import_pick_0" for b in view["blocks"])


# ------------------------------------------------------------------------------ progress, summary, report


def test_progress_message_is_updated_then_replaced_by_the_summary(app: SlackHarness, tmp_path: Path) -> None:
    submit_preview(app, preview_of(app, s.csv_file(tmp_path / "many.csv", s.customers_rows(3000))))
    summary = result_of(app)
    progress = app.fake.calls("chat.postMessage")[-1]
    assert progress.params["text"] == "Importing *many.csv*…"
    assert progress.params["thread_ts"] == offer_of(app).get("thread_ts")
    updates = [c for c in app.fake.calls("chat.update") if c.params["ts"] == summary["ts"]]
    assert any("rows written" in c.params["text"] for c in updates)
    assert "*3,000* created" in summary["text"]
    app.fake.wait_for("views.publish")  # the Home tab shows the new list


def progress_updates(app: SlackHarness, tmp_path: Path, rows: int) -> list[str]:
    """Import ``rows`` customers; the texts the progress message was updated with, summary last."""
    submit_preview(app, preview_of(app, s.csv_file(tmp_path / "many.csv", s.customers_rows(rows))))
    summary = result_of(app)
    return [c.params["text"] for c in app.fake.calls("chat.update") if c.params["ts"] == summary["ts"]]


def test_progress_updates_are_throttled(app: SlackHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "PROGRESS_INTERVAL", 3600.0)  # an import far shorter than the interval
    texts = progress_updates(app, tmp_path, 5000)
    # 10 batches read and written, but only the start of writing and the summary reach chat.update
    assert len(texts) == 2
    assert texts[0] == "Importing *many.csv*: 1,000 of 5,000 rows written (20 %)…"
    assert "*5,000* created" in texts[1]


def test_progress_shows_rows_written(app: SlackHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "PROGRESS_INTERVAL", 0.0)  # every step shown
    texts = progress_updates(app, tmp_path, 3000)
    # the preview's plan is reused: the file is not read again
    assert texts[:-1] == [
        "Importing *many.csv*: 1,000 of 3,000 rows written (33 %)…",
        "Importing *many.csv*: 2,000 of 3,000 rows written (66 %)…",
        "Importing *many.csv*: 3,000 of 3,000 rows written (100 %)…",
    ]


def test_progress_shows_rows_read_when_the_file_is_planned_again(app: SlackHarness, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "PROGRESS_INTERVAL", 0.0)
    monkeypatch.setattr(plans, "take", lambda *args: None)  # as in another process, or after a restart
    texts = progress_updates(app, tmp_path, 2000)
    assert texts[:-1] == [
        "Importing *many.csv*: checking the rows, 1,000 read…",
        "Importing *many.csv*: checking the rows, 2,000 read…",
        "Importing *many.csv*: 1,000 of 2,000 rows written (50 %)…",
        "Importing *many.csv*: 2,000 of 2,000 rows written (100 %)…",
    ]
    assert "*2,000* created" in texts[-1]


def test_throttle_lets_one_update_through_every_interval() -> None:
    now = [0.0]
    throttle = Throttle(interval=2.0, clock=lambda: now[0])
    passed = []
    for step in range(40):
        now[0] = step * 0.25
        passed.append(throttle.ready())
    assert sum(passed) == 5  # at 0, 2, 4, 6 and 8 s
    assert throttle.ready(force=True)


def test_row_numbers_are_kept_as_ranges() -> None:
    assert str(as_rows([2, 3, 4, 5, 9, 11, 12])) == "9,11,12,2-5"


def test_rejected_rows_come_back_as_a_readable_report_in_the_thread(app: SlackHarness, tmp_path: Path) -> None:
    summary = imported(app, s.xlsx(tmp_path / "customers.xlsx", ROWS))
    upload = until(lambda: app.fake.uploaded_files(), "the report", app)[-1]
    assert upload.channel_id == CHANNEL and upload.thread_ts == offer_of(app).get("thread_ts")
    assert upload.name == "customers - rejected rows.xlsx"
    assert "2 row(s) of customers.xlsx that couldn't be imported" in (upload.initial_comment or "")
    sheet = openpyxl.load_workbook(io.BytesIO(upload.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Display Name", "Email", "Phone", "City", "Problem")
    assert [r[0] for r in rows[1:]] == ["Globex", "ACME corp"]
    assert "Email" in str(rows[1][4]) and rows[2][4] == "Same customer as row 2"
    assert "*2* rejected" in summary["text"]


def test_no_report_when_every_row_is_imported(app: SlackHarness, tmp_path: Path) -> None:
    imported(app, s.xlsx(tmp_path / "customers.xlsx", s.customers_rows(2)))
    time.sleep(0.3)
    assert app.fake.uploaded_files() == []


def test_unexpected_failure_during_the_import_is_reported_in_the_thread(app: SlackHarness, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(worker, "apply_plan", broken)
    result = imported(app, s.xlsx(tmp_path / "customers.xlsx", s.customers_rows(2)))
    assert result["text"].startswith("Nothing was imported from *customers.xlsx*. Something went wrong on our side")
    assert names(app) == []


# ------------------------------------------------------------------------------ hostile files, permissions


@pytest.mark.parametrize("build", [s.encrypted_xlsx, s.macro_xlsm, s.zip_bomb, s.legacy_xls],
                         ids=["password", "macros", "zip-bomb", "legacy-xls"])
def test_hostile_file_gets_a_clear_answer_in_the_thread_and_nothing_is_written(
        app: SlackHarness, tmp_path: Path, build: Callable[[Path], Path]) -> None:
    share(app, build(tmp_path / "customers.xlsx"))
    offer = offer_of(app)
    started = time.monotonic()
    app.slack.block_action(Action.IMPORT_OPEN, value=button_value(offer, Action.IMPORT_OPEN), message=offer)
    refusal = until(lambda: next((m for m in app.fake.messages(CHANNEL)
                                  if (m.get("text") or "").startswith("Nothing was imported")), None),
                    "the refusal", app)
    assert time.monotonic() - started < 2.0  # well under a second of reading, plus the HTTP round trips
    check_message(refusal["text"], refusal["blocks"])
    assert refusal.get("thread_ts") == offer.get("thread_ts")
    assert "send it again" in refusal["text"]
    until(lambda: current_view(app, Callback.IMPORT_NOTICE)["blocks"][0]["text"]["text"] in refusal["text"],
          "the refusal in the modal", app)
    assert names(app) == []


def test_guest_may_not_start_an_import(app: SlackHarness, tmp_path: Path) -> None:
    app.fake.add_user("U0003", is_restricted=True)
    share(app, s.xlsx(tmp_path / "customers.xlsx", ROWS), user="U0003")
    offer = offer_of(app)
    app.slack.block_action(Action.IMPORT_OPEN, value=button_value(offer, Action.IMPORT_OPEN), message=offer,
                           user_id="U0003")
    refusal = until(lambda: app.fake.ephemerals(user="U0003"), "the refusal", app)[-1]
    assert refusal["text"].startswith("You can't import customers in this workspace.")
    assert app.fake.calls("views.open") == []
    assert app.fake.calls("download") == []


def test_permission_is_checked_again_when_the_preview_is_submitted(app: SlackHarness, tmp_path: Path) -> None:
    view = preview_of(app, s.xlsx(tmp_path / "customers.xlsx", ROWS))
    app.fake.add_user(ADMIN, is_restricted=True)  # became a guest meanwhile
    answer = submit_preview(app, view)
    assert answer["response_action"] == "update"
    assert answer["view"]["callback_id"] == Callback.IMPORT_NOTICE
    time.sleep(0.3)
    assert names(app) == []


def test_preview_submitted_twice_imports_once_with_one_message(app: SlackHarness, tmp_path: Path) -> None:
    view = preview_of(app, s.xlsx(tmp_path / "customers.xlsx", s.customers_rows(3)))
    submit_preview(app, view)
    second = submit_preview(app, view)
    # refused whether the first import is still running or already done
    assert second["view"]["blocks"][0]["text"]["text"] in ("The import of customers.xlsx is already running.",
                                                            "The import of customers.xlsx is already done.")
    result_of(app)
    time.sleep(0.3)
    assert names(app) == ["Customer 1", "Customer 2", "Customer 3"]
    assert len([m for m in app.fake.messages(CHANNEL) if "imported *" in (m.get("text") or "")]) == 1
    assert len(app.fake.calls("chat.postMessage")) == 2  # the offer and the progress/summary


def test_import_button_after_the_import_says_it_is_done(app: SlackHarness, tmp_path: Path) -> None:
    imported(app, s.xlsx(tmp_path / "customers.xlsx", s.customers_rows(2)))
    offer = offer_of(app)
    app.slack.block_action(Action.IMPORT_OPEN, value=button_value(offer, Action.IMPORT_OPEN), message=offer)
    answer = until(lambda: app.fake.ephemerals(user=ADMIN), "the answer", app)[-1]
    assert answer["text"] == "The import of customers.xlsx is already done."


def test_a_job_of_another_workspace_is_not_found(app: SlackHarness, tmp_path: Path) -> None:
    share(app, s.xlsx(tmp_path / "customers.xlsx", ROWS))
    offer = offer_of(app)
    app.slack.block_action(Action.IMPORT_OPEN, value=button_value(offer, Action.IMPORT_OPEN), message=offer,
                           team_id="T0002")
    until(lambda: app.fake.calls("chat.postEphemeral") or app.fake.calls("chat.postMessage")[1:], "an answer", app)
    assert app.fake.calls("views.open") == []
    with app.db(read_only=True) as session:
        assert session.exec(select(func.count()).select_from(ImportJob)).one() == 1
