"""Customer rules (QuickBooks Online's): add, edit, find, make inactive, reactivate, balances.

Every public function takes the session first and the workspace (``team_id``) as a keyword, commits
its own change as one transaction, writes an AuditEvent, and raises a ``ClientDeskError`` subclass
(see ``handlers.errors``) that the message catalog words for the user.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, func, not_, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.expression import column as sql_column
from sqlalchemy.sql.expression import table as sql_table
from sqlalchemy.sql.operators import custom_op
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from db.models import (
    BILL_ADDRESS_FIELDS,
    CUSTOMER_SEARCH_FTS,
    CUSTOMER_SEARCH_PENDING,
    SHIP_ADDRESS_FIELDS,
    Customer,
    Invoice,
    Payment,
    Project,
    RecurringTemplate,
    utcnow,
)
from handlers import audit, hierarchy, ledger, normalize
from handlers.errors import Ambiguous, Conflict, InvalidInput, NotFound, Problem, Refused
from handlers.fields import EDITABLE_FIELDS, clean_fields, derived_display_name
from handlers.hierarchy import get_customer
from handlers.unit_of_work import transactional


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()
"""Passed as ``parent_id`` to ``edit``: leave the customer where it is in the hierarchy."""

ZERO = Decimal("0.00")

# What a recurring template copies from its customer, compared and replaced as a unit.
TEMPLATE_FIELD_GROUPS: tuple[tuple[str, ...], ...] = (
    BILL_ADDRESS_FIELDS,
    SHIP_ADDRESS_FIELDS,
    ("email",),
    ("payment_method",),
    ("terms",),
    ("delivery_method",),
)


@dataclass(frozen=True)
class SearchPage:
    customers: list[Customer]
    has_more: bool
    offset: int = 0


@dataclass(frozen=True)
class DuplicateMatch:
    """An existing customer that looks like the draft; ``reasons`` among "name", "email", "phone"."""

    customer: Customer
    score: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Blocker:
    """Why a customer cannot be made inactive: a balance and/or open projects (by name)."""

    customer: Customer
    balance: Decimal
    projects: tuple[Project, ...] = ()

    @property
    def open_projects(self) -> tuple[str, ...]:
        """The open projects' names."""
        return tuple(p.name for p in self.projects)


@dataclass(frozen=True)
class InactivationResult:
    customer: Customer
    sub_customers: list[Customer] = field(default_factory=list)


@dataclass(frozen=True)
class ReactivationResult:
    customer: Customer
    ancestors: list[Customer] = field(default_factory=list)


# --------------------------------------------------------------------------------------- keys


def customer_keys(values: Mapping[str, Any]) -> dict[str, str | None]:
    """The normalised columns (``name_key``, ``core_key``, ``email_key``, ``phone_key``, ``search_key``)
    of a customer with these field values: a pure function, shared by ``refresh_keys`` and the import."""
    display_name: str = values["display_name"]
    name_key = normalize.name_key(display_name)
    # name_key is the folded name cut to NAME_KEY_MAX: folding is the costly part, done once when it fits.
    folded = name_key if len(name_key) < normalize.NAME_KEY_MAX else normalize.fold(display_name)
    company = values.get("company_name") or ""
    email_key = normalize.email_key(values.get("email"))
    phones = [values.get("phone"), values.get("mobile"), values.get("other_phone")]
    parts = [
        folded,
        folded if company == display_name else normalize.fold(company),
        email_key or "",
        *(normalize.digits(p) for p in phones),
    ]
    return {
        "name_key": name_key,
        "core_key": normalize.core_key(display_name),
        "email_key": email_key,
        "phone_key": normalize.phone_key(phones[0]) or normalize.phone_key(phones[1]),
        "search_key": " | ".join(p for p in parts if p)[:2000],
    }


def refresh_keys(customer: Customer) -> None:
    """Recompute the normalised columns used for uniqueness, duplicates and search."""
    keys = customer_keys(_snapshot(customer, ("display_name", "company_name", "email", "phone", "mobile",
                                              "other_phone")))
    if customer.merged_into_id is not None:
        del keys["name_key"]
    for name, value in keys.items():
        setattr(customer, name, value)


def _snapshot(customer: Customer, names: Iterable[str]) -> dict[str, Any]:
    return {n: getattr(customer, n) for n in names}


