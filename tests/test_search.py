"""Search and resolve: by any part of name, company, email or phone; accents; ranking; paging."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, case, delete, event, literal, or_
from sqlmodel import Session, col, select

from db.models import CUSTOMER_SEARCH_FTS, CUSTOMER_SEARCH_PENDING, AuditEvent, Customer
from handlers import customers, hierarchy, merge, normalize
from handlers.errors import Ambiguous, InvalidInput, NotFound
from handlers.importing import apply_plan, plan_import, suggest
from handlers.importing.read import inspect
from tests import spreadsheets
from tests.conftest import is_postgres
from tests.factories import ACTOR, OTHER_TEAM, TEAM, chain, customer, edit


def _names(session, text: str = "", **kw) -> list[str]:
    return [c.display_name for c in customers.search(session, team_id=TEAM, text=text, **kw).customers]


@pytest.fixture
def people(session):
    customer(session, "Hélène Dupont", company_name="Boulangerie Ducros", email="helene@ducros.test",
             phone="+33 6 12 34 56 78")
    customer(session, "Jean Martin", company_name="Martin & Fils", email="JEAN@martin.test", mobile="(555) 010-2030")
    customer(session, "Zoé Dupontel")
    customer(session, "Acme", email="dupont@acme.test")


@pytest.mark.parametrize(("text", "expected"), [
    ("Dupont", ["Hélène Dupont", "Zoé Dupontel", "Acme"]),
    ("lène dup", ["Hélène Dupont"]),
    ("ducros", ["Hélène Dupont"]),
    ("& fils", ["Jean Martin"]),
    ("jean@MARTIN", ["Jean Martin"]),
    ("ducros.test", ["Hélène Dupont"]),
    ("010-2030", ["Jean Martin"]),
    ("5550102030", ["Jean Martin"]),
    ("12 34 56", ["Hélène Dupont"]),
])
def test_search_finds_any_part_of_name_company_email_or_phone(session, people, text, expected) -> None:
    assert sorted(_names(session, text)) == sorted(expected)


def test_search_finds_a_phone_typed_in_its_national_format(session, people) -> None:
    assert _names(session, "06 12 34 56 78") == ["Hélène Dupont"]


@pytest.mark.parametrize("text", ["HELENE", "hélène", "Hélène", "  helene  ", "HÉLÈNE"])
def test_search_is_case_and_accent_insensitive(session, people, text) -> None:
    assert _names(session, text) == ["Hélène Dupont"]


def test_search_for_an_accented_query_finds_unaccented_names(session) -> None:
    customer(session, "Zoe Martin")
    assert _names(session, "zoé") == ["Zoe Martin"]


def test_display_names_starting_with_the_text_come_first(session) -> None:
    for name in ("Big Acme", "Acme West", "Small Acme", "Acme East"):
        customer(session, name)
    assert _names(session, "acme") == ["Acme East", "Acme West", "Big Acme", "Small Acme"]


def test_no_text_lists_everyone_alphabetically(session) -> None:
    for name in ("beta", "Alpha", "Gamma"):
        customer(session, name)
    assert _names(session) == ["Alpha", "beta", "Gamma"]


def test_paging_says_whether_there_is_more(session) -> None:
    for i in range(5):
        customer(session, f"Customer {i}")
    first = customers.search(session, team_id=TEAM, text="customer", limit=2)
    last = customers.search(session, team_id=TEAM, text="customer", limit=2, offset=4)
    middle = customers.search(session, team_id=TEAM, text="customer", limit=2, offset=2)
    assert ([c.display_name for c in first.customers], first.has_more) == (["Customer 0", "Customer 1"], True)
    assert ([c.display_name for c in middle.customers], middle.has_more) == (["Customer 2", "Customer 3"], True)
    assert ([c.display_name for c in last.customers], last.has_more) == (["Customer 4"], False)


def test_exactly_a_full_page_has_no_more(session) -> None:
    for i in range(3):
        customer(session, f"Customer {i}")
    page = customers.search(session, team_id=TEAM, limit=3)
    assert (len(page.customers), page.has_more) == (3, False)


@pytest.mark.parametrize(("text", "expected"), [
    ("100%", ["100% Organic"]),
    ("%", ["100% Organic"]),
    ("a_b", ["a_b Studio"]),
    ("_", ["a_b Studio"]),
    ("\\", ["Back\\slash"]),
])
def test_like_wildcards_in_the_query_are_literal(session, text, expected) -> None:
    for name in ("100% Organic", "1000 Organics", "a_b Studio", "axb Studio", "Back\\slash"):
        customer(session, name)
    assert _names(session, text) == expected


def test_merged_customers_are_never_listed(session) -> None:
    dup = customer(session, "Acme Dup")
    kept = customer(session, "Acme")
    merge.merge(session, team_id=TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=ACTOR)
    assert _names(session, "acme", include_inactive=True) == ["Acme"]
    assert _names(session, include_inactive=True) == ["Acme"]


# ----------------------------------------------------------------------------------- resolve


def test_resolve_prefers_the_exact_display_name(session) -> None:
    acme = customer(session, "Acme")
    customer(session, "Acme West")
    assert customers.resolve(session, team_id=TEAM, text="  ACME ").id == acme.id


def test_resolve_takes_the_only_search_match(session) -> None:
    west = customer(session, "Acme West")
    customer(session, "Beta")
    assert customers.resolve(session, team_id=TEAM, text="west").id == west.id


def test_resolve_with_no_match_says_so(session) -> None:
    customer(session, "Acme")
    with pytest.raises(NotFound) as caught:
        customers.resolve(session, team_id=TEAM, text="Zebra")
    assert caught.value.code == "no_customer_matches"
    assert str(caught.value) == 'No customer matches "Zebra".'


def test_resolve_with_several_matches_lists_the_candidates(session) -> None:
    east = customer(session, "Acme East")
    west = customer(session, "Acme West")
    with pytest.raises(Ambiguous) as caught:
        customers.resolve(session, team_id=TEAM, text="acme")
    assert caught.value.code == "several_customers_match"
    assert caught.value.params["candidates"] == [east.id, west.id]
    assert str(caught.value) == '2 customers match "acme": pick one.'


def test_resolve_without_text_asks_for_a_name(session) -> None:
    with pytest.raises(InvalidInput) as caught:
        customers.resolve(session, team_id=TEAM, text="   ")
    assert caught.value.code == "name_missing"


def test_resolve_active_only_skips_an_inactive_exact_match(session) -> None:
    old = customer(session, "Acme")
    customers.make_inactive(session, team_id=TEAM, customer_id=old.id, actor=ACTOR)
    assert customers.resolve(session, team_id=TEAM, text="acme").id == old.id
    with pytest.raises(NotFound):
        customers.resolve(session, team_id=TEAM, text="acme", include_inactive=False)


def test_resolve_takes_a_fully_qualified_name(session) -> None:
    _, _, kitchen = chain(session, "Acme", "West", "Kitchen")
    customer(session, "Kitchen remodel")
    assert customers.resolve(session, team_id=TEAM, text="acme : WEST:kitchen").id == kitchen.id


def test_resolve_refuses_a_qualified_name_whose_parents_do_not_match(session) -> None:
    chain(session, "Acme", "West", "Kitchen")
    with pytest.raises(NotFound):
        customers.resolve(session, team_id=TEAM, text="Acme:Kitchen")
    with pytest.raises(NotFound):
        customers.resolve(session, team_id=TEAM, text="Beta:West")


def test_resolve_of_another_workspaces_qualified_name_finds_nothing(session) -> None:
    chain(session, "Acme", "Kitchen", team="T_OTHER")
    with pytest.raises(NotFound):
        customers.resolve(session, team_id=TEAM, text="Acme:Kitchen")


def test_resolve_active_only_skips_an_inactive_qualified_name(session) -> None:
    _, kitchen = chain(session, "Acme", "Kitchen")
    customers.make_inactive(session, team_id=TEAM, customer_id=kitchen.id, actor=ACTOR)
    assert customers.resolve(session, team_id=TEAM, text="Acme:Kitchen").id == kitchen.id
    with pytest.raises(NotFound):
        customers.resolve(session, team_id=TEAM, text="Acme:Kitchen", include_inactive=False)


# ------------------------------------------------------- the text index (migration 0005) and its results
#
# Texts of 3+ characters inside names, companies, emails and phones are looked up in a trigram index (SQLite:
# FTS5 table kept by triggers, through a queue of changed ids moved into it every few hundred; PostgreSQL:
# pg_trgm). Whatever changes a customer's text, the next search must find the new text and not the old, both
# while the change is queued and once it is in the index; every way of reading must give what a plain LIKE
# scan gives.


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _way(statements: list[str]) -> str:
    """How a search read the matches past the names starting with the text (SQLite): "index" (the trigram
    index's candidates fetched by id), "walk" (the name index in order), "scan" (the table), or "" (the
    names starting with the text filled the page)."""
    if any(CUSTOMER_SEARCH_FTS in s and "IN (SELECT" in s for s in statements):
        return "index"
    reads = [s for s in statements if s.lstrip().startswith("SELECT customer.")]
    if len(reads) < 2:
        return ""
    return "scan" if "(+ customer.team_id)" in reads[-1] else "walk"


def _found(session: Session, engine: Engine, text: str, **kw: Any) -> list[str]:
    """``_names``, checking on SQLite that the trigram index answered (the text is inside the names), the
    same before and after the queued changes are moved into it."""
    with _statements(engine) as statements:
        names = _names(session, text, **kw)
    if engine.dialect.name == "sqlite":
        assert _way(statements) == "index", statements
        _sync(session)
        assert _names(session, text, **kw) == names
    return names


def _sync(session: Session) -> None:
    """SQLite: move the queued changes into the FTS5 index now (what the triggers do every few hundred)."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql(f"INSERT INTO {CUSTOMER_SEARCH_PENDING} (id) VALUES (0)")
        session.commit()


