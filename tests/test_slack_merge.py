"""Merge with preview and undo, end to end: signed requests → the app → the fake Slack API → the database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import select

from db.models import Invoice
from handlers import customers, merge, settings
from handlers.permissions import Actor
from tests import factories as f
from tests.slack_fake import check_message, check_view, checkboxes, external_select, option
from tests.slack_harness import SlackHarness
from tests.test_slack_lifecycle import ADMIN, MEMBER, buttons, ephemeral, opened, reply, texts

CHANNEL = "C0001"


# ------------------------------------------------------------------------------ helpers


def choose(duplicate_id: int | None, kept_id: int | None) -> dict[str, Any]:
    return {
        "merge_duplicate": {"pick.customer_any": external_select(str(duplicate_id) if duplicate_id else None)},
        "merge_kept": {"pick.customer": external_select(str(kept_id) if kept_id else None)},
    }


def submit_form(app: SlackHarness, duplicate_id: int | None, kept_id: int | None, *,
                user_id: str = ADMIN) -> dict[str, Any]:
    """Open the merge form with ``/clients merge`` and submit it; the ack's body."""
    before = len(app.fake.calls("views.open"))
    app.slack.command("merge", user_id=user_id)
    form = opened(app, before + 1)
    response = app.slack.view_submission(form["id"], choose(duplicate_id, kept_id), user_id=user_id)
    assert response.status == 200
    answer = response.json()
    if answer and "view" in answer:
        check_view(answer["view"])
    return answer


def preview(app: SlackHarness, duplicate_id: int, kept_id: int) -> dict[str, Any]:
    answer = submit_form(app, duplicate_id, kept_id)
    assert answer["response_action"] == "push", answer
    return answer["view"]


