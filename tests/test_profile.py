"""The customer profile and list rows (``handlers.profile``, on a real database), and the profile card's
transaction controls end to end: the "more" menu (new recurring template, transactions) and closing a
project from the card."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, select

from db.models import AuditEvent, Invoice, Project, ProjectStatus, RecurringTemplate
from handlers import activity, customers, ledger, merge, profile, transactions
from handlers.errors import NotFound
from tests import factories as f
from tests.slack_fake import date as date_value
from tests.slack_fake import option, plain_text, static_select
from tests.slack_harness import SlackHarness
from tests.test_slack_commands import command, elements
from tests.test_slack_lifecycle import ADMIN, ephemeral, menus, opened, submit, texts


def read(session: Session, customer: Any, **kw: Any) -> profile.CustomerProfile:
    return profile.profile(session, team_id=f.TEAM, customer_id=customer.id, **kw)


# ------------------------------------------------------------------------------ the profile


def test_profile_has_the_full_name_and_the_parent_chain(session):
    acme, _, phase = f.chain(session, "Acme", "Kitchen", "Phase 1")

    found = read(session, phase)

    assert found.name == "Acme:Kitchen:Phase 1"
    assert [p.display_name for p in found.parents] == ["Acme", "Kitchen"]
    assert found.parent_name == "Acme:Kitchen"
    assert read(session, acme).parent_name is None


def test_profile_lists_sub_customers_in_tree_order_with_their_depth(session):
    acme = f.customer(session, "Acme")
    kitchen = f.customer(session, "Kitchen", parent=acme)
    f.customer(session, "Phase 1", parent=kitchen)
    f.customer(session, "Bathroom", parent=acme)

    found = read(session, acme)

    assert [(depth, sub.display_name) for depth, sub in found.sub_customers] == [
        (1, "Bathroom"), (1, "Kitchen"), (2, "Phase 1")]
    assert found.sub_customer_count == 3


def test_profile_shows_a_bounded_number_of_sub_customers_but_counts_them_all(session):
    acme = f.customer(session, "Acme")
    for i in range(8):
        f.customer(session, f"Site {i}", parent=acme)

    found = read(session, acme, shown_sub_customers=3)

    assert [sub.display_name for _, sub in found.sub_customers] == ["Site 0", "Site 1", "Site 2"]
    assert found.sub_customer_count == 8


def test_profile_leaves_merged_away_sub_customers_out(session):
    acme = f.customer(session, "Acme")
    dup = f.customer(session, "Acme West", parent=acme)
    kept = f.customer(session, "West", parent=acme)
    assert dup.id is not None and kept.id is not None
    merge.merge(session, team_id=f.TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=f.ACTOR)

    found = read(session, acme)

    assert [sub.display_name for _, sub in found.sub_customers] == ["West"]
    assert found.sub_customer_count == 1


def test_profile_has_its_own_balance_and_the_balance_with_sub_customers(session):
    acme, kitchen = f.chain(session, "Acme", "Kitchen")
    f.invoice(session, acme, "100.00")
    f.payment(session, acme, "30.00")
    f.invoice(session, kitchen, "5.00")

    found = read(session, acme)

    assert found.balance == Decimal("70.00")
    assert found.balance_with_sub_customers == Decimal("75.00")


def test_profile_shows_the_oldest_open_invoices_with_the_count_and_open_total(session):
    acme = f.customer(session, "Acme")
    assert acme.id is not None
    for day in (3, 1, 2):
        transactions.add_invoice(session, team_id=f.TEAM, customer_id=acme.id, number=f"INV-{day}",
                                 amount="100.00", invoice_date=date(2026, 1, day), actor=f.ACTOR)
    paid = f.invoice(session, acme, "40.00", number="PAID")
    f.applied_payment(session, acme, paid.id, "40.00")
    part = f.invoice(session, acme, "50.00", number="PART")
    f.applied_payment(session, acme, part.id, "20.00")

    invoices = read(session, acme, shown_invoices=2).invoices

    assert [i.number for i in invoices.shown] == ["INV-1", "INV-2"]
    assert invoices.count == 4  # the paid one is not open
    assert invoices.total == Decimal("330.00")  # 3 × 100 + 30 left on PART


def test_profile_shows_open_projects_first_and_counts_them_by_status(session):
    acme = f.customer(session, "Acme")
    closed = f.project(session, acme, "Attic")
    f.project(session, acme, "Roof")
    f.project(session, acme, "Cellar")
    transactions.close_project(session, team_id=f.TEAM, project_id=closed.id, actor=f.ACTOR)

    projects = read(session, acme).projects

    assert [(p.name, p.status) for p in projects.shown] == [
        ("Cellar", ProjectStatus.OPEN), ("Roof", ProjectStatus.OPEN), ("Attic", ProjectStatus.CLOSED)]
    assert (projects.open, projects.closed, projects.total) == (2, 1, 3)


def test_profile_shows_the_next_templates_due_and_counts_them(session):
    acme = f.customer(session, "Acme")
    assert acme.id is not None
    for name, day in (("Later", 20), ("Sooner", 5), ("Latest", 28)):
        transactions.add_recurring_template(session, team_id=f.TEAM, customer_id=acme.id, name=name,
                                            next_date=date(2026, 4, day), actor=f.ACTOR)

    templates = read(session, acme, shown_templates=2).templates

    assert [tp.name for tp in templates.shown] == ["Sooner", "Later"]
    assert templates.count == 3


def test_profile_of_a_customer_without_transactions_has_empty_summaries(session):
    bare = f.customer(session, "Bare")

    found = read(session, bare)

    assert found.invoices == ledger.InvoiceSummary()
    assert found.projects == ledger.ProjectSummary()
    assert found.templates == ledger.TemplateSummary()
    assert found.sub_customers == () and found.sub_customer_count == 0


def test_profile_has_the_latest_changes_and_names_the_parents_an_edit_moved_it_between(session):
    top = f.customer(session, "Top")
    site = f.customer(session, "Site")
    f.move(session, site, top)
    f.edit(session, site, actor="U0002", email="site@example.test")

    found = read(session, site, shown_history=2)

    assert [(e.action, e.actor) for e in found.history] == [("edit", "U0002"), ("edit", f.ACTOR)]
    assert found.names == {top.id: "Top"}


def test_profile_says_whether_a_sub_customer_may_be_added(session):
    levels = f.chain(session, "L0", "L1", "L2", "L3", "L4")
    old = f.customer(session, "Old")
    assert old.id is not None
    customers.make_inactive(session, team_id=f.TEAM, customer_id=old.id, actor=f.ACTOR)

    assert read(session, levels[3]).can_take_child
    assert not read(session, levels[4]).can_take_child  # already four levels below the top
    assert not read(session, old).can_take_child  # inactive


def test_profile_of_a_merged_away_customer_is_not_found(session):
    dup, kept = f.customer(session, "Acme Inc"), f.customer(session, "Acme")
    assert dup.id is not None and kept.id is not None
    merge.merge(session, team_id=f.TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=f.ACTOR)

    with pytest.raises(NotFound):
        read(session, dup)


# ------------------------------------------------------------------------------ another workspace


def test_profile_of_another_workspaces_customer_is_not_found(session):
    theirs = f.customer(session, "Their Client", team=f.OTHER_TEAM)

    with pytest.raises(NotFound):
        read(session, theirs)


def test_profile_never_includes_another_workspaces_records(session):
    """Rows of another workspace that point at our customer's id (a broken or hostile row) stay out."""
    acme = f.customer(session, "Acme")
    f.invoice(session, acme, "10.00", number="OURS")
    theirs = f.customer(session, "Their Site", team=f.OTHER_TEAM)
    theirs.parent_id = acme.id
    session.add(theirs)
    session.add(Invoice(team_id=f.OTHER_TEAM, customer_id=acme.id, number="THEIRS", date=date(2026, 1, 1),
                        amount=Decimal("999.00")))
    session.add(Project(team_id=f.OTHER_TEAM, customer_id=acme.id, name="Their project"))
    session.add(RecurringTemplate(team_id=f.OTHER_TEAM, customer_id=acme.id, name="Their template",
                                  next_date=date(2026, 1, 1)))
    session.add(AuditEvent(team_id=f.OTHER_TEAM, customer_id=acme.id, actor="U9999", action="edit",
                           before={"parent_id": None}, after={"parent_id": theirs.id}))
    session.commit()

    found = read(session, acme)

    assert found.sub_customer_count == 0
    assert [i.number for i in found.invoices.shown] == ["OURS"]
    assert (found.invoices.count, found.invoices.total) == (1, Decimal("10.00"))
    assert found.balance == found.balance_with_sub_customers == Decimal("10.00")
    assert found.projects.total == 0 and found.templates.count == 0
    assert [e.actor for e in found.history] == [f.ACTOR, f.ACTOR]  # added, invoiced
    assert found.names == {}