def _queued(session: Session) -> int:
    return session.connection().exec_driver_sql(f"SELECT count(*) FROM {CUSTOMER_SEARCH_PENDING}").scalar_one()


def _index_in_step(session: Session) -> None:
    """SQLite: once the queue is moved in, the FTS5 index holds exactly the table's search keys (else
    "database disk image is malformed"). PostgreSQL maintains its GIN index itself."""
    if session.get_bind().dialect.name == "sqlite":
        _sync(session)
        assert _queued(session) == 0
        session.connection().exec_driver_sql(
            f"INSERT INTO {CUSTOMER_SEARCH_FTS} ({CUSTOMER_SEARCH_FTS}, rank) VALUES ('integrity-check', 1)")
        session.commit()


def test_a_new_customer_is_found_by_text_inside_its_company(session, engine) -> None:
    customer(session, "Acme", company_name="Boulangerie Zanzibar", email="hello@acme.test")
    assert _found(session, engine, "anzib") == ["Acme"]
    assert _found(session, engine, "lo@acm") == ["Acme"]
    _index_in_step(session)


def test_an_edit_is_found_by_its_new_text_and_not_its_old(session, engine) -> None:
    acme = customer(session, "Acme", company_name="Zanzibar Foods", email="old@quokka.test", phone="514 555 0101")
    _sync(session)  # the old text in the index, not only in the queue
    edit(session, acme, company_name="Xylophone Works", email="new@wombat.test", phone="438 555 0199")
    assert _found(session, engine, "anzib") == []
    assert _found(session, engine, "quokka") == []
    assert _found(session, engine, "ylophon") == ["Acme"]
    assert _found(session, engine, "wombat") == ["Acme"]
    assert _found(session, engine, "555 0101") == []
    assert _found(session, engine, "555 0199") == ["Acme"]
    _index_in_step(session)


