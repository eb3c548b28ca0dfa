"""The dry run: every row classified (new, update, unchanged, duplicate, invalid), nothing written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func
from sqlmodel import Session, select

from db.models import Customer
from handlers.importing import Change, Plan, RowStatus, plan_import, suggest
from handlers.importing.read import inspect
from tests import factories as f
from tests import spreadsheets as s
from tests.factories import TEAM


def planned(session: Session, tmp_path: Path, rows: Sequence[Sequence[Any]], *, update_by: str = "name",
            kind: str = "csv") -> Plan:
    path = s.csv_file(tmp_path / "in.csv", rows) if kind == "csv" else s.xlsx(tmp_path / "in.xlsx", rows)
    fields = suggest(inspect(path).headers).fields
    return plan_import(session, team_id=TEAM, path=path, fields=fields, update_by=update_by)


def statuses(plan: Plan) -> dict[int, RowStatus]:
    return {r.number: r.status for r in plan.rows}


def codes(plan: Plan, number: int) -> list[str]:
    row = plan.row(number)
    assert row is not None
    return [p.code for p in row.problems]


def test_new_rows_planned_as_new(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name", "Email"], ["Acme", "a@acme.com"], ["Globex", ""]])
    assert statuses(plan) == {2: RowStatus.NEW, 3: RowStatus.NEW}
    assert plan.counts[RowStatus.NEW] == 2


def test_plan_writes_nothing(session: Session, tmp_path: Path) -> None:
    planned(session, tmp_path, [["Name"], ["Acme"], ["Globex"]])
    assert session.exec(select(func.count()).select_from(Customer)).one() == 0


def test_invalid_row_lists_every_field_problem(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name", "Email", "Phone"], ["Acme", "not an email", "1" * 31]])
    row = plan.row(2)
    assert row is not None and row.status is RowStatus.INVALID
    assert {(p.field, p.code) for p in row.problems} == {("email", "bad_email"), ("phone", "too_long")}


def test_row_without_any_name_is_invalid(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name", "Email"], ["", "a@acme.com"]])
    assert codes(plan, 2) == ["display_name_required"]


def test_display_name_built_from_first_and_last_name(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Display Name", "First Name", "Last Name"], ["", "Hélène", "Côté"]])
    row = plan.row(2)
    assert row is not None and (row.status, row.name) == (RowStatus.NEW, "Hélène Côté")


def test_display_name_built_from_the_company(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Display Name", "Company"], ["", "Globex Inc."]])
    assert plan.rows[0].name == "Globex Inc."


def test_tab_in_a_name_is_invalid(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name", "First Name"], ["Acme", "Jo\tAnn"]])
    assert codes(plan, 2) == ["forbidden_character"]


def test_colon_in_a_name_with_a_parent_column_is_invalid(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name", "Parent"], ["Top", ""], ["A:B", "Top"]])
    assert codes(plan, 3) == ["forbidden_character"]


def test_name_too_long_is_invalid(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name"], ["x" * 501]])
    assert codes(plan, 2) == ["too_long"]


def test_case_accent_and_space_variants_are_duplicates_in_the_file(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name"], ["Hélène Côté"], ["HELENE  COTE"], ["helene\u00a0côté"],
                                       ["He\u0301le\u0300ne Co\u0302te\u0301"]])
    assert statuses(plan) == {2: RowStatus.NEW, 3: RowStatus.DUPLICATE, 4: RowStatus.DUPLICATE,
                              5: RowStatus.DUPLICATE}
    assert {r.duplicate_of for r in plan.rows[1:]} == {2}


def test_update_by_name_lists_only_changed_fields(session: Session, tmp_path: Path) -> None:
    f.customer(session, "Acme", email="old@acme.com", phone="555 0100")
    plan = planned(session, tmp_path, [["Name", "Email", "Phone"], ["ACME", "new@acme.com", "555 0100"]])
    row = plan.rows[0]
    assert row.status is RowStatus.UPDATE
    assert row.changes == (Change("display_name", "Acme", "ACME"), Change("email", "old@acme.com", "new@acme.com"))


def test_same_values_are_unchanged(session: Session, tmp_path: Path) -> None:
    f.customer(session, "Acme", email="a@acme.com", opening_balance="12.50")
    plan = planned(session, tmp_path, [["Name", "Email", "Opening Balance"], ["Acme", "a@acme.com", "12.5"]])
    assert plan.rows[0].status is RowStatus.UNCHANGED


def test_empty_cells_change_nothing(session: Session, tmp_path: Path) -> None:
    f.customer(session, "Acme", email="a@acme.com")
    plan = planned(session, tmp_path, [["Name", "Email"], ["Acme", ""]])
    assert plan.rows[0].status is RowStatus.UNCHANGED


def test_update_by_email_matches_and_renames(session: Session, tmp_path: Path) -> None:
    existing = f.customer(session, "Acme Corp", email="a@acme.com")
    plan = planned(session, tmp_path, [["Name", "Email"], ["Acme Corporation", "A@ACME.COM"]], update_by="email")
    row = plan.rows[0]
    assert (row.status, row.customer_id) == (RowStatus.UPDATE, existing.id)
    assert Change("display_name", "Acme Corp", "Acme Corporation") in row.changes


def test_update_by_email_without_a_match_is_new(session: Session, tmp_path: Path) -> None:
    f.customer(session, "Acme", email="a@acme.com")
    plan = planned(session, tmp_path, [["Name", "Email"], ["Globex", "g@globex.com"]], update_by="email")
    assert plan.rows[0].status is RowStatus.NEW


def test_update_by_email_shared_by_two_customers_is_invalid(session: Session, tmp_path: Path) -> None:
    f.customer(session, "Acme", email="team@example.com")
    f.customer(session, "Globex", email="team@example.com")
    plan = planned(session, tmp_path, [["Name", "Email"], ["Initech", "team@example.com"]], update_by="email")
    assert codes(plan, 2) == ["import_email_ambiguous"]


def test_update_by_email_into_a_taken_name_is_invalid(session: Session, tmp_path: Path) -> None:
    f.customer(session, "Acme", email="a@acme.com")
    f.customer(session, "Globex", email="g@globex.com")
    plan = planned(session, tmp_path, [["Name", "Email"], ["Globex", "a@acme.com"]], update_by="email")
    assert codes(plan, 2) == ["import_name_taken"]


def test_two_rows_updating_one_customer_by_email_second_is_duplicate(session: Session, tmp_path: Path) -> None:
    f.customer(session, "Acme", email="a@acme.com")
    plan = planned(session, tmp_path, [["Name", "Email"], ["Acme", "a@acme.com"], ["Acme Inc", "a@acme.com"]],
                   update_by="email")
    assert statuses(plan) == {2: RowStatus.UNCHANGED, 3: RowStatus.DUPLICATE}


def test_look_alike_of_an_existing_customer_flagged(session: Session, tmp_path: Path) -> None:
    existing = f.customer(session, "Acme Corp.", phone="+1 555 010 0000")
    plan = planned(session, tmp_path, [["Name", "Phone"], ["ACME Corporation", ""], ["Globex", "555-010-0000"],
                                       ["Initech", ""]])
    assert [r.similar_to for r in plan.rows] == [(existing.id,), (existing.id,), ()]
    assert [r.number for r in plan.possible_duplicates] == [2, 3]


def test_child_before_its_parent_in_the_file(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name", "Parent"], ["Kitchen", "Smith"], ["Smith", ""]])
    assert statuses(plan) == {2: RowStatus.NEW, 3: RowStatus.NEW}
    assert plan.rows[0].parent == "Smith"


def test_colon_names_build_the_hierarchy_in_any_order(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name"], ["Smith:Kitchen:Cabinets"], ["Smith"], ["Smith:Kitchen"]],
                   kind="xlsx")
    assert [(r.status, r.name, r.parent) for r in plan.rows] == [
        (RowStatus.NEW, "Cabinets", "Kitchen"), (RowStatus.NEW, "Smith", None), (RowStatus.NEW, "Kitchen", "Smith"),
    ]


def test_four_levels_below_the_top_accepted_fifth_refused(session: Session, tmp_path: Path) -> None:
    rows = [["Name"], ["L0:L1:L2:L3:L4:L5"], ["L0:L1:L2:L3:L4"], ["L0:L1:L2:L3"], ["L0:L1:L2"], ["L0:L1"], ["L0"]]
    plan = planned(session, tmp_path, rows)
    assert statuses(plan)[2] is RowStatus.INVALID
    assert codes(plan, 2) == ["too_deep"]
    assert all(r.status is RowStatus.NEW for r in plan.rows[1:])


def test_depth_counts_existing_parents(session: Session, tmp_path: Path) -> None:
    f.chain(session, "Top", "One", "Two", "Three")
    plan = planned(session, tmp_path, [["Name", "Parent"], ["Four", "Three"], ["Five", "Four"]])
    assert statuses(plan) == {2: RowStatus.NEW, 3: RowStatus.INVALID}
    assert codes(plan, 3) == ["too_deep"]


def test_unknown_parent_is_invalid(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name", "Parent"], ["Kitchen", "Nobody"]])
    assert codes(plan, 2) == ["import_unknown_parent"]


def test_existing_parent_found_by_name(session: Session, tmp_path: Path) -> None:
    f.customer(session, "Smith")
    plan = planned(session, tmp_path, [["Name", "Parent Customer"], ["Kitchen", "SMITH"]])
    assert plan.rows[0].status is RowStatus.NEW


def test_inactive_parent_is_invalid(session: Session, tmp_path: Path) -> None:
    smith = f.customer(session, "Smith")
    from handlers import customers

    assert smith.id is not None
    customers.make_inactive(session, team_id=TEAM, customer_id=smith.id, actor=f.ACTOR)
    plan = planned(session, tmp_path, [["Name", "Parent"], ["Kitchen", "Smith"]])
    assert codes(plan, 2) == ["parent_inactive"]


def test_cycle_in_the_file_is_invalid(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name", "Parent"], ["A", "B"], ["B", "A"]])
    assert codes(plan, 2) == ["parent_cycle"]
    assert codes(plan, 3) == ["parent_cycle"]


def test_sub_customer_of_an_invalid_row_is_invalid(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name", "Email", "Parent"], ["Smith", "bad", ""], ["Kitchen", "", "Smith"]])
    assert codes(plan, 3) == ["import_parent_row_invalid"]


def test_moving_an_existing_customer_is_a_change(session: Session, tmp_path: Path) -> None:
    f.customer(session, "Smith")
    f.customer(session, "Kitchen")
    plan = planned(session, tmp_path, [["Name", "Parent"], ["Kitchen", "Smith"]])
    assert plan.rows[0].changes == (Change("parent", None, "Smith"),)


def test_bill_with_parent_without_a_parent_is_invalid(session: Session, tmp_path: Path) -> None:
    plan = planned(session, tmp_path, [["Name", "Bill with parent"], ["Acme", "yes"]])
    assert codes(plan, 2) == ["bill_with_parent_needs_parent"]


def test_french_headers_planned(session: Session, tmp_path: Path) -> None:
    rows = [["Nom d'affichage", "Courriel", "Code postal", "Solde d'ouverture", "Sous-client de"],
            ["Plomberie Côté", "info@cote.ca", "H2X 1Y4", "1 234,56 $", ""],
            ["Chantier Laval", "", "", "", "Plomberie Côté"]]
    plan = planned(session, tmp_path, rows, kind="xlsx")
    assert statuses(plan) == {2: RowStatus.NEW, 3: RowStatus.NEW}


def test_duplicate_detection_is_batched_not_per_row(session: Session, engine: Engine, tmp_path: Path) -> None:
    rows = s.customers_rows(2500)
    first = planned(session, tmp_path, rows)
    from handlers.importing import apply_plan

    apply_plan(session, first, actor=f.ACTOR)
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        again = planned(session, tmp_path, rows[:1] + [[f"Customer {n}", f"new{n}@example.com", ""]
                                                       for n in range(1, 2501)])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert again.counts[RowStatus.UPDATE] == 2500
    assert len(statements) < 40


def test_big_file_cleaned_with_a_helper_process_plans_the_same(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.importing import plan as planning

    rows = [*s.customers_rows(3500), ["Customer 7", "", ""], ["", "x@y.com", ""]]
    alone = planned(session, tmp_path, rows)
    monkeypatch.setattr(planning, "HELPER_FROM_BYTES", 0)
    helped = planned(session, tmp_path, rows)
    assert helped.rows == alone.rows
    assert [r.status for r in helped.rows[-2:]] == [RowStatus.DUPLICATE, RowStatus.INVALID]


def test_helper_process_dying_leaves_the_cleaning_to_the_planner(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from handlers.importing import plan as planning
    from handlers.importing.worker import Helper

    monkeypatch.setattr(planning, "HELPER_FROM_BYTES", 0)
    monkeypatch.setattr(planning, "Helper", lambda: Helper([sys.executable, "-c", "import sys; sys.exit(1)"]))
    plan = planned(session, tmp_path, s.customers_rows(3500))
    assert plan.counts[RowStatus.NEW] == 3500


def test_reading_progress_reported_every_thousand_rows(session: Session, tmp_path: Path) -> None:
    path = s.csv_file(tmp_path / "p.csv", s.customers_rows(2500))
    seen: list[int] = []
    plan_import(session, team_id=TEAM, path=path, fields={"display_name": 0}, on_row=seen.append)
    assert seen == [1000, 2000]