# --------------------------------------------------------------------------------------- add


@transactional
def add(
    session: Session,
    *,
    team_id: str,
    fields: Mapping[str, Any],
    actor: str,
    parent_id: int | None = None,
) -> Customer:
    """Add a customer.

    Rules: the display name is required (built from the name parts or the company when empty, as
    QuickBooks does), has no colon, tab or newline, and is unique in the workspace among active and
    inactive customers, compared case-, accent- and space-insensitively. A sub-customer's parent must
    be active and leave it at most four levels below the top. "Bill with parent" needs a parent.

    Raises ``InvalidInput`` (every field problem at once), ``Conflict`` (``name_taken``, or
    ``name_taken_inactive`` with the inactive customer's id to offer reactivation), ``Refused``
    (hierarchy rules), ``NotFound`` (parent).
    """
    values = _clean_new(fields)
    customer = Customer(team_id=team_id, created_by=actor, updated_by=actor, **values)
    refresh_keys(customer)
    _ensure_name_free(session, team_id, customer.name_key or "", exclude_id=None, renaming=False)
    if parent_id is not None:
        hierarchy.check_parent(session, team_id, None, parent_id, lock=True)
        customer.parent_id = parent_id
    elif customer.bill_with_parent:
        raise Refused.of("bill_with_parent_needs_parent", "bill_with_parent")
    session.add(customer)
    _flush_unique(session, team_id, customer.name_key or "")
    audit.record(
        session, team_id=team_id, actor=actor, action="add", customer_id=customer.id,
        after={k: v for k, v in _snapshot(customer, EDITABLE_FIELDS).items() if v not in (None, False, ZERO)}
        | ({"parent_id": parent_id} if parent_id else {}),
    )
    session.commit()
    return customer


def _clean_new(fields: Mapping[str, Any]) -> dict[str, Any]:
    values, problems = clean_fields(fields)
    if not values.get("display_name"):
        derived = derived_display_name(values)
        if derived:
            values["display_name"], more = _clean_display_name(derived)
            problems.extend(more)
        elif not any(p.field == "display_name" for p in problems):
            problems.append(Problem("display_name_required", "display_name"))
    if problems:
        raise InvalidInput(*problems)
    return values


def _clean_display_name(name: str) -> tuple[str, list[Problem]]:
    cleaned, problems = clean_fields({"display_name": name})
    return cleaned.get("display_name") or "", problems


def _ensure_name_free(
    session: Session, team_id: str, key: str, *, exclude_id: int | None, renaming: bool
) -> None:
    holder = find_by_key(session, team_id, key)
    if holder is None or holder.id == exclude_id:
        return
    _raise_taken(holder, renaming=renaming)


def _raise_taken(holder: Customer, *, renaming: bool) -> None:
    params = {"name": holder.display_name, "customer_id": holder.id}
    if not holder.active:
        raise Conflict.of("name_taken_inactive", "display_name", **params)
    raise Conflict.of("name_belongs_to" if renaming else "name_taken", "display_name", **params)