def test_a_renamed_customer_is_found_by_its_new_name_only(session, engine) -> None:
    old = customer(session, "Old Zanzibar")
    customer(session, "Other")
    _sync(session)
    edit(session, old, display_name="New Quokka")
    assert _found(session, engine, "zanzibar") == []
    assert _found(session, engine, "quokka") == ["New Quokka"]
    assert _names(session, "new quo") == ["New Quokka"]
    _index_in_step(session)


def test_a_merge_and_its_undo_move_the_copied_text(session, engine) -> None:
    kept = customer(session, "Acme")
    dup = customer(session, "Acme Duplicate", email="billing@zanzibar.test")
    assert _found(session, engine, "zanzibar") == ["Acme Duplicate"]
    done = merge.merge(session, team_id=TEAM, duplicate_id=dup.id, kept_id=kept.id, actor=ACTOR,
                       copy_fields=["email"])
    assert _found(session, engine, "zanzibar", include_inactive=True) == ["Acme"]
    merge.undo(session, team_id=TEAM, merge_id=done.record.id, actor=ACTOR)
    assert _found(session, engine, "zanzibar", include_inactive=True) == ["Acme Duplicate"]
    _index_in_step(session)


def test_imported_customers_and_imported_changes_are_found(session, engine, tmp_path: Path) -> None:
    def imported(rows: list[list[Any]]) -> None:
        path = spreadsheets.xlsx(tmp_path / "in.xlsx", rows)
        fields = suggest(inspect(path).headers).fields
        with plan_import(session, team_id=TEAM, path=path, fields=fields, update_by="name") as plan:
            apply_plan(session, plan, actor=ACTOR)

    imported([["Name", "Company", "Email"], ["Acme", "Zanzibar Foods", "a@quokka.test"],
              ["Beta", "Beta Inc", "b@beta.test"]])
    assert _found(session, engine, "anzib") == ["Acme"]
    imported([["Name", "Company", "Email"], ["Acme", "Zanzibar Foods", "a@wombat.test"]])
    assert _found(session, engine, "quokka") == []
    assert _found(session, engine, "wombat") == ["Acme"]
    _index_in_step(session)