def test_a_history_edit_naming_another_workspaces_customer_does_not_reveal_its_name(session):
    acme = f.customer(session, "Acme")
    theirs = f.customer(session, "Their Secret", team=f.OTHER_TEAM)
    session.add(AuditEvent(team_id=f.TEAM, customer_id=acme.id, actor=f.ACTOR, action="edit",
                           before={"parent_id": None}, after={"parent_id": theirs.id}))
    session.commit()

    assert read(session, acme).names == {}
    page = activity.history_page(session, team_id=f.TEAM, customer_id=acme.id)
    assert page.names == {}


def test_get_many_leaves_out_other_workspaces_unknown_ids_and_merged_away_customers(session):
    ours, dup = f.customer(session, "Acme"), f.customer(session, "Acme Inc")
    theirs = f.customer(session, "Theirs", team=f.OTHER_TEAM)
    assert ours.id is not None and dup.id is not None and theirs.id is not None
    merge.merge(session, team_id=f.TEAM, duplicate_id=dup.id, kept_id=ours.id, actor=f.ACTOR)

    found = customers.get_many(session, team_id=f.TEAM, ids=[ours.id, dup.id, theirs.id, 987654])

    assert list(found) == [ours.id]
    assert set(customers.get_many(session, team_id=f.TEAM, ids=[dup.id, theirs.id], include_merged=True)) == {
        dup.id}
    assert customers.get_many(session, team_id=f.TEAM, ids=[]) == {}


