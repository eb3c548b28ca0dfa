"""Every customer picker's typeahead: external selects answered from the database.

``Suggest.CUSTOMER`` offers active customers, ``Suggest.CUSTOMER_ANY`` active and inactive ones
(labelled "(inactive)"), ``Suggest.PARENT`` the customers a sub-customer can go under — never the
customer being edited (read from the form's ``private_metadata`` and checked in this workspace) nor
its own sub-customers, nor a parent under which it would sit too deep. Matching is the customer
search's (accent- and case-insensitive, display names starting with the text first); options show the
full ``Parent:Child`` name, their value is the customer id.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlmodel import Session

from bot.blocks.customer_form import FormMeta, customer_option
from bot.blocks.ids import Suggest
from bot.context import db_of
from db.models import Customer
from handlers import customers, hierarchy
from handlers.errors import ClientDeskError

log = logging.getLogger(__name__)

MAX_OPTIONS = 100  # Slack's limit for an external select's answer
QUERY_MAX = 100  # longer typed text is cut (nobody types more into a picker)
PARENT_PAGES = 5  # pages of search results the parent picker reads at most to fill its options

Json = dict[str, Any]


def suggest_customers(ack: Ack, body: Json, context: BoltContext) -> None:
    """Active customers matching the typed text."""
    ack(options=_options(context, body, include_inactive=False))


def suggest_any_customer(ack: Ack, body: Json, context: BoltContext) -> None:
    """Active and inactive customers matching the typed text (inactive ones labelled)."""
    ack(options=_options(context, body, include_inactive=True))


def suggest_parents(ack: Ack, body: Json, context: BoltContext) -> None:
    """Customers that can take the form's customer as a sub-customer."""
    ack(options=_options(context, body, include_inactive=False, parents=True))


def _options(context: BoltContext, body: Json, *, include_inactive: bool, parents: bool = False) -> list[Json]:
    tenant = str(context["tenant"])
    text = str(body.get("value") or "")[:QUERY_MAX]
    meta = FormMeta.load((body.get("view") or {}).get("private_metadata"))
    with db_of(context)(read_only=True) as session:
        if parents:
            found, names = _parents(session, tenant, text, meta.customer_id)
        else:
            found = customers.search(session, team_id=tenant, text=text, include_inactive=include_inactive,
                                     limit=MAX_OPTIONS).customers
            names = hierarchy.fully_qualified_names(session, found) if found else {}
        return [customer_option(c.id, names.get(c.id, c.display_name), active=c.active, lang=meta.lang)
                for c in found if c.id is not None]


def _parents(session: Session, tenant: str, text: str, edited_id: int | None) -> tuple[list[Customer], dict[int, str]]:
    """Up to ``MAX_OPTIONS`` possible parents matching ``text``: further pages of the search are read when
    customers that can't be parents (too deep, the edited one's own) were left out, up to ``PARENT_PAGES``."""
    kept: list[Customer] = []
    names: dict[int, str] = {}
    for page in range(PARENT_PAGES):
        found = customers.search(session, team_id=tenant, text=text, limit=MAX_OPTIONS, offset=page * MAX_OPTIONS)
        page_names = hierarchy.fully_qualified_names(session, found.customers) if found.customers else {}
        names |= page_names
        kept += possible_parents(session, tenant, found.customers, page_names, edited_id)
        if len(kept) >= MAX_OPTIONS or not found.has_more:
            break
    return kept[:MAX_OPTIONS], names


def possible_parents(session: Session, tenant: str, candidates: Sequence[Customer], names: dict[int, str],
                     edited_id: int | None) -> list[Customer]:
    """The ``candidates`` a customer can be put under: those that can take a sub-customer and, when
    ``edited_id`` is a customer of ``tenant``, not that customer nor its sub-customers, and none under
    which it would sit (with its own sub-customers) too deep."""
    excluded: set[int] = set()
    below = 0
    if edited_id is not None:
        try:
            edited = customers.get(session, team_id=tenant, customer_id=edited_id)
        except ClientDeskError:
            log.warning("parent typeahead: customer %s is not in workspace %s", edited_id, tenant)
        else:
            excluded = {edited_id, *(c.id for c in hierarchy.descendants(session, edited) if c.id is not None)}
            below = hierarchy.subtree_height(session, edited)
    kept = []
    for candidate in candidates:
        if candidate.id is None or candidate.id in excluded or not hierarchy.can_take_child(session, candidate):
            continue
        level = names.get(candidate.id, "").count(hierarchy.SEPARATOR)
        if level + 1 + below <= hierarchy.MAX_LEVEL:
            kept.append(candidate)
    return kept


def register(app: App) -> None:
    app.options(Suggest.CUSTOMER)(suggest_customers)
    app.options(Suggest.CUSTOMER_ANY)(suggest_any_customer)
    app.options(Suggest.PARENT)(suggest_parents)