def test_after_a_big_import_the_index_holds_every_row_and_follows_later_changes(session, engine,
                                                                              tmp_path: Path) -> None:
    # SQLite: the import indexes its new rows in one statement, its insert trigger dropped meanwhile.
    rows = [["Name", "Email"], *([f"Imported {n:03d}", f"row{n:03d}@zanzibar.test"] for n in range(300))]
    path = spreadsheets.xlsx(tmp_path / "big.xlsx", rows)
    with plan_import(session, team_id=TEAM, path=path, fields=suggest(inspect(path).headers).fields,
                     update_by="name") as plan:
        apply_plan(session, plan, actor=ACTOR)
    assert len(_names(session, "zanzibar", limit=500)) == 300
    assert _found(session, engine, "row123@") == ["Imported 123"]
    customer(session, "Added Later", email="later@quokka.test")  # the insert trigger is back
    assert _found(session, engine, "quokka") == ["Added Later"]
    _index_in_step(session)


def test_the_index_follows_a_deleted_customer(session, engine) -> None:
    # No handler deletes customers; whatever SQL does, the index follows.
    gone = customer(session, "Gone Zanzibar")
    customer(session, "Kept Zanzibar")
    _sync(session)
    session.connection().execute(delete(AuditEvent).where(col(AuditEvent.customer_id) == gone.id))
    session.connection().execute(delete(Customer).where(col(Customer.id) == gone.id))
    session.commit()
    assert _found(session, engine, "zanzibar") == ["Kept Zanzibar"]
    _index_in_step(session)