# ------------------------------------------------------------------------------ list rows


def test_rows_have_full_names_balances_and_whether_a_sub_customer_may_be_added(session):
    levels = f.chain(session, "L0", "L1", "L2", "L3", "L4")
    f.invoice(session, levels[2], "12.50")

    rows = profile.rows(session, team_id=f.TEAM, found=[levels[4], levels[2]])

    assert [(r.name, r.balance, r.can_take_child) for r in rows] == [
        ("L0:L1:L2:L3:L4", Decimal("0.00"), False), ("L0:L1:L2", Decimal("12.50"), True)]


def test_rows_of_ids_keep_the_order_and_leave_out_other_workspaces_and_merged_away_customers(session):
    east, west = f.customer(session, "Acme East"), f.customer(session, "Acme West")
    dup = f.customer(session, "Acme Inc")
    theirs = f.customer(session, "Acme Theirs", team=f.OTHER_TEAM)
    assert dup.id is not None and east.id is not None
    merge.merge(session, team_id=f.TEAM, duplicate_id=dup.id, kept_id=east.id, actor=f.ACTOR)

    rows = profile.rows_of(session, team_id=f.TEAM, ids=[west.id, theirs.id, dup.id, east.id])

    assert [r.name for r in rows] == ["Acme West", "Acme East"]


def test_rows_leave_out_customers_of_another_workspace(session):
    theirs = f.customer(session, "Theirs", team=f.OTHER_TEAM)

    assert profile.rows(session, team_id=f.TEAM, found=[theirs]) == []


def test_row_page_shows_only_the_workspaces_customers_and_says_when_more_follow(session):
    for i in range(3):
        f.customer(session, f"Acme {i}")
        f.customer(session, f"Acme {i} theirs", team=f.OTHER_TEAM)

    page = profile.row_page(session, team_id=f.TEAM, text="acme", limit=2)

    assert [r.name for r in page.rows] == ["Acme 0", "Acme 1"] and page.has_more
    rest = profile.row_page(session, team_id=f.TEAM, text="acme", limit=2, offset=2)
    assert [r.name for r in rest.rows] == ["Acme 2"] and not rest.has_more


# ------------------------------------------------------------------------------ the card's controls


def more_menu(card: Any) -> dict[str, Any]:
    """The card's overflow menu ("more")."""
    found = [e for e in elements(card) if e.get("type") == "overflow"]
    assert len(found) == 1
    return found[0]


def choose(app: SlackHarness, value: str) -> None:
    assert app.slack.block_action("customer.more", selected_option=option(value), action_type="overflow").status == 200