def _flush_unique(session: Session, team_id: str, key: str, *, renaming: bool = False) -> None:
    """Flush; a concurrent writer that took the same name turns into the same ``Conflict``."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        holder = find_by_key(session, team_id, key)
        if holder is None:
            raise
        _raise_taken(holder, renaming=renaming)


# --------------------------------------------------------------------------------------- find


def find_by_key(session: Session, team_id: str, key: str) -> Customer | None:
    stmt = select(Customer).where(Customer.team_id == team_id, Customer.name_key == key)
    return session.exec(stmt).first()


def find_by_name(session: Session, *, team_id: str, name: str) -> Customer | None:
    """The customer (active or inactive) whose display name is ``name``, compared normalised."""
    return find_by_key(session, team_id, normalize.name_key(name))


def find_by_qualified_name(session: Session, *, team_id: str, name: str) -> Customer | None:
    """The customer (active or inactive) whose fully qualified name is ``name`` ("Top:Child:Grandchild",
    each part compared normalised); None when ``name`` is no such path. Display names are unique and have
    no colon, so the last part names one customer at most, whose parent chain must match the rest."""
    if hierarchy.SEPARATOR not in name:
        return None
    wanted = _qualified_key(name)
    last_name = name.rsplit(hierarchy.SEPARATOR, 1)[-1]
    last = find_by_name(session, team_id=team_id, name=last_name) if normalize.fold(last_name) else None
    if last is None or _qualified_key(hierarchy.fully_qualified_name(session, last)) != wanted:
        return None
    return last


def _qualified_key(name: str) -> str:
    return hierarchy.SEPARATOR.join(normalize.name_key(part) for part in name.split(hierarchy.SEPARATOR))


def get(session: Session, *, team_id: str, customer_id: int) -> Customer:
    """A customer of the workspace still on the list (active or inactive). Raises ``NotFound``."""
    customer = get_customer(session, team_id, customer_id)
    if customer.merged_into_id is not None:
        raise NotFound.of("customer_merged", name=customer.display_name)
    return customer


def get_many(session: Session, *, team_id: str, ids: Iterable[int],
             include_merged: bool = False) -> dict[int, Customer]:
    """The workspace's customers among ``ids``, by id, in one query. Ids of another workspace or of no one
    are left out, and so are merged-away customers unless ``include_merged`` (e.g. to name them in history)."""
    wanted = set(ids)
    if not wanted:
        return {}
    stmt = select(Customer).where(Customer.team_id == team_id, col(Customer.id).in_(wanted))
    if not include_merged:
        stmt = stmt.where(col(Customer.merged_into_id).is_(None))
    return {c.id: c for c in session.exec(stmt) if c.id is not None}


def search(
    session: Session,
    *,
    team_id: str,
    text: str = "",
    include_inactive: bool = False,
    limit: int = 25,
    offset: int = 0,
) -> SearchPage:
    """Customers whose display name, company, email or phone contains ``text``.

    A text of only digits and phone punctuation is compared digit by digit with the phone numbers, and
    a whole number also by its last nine digits (the national and international forms of one number).
    Case- and accent-insensitive ("helene" finds "Hélène"); display names starting with the text come
    first, then alphabetical order. Active customers only unless ``include_inactive``; merged-away
    customers never.
    """
    listed = _listed(team_id, include_inactive)
    name = col(Customer.name_key)
    query = normalize.fold(text)
    if not query:
        rows = list(session.exec(select(Customer).where(*listed).order_by(name).offset(offset).limit(limit + 1)))
        return SearchPage(customers=rows[:limit], has_more=len(rows) > limit, offset=offset)
    digits = normalize.digits(query)
    is_phone = len(digits) >= 3 and _PHONE_TEXT.match(query) is not None
    needle = digits if is_phone else query
    matches: ColumnElement[bool] = col(Customer.search_key).like(f"%{_escape_like(needle)}%", escape="\\")
    phone = normalize.phone_key(digits) if is_phone else None
    if phone:
        # The same number in another format: "06 12 34 56 78" finds "+33 6 12 34 56 78".
        matches = or_(matches, col(Customer.phone_key) == phone)
    # Two reads instead of one "ORDER BY starts-with DESC, name": the names starting with the text are an
    # index range read in name order, which answers the first keystrokes ("a", "ma") without looking at
    # the other customers; the rest is only read when that range does not fill the page.
    starts = and_(_key_range(name, query), name.like(f"{_escape_like(query)}%", escape="\\"))
    # The range leaves out merged-away customers (no key) by itself. With "name_key IS NOT NULL" too, SQLite
    # took that term as the range's start and read every name before the text (10-16 ms at 100k).
    in_range = [*_listed(team_id, include_inactive, named=False), matches, starts]
    first = list(session.exec(select(Customer).where(*in_range).order_by(name).offset(offset).limit(limit + 1)))
    if len(first) > limit:
        return SearchPage(customers=first[:limit], has_more=True, offset=offset)
    skip, starts_total = 0, offset + len(first)
    if offset and not first:
        counted = select(func.count()).select_from(Customer).where(*in_range)
        starts_total = session.exec(counted).one()
        skip = max(0, offset - starts_total)
    want = limit + 1 - len(first)
    others = and_(matches, not_(starts))
    if session.get_bind().dialect.name == "sqlite":
        stmt = _other_matches_sqlite(session, team_id, include_inactive, others, needle, phone,
                                     needed=skip + want, starts_total=starts_total)
    else:
        # PostgreSQL's planner picks the pg_trgm index (migration 0005) for rare texts, the name index or
        # a scan for common ones, from its statistics.
        stmt = select(Customer).where(*listed, others).order_by(name)
    rest = list(session.exec(stmt.offset(skip).limit(want)))
    rows = first + rest
    return SearchPage(customers=rows[:limit], has_more=len(rows) > limit, offset=offset)


# Texts of at least this many characters are looked up in the trigram index (SQLite's trigram tokenizer
# matches nothing shorter); shorter ones match so many customers that reading the list is as good.
TRIGRAM_MIN = 3
# A trigram-index query ANDs at most this many of the text's trigrams: enough to leave few rows that
# hold them all without the text (the text itself is tested on each), a bounded query for long texts.
TRIGRAM_QUERY_MAX = 8
# Reading a customer while walking the name index costs about this many times fetching one by id.
WALK_COST = 2.5

# Migration 0005's SQLite tables, which are not models: the FTS5 index (its hidden column of the table's
# own name takes MATCH) and the queue of ids changed since the index was last brought up to date.
_FTS = sql_table(CUSTOMER_SEARCH_FTS, sql_column("rowid"), sql_column(CUSTOMER_SEARCH_FTS))
_PENDING = sql_table(CUSTOMER_SEARCH_PENDING, sql_column("id"))


def _other_matches_sqlite(
    session: Session, team_id: str, include_inactive: bool, others: ColumnElement[bool], needle: str,
    phone: str | None, *, needed: int, starts_total: int,
) -> SelectOfScalar[Customer]:
    """The statement (without offset and limit) for the matches whose name does not start with the text,
    in name order; ``needed`` of them are read past the first (``offset`` + one more than the page).

    Three ways, from the cost of each (all give the same rows):
    - no trigram index, or a text of 1-2 characters: a scan of the table in storage order, sorted (its
      terms marked ``+column``, SQLite's documented form to keep a term off the indexes; walking the name
      index instead fetches each customer at random: ~10x slower for rare texts).
    - few candidates: those fetched by id, tested, sorted. The candidates are the customers the FTS5
      index lists as holding every trigram of the text (well under a millisecond) and the ids queued
      for it since its last update (a few hundred at most; see migration 0005).
    - many candidates: the name index walked in order, each customer tested, until ``needed`` match,
      which comes soon when many do. Walking reads about ``needed × customers / candidates`` rows, at
      ``WALK_COST`` times the cost of fetching one by id; the cheaper way wins.
    """
    name = col(Customer.name_key)
    scan = select(Customer).where(*_listed(team_id, include_inactive, _unindexed), others).order_by(_unindexed(name))
    if len(needle) < TRIGRAM_MIN or not _has_search_index(session):
        return scan
    size = session.exec(select(func.max(col(Customer.id)))).one() or 0
    budget = math.isqrt(int(WALK_COST * needed * size)) + 1
    holders = select(_FTS.c.rowid).where(_FTS.c[CUSTOMER_SEARCH_FTS].match(_trigram_query(needle)))
    pending = select(_PENDING.c.id)
    cap = holders.limit(starts_total + budget + 1)  # counting stops once the walk wins
    counted = session.exec(select(func.count()).select_from(cap.subquery())).one()
    counted += session.exec(select(func.count()).select_from(pending.subquery())).one()
    if counted - starts_total > budget:
        return select(Customer).where(*_listed(team_id, include_inactive), others).order_by(name)
    candidates: ColumnElement[bool] = or_(col(Customer.id).in_(holders), col(Customer.id).in_(pending))
    if phone:
        # The same number in another format is found by its phone key, not by the text.
        candidates = or_(candidates, and_(col(Customer.team_id) == team_id, col(Customer.phone_key) == phone))
    return scan.where(candidates)


def _has_search_index(session: Session) -> bool:
    """Whether migration 0005 could create SQLite's trigram index (FTS5 with the trigram tokenizer)."""
    found = session.connection().exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (CUSTOMER_SEARCH_FTS,)
    ).first()
    return found is not None


