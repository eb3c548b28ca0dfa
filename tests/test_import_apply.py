"""Applying a plan: the selected rows in one transaction, all or none; jobs; the rejected-rows report."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from db.imports import ImportJob, ImportStatus
from db.models import AuditEvent, Customer, utcnow
from db.session import SessionFactory
from handlers import hierarchy, normalize
from handlers.errors import Refused
from handlers.importing import (
    ImportResult,
    Plan,
    RowStatus,
    apply_plan,
    jobs,
    parse_selection,
    plan_import,
    suggest,
    write_rejected_report,
)
from handlers.importing.read import inspect
from tests import factories as f
from tests import spreadsheets as s
from tests.conftest import TEST_DATABASE_URL, is_postgres
from tests.factories import ACTOR, TEAM


def planned(session: Session, path: Path, *, update_by: str = "name") -> Plan:
    fields = suggest(inspect(path).headers).fields
    return plan_import(session, team_id=TEAM, path=path, fields=fields, update_by=update_by)


def imported(session: Session, tmp_path: Path, rows: Sequence[Sequence[Any]], *, selection: str = "all",
             update_by: str = "name", kind: str = "xlsx") -> ImportResult:
    path = s.xlsx(tmp_path / "in.xlsx", rows) if kind == "xlsx" else s.csv_file(tmp_path / "in.csv", rows)
    with planned(session, path, update_by=update_by) as plan:
        return apply_plan(session, plan, actor=ACTOR, selection=parse_selection(selection))


def customer(session: Session, name: str) -> Customer:
    session.expire_all()
    found = session.exec(select(Customer).where(Customer.team_id == TEAM, Customer.display_name == name)).first()
    assert found is not None, name
    return found


def count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Customer)).one()


def test_valid_rows_created_with_their_fields(session: Session, tmp_path: Path) -> None:
    rows = [["Display Name", "Email", "Phone", "ZIP", "Notes", "Opening Balance", "As of"],
            ["Acme", "a@acme.com", 33612345678.0, "02134", '=HYPERLINK("http://x","y")', 1234.5,
             date(2024, 1, 31)]]
    path = s.xlsx(tmp_path / "in.xlsx", rows, text_cells=True)
    with planned(session, path) as plan:
        result = apply_plan(session, plan, actor=ACTOR)
    assert result.created == 1
    acme = customer(session, "Acme")
    assert (acme.email, acme.phone, acme.bill_postal_code) == ("a@acme.com", "33612345678", "02134")
    assert acme.notes == '=HYPERLINK("http://x","y")'
    assert (acme.opening_balance, acme.opening_balance_date) == (Decimal("1234.50"), date(2024, 1, 31))
    assert acme.name_key == "acme" and acme.email_key == "a@acme.com" and acme.created_by == ACTOR


def test_text_amounts_and_french_csv_imported(session: Session, tmp_path: Path) -> None:
    rows = [["Nom d'affichage", "Courriel", "Solde d'ouverture"], ["Côté inc.", "info@cote.ca", "1 234,56 $"]]
    path = s.csv_file(tmp_path / "fr.csv", rows, delimiter=";", bom=True)
    with planned(session, path) as plan:
        apply_plan(session, plan, actor=ACTOR)
    assert customer(session, "Côté inc.").opening_balance == Decimal("1234.56")


def test_invalid_and_duplicate_rows_not_imported(session: Session, tmp_path: Path) -> None:
    result = imported(session, tmp_path, [["Name", "Email"], ["Acme", "a@acme.com"], ["ACME", ""],
                                          ["Globex", "bad"]])
    assert (result.created, result.rejected) == (1, 2)
    assert count(session) == 1


TRICKY_TEXTS = ["  two  spaces ", "no\u00a0break", "em\u2003space\u3000ideo", "e\u0301cole", "\ufb01ne Å", "tab\tin",
                "line\u2028sep", "next\x85line", "zero\u200bwidth", "plain"]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_cells_stored_as_the_form_cleans_them(session: Session, tmp_path: Path, kind: str) -> None:
    rows = [["Display Name", "City", "Notes", "Company"],
            *([f"Customer {i}", text, f" {text}\n\n {text} ", text] for i, text in enumerate(TRICKY_TEXTS))]
    assert imported(session, tmp_path, rows, kind=kind).created == len(TRICKY_TEXTS)
    for i, text in enumerate(TRICKY_TEXTS):
        stored = customer(session, f"Customer {i}")
        cleaned = normalize.clean_text(text)
        notes = "\n".join(normalize.clean_text(line) for line in f" {text}\n\n {text} ".strip().splitlines())
        assert (stored.bill_city, stored.notes, stored.company_name) == (cleaned, notes.strip(), cleaned)


def test_file_without_a_display_name_column_imports_the_built_names(session: Session, tmp_path: Path) -> None:
    rows = [["First Name", "Last Name", "Company"], ["Ann", "Lee", "Acme"], ["", "", "Globex"]]
    result = imported(session, tmp_path, rows)
    assert result.created == 2
    assert (customer(session, "Ann Lee").company_name, customer(session, "Globex").company_name) == ("Acme", "Globex")


def test_built_name_matching_a_customer_does_not_rename_it(session: Session, tmp_path: Path) -> None:
    f.customer(session, "ANN LEE", email="old@x.com")
    result = imported(session, tmp_path, [["First Name", "Last Name", "Email"], ["Ann", "Lee", "new@x.com"]])
    assert (result.created, result.updated) == (0, 1)
    assert customer(session, "ANN LEE").email == "new@x.com"


def test_hierarchy_linked_whatever_the_order(session: Session, tmp_path: Path) -> None:
    rows = [["Name", "Parent"], ["Cabinets", "Kitchen"], ["Kitchen", "Smith"], ["Smith", ""]]
    imported(session, tmp_path, rows)
    cabinets = customer(session, "Cabinets")
    assert hierarchy.fully_qualified_name(session, cabinets) == "Smith:Kitchen:Cabinets"


def test_four_levels_deep_imported_from_colon_names(session: Session, tmp_path: Path) -> None:
    rows = [["Name"], ["L0:L1:L2:L3:L4"], ["L0:L1:L2:L3"], ["L0:L1:L2"], ["L0:L1"], ["L0"]]
    assert imported(session, tmp_path, rows).created == 5
    assert hierarchy.level(session, customer(session, "L4")) == 4


def test_sub_customer_of_an_existing_customer(session: Session, tmp_path: Path) -> None:
    smith = f.customer(session, "Smith")
    imported(session, tmp_path, [["Name", "Parent"], ["Kitchen", "Smith"]])
    assert customer(session, "Kitchen").parent_id == smith.id


def test_same_file_twice_creates_nothing_new(session: Session, tmp_path: Path) -> None:
    rows = [["Name", "Email", "Parent"], ["Smith", "s@x.com", ""], ["Kitchen", "", "Smith"], ["Globex", "", ""]]
    first = imported(session, tmp_path, rows)
    second = imported(session, tmp_path, rows)
    assert (first.created, second.created, second.updated, second.unchanged) == (3, 0, 0, 3)
    assert count(session) == 3


def test_update_writes_only_the_changed_fields_and_audits_them(session: Session, tmp_path: Path) -> None:
    acme = f.customer(session, "Acme", email="old@acme.com", phone="555 0100", notes="keep")
    version = acme.version
    result = imported(session, tmp_path, [["Name", "Email", "Phone"], ["Acme", "new@acme.com", "555 0100"]])
    assert (result.created, result.updated) == (0, 1)
    after = customer(session, "Acme")
    assert (after.email, after.email_key, after.notes, after.version) == ("new@acme.com", "new@acme.com", "keep",
                                                                         version + 1)
    event = session.exec(select(AuditEvent).where(AuditEvent.customer_id == acme.id,
                                                  AuditEvent.action == "import_edit")).one()
    assert (event.before, event.after) == ({"email": "old@acme.com"}, {"email": "new@acme.com"})


def test_update_by_email_renames_the_customer(session: Session, tmp_path: Path) -> None:
    acme = f.customer(session, "Acme Corp", email="a@acme.com")
    imported(session, tmp_path, [["Name", "Email"], ["Acme Corporation", "a@acme.com"]], update_by="email")
    session.expire_all()
    renamed = session.get(Customer, acme.id)
    assert renamed is not None and (renamed.display_name, renamed.name_key) == ("Acme Corporation",
                                                                                "acme corporation")


def test_update_follows_recurring_template_copy(session: Session, tmp_path: Path) -> None:
    acme = f.customer(session, "Acme", email="old@acme.com")
    template = f.template(session, acme)
    imported(session, tmp_path, [["Name", "Email"], ["Acme", "new@acme.com"]])
    session.expire_all()
    session.refresh(template)
    assert template.email == "new@acme.com"


def test_only_new_rows_selected(session: Session, tmp_path: Path) -> None:
    f.customer(session, "Acme", email="old@acme.com")
    result = imported(session, tmp_path, [["Name", "Email"], ["Acme", "new@acme.com"], ["Globex", ""]],
                      selection="new")
    assert (result.created, result.updated, result.skipped) == (1, 0, 1)
    assert customer(session, "Acme").email == "old@acme.com"


def test_listed_rows_only_imported(session: Session, tmp_path: Path) -> None:
    result = imported(session, tmp_path, s.customers_rows(10), selection="2, 5-6")
    assert result.created == 3
    assert {c.display_name for c in session.exec(select(Customer))} == {"Customer 1", "Customer 4", "Customer 5"}


def test_listing_an_invalid_row_refuses_the_whole_import(session: Session, tmp_path: Path) -> None:
    with pytest.raises(Refused) as caught:
        imported(session, tmp_path, [["Name", "Email"], ["Acme", ""], ["Globex", "bad"]], selection="2,3")
    assert caught.value.code == "import_rows_not_importable"
    assert count(session) == 0


def test_listing_a_row_the_file_lacks_refused(session: Session, tmp_path: Path) -> None:
    with pytest.raises(Refused) as caught:
        imported(session, tmp_path, s.customers_rows(3), selection="2,40")
    assert caught.value.code == "import_rows_unknown"


def test_sub_customer_without_its_new_parent_refused(session: Session, tmp_path: Path) -> None:
    with pytest.raises(Refused) as caught:
        imported(session, tmp_path, [["Name", "Parent"], ["Smith", ""], ["Kitchen", "Smith"]], selection="3")
    assert caught.value.code == "import_parent_not_selected"
    assert count(session) == 0


def test_bad_selection_text_refused() -> None:
    with pytest.raises(Exception) as caught:
        parse_selection("2, five")
    assert getattr(caught.value, "code", None) == "import_bad_selection"


def test_failure_mid_import_leaves_nothing(session: Session, tmp_path: Path) -> None:
    path = s.csv_file(tmp_path / "many.csv", s.customers_rows(2500))
    calls: list[int] = []

    def broken(done: int, total: int) -> None:
        calls.append(done)
        if done >= 1000:
            raise RuntimeError("disk full")

    with planned(session, path) as plan, pytest.raises(RuntimeError):
        apply_plan(session, plan, actor=ACTOR, progress=broken)
    assert calls == [1000]
    assert count(session) == 0


def test_progress_reported_per_batch(session: Session, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = s.csv_file(tmp_path / "p.csv", s.customers_rows(2100))
    with planned(session, path) as plan:
        apply_plan(session, plan, actor=ACTOR, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1000, 2100), (2000, 2100), (2100, 2100)]


def test_classified_again_at_apply_a_customer_added_meanwhile_is_not_duplicated(
    session: Session, tmp_path: Path
) -> None:
    path = s.xlsx(tmp_path / "in.xlsx", [["Name", "Email"], ["Acme", "a@acme.com"]])
    with planned(session, path) as plan:
        assert plan.rows[0].status is RowStatus.NEW
        f.customer(session, "ACME")
        result = apply_plan(session, plan, actor=ACTOR)
    assert (result.created, result.updated) == (0, 1)
    assert count(session) == 1


def test_creations_audited_by_one_import_event(session: Session, tmp_path: Path) -> None:
    imported(session, tmp_path, s.customers_rows(5))
    events = list(session.exec(select(AuditEvent).where(AuditEvent.action == "import")))
    assert len(events) == 1
    assert events[0].after["created"] == 5 and events[0].after["file"] == "in.xlsx"


def test_plan_applied_after_its_spill_is_gone_reads_the_file_again(session: Session, tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "in.xlsx", s.customers_rows(3))
    plan = planned(session, path)
    plan.close()
    assert apply_plan(session, plan, actor=ACTOR).created == 3


def test_changed_file_refused_when_the_plan_must_be_read_again(session: Session, tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "in.xlsx", s.customers_rows(3))
    plan = planned(session, path)
    plan.close()
    s.xlsx(path, s.customers_rows(4))
    with pytest.raises(Exception) as caught:
        apply_plan(session, plan, actor=ACTOR)
    assert getattr(caught.value, "code", None) == "import_file_changed"


# ------------------------------------------------------------------------------------ jobs


def new_job(session: Session, plan: Plan) -> ImportJob:
    job, created = jobs.create(session, team_id=TEAM, actor=ACTOR, file_name=plan.file_name, sha256=plan.sha256,
                               source_ref="F0001")
    assert created and job.id is not None
    return jobs.record_plan(session, team_id=TEAM, job_id=job.id, plan=plan)


def test_job_created_once_per_slack_file(session: Session) -> None:
    first, created = jobs.create(session, team_id=TEAM, actor=ACTOR, file_name="a.xlsx", sha256="0" * 64,
                                 source_ref="F1")
    again, created_again = jobs.create(session, team_id=TEAM, actor=ACTOR, file_name="a.xlsx", sha256="0" * 64,
                                       source_ref="F1")
    assert (created, created_again, again.id) == (True, False, first.id)


def test_job_done_with_its_result_and_not_applied_twice(session: Session, tmp_path: Path) -> None:
    with planned(session, s.xlsx(tmp_path / "in.xlsx", s.customers_rows(4))) as plan:
        job = new_job(session, plan)
        assert job.id is not None and (job.status, job.planned["new"]) == (ImportStatus.PLANNED, 4)
        apply_plan(session, plan, actor=ACTOR, job_id=job.id)
        with pytest.raises(Refused) as caught:
            apply_plan(session, plan, actor=ACTOR, job_id=job.id)
    assert caught.value.code == "import_job_done"
    session.refresh(job)
    assert (job.status, job.result["created"], job.rows_done) == (ImportStatus.DONE, 4, 4)
    assert count(session) == 4


def test_failed_apply_marks_the_job_failed_with_nothing_written(session: Session, tmp_path: Path) -> None:
    with planned(session, s.xlsx(tmp_path / "in.xlsx", [["Name", "Parent"], ["A", ""], ["B", "A"]])) as plan:
        job = new_job(session, plan)
        assert job.id is not None
        with pytest.raises(Refused):
            apply_plan(session, plan, actor=ACTOR, job_id=job.id, selection=parse_selection("3"))
    session.refresh(job)
    assert (job.status, job.error_code) == (ImportStatus.FAILED, "import_parent_not_selected")
    assert count(session) == 0


def test_running_job_not_claimed_twice(session: Session, tmp_path: Path) -> None:
    with planned(session, s.xlsx(tmp_path / "in.xlsx", s.customers_rows(2))) as plan:
        job = new_job(session, plan)
        assert job.id is not None
        jobs.claim(session, team_id=TEAM, job_id=job.id, selection="all", rows=2)
        with pytest.raises(Refused) as caught:
            apply_plan(session, plan, actor=ACTOR, job_id=job.id)
    assert caught.value.code == "import_job_running"


CRASHING_APPLY = textwrap.dedent("""
    import os, sys
    from db.session import make_engine, session_factory
    from handlers.importing import apply_plan, plan_import, suggest
    from handlers.importing.read import inspect
    url, schema, path, job_id = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    engine = make_engine(url, **({"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}))
    with session_factory(engine)() as session:
        plan = plan_import(session, team_id="T0001", path=path, fields=suggest(inspect(path).headers).fields)
        apply_plan(session, plan, actor="U0001", job_id=job_id, progress=lambda done, total: os._exit(3))
""")


def test_process_killed_mid_import_leaves_an_interrupted_job_and_no_customer(
    engine: Engine, db: SessionFactory, tmp_path: Path
) -> None:
    path = s.csv_file(tmp_path / "many.csv", s.customers_rows(2500))
    with db() as session, planned(session, path) as plan:
        job = new_job(session, plan)
    assert job.id is not None
    url = TEST_DATABASE_URL if is_postgres() else engine.url.render_as_string(hide_password=False)
    schema = f"clientdesk_test_{os.getpid()}" if is_postgres() else ""
    engine.dispose()
    root = Path(__file__).resolve().parents[1]
    crashed = subprocess.run([sys.executable, "-c", CRASHING_APPLY, url, schema, str(path), str(job.id)],
                             cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    assert crashed.returncode == 3
    with db() as session:
        assert jobs.get(session, team_id=TEAM, job_id=job.id).status == ImportStatus.RUNNING
        assert count(session) == 0
        interrupted = jobs.recover_interrupted(session, now=utcnow() + timedelta(hours=1))
        assert [j.id for j in interrupted] == [job.id]
        with jobs.plan_again(session, team_id=TEAM, job_id=job.id, path=path) as plan:  # and it carries on
            result = apply_plan(session, plan, actor=ACTOR, job_id=job.id)
        assert result.created == 2500
        assert jobs.get(session, team_id=TEAM, job_id=job.id).status == ImportStatus.DONE


def test_recover_leaves_jobs_whose_lease_runs(session: Session, tmp_path: Path) -> None:
    with planned(session, s.xlsx(tmp_path / "in.xlsx", s.customers_rows(2))) as plan:
        job = new_job(session, plan)
    assert job.id is not None
    jobs.claim(session, team_id=TEAM, job_id=job.id, selection="all", rows=2)
    assert jobs.recover_interrupted(session) == []


# ---------------------------------------------------------------------------------- report


def test_rejected_rows_report_has_original_columns_and_the_problem(session: Session, tmp_path: Path) -> None:
    rows = [["Name", "Email", "Notes"], ["Acme", "a@acme.com", ""], ["Globex", "bad", "=1+2"], ["ACME", "", "x"]]
    path = s.xlsx(tmp_path / "in.xlsx", rows, text_cells=True)
    out = tmp_path / "rejected.xlsx"
    with planned(session, path) as plan:
        assert write_rejected_report(plan, out) == 2
    sheet = load_workbook(out).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == ["Name", "Email", "Notes", "Problem"]
    assert values[1][:3] == ["Globex", "bad", "=1+2"]
    assert values[1][3].startswith("Email: ") and "isn't an email address" in values[1][3]
    assert values[2] == ["ACME", None, "x", "Same customer as row 2"]
    formula_cell = sheet.cell(row=2, column=3)
    assert formula_cell.data_type == "s"  # written inert, as text


def test_report_of_chosen_rows(session: Session, tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "in.xlsx", s.customers_rows(5))
    out = tmp_path / "some.xlsx"
    with planned(session, path) as plan:
        assert write_rejected_report(plan, out, rows=[r for r in plan.rows if r.number in (3, 5)]) == 2
    sheet = load_workbook(out).active
    assert sheet is not None
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["Customer 2", "Customer 4"]


def test_customers_of_other_workspaces_untouched(session: Session, tmp_path: Path) -> None:
    other = f.customer(session, "Acme", team=f.OTHER_TEAM, email="other@x.com")
    result = imported(session, tmp_path, [["Name", "Email"], ["Acme", "mine@x.com"]])
    assert result.created == 1
    session.expire_all()
    kept = session.get(Customer, other.id)
    assert kept is not None and kept.email == "other@x.com"
    assert session.exec(select(func.count()).select_from(Customer).where(col(Customer.team_id) == TEAM)).one() == 1


def test_imported_customers_read_back_like_added_ones(session: Session, tmp_path: Path) -> None:
    added = f.customer(session, "Added", tax_exempt=True, opening_balance="10.00", opening_balance_date="2024-01-31")
    imported(session, tmp_path, [["Name", "Tax exempt", "Opening Balance", "As of"],
                                 ["Imported", "yes", "10", date(2024, 1, 31)]])
    new = customer(session, "Imported")
    for name in ("tax_exempt", "opening_balance", "opening_balance_date", "delivery_method", "active", "version"):
        assert getattr(new, name) == getattr(added, name), name
    assert new.created_at.tzinfo is not None and abs(new.created_at - added.created_at) < timedelta(minutes=5)


def test_job_planned_again_refuses_another_file(session: Session, tmp_path: Path) -> None:
    with planned(session, s.xlsx(tmp_path / "in.xlsx", s.customers_rows(2))) as plan:
        job = new_job(session, plan)
    assert job.id is not None
    with pytest.raises(Exception) as caught:
        jobs.plan_again(session, team_id=TEAM, job_id=job.id, path=s.xlsx(tmp_path / "other.xlsx", s.customers_rows(3)))
    assert getattr(caught.value, "code", None) == "import_file_changed"