@pytest.mark.skipif(is_postgres(), reason="SQLite's queue of changes for its FTS5 index")
@pytest.mark.parametrize("change", ["edit", "add"])
def test_a_change_that_fills_the_queue_is_indexed_once(session, engine, change) -> None:
    # The queue moves into the index inside the trigger of the change that fills it (every 256 ids).
    acme = customer(session, "Acme", company_name="Zanzibar Foods")
    _sync(session)
    session.connection().exec_driver_sql(  # ids of no customer: moving them in does nothing
        f"INSERT INTO {CUSTOMER_SEARCH_PENDING} (id) VALUES (?)", [(i,) for i in range(1_000_001, 1_000_256)])
    session.commit()
    assert _queued(session) == 255
    if change == "edit":
        edit(session, acme, company_name="Quokka Foods")
    else:
        customer(session, "Beta", company_name="Quokka Foods")
    assert _queued(session) == 0
    assert _found(session, engine, "uokka") == (["Acme"] if change == "edit" else ["Beta"])
    _index_in_step(session)


def test_another_workspaces_customers_are_never_found(session, engine) -> None:
    customer(session, "Acme", company_name="Zanzibar Foods")
    customer(session, "Acme", company_name="Zanzibar Foods", team=OTHER_TEAM)
    assert [c.team_id for c in customers.search(session, team_id=TEAM, text="anzib").customers] == [TEAM]


# Equivalence: every way of reading (table scan, trigram candidates, name-index walk) against one plain scan.

_FIRST = ("Hélène", "Jean", "Zoé", "Chloé", "François", "María", "Jürgen", "Nguyễn Văn", "Patrick O'Brien", "太郎")
_LAST = ("Dupont", "Martin", "Tremblay", "Côté", "Müller", "Lefèvre", "Smith", "Gagnon", "Strauß", "佐藤")
_COMPANY = ("Boulangerie", "Plomberie", "Construction", "Consulting", "Transports", "100% Bio", "a_b Studio",
            'The "Best" Bakery', "Back\\slash", "")


def _crowd(session: Session) -> None:
    """300 customers in two workspaces: names, companies, emails and phones in several forms; some
    inactive, some merged away, some sub-customers."""
    r = random.Random(20261127)
    made = []
    for i in range(300):
        first, last, company = r.choice(_FIRST), r.choice(_LAST), r.choice(_COMPANY)
        person = f"{first} {last}" if r.random() < 0.7 else f"{last}, {first}"
        name = f"{company} {last} {i}" if company and r.random() < 0.4 else f"{person} {i}"
        fields: dict[str, Any] = {"company_name": company or None}
        if r.random() < 0.8:
            domain = r.choice(("example.test", "gmail.test", "orange.test"))
            email = f"{normalize.fold(first).replace(' ', '')[:6]}.{i}@{domain}"
            fields["email"] = email.upper() if r.random() < 0.1 else email
        if r.random() < 0.7:
            n = f"{r.randint(200, 999)}{r.randint(1000, 9999)}"
            fields["phone"] = r.choice((f"(514) {n[:3]}-{n[3:]}", f"+1 514 {n[:3]} {n[3:]}", f"514.{n[3:]}"))
        parent = r.choice(made) if made and r.random() < 0.05 else None
        team = OTHER_TEAM if i % 9 == 0 else TEAM
        parent = parent if parent is not None and parent.team_id == team else None
        made.append(customer(session, name, team=team, parent=parent, **fields))
    for c in made[5::17]:
        if not hierarchy.children(session, c.team_id, [c.id]):
            customers.make_inactive(session, team_id=c.team_id, customer_id=c.id, actor=ACTOR)
    ours = [c for c in made if c.team_id == TEAM and c.parent_id is None
            and not hierarchy.children(session, TEAM, [c.id])]
    for duplicate, kept in [(ours[i], ours[i + 1]) for i in range(3, 40, 12)]:
        session.refresh(kept)
        if kept.active:
            merge.merge(session, team_id=TEAM, duplicate_id=duplicate.id, kept_id=kept.id, actor=ACTOR)