def _trigram_query(needle: str) -> str:
    """An FTS5 query for the rows holding every trigram of ``needle`` (at most ``TRIGRAM_QUERY_MAX`` of
    them, spread over the text): a superset of the rows containing it. Each is an FTS5 string, in double
    quotes with ``"`` doubled; ``%`` and ``_`` mean nothing there. The index has no positions
    (``detail=none``), so it cannot match the text as a phrase."""
    trigrams = list(dict.fromkeys(needle[i : i + 3] for i in range(len(needle) - 2)))
    if len(trigrams) > TRIGRAM_QUERY_MAX:
        step = (len(trigrams) - 1) / (TRIGRAM_QUERY_MAX - 1)
        trigrams = [trigrams[round(i * step)] for i in range(TRIGRAM_QUERY_MAX)]
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in trigrams)


def _listed(team_id: str, include_inactive: bool, column: Callable[[Any], Any] | None = None, *,
            named: bool = True) -> list[Any]:
    """The customers a search looks at: the workspace's, not merged away (no name key; left to the caller
    when not ``named``), active unless ``include_inactive``."""
    c = column or _as_is
    terms = [c(col(Customer.team_id)) == team_id]
    if named:
        terms.append(c(col(Customer.name_key)).is_not(None))
    if not include_inactive:
        terms.append(c(col(Customer.active)).is_(True))
    return terms