def confirm(app: SlackHarness, view: dict[str, Any], ticked: list[str] | None = None, *,
            user_id: str = ADMIN) -> Any:
    """Submit the preview with ``ticked`` fields (default: as shown, every offered field ticked)."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("block_id", "").startswith("merge_copy_"):
            offered = [o["value"] for o in block["element"]["options"]]
            chosen = offered if ticked is None else [v for v in offered if v in ticked]
            values[block["block_id"]] = {"fields": checkboxes(chosen)}
    response = app.slack.view_submission({**view, "id": "V0PREVIEW"}, values, user_id=user_id)
    assert response.status == 200
    answer = response.json()
    if answer and "view" in answer:
        check_view(answer["view"])
    return answer


def notice(app: SlackHarness) -> dict[str, Any]:
    app.fake.wait_for("chat.postMessage")
    message = app.fake.messages(CHANNEL)[-1]
    check_message(message.get("text"), message.get("blocks"))
    return message


def allow(app: SlackHarness, mode: str, users: tuple[str, ...] = (), notice: str = "in_channel") -> None:
    with app.db() as session:
        current = settings.get(session, team_id=f.TEAM)
        settings.update(session, team_id=f.TEAM, actor=Actor(ADMIN, is_admin=True), expected_version=current.version,
                        permission_mode=mode, allowed_user_ids=users, merge_notice=notice)


def pair(app: SlackHarness) -> tuple[Any, Any]:
    """A duplicate with every kind of record and details the kept customer lacks, and the kept customer."""
    with app.db() as s:
        kept = f.customer(s, "ACME Corp", email="billing@acme.test")
        dup = f.customer(s, "Acme Corporation", email="old@acme.test", phone="555-0100", terms="Net 30")
        f.invoice(s, dup, "100.00")
        f.invoice(s, dup, "20.00")
        f.payment(s, dup, "30.00")
        f.project(s, dup, "Warehouse")
        f.template(s, dup, "Retainer", "50.00")
        f.invoice(s, kept, "50.00")
    return dup, kept


# ------------------------------------------------------------------------------ the form


def test_merge_command_opens_the_form_with_both_customers_prefilled(app: SlackHarness) -> None:
    dup, kept = pair(app)
    app.slack.command("merge Acme Corporation into ACME Corp")
    form = opened(app)
    inputs = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert inputs["merge_duplicate"]["action_id"] == "pick.customer_any"
    assert inputs["merge_duplicate"]["initial_option"]["value"] == str(dup.id)
    assert inputs["merge_kept"]["action_id"] == "pick.customer"
    assert inputs["merge_kept"]["initial_option"]["value"] == str(kept.id)
    assert inputs["merge_kept"]["initial_option"]["text"]["text"] == "ACME Corp"


def test_merge_command_without_names_opens_an_empty_form(app: SlackHarness) -> None:
    app.slack.command("fusionner")
    form = opened(app)
    assert all("initial_option" not in b["element"] for b in form["blocks"] if b["type"] == "input")


def test_merge_button_on_a_card_prefills_the_duplicate(app: SlackHarness) -> None:
    dup, _ = pair(app)
    app.slack.block_action("customer.merge", value=str(dup.id))
    form = opened(app)
    assert form["blocks"][1]["element"]["initial_option"]["value"] == str(dup.id)


def test_merge_from_a_list_row_menu_opens_the_form(app: SlackHarness) -> None:
    dup, _ = pair(app)
    app.slack.block_action("customer.more", selected_option=option(f"customer.merge|{dup.id}"),
                           action_type="overflow")
    assert opened(app)["callback_id"] == "merge_form"


def test_form_without_a_choice_says_which_is_missing(app: SlackHarness) -> None:
    dup, _ = pair(app)
    answer = submit_form(app, dup.id, None)
    assert answer == {"response_action": "errors", "errors": {"merge_kept": "Choose a customer."}}


def test_merging_a_customer_into_itself_is_refused_under_the_kept_customer(app: SlackHarness) -> None:
    dup, _ = pair(app)
    answer = submit_form(app, dup.id, dup.id)
    assert answer["errors"] == {"merge_kept": "A customer can't be merged into itself."}


def test_duplicate_with_sub_customers_is_refused_under_the_duplicate(app: SlackHarness) -> None:
    with app.db() as s:
        parent, _ = f.chain(s, "Parent Co", "Site")
        kept = f.customer(s, "Kept Co")
    answer = submit_form(app, parent.id, kept.id)
    assert list(answer["errors"]) == ["merge_duplicate"]
    assert "Parent Co has sub-customers" in answer["errors"]["merge_duplicate"]


def test_kept_customer_with_sub_customers_is_refused_under_the_kept_customer(app: SlackHarness) -> None:
    with app.db() as s:
        parent, _ = f.chain(s, "Parent Co", "Site")
        dup = f.customer(s, "Dup Co")
    answer = submit_form(app, dup.id, parent.id)
    assert list(answer["errors"]) == ["merge_kept"]


def test_inactive_kept_customer_is_refused_under_the_kept_customer(app: SlackHarness) -> None:
    with app.db() as s:
        dup, kept = f.customer(s, "Dup Co"), f.customer(s, "Kept Co")
        customers.make_inactive(s, team_id=f.TEAM, customer_id=kept.id, actor=ADMIN)
    answer = submit_form(app, dup.id, kept.id)
    assert answer["errors"] == {"merge_kept": "Kept Co is inactive: reactivate it before merging into it."}


def test_customer_of_another_workspace_is_not_found(app: SlackHarness) -> None:
    with app.db() as s:
        dup = f.customer(s, "Dup Co")
        theirs = f.customer(s, "Theirs", team=f.OTHER_TEAM)
    answer = submit_form(app, dup.id, theirs.id)
    assert answer["errors"] == {"merge_kept": "That customer doesn't exist (any more)."}


# ------------------------------------------------------------------------------ the preview


def test_preview_shows_counts_amounts_and_balances_before_and_after(app: SlackHarness) -> None:
    dup, kept = pair(app)
    shown = texts(preview(app, dup.id, kept.id))
    assert "Merge *Acme Corporation* into *ACME Corp*?" in shown
    assert "*Invoices*\n2 · 120.00" in shown
    assert "*Payments*\n1 · 30.00" in shown
    assert "*Projects*\n1" in shown
    assert "*Recurring templates*\n1 · 50.00" in shown
    assert "*Acme Corporation* now\n90.00" in shown
    assert "*ACME Corp* now\n50.00" in shown
    assert "*ACME Corp* after the merge\n140.00" in shown


def test_preview_offers_to_copy_only_the_details_the_kept_customer_lacks_ticked(app: SlackHarness) -> None:
    dup, kept = pair(app)
    view = preview(app, dup.id, kept.id)
    block = next(b for b in view["blocks"] if b.get("block_id") == "merge_copy_0")
    offered = {o["value"]: o["text"]["text"] for o in block["element"]["options"]}
    assert offered == {"phone": "Phone: 555-0100", "terms": "Terms: Net 30"}
    assert block["element"]["initial_options"] == block["element"]["options"]
    assert block["optional"] is True


def test_preview_says_when_there_is_nothing_to_copy(app: SlackHarness) -> None:
    with app.db() as s:
        dup, kept = f.customer(s, "Dup Co"), f.customer(s, "Kept Co", email="k@x.test")
    assert "Kept Co already has every detail Dup Co has" in texts(preview(app, dup.id, kept.id))


def test_preview_uses_the_workspace_currency(app: SlackHarness) -> None:
    dup, kept = pair(app)
    with app.db() as s:
        settings.update(s, team_id=f.TEAM, actor=Actor(ADMIN, is_admin=True), expected_version=0,
                        permission_mode="admins", currency="EUR")
    assert "*Invoices*\n2 · 120.00 EUR" in texts(preview(app, dup.id, kept.id))


# ------------------------------------------------------------------------------ confirm


def test_confirm_merges_copies_the_ticked_details_and_closes_the_dialogs(app: SlackHarness) -> None:
    dup, kept = pair(app)
    answer = confirm(app, preview(app, dup.id, kept.id), ticked=["phone"])
    assert answer == {"response_action": "clear"}
    with app.db() as s:
        now = customers.get(s, team_id=f.TEAM, customer_id=kept.id)
        assert (now.phone, now.terms) == ("555-0100", None)
        assert customers.balance(s, team_id=f.TEAM, customer_id=kept.id) == Decimal("140.00")
        assert customers.find_by_name(s, team_id=f.TEAM, name="Acme Corporation") is None


def test_merge_message_in_the_channel_says_what_moved_with_an_undo_button(app: SlackHarness) -> None:
    dup, kept = pair(app)
    confirm(app, preview(app, dup.id, kept.id), ticked=["phone"])
    message = notice(app)
    shown = texts(message)
    assert f"<@{ADMIN}> merged *Acme Corporation* into *ACME Corp*." in shown
    assert ("Moved to ACME Corp: 2 invoice(s), 1 payment(s), 1 project(s), 1 recurring template(s)."
            " Its balance is now 140.00.") in shown
    assert "Copied to ACME Corp: Phone." in shown
    with app.db() as s:
        record = merge.get_record(s, team_id=f.TEAM, merge_id=1)
    assert [(b["action_id"], b["value"]) for b in buttons(message["blocks"])] == [("merge.undo", str(record.id))]


def test_merge_message_is_ephemeral_when_the_workspace_says_so(app: SlackHarness) -> None:
    dup, kept = pair(app)
    allow(app, "admins", notice="ephemeral")
    confirm(app, preview(app, dup.id, kept.id))
    message = ephemeral(app)
    assert "merged *Acme Corporation* into *ACME Corp*" in message["text"]
    assert not app.fake.messages(CHANNEL)


def test_confirm_shows_a_fresh_preview_when_something_changed_since(app: SlackHarness) -> None:
    dup, kept = pair(app)
    view = preview(app, dup.id, kept.id)
    with app.db() as s:
        f.invoice(s, customers.get(s, team_id=f.TEAM, customer_id=dup.id), "7.00")
    answer = confirm(app, view)
    assert answer["response_action"] == "update"
    shown = texts(answer["view"])
    assert "Something changed since this preview was made" in shown and "*Invoices*\n3 · 127.00" in shown
    with app.db() as s:
        assert customers.get(s, team_id=f.TEAM, customer_id=dup.id).merged_into_id is None


def test_confirm_after_someone_else_merged_says_so(app: SlackHarness) -> None:
    dup, kept = pair(app)
    view = preview(app, dup.id, kept.id)
    with app.db() as s:
        merge.merge(s, team_id=f.TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=MEMBER)
    answer = confirm(app, view)
    assert answer["response_action"] == "update"
    assert "Acme Corporation was merged into another customer." in texts(answer["view"])


def test_merge_refreshes_the_home_tab(app: SlackHarness) -> None:
    dup, kept = pair(app)
    confirm(app, preview(app, dup.id, kept.id))
    app.fake.wait_for("views.publish")
    assert "*1* active customer(s)" in texts(app.fake.home(ADMIN))


def test_merge_into_offer_from_the_customer_form_pushes_the_preview(app: SlackHarness) -> None:
    dup, kept = pair(app)
    offer = {"id": "V0FORM", "type": "modal", "callback_id": "customer_form.merge_offer",
             "private_metadata": '{"channel_id":"C0001"}', "title": {"type": "plain_text", "text": "Merge?"},
             "blocks": []}
    app.slack.block_action("customer.merge_into", value=f"{dup.id}:{kept.id}", container="view", view=offer)
    call = app.fake.wait_for("views.push")[0]
    pushed = call.params["view"]
    check_view(pushed)
    assert pushed["callback_id"] == "merge_preview" and "Merge *Acme Corporation* into *ACME Corp*?" in texts(pushed)
    assert confirm(app, pushed) == {"response_action": "clear"}
    assert "merged *Acme Corporation* into *ACME Corp*" in notice(app)["text"]


def test_merge_into_offer_refused_for_a_member_says_so_in_the_dialog(app: SlackHarness) -> None:
    dup, kept = pair(app)
    offer = {"id": "V0FORM", "type": "modal", "callback_id": "customer_form.merge_offer",
             "title": {"type": "plain_text", "text": "Merge?"}, "blocks": []}
    app.slack.block_action("customer.merge_into", value=f"{dup.id}:{kept.id}", container="view", view=offer,
                           user_id=MEMBER)
    pushed = app.fake.wait_for("views.push")[0].params["view"]
    check_view(pushed)
    assert "You can't merge customers" in texts(pushed)


def test_merge_form_pickers_are_answered_by_the_typeahead(app: SlackHarness) -> None:
    pair(app)
    app.slack.command("merge")
    form = opened(app)
    response = app.slack.block_suggestion("pick.customer_any", "acme", block_id="merge_duplicate", view=form["id"])
    labels = [o["text"]["text"] for o in response.json()["options"]]
    assert labels == ["ACME Corp", "Acme Corporation"]


# ------------------------------------------------------------------------------ undo


def merged(app: SlackHarness) -> tuple[Any, Any, dict[str, Any]]:
    dup, kept = pair(app)
    confirm(app, preview(app, dup.id, kept.id), ticked=["phone"])
    return dup, kept, notice(app)


def test_undo_puts_everything_back_and_updates_the_message(app: SlackHarness) -> None:
    dup, kept, message = merged(app)
    app.slack.block_action("merge.undo", value=buttons(message["blocks"])[0]["value"], message=message)
    app.fake.wait_for("chat.update")
    updated = app.fake.messages(CHANNEL)[-1]
    check_message(updated["text"], updated.get("blocks"))
    assert updated["text"].startswith(f"<@{ADMIN}> undid the merge of *Acme Corporation* into *ACME Corp*")
    assert not buttons(updated.get("blocks"))
    with app.db() as s:
        assert customers.balance(s, team_id=f.TEAM, customer_id=dup.id) == Decimal("90.00")
        assert customers.get(s, team_id=f.TEAM, customer_id=kept.id).phone is None


def test_undo_is_refused_clearly_once_a_moved_record_changed(app: SlackHarness) -> None:
    _dup, kept, message = merged(app)
    with app.db() as s:
        invoice = s.exec(select(Invoice).where(Invoice.amount == Decimal("100.00"))).one()
        f.applied_payment(s, customers.get(s, team_id=f.TEAM, customer_id=kept.id), invoice.id, "10.00")
    app.slack.block_action("merge.undo", value=buttons(message["blocks"])[0]["value"], message=message)
    text = ephemeral(app)["text"]
    assert text.startswith("Couldn't undo the merge of *Acme Corporation* into *ACME Corp*.")
    assert "can't be undone any more: 1 of the records it moved changed since (invoice)" in text
    assert not app.fake.calls("chat.update")


def test_undo_twice_says_it_was_already_undone(app: SlackHarness) -> None:
    _, _, message = merged(app)
    value = buttons(message["blocks"])[0]["value"]
    app.slack.block_action("merge.undo", value=value, message=message)
    app.fake.wait_for("chat.update")
    app.slack.block_action("merge.undo", value=value, message=message)
    assert "This merge was already undone." in ephemeral(app)["text"]


def test_undo_of_an_ephemeral_merge_message_replaces_it(app: SlackHarness) -> None:
    allow(app, "admins", notice="ephemeral")
    dup, kept = pair(app)
    confirm(app, preview(app, dup.id, kept.id))
    message = ephemeral(app)
    app.slack.block_action("merge.undo", value=buttons(message["blocks"])[0]["value"],
                           message={"type": "message", "text": message["text"], "ts": message["ts"]},
                           extra={})
    body = reply(app)
    assert body["replace_original"] is True and "undid the merge" in body["text"]


def test_undo_of_another_workspace_merge_is_not_found(app: SlackHarness) -> None:
    with app.db() as s:
        a, b = f.customer(s, "A", team=f.OTHER_TEAM), f.customer(s, "B", team=f.OTHER_TEAM)
        result = merge.merge(s, team_id=f.OTHER_TEAM, duplicate_id=a.id, kept_id=b.id, actor=ADMIN)
    app.slack.block_action("merge.undo", value=str(result.record.id))
    assert ephemeral(app)["text"] == "That merge doesn't exist."


# ------------------------------------------------------------------------------ permissions


def test_member_may_not_open_the_merge_form_by_default(app: SlackHarness) -> None:
    app.slack.command("merge", user_id=MEMBER)
    assert reply(app)["text"].startswith("You can't merge customers in this workspace.")
    assert not app.fake.calls("views.open")


def test_merge_button_refuses_a_member_and_says_who_can(app: SlackHarness) -> None:
    dup, _ = pair(app)
    allow(app, "users", ("U0007",))
    app.slack.block_action("customer.merge", value=str(dup.id), user_id=MEMBER)
    text = ephemeral(app, user=MEMBER)["text"]
    assert "You can't merge customers" in text and "These people can: <@U0007>." in text


def test_form_submit_is_refused_when_the_permission_was_withdrawn(app: SlackHarness) -> None:
    dup, kept = pair(app)
    app.slack.command("merge")
    form = opened(app)
    allow(app, "users", ("U0007",))
    answer = app.slack.view_submission(form["id"], choose(dup.id, kept.id)).json()
    assert answer["response_action"] == "update" and "You can't merge customers" in texts(answer["view"])


def test_confirm_is_refused_when_the_permission_was_withdrawn(app: SlackHarness) -> None:
    dup, kept = pair(app)
    view = preview(app, dup.id, kept.id)
    allow(app, "users", ("U0007",))
    answer = confirm(app, view)
    assert answer["response_action"] == "update" and "You can't merge customers" in texts(answer["view"])
    with app.db() as s:
        assert customers.get(s, team_id=f.TEAM, customer_id=dup.id).merged_into_id is None


def test_undo_is_refused_for_someone_not_allowed(app: SlackHarness) -> None:
    _, _, message = merged(app)
    app.slack.block_action("merge.undo", value=buttons(message["blocks"])[0]["value"], message=message,
                           user_id=MEMBER)
    assert "You can't undo merges in this workspace." in ephemeral(app, user=MEMBER)["text"]
    assert not app.fake.calls("chat.update")


def test_everyone_mode_lets_a_member_merge_and_undo(app: SlackHarness) -> None:
    allow(app, "everyone")
    dup, kept = pair(app)
    answer = submit_form(app, dup.id, kept.id, user_id=MEMBER)
    assert confirm(app, answer["view"], user_id=MEMBER) == {"response_action": "clear"}
    message = notice(app)
    app.slack.block_action("merge.undo", value=buttons(message["blocks"])[0]["value"], message=message,
                           user_id=MEMBER)
    app.fake.wait_for("chat.update")


def test_preview_with_every_field_to_copy_and_long_names_stays_within_slack_limits(app: SlackHarness) -> None:
    from handlers.merge import COPYABLE_FIELDS

    long = "Z" * 400
    from db.models import FIELD_MAX_LENGTHS

    fields: dict[str, Any] = {name: "y" * min(90, FIELD_MAX_LENGTHS[name]) for name in COPYABLE_FIELDS
                              if name in FIELD_MAX_LENGTHS}
    fields.update(email="someone@example.test", tax_exempt=True, delivery_method="email",
                  title="Dr", suffix="Jr", given_name="Y", family_name="Z")
    with app.db() as s:
        kept = f.customer(s, long + " kept")
        dup = f.customer(s, long + " dup", **{k: v for k, v in fields.items() if k in COPYABLE_FIELDS})
    view = preview(app, dup.id, kept.id)
    copy_blocks = [b for b in view["blocks"] if b.get("block_id", "").startswith("merge_copy_")]
    assert len(copy_blocks) >= 3
    assert sum(len(b["element"]["options"]) for b in copy_blocks) >= 25
    assert confirm(app, view) == {"response_action": "clear"}
    with app.db() as s:
        assert customers.get(s, team_id=f.TEAM, customer_id=kept.id).bill_city == "y" * 90