def test_card_menu_offers_a_new_recurring_template_and_the_transactions(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")

    menu = more_menu(command(app, "show ACME"))

    assert [(o["text"]["text"], o["value"]) for o in menu["options"]] == [
        ("New recurring template", f"customer.new_template|{acme.id}"),
        ("Transactions", f"customer.transactions|{acme.id}")]


def test_card_menu_of_an_inactive_customer_offers_only_the_transactions(app: SlackHarness) -> None:
    with app.db() as s:
        old = f.customer(s, "Old Co")
        assert old.id is not None
        customers.make_inactive(s, team_id=f.TEAM, customer_id=old.id, actor=f.ACTOR)

    menu = more_menu(command(app, "show Old Co"))

    assert [o["value"] for o in menu["options"]] == [f"customer.transactions|{old.id}"]


def test_new_recurring_template_from_the_card_menu_opens_the_form_and_saves_it(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
    choose(app, more_menu(command(app, "show ACME"))["options"][0]["value"])

    form = opened(app)

    assert form["callback_id"] == "template_form"
    assert "ACME" in texts(form)
    values = {"name": {"value": plain_text("Retainer")}, "interval": {"value": static_select("monthly")},
              "next_date": {"value": date_value("2026-04-01")}, "amount": {"value": plain_text("300")}}
    assert submit(app, form, values) is None
    assert "Recurring template *Retainer* for ACME" in ephemeral(app)["text"]
    with app.db() as s:
        assert [(t.name, t.customer_id) for t in s.exec(select(RecurringTemplate))] == [("Retainer", acme.id)]


def test_transactions_from_the_card_menu_shows_the_customers_transactions(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        f.invoice(s, acme, "120.00", number="INV-1")
    choose(app, more_menu(command(app, "show ACME"))["options"][1]["value"])

    shown = texts(ephemeral(app))

    assert "*Transactions of ACME*" in shown
    assert "*INV-1*" in shown


def test_card_menu_with_another_workspaces_customer_id_shows_nothing_of_theirs(app: SlackHarness) -> None:
    with app.db() as s:
        theirs = f.customer(s, "Their Secret Client", team=f.OTHER_TEAM)
        f.invoice(s, theirs, "99.00", number="SECRET-1")
    before = len(app.fake.responses())

    choose(app, f"customer.transactions|{theirs.id}")

    app.fake.wait_for("response_url", before + 1)
    answer = app.fake.responses()[before]
    assert "doesn't exist" in answer.text
    assert "SECRET-1" not in str(answer.body) and "Their Secret Client" not in str(answer.body)
    assert not app.fake.calls("chat.postEphemeral")


def test_card_project_list_offers_to_close_each_open_project_shown(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        roof, cellar = f.project(s, acme, "Roof"), f.project(s, acme, "Cellar")
        done = f.project(s, acme, "Attic")
        transactions.close_project(s, team_id=f.TEAM, project_id=done.id, actor=f.ACTOR)

    card = command(app, "show ACME")

    menu = menus(card.body["blocks"], "project.close")[0]
    assert [o["value"] for o in menu["options"]] == [str(cellar.id), str(roof.id)]  # open ones only
    assert menu["confirm"]["title"]["text"] == "Close this project?"


def test_closing_a_project_from_the_card_closes_it_and_says_so(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        f.project(s, acme, "Roof")
    menu = menus(command(app, "show ACME").body["blocks"], "project.close")[0]

    app.slack.block_action("project.close", selected_option=menu["options"][0])

    assert ephemeral(app, user=ADMIN)["text"] == "Project *Roof* of ACME is closed."
    with app.db() as s:
        assert s.exec(select(Project)).one().status == ProjectStatus.CLOSED
    again = command(app, "show ACME")
    assert "0 open, 1 closed" in texts(again.body["blocks"])
    assert menus(again.body["blocks"], "project.close") == []


def test_card_without_open_projects_has_no_close_menu(app: SlackHarness) -> None:
    with app.db() as s:
        acme = f.customer(s, "ACME")
        done = f.project(s, acme, "Attic")
        transactions.close_project(s, team_id=f.TEAM, project_id=done.id, actor=f.ACTOR)

    assert menus(command(app, "show ACME").body["blocks"], "project.close") == []