def _as_is(column: Any) -> Any:
    return column


def _unindexed(column: Any) -> Any:
    """``+column``: the same value, which SQLite's planner does not look up in an index."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _key_range(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` between ``prefix`` and the first text after every text starting with it: the form of
    "starts with" an ordinary index can read (``LIKE 'x%'`` can use one on neither database: SQLite's LIKE
    ignores case, PostgreSQL needs a C collation). It is combined with the LIKE, which stays the exact
    test. Keys compare by code point on SQLite and on PostgreSQL with a C collation; under a linguistic
    collation a few keys starting with ``prefix`` can sort outside the range (one ending in punctuation
    that the collation ignores, contractions such as Czech "ch"): search then lists them among the other
    matches, and the duplicate check does not see them as similar names."""
    end = prefix.rstrip(chr(0x10FFFF))
    if not end:
        return and_(column >= prefix)
    bump = ord(end[-1]) + 1
    after = end[:-1] + chr(0xE000 if 0xD800 <= bump <= 0xDFFF else bump)
    return and_(column >= prefix, column < after)


_PHONE_TEXT = re.compile(r"^[\d\s+().\-/]+$")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def resolve(session: Session, *, team_id: str, text: str, include_inactive: bool = True) -> Customer:
    """The one customer ``text`` designates: its fully qualified name (``Top:Child``, as lists show it),
    else its exact display name, else the only search match.

    Raises ``InvalidInput`` (no text), ``NotFound`` (nothing matches) or ``Ambiguous`` (several match;
    ``params['candidates']`` holds their ids, best first).
    """
    if not normalize.fold(text):
        raise InvalidInput.of("name_missing")
    qualified = find_by_qualified_name(session, team_id=team_id, name=text)
    if qualified is not None and (include_inactive or qualified.active):
        return qualified
    exact = find_by_name(session, team_id=team_id, name=text)
    if exact is not None and (include_inactive or exact.active):
        return exact
    page = search(session, team_id=team_id, text=text, include_inactive=include_inactive, limit=10)
    if not page.customers:
        raise NotFound.of("no_customer_matches", text=text)
    if len(page.customers) > 1:
        raise Ambiguous.of(
            "several_customers_match", text=text, count=len(page.customers),
            candidates=[c.id for c in page.customers],
        )
    return page.customers[0]


# ------------------------------------------------------------------------------ duplicates

NAME_SIMILARITY_THRESHOLD = 85


