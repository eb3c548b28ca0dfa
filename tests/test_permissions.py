"""Who may make inactive, merge, undo and import: the rule, the workspace setting, and /clients settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect
from sqlmodel import Session, select

from db.migrate import upgrade
from db.models import AuditEvent
from db.session import make_engine
from db.workspace import MergeNotice, PermissionMode
from handlers import permissions, settings
from handlers.errors import Conflict, InvalidInput, PermissionDenied
from handlers.permissions import Actor, Guarded, Rule
from tests import factories as f
from tests.slack_fake import multi_users_select, plain_text, radio
from tests.slack_harness import SlackHarness
from tests.test_slack_lifecycle import ADMIN, MEMBER, buttons, ephemeral, opened, reply, submit, texts

ADMIN_ACTOR = Actor(ADMIN, is_admin=True)


def save(session: Session, mode: str, users: tuple[str, ...] = (), *, actor: Actor = ADMIN_ACTOR,
         version: int | None = None, **kw: Any) -> settings.WorkspaceConfig:
    current = settings.get(session, team_id=f.TEAM)
    return settings.update(session, team_id=f.TEAM, actor=actor,
                           expected_version=current.version if version is None else version,
                           permission_mode=mode, allowed_user_ids=users, **kw)


# ------------------------------------------------------------------------------ the rule


@pytest.mark.parametrize(("text", "rule"), [
    (None, Rule(PermissionMode.ADMINS)),
    ("", Rule(PermissionMode.ADMINS)),
    ("Admins", Rule(PermissionMode.ADMINS)),
    ("everyone", Rule(PermissionMode.EVERYONE)),
    ("U0001, u0002 W0003", Rule(PermissionMode.USERS, ("U0001", "U0002", "W0003"))),
    ("the boss", Rule(PermissionMode.ADMINS)),
])
def test_environment_default_is_read_as_everyone_admins_or_user_ids(text: str | None, rule: Rule) -> None:
    assert permissions.parse_rule(text) == rule


@pytest.mark.parametrize(("actor", "everyone", "admins"), [
    (Actor("U1"), True, False),
    (Actor("U1", is_admin=True), True, True),
    (Actor("U1", is_owner=True), True, True),
    (Actor("U1", is_restricted=True), False, False),
    (Actor("U1", is_ultra_restricted=True), False, False),
    (Actor("U1", is_stranger=True), False, False),
    (Actor("U1", is_admin=True, deleted=True), False, False),
])
def test_guests_strangers_and_deactivated_accounts_are_always_refused(actor: Actor, everyone: bool,
                                                                      admins: bool) -> None:
    assert Rule(PermissionMode.EVERYONE).allows(actor) is everyone
    assert Rule(PermissionMode.ADMINS).allows(actor) is admins


def test_a_list_allows_only_the_listed_members() -> None:
    rule = Rule(PermissionMode.USERS, ("U1",))
    assert rule.allows(Actor("U1")) and not rule.allows(Actor("U2", is_admin=True))
    assert not rule.allows(Actor("U1", is_restricted=True))


def test_actor_is_read_from_a_slack_user_object() -> None:
    actor = Actor.from_user({"id": "U9", "is_admin": False, "is_primary_owner": True, "deleted": False})
    assert actor == Actor("U9", is_owner=True)


def test_default_comes_from_the_environment(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTDESK_RESTRICTED_ACTIONS_BY", "everyone")
    permissions.check(session, team_id=f.TEAM, actor=Actor(MEMBER), action=Guarded.MERGE)
    monkeypatch.setenv("CLIENTDESK_RESTRICTED_ACTIONS_BY", "U0009")
    with pytest.raises(PermissionDenied):
        permissions.check(session, team_id=f.TEAM, actor=Actor(MEMBER), action=Guarded.MERGE)


def test_saved_setting_wins_over_the_environment(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTDESK_RESTRICTED_ACTIONS_BY", "everyone")
    save(session, "admins")
    with pytest.raises(PermissionDenied):
        permissions.check(session, team_id=f.TEAM, actor=Actor(MEMBER), action=Guarded.IMPORT)


def test_a_workspace_setting_does_not_apply_to_another_workspace(session: Session) -> None:
    save(session, "everyone")
    permissions.check(session, team_id=f.TEAM, actor=Actor(MEMBER), action=Guarded.UNDO_MERGE)
    with pytest.raises(PermissionDenied):
        permissions.check(session, team_id=f.OTHER_TEAM, actor=Actor(MEMBER), action=Guarded.UNDO_MERGE)


@pytest.mark.parametrize(("action", "first"), [
    (Guarded.MAKE_INACTIVE, "You can't make customers inactive in this workspace."),
    (Guarded.MERGE, "You can't merge customers in this workspace."),
    (Guarded.UNDO_MERGE, "You can't undo merges in this workspace."),
    (Guarded.IMPORT, "You can't import customers in this workspace."),
])
def test_refusal_says_what_was_refused_and_who_can(session: Session, action: Guarded, first: str) -> None:
    save(session, "users", ("U0007", "U0008"))
    with pytest.raises(PermissionDenied) as refused:
        permissions.check(session, team_id=f.TEAM, actor=Actor(MEMBER), action=action)
    assert refused.value.message().split("\n") == [
        first, "These people can: <@U0007>, <@U0008>. Ask one of them. (Workspace admins choose who may in"
        " `/clients settings`.)"]


def test_refusal_of_a_guest_says_guests_never_can(session: Session) -> None:
    save(session, "everyone")
    with pytest.raises(PermissionDenied) as refused:
        permissions.check(session, team_id=f.TEAM, actor=Actor("U3", is_restricted=True), action=Guarded.MERGE)
    assert "Guests, people from other organisations and deactivated accounts never can" in refused.value.message()


# ------------------------------------------------------------------------------ settings


def test_defaults_apply_until_an_admin_saves(session: Session) -> None:
    config = settings.get(session, team_id=f.TEAM, default_currency="eur")
    assert (config.rule.mode, config.merge_notice, config.currency, config.version) == (
        PermissionMode.ADMINS, MergeNotice.IN_CHANNEL, "EUR", 0)


def test_admin_saves_every_setting_and_it_is_audited(session: Session) -> None:
    config = save(session, "users", ("U0002",), merge_notice="ephemeral", currency="usd")
    assert (config.rule, config.merge_notice, config.currency, config.version) == (
        Rule(PermissionMode.USERS, ("U0002",)), MergeNotice.EPHEMERAL, "USD", 1)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "settings")).one()
    assert (event.actor, event.customer_id, event.after["permission_mode"], event.after["currency"]) == (
        ADMIN, None, "users", "USD")


def test_only_workspace_admins_and_owners_save_settings(session: Session) -> None:
    with pytest.raises(PermissionDenied) as refused:
        save(session, "everyone", actor=Actor(MEMBER))
    assert refused.value.message() == "Only workspace admins and owners can change ClientDesk's settings."
    save(session, "everyone", actor=Actor("U5", is_owner=True))


def test_a_list_of_people_needs_at_least_one(session: Session) -> None:
    with pytest.raises(InvalidInput) as refused:
        save(session, "users", ())
    assert (refused.value.field, refused.value.code) == ("allowed_user_ids", "settings_users_required")


def test_currency_is_a_three_letter_code(session: Session) -> None:
    with pytest.raises(InvalidInput) as refused:
        save(session, "admins", currency="euros")
    assert refused.value.field == "currency"


def test_saving_over_another_admins_newer_settings_is_a_conflict(session: Session) -> None:
    save(session, "everyone")
    with pytest.raises(Conflict) as stale:
        save(session, "admins", version=0)
    assert stale.value.code == "settings_stale"
    assert settings.get(session, team_id=f.TEAM).rule.mode == PermissionMode.EVERYONE


def test_migration_0002_creates_and_drops_the_settings_table(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine, "0002")
    assert "workspace_settings" in inspect(engine).get_table_names()
    from alembic import command

    from db.migrate import alembic_config

    command.downgrade(alembic_config(engine), "0001")
    assert "workspace_settings" not in inspect(engine).get_table_names()
    engine.dispose()


# ------------------------------------------------------------------------------ /clients settings


def values(mode: str, users: list[str] | None = None, notice: str = "in_channel", currency: str | None = None,
           ) -> dict[str, Any]:
    return {"permission_mode": {"value": radio(mode)},
            "allowed_user_ids": {"value": multi_users_select(users or [])},
            "merge_notice": {"value": radio(notice)},
            "currency": {"value": plain_text(currency)}}


def test_settings_command_opens_the_form_with_the_current_choices(app: SlackHarness) -> None:
    with app.db() as s:
        save(s, "users", ("U0002",), merge_notice="ephemeral", currency="EUR")
    app.slack.command("settings")
    form = opened(app)
    inputs = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert inputs["permission_mode"]["initial_option"]["value"] == "users"
    assert inputs["allowed_user_ids"]["initial_users"] == ["U0002"]
    assert inputs["merge_notice"]["initial_option"]["value"] == "ephemeral"
    assert inputs["currency"]["initial_value"] == "EUR"


def test_settings_command_is_for_workspace_admins(app: SlackHarness) -> None:
    app.slack.command("parametres", user_id=MEMBER)
    assert reply(app)["text"] == "Only workspace admins and owners can change ClientDesk's settings."
    assert not app.fake.calls("views.open")


def test_saved_list_lets_a_listed_member_make_a_customer_inactive(app: SlackHarness) -> None:
    with app.db() as s:
        f.customer(s, "Solo")
    app.slack.command("settings")
    assert submit(app, opened(app), values("users", [MEMBER], currency="eur")) is None
    text = ephemeral(app)["text"]
    assert "ClientDesk settings saved." in text and f"<@{MEMBER}> may make customers inactive" in text
    assert "Currency: EUR." in text
    app.slack.command("deactivate Solo", user_id=MEMBER)
    assert opened(app, 2)["callback_id"] == "deactivate_confirm"


def test_list_mode_without_people_is_refused_under_the_people(app: SlackHarness) -> None:
    app.slack.command("settings")
    answer = submit(app, opened(app), values("users"))
    assert answer == {"response_action": "errors", "errors": {
        "allowed_user_ids": "Choose at least one person, or pick another option above."}}


def test_bad_currency_is_refused_under_the_currency(app: SlackHarness) -> None:
    app.slack.command("settings")
    answer = submit(app, opened(app), values("admins", currency="E1"))
    assert list(answer["errors"]) == ["currency"]


def test_settings_saved_by_another_admin_meanwhile_are_not_overwritten(app: SlackHarness) -> None:
    app.slack.command("settings")
    form = opened(app)
    with app.db() as s:
        save(s, "everyone", actor=Actor("U0005", is_owner=True))
    answer = submit(app, form, values("admins"))
    assert answer["errors"]["permission_mode"].startswith("Another admin saved these settings after you opened them")
    with app.db() as s:
        assert settings.get(s, team_id=f.TEAM).rule.mode == PermissionMode.EVERYONE


def test_admin_status_is_checked_again_on_submit(app: SlackHarness) -> None:
    app.slack.command("settings")
    form = opened(app)
    app.fake.add_user(ADMIN, name="alice")  # no longer an admin
    answer = submit(app, form, values("everyone"))
    assert answer["response_action"] == "update"
    assert "Only workspace admins and owners" in texts(answer["view"])


def test_home_settings_button_opens_the_form_for_an_admin(app: SlackHarness) -> None:
    app.slack.block_action("settings.open", value="settings", container="view",
                           view={"id": "VHOME", "type": "home", "blocks": []})
    assert opened(app)["callback_id"] == "settings_form"


def test_home_settings_button_tells_a_member_who_can(app: SlackHarness) -> None:
    app.slack.block_action("settings.open", value="settings", user_id=MEMBER)
    assert ephemeral(app, user=MEMBER)["text"] == "Only workspace admins and owners can change ClientDesk's settings."


def test_environment_default_everyone_lets_a_member_act(app: SlackHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTDESK_RESTRICTED_ACTIONS_BY", "everyone")
    with app.db() as s:
        solo = f.customer(s, "Solo")
    app.slack.block_action("customer.deactivate", value=str(solo.id), user_id=MEMBER)
    assert opened(app)["callback_id"] == "deactivate_confirm"
    assert not buttons(app.fake.ephemerals())