def _plain_scan(session: Session, text: str, include_inactive: bool, limit: int, offset: int) -> tuple[list[int], bool]:
    """What search must answer, by one plain statement: ``search_key LIKE '%x%'`` (or the same phone) over
    the workspace's listed customers, names starting with the text first, then by name."""
    query = normalize.fold(text)
    terms: list[Any] = [col(Customer.team_id) == TEAM, col(Customer.name_key).is_not(None)]
    if not include_inactive:
        terms.append(col(Customer.active).is_(True))
    first: Any = literal(1)
    if query:
        digits = normalize.digits(query)
        is_phone = len(digits) >= 3 and re.fullmatch(r"[\d\s+().\-/]+", query) is not None
        needle = (digits if is_phone else query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        matches = col(Customer.search_key).like(f"%{needle}%", escape="\\")
        phone = normalize.phone_key(digits) if is_phone else None
        terms.append(or_(matches, col(Customer.phone_key) == phone) if phone else matches)
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        first = case((col(Customer.name_key).like(f"{escaped}%", escape="\\"), 0), else_=1)
    stmt = select(col(Customer.id)).where(*terms).order_by(first, col(Customer.name_key))
    ids = list(session.exec(stmt.offset(offset).limit(limit + 1)))
    return [i for i in ids[:limit] if i is not None], len(ids) > limit


_TEXTS = (
    "", "a", "é", "du", "1", "51", "jean", "jean ", "hélène", "helene", "hélène dup", "dupont", "côté", "cote",
    "mull", "müller", "strauss", "straß", "trembl", "tremblay 1", "emb", "ont", "lef", "o'b", "o'brien",
    "boulangerie", "plomb", "consult", "100%", "% b", "a_b", "_b s", '"best"', 'e "b', "\\slash", "k\\s",
    "example", "@example.test", "gmail", "exa", ".test", "jean.", "francois.1", "HELENE.", "514", "555",
    "(514)", "514 2", "+1 514", "5142", "514.3", "bio", "佐藤", "太郎", "藤 太", "van", "nguyen van",
    "qxz", "zzzz", "ab", "zo", "martin 1", " | ", "n | ", "1 2",
)


@pytest.mark.parametrize("include_inactive", [False, True])
def test_every_way_of_reading_gives_the_plain_scans_results(session, engine, include_inactive) -> None:
    _crowd(session)
    if engine.dialect.name == "sqlite":  # some customers in the FTS5 index, the last ones still queued
        assert 0 < _queued(session) < 300
    # Whole numbers written another way than stored: found by the phone key, not by the text.
    phones = session.exec(select(col(Customer.phone)).where(col(Customer.phone).is_not(None))
                          .order_by(col(Customer.id)).limit(4)).all()
    numbers = [f"+1 {d[-10:-7]} {d[-7:-4]} {d[-4:]}" for d in (normalize.digits(p) for p in phones)]
    # Pages from the top, the middle and past the end, each with its "has more".
    pages = [(25, 0), (5, 0), (5, 5), (1, 3), (10, 20), (3, 60), (25, 200)]
    ways: set[str] = set()
    wrong = []
    for text in (*_TEXTS, *numbers):
        for limit, offset in pages:
            with _statements(engine) as statements:
                page = customers.search(session, team_id=TEAM, text=text, include_inactive=include_inactive,
                                        limit=limit, offset=offset)
            ways.add(_way(statements))
            got = ([c.id for c in page.customers], page.has_more)
            expected = _plain_scan(session, text, include_inactive, limit, offset)
            if got != expected:
                wrong.append((text, limit, offset, got, expected))
    assert wrong == []
    if engine.dialect.name == "sqlite":
        assert ways == {"", "scan", "index", "walk"}