def possible_duplicates(
    session: Session,
    *,
    team_id: str,
    fields: Mapping[str, Any],
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[DuplicateMatch]:
    """Existing customers (active or inactive) that look like the draft ``fields``, best first.

    Same normalised email (score 100), same phone (95), or a display/company name whose core (without
    punctuation and legal forms: "ACME Corp." ~ "Acme Corporation") is similar at or above
    ``NAME_SIMILARITY_THRESHOLD`` (its similarity, 0-100). Candidates come from indexed look-ups,
    never a scan of the whole list: every customer with the same email, phone or name core, and every
    one whose name core starts with the same first three letters.
    """
    from rapidfuzz import fuzz

    names = [n for n in (fields.get("display_name"), fields.get("company_name")) if n]
    cores = {normalize.core_key(str(n)) for n in names} - {""}
    email = normalize.email_key(fields.get("email"))
    phones = {normalize.phone_key(fields.get(f)) for f in ("phone", "mobile")} - {None}
    team = col(Customer.team_id) == team_id

    def name_score(core: str, company: str | None) -> int:
        theirs = {core, normalize.core_key(company or "")} - {""}
        return max((int(fuzz.ratio(a, b)) for a in cores for b in theirs), default=0)

    # Same email, phone or name core: equality look-ups, one index each. (The workspace is repeated in
    # each alternative so that SQLite reads the three indexes; merged-away customers are left out below,
    # not here: a "name_key IS NOT NULL" term would lead SQLite to walk the name index instead.)
    same: list[ColumnElement[bool]] = []
    if email:
        same.append(col(Customer.email_key) == email)
    if phones:
        same.append(col(Customer.phone_key).in_(phones))
    if cores:
        same.append(col(Customer.core_key).in_(cores))
    candidates: dict[int | None, Customer] = {}
    if same:
        either = or_(*(and_(team, condition) for condition in same))
        candidates.update((c.id, c) for c in session.exec(select(Customer).where(either)))
    # Similar names: the cores starting with the same first letters (an index range), scored on their keys
    # alone; only those similar enough are loaded.
    core = col(Customer.core_key)
    stems = {s for s in (c.split(" ")[0][:3] for c in cores) if len(s) >= 2}
    if stems:
        near = or_(*(and_(team, _key_range(core, s), core.like(f"{_escape_like(s)}%", escape="\\")) for s in stems))
        keys = session.exec(select(col(Customer.id), core, col(Customer.company_name)).where(near))
        similar = [cid for cid, key, company in keys
                   if cid not in candidates and name_score(key, company) >= NAME_SIMILARITY_THRESHOLD]
        if similar:
            candidates.update((c.id, c) for c in session.exec(select(Customer).where(col(Customer.id).in_(similar))))
    matches: list[DuplicateMatch] = []
    for candidate in candidates.values():
        if candidate.id == exclude_id or candidate.name_key is None:
            continue
        reasons: list[str] = []
        score = 0
        if email and candidate.email_key == email:
            reasons.append("email")
            score = 100
        if candidate.phone_key and candidate.phone_key in phones:
            reasons.append("phone")
            score = max(score, 95)
        similarity = name_score(candidate.core_key, candidate.company_name)
        if similarity >= NAME_SIMILARITY_THRESHOLD:
            reasons.append("name")
            score = max(score, similarity)
        if reasons:
            matches.append(DuplicateMatch(candidate, score, tuple(reasons)))
    matches.sort(key=lambda m: (-m.score, m.customer.name_key or ""))
    return matches[:limit]


# --------------------------------------------------------------------------------------- edit


@transactional
def edit(
    session: Session,
    *,
    team_id: str,
    customer_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    actor: str,
    parent_id: int | _Keep | None = KEEP,
) -> Customer:
    """Change some fields of a customer (only the keys given), and/or move it in the hierarchy.

    Rules: the change applies only if ``expected_version`` is the stored version (else ``Conflict``
    ``stale_version``, nothing written). A new display name must be free: another active customer's
    name gives ``Conflict`` ``name_belongs_to`` (the QuickBooks way: offer to merge into it), an
    inactive one's ``name_taken_inactive``. ``parent_id=None`` makes it a top-level customer (and
    clears "bill with parent"); another id moves it with its sub-customers (depth and cycles checked).
    Recurring templates whose copy of the billing address, shipping address, email, payment method,
    terms or delivery method still held the old value take the new one.
    """
    customer = get(session, team_id=team_id, customer_id=customer_id)
    session.refresh(customer, with_for_update=True)
    if customer.version != expected_version:
        raise Conflict.of(
            "stale_version", name=customer.display_name, by=customer.updated_by,
            at=customer.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
    values, problems = clean_fields(changes)
    if (
        "display_name" in changes and not values.get("display_name")
        and not any(p.field == "display_name" for p in problems)
    ):
        problems.append(Problem("display_name_required", "display_name"))
    if problems:
        raise InvalidInput(*problems)
    before = _snapshot(customer, [*EDITABLE_FIELDS, "parent_id"])
    new_key = normalize.name_key(values["display_name"]) if values.get("display_name") else None
    if new_key and new_key != customer.name_key:
        _ensure_name_free(session, team_id, new_key, exclude_id=customer.id, renaming=True)
    new_parent_id = customer.parent_id if isinstance(parent_id, _Keep) else parent_id
    # Every rule is checked before anything changes: a refusal leaves nothing pending in the session.
    if new_parent_id is None and values.get("bill_with_parent"):
        raise Refused.of("bill_with_parent_needs_parent", "bill_with_parent")
    if new_parent_id != customer.parent_id:
        if new_parent_id is not None:
            hierarchy.check_parent(session, team_id, customer, new_parent_id, lock=True)
        customer.parent_id = new_parent_id
    for name, value in values.items():
        setattr(customer, name, value)
    if customer.parent_id is None:
        customer.bill_with_parent = False
    after = _snapshot(customer, before)
    changed = [k for k in before if before[k] != after[k]]
    if not changed:
        session.rollback()
        return customer
    refresh_keys(customer)
    customer.version += 1
    customer.updated_at = utcnow()
    customer.updated_by = actor
    _propagate_to_templates(session, customer, before)
    _flush_unique(session, team_id, customer.name_key or "", renaming=True)
    audit.record(
        session, team_id=team_id, actor=actor, action="edit", customer_id=customer.id,
        before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
    )
    session.commit()
    return customer


def _propagate_to_templates(session: Session, customer: Customer, before: Mapping[str, Any]) -> None:
    groups = [g for g in TEMPLATE_FIELD_GROUPS if any(before[f] != getattr(customer, f) for f in g)]
    if not groups:
        return
    stmt = select(RecurringTemplate).where(
        RecurringTemplate.team_id == customer.team_id, RecurringTemplate.customer_id == customer.id
    )
    for template in session.exec(stmt):
        touched = False
        for group in groups:
            if all(getattr(template, f) == before[f] for f in group):
                for f in group:
                    setattr(template, f, getattr(customer, f))
                touched = True
        if touched:
            template.version += 1


# ------------------------------------------------------------------------------- balances


def balances(session: Session, *, team_id: str, customer_ids: Iterable[int]) -> dict[int, Decimal]:
    """Each customer's own balance: opening balance + invoices − payments."""
    ids = list(set(customer_ids))
    if not ids:
        return {}
    result = {
        cid: Decimal(ob or 0)
        for cid, ob in session.exec(
            select(col(Customer.id), col(Customer.opening_balance)).where(
                Customer.team_id == team_id, col(Customer.id).in_(ids)
            )
        )
        if cid is not None
    }
    money_in_out: tuple[tuple[type[Invoice] | type[Payment], int], ...] = ((Invoice, 1), (Payment, -1))
    for model, sign in money_in_out:
        stmt = (
            select(col(model.customer_id), func.coalesce(func.sum(model.amount), 0))
            .where(model.team_id == team_id, col(model.customer_id).in_(ids))
            .group_by(col(model.customer_id))
        )
        for cid, total in session.exec(stmt):
            result[cid] = result.get(cid, ZERO) + sign * Decimal(total)
    return {cid: amount.quantize(ZERO) for cid, amount in result.items()}


def balance(session: Session, *, team_id: str, customer_id: int) -> Decimal:
    """The customer's own balance."""
    return balances(session, team_id=team_id, customer_ids=[customer_id]).get(customer_id, ZERO)


def balance_with_sub_customers(session: Session, *, team_id: str, customer_id: int) -> Decimal:
    """The customer's balance plus every sub-customer's, at every level (QuickBooks' BalanceWithJobs)."""
    customer = get_customer(session, team_id, customer_id)
    ids = [customer_id, *(c.id for c in hierarchy.descendants(session, customer) if c.id is not None)]
    return sum(balances(session, team_id=team_id, customer_ids=ids).values(), ZERO)


# ------------------------------------------------------------------- make inactive / reactivate


@transactional
def make_inactive(session: Session, *, team_id: str, customer_id: int, actor: str) -> InactivationResult:
    """Make a customer inactive, with every sub-customer at every level, in one transaction.

    Refused (``Refused``, one problem per blocking customer and reason: ``inactive_blocked_balance``
    and/or ``inactive_blocked_project``) while the customer or any sub-customer has a non-zero balance or
    an open project; ``already_inactive`` when it is. Inactive customers keep their name (it stays
    taken) and their history; they leave lists and pickers.
    """
    customer = get(session, team_id=team_id, customer_id=customer_id)
    session.refresh(customer, with_for_update=True)
    if not customer.active:
        raise Refused.of("already_inactive", name=customer.display_name)
    subtree = _locked_subtree(session, customer)
    blockers = inactivation_blockers(session, team_id=team_id, customers=subtree)
    if blockers:
        raise Refused(*(p for b in blockers for p in _blocker_problems(session, b)))
    now = utcnow()
    changed = [c for c in subtree if c.active]
    for c in changed:
        c.active = False
        c.version += 1
        c.updated_at = now
        c.updated_by = actor
        audit.record(
            session, team_id=team_id, actor=actor, action="make_inactive", customer_id=c.id,
            before={"active": True}, after={"active": False}
            | ({"cascaded_from": customer.display_name} if c is not customer else {}),
        )
    session.commit()
    return InactivationResult(customer=customer, sub_customers=changed[1:])


def _locked_subtree(session: Session, customer: Customer) -> list[Customer]:
    """The customer and every sub-customer, row-locked; read again until no sub-customer was added
    meanwhile (an add locks its parent, so a new child is either seen here or refused there)."""
    while True:
        below = hierarchy.descendants(session, customer)
        ids = [c.id for c in below]
        if ids:
            session.exec(select(Customer).where(col(Customer.id).in_(ids)).with_for_update()).all()
        again = hierarchy.descendants(session, customer)
        if {c.id for c in again} == set(ids):
            return [customer, *again]


def inactivation_blockers(session: Session, *, team_id: str, customers: Sequence[Customer]) -> list[Blocker]:
    """Which of ``customers`` stop them being made inactive, and why."""
    ids = [c.id for c in customers if c.id is not None]
    owed = balances(session, team_id=team_id, customer_ids=ids)
    projects = ledger.open_projects_of(session, team_id=team_id, customer_ids=ids)
    blockers = []
    for c in customers:
        assert c.id is not None
        if owed.get(c.id, ZERO) != ZERO or c.id in projects:
            blockers.append(Blocker(c, owed.get(c.id, ZERO), tuple(projects.get(c.id, ()))))
    return blockers


def _blocker_problems(session: Session, blocker: Blocker) -> list[Problem]:
    """One problem per reason, so a customer with a balance and open projects is told both at once."""
    name = hierarchy.fully_qualified_name(session, blocker.customer)
    problems = []
    if blocker.balance != ZERO:
        problems.append(Problem("inactive_blocked_balance", params={"name": name, "balance": blocker.balance}))
    if blocker.open_projects:
        problems.append(Problem(
            "inactive_blocked_project", params={"name": name, "projects": ", ".join(blocker.open_projects)}
        ))
    return problems


@transactional
def reactivate(session: Session, *, team_id: str, customer_id: int, actor: str) -> ReactivationResult:
    """Make an inactive customer active again, with its inactive parents (a sub-customer is never
    active under an inactive parent); its sub-customers stay as they are.

    Raises ``Refused`` ``already_active``; ``NotFound`` ``customer_merged`` for a merged-away
    customer (undo the merge instead).
    """
    customer = get(session, team_id=team_id, customer_id=customer_id)
    session.refresh(customer, with_for_update=True)
    if customer.active:
        raise Refused.of("already_active", name=customer.display_name)
    revived = [a for a in hierarchy.ancestors(session, customer) if not a.active]
    now = utcnow()
    for c in [*revived, customer]:
        c.active = True
        c.version += 1
        c.updated_at = now
        c.updated_by = actor
        audit.record(
            session, team_id=team_id, actor=actor, action="reactivate", customer_id=c.id,
            before={"active": False}, after={"active": True},
        )
    session.commit()
    return ReactivationResult(customer=customer, ancestors=revived)


def transaction_label(customer: Customer, lang: str = "en") -> str:
    """How a transaction names its customer: the current name, "(inactive)" when it is."""
    from handlers.messages import t

    return customer.display_name if customer.active else t("label.inactive", lang, name=customer.display_name)
