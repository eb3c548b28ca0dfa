"""Search, typeahead and duplicate-check benchmark on a realistic list of N customers (default 100,000).

Run on demand, not part of pytest::

    python bench/search_bench.py [--customers 100000] [--database-url URL] [--check] [--explain] [--revision 0004]

It seeds a fresh SQLite file (or, with ``--database-url postgresql+psycopg://...``, a schema of its own
that is dropped afterwards) through SQLAlchemy Core bulk inserts, with the keys computed by the same
function ``handlers.customers.refresh_keys`` uses, then measures, one call after the other:

(a) ``handlers.customers.search`` (limit 25), each call in its own read-only session as a listener does;
(b) the whole options request of a customer picker (and of the parent picker) over real HTTP: a signed
    ``block_suggestion`` to the real app (``create_app`` + ``make_wsgi``, served on 127.0.0.1, Web API
    calls going to the fake Slack of the test suite);
(c) ``handlers.customers.possible_duplicates`` for one new customer draft.

Every timing is also given as a ratio to baselines measured in the same process, interleaved with it
(round-robin, which cancels most machine drift): a primary-key SELECT of one customer through the same
session path, a naive ``display_name LIKE '%q%' LIMIT 25`` scan of the same text, and for HTTP a
``GET /healthz`` of the same server (HTTP + one ``SELECT 1``). ``--check`` exits 1 when a p95 misses its
target. ``--explain`` prints the database's plan of every statement ``search`` and
``possible_duplicates`` run for a few sample texts. ``--revision 0004`` measures the schema before the
search text index (migration 0005), with the same code: search then scans as it did.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402
from sqlalchemy import Engine, event, text  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from bot.blocks.customer_form import FormMeta, build_form, new_draft  # noqa: E402
from bot.blocks.ids import Suggest  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import CUSTOMER_SEARCH_FTS, CUSTOMER_SEARCH_TRGM_INDEX, Customer  # noqa: E402
from db.session import SessionFactory, make_engine, normalize_database_url, session_factory  # noqa: E402
from handlers import customers, normalize  # noqa: E402

TEAM = "T0001"  # the workspace of the test suite's signed client
TARGETS_MS = {"search": 20.0, "options": 300.0, "duplicates": 50.0}
SUB_CUSTOMER_RATE = 0.05
INACTIVE_RATE = 0.03
BATCH = 1000

Json = dict[str, Any]


# ------------------------------------------------------------------------------------ test data

@dataclass(frozen=True)
class Locale:
    weight: float
    first: tuple[str, ...]
    last: tuple[str, ...]
    trades: tuple[str, ...]
    legal: tuple[str, ...]
    cities: tuple[str, ...]
    country: str
    phone: Callable[[random.Random], str]
    cjk: bool = False


def _d(r: random.Random, n: int) -> str:
    return "".join(str(r.randrange(10)) for _ in range(n))


def _nanp(r: random.Random) -> str:
    a, b, c = r.choice(("514", "438", "418", "416", "604", "212", "617", "312", "415")), r.randint(200, 999), _d(r, 4)
    return r.choice((f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", f"{a}{b}{c}"))


def _fr_phone(r: random.Random) -> str:
    d = " ".join(_d(r, 2) for _ in range(4))
    dotted = d.replace(" ", ".")
    return r.choice((f"0{r.randint(1, 9)} {d}", f"+33 {r.randint(1, 9)} {d}", f"0{r.randint(1, 9)}.{dotted}"))


_FR_TRADES = ("Boulangerie", "Menuiserie", "Électricité", "Plomberie", "Rénovation", "Pâtisserie", "Fromagerie",
              "Transports", "Couverture", "Paysagiste", "Traiteur", "Garage")
LOCALES: dict[str, Locale] = {
    "en": Locale(
        0.38,
        ("John", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "James", "Susan", "Chris",
         "Karen", "Daniel", "Nancy", "Matthew", "Emily", "Andrew", "Laura", "Kevin", "Sarah", "Brian", "Megan"),
        ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
         "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall",
         "Young", "King", "Wright", "O'Brien", "McDonald", "Baker", "Green", "Adams", "Nelson", "Carter", "Mitchell"),
        ("Plumbing", "Construction", "Landscaping", "Consulting", "Bakery", "Electric", "Roofing", "Auto Repair",
         "Design Studio", "Dental Care", "Catering", "Cleaning Services", "Hardware", "Logistics", "Painting"),
        ("Inc.", "LLC", "Ltd", "Corp.", "Co.", "", "", "Corporation", "& Sons"),
        ("Boston", "Burlington", "Toronto", "Vancouver", "Chicago", "Austin", "Portland", "Denver", "Halifax"),
        "US", _nanp),
    "fr": Locale(
        0.25,
        ("Hélène", "Éric", "François", "Zoé", "Anaïs", "Jérôme", "Cécile", "Gaëlle", "Loïc", "Noël", "Léa", "Chloé",
         "Thérèse", "René", "Benoît", "Aurélie", "Stéphane", "Amélie", "Frédéric", "Mélanie", "Jean", "Marie"),
        ("Dupont", "Côté", "Lefèvre", "Bélanger", "Gagnon", "Tremblay", "Lévesque", "Bouchard", "Gauthier", "Roy",
         "Fréchette", "Thériault", "Pelletier", "Bérubé", "Mercier", "Béland", "Leclerc", "Dubé", "Ouellet",
         "Girard", "Rousseau", "Fontaine", "Lemaître", "Chevalier", "Morin", "Gélinas", "Boucher", "Desjardins"),
        _FR_TRADES,
        ("SARL", "SAS", "SA", "inc.", "ltée", "", "", "& Fils", "et Frères"),
        ("Montréal", "Québec", "Trois-Rivières", "Lévis", "Paris", "Lyon", "Besançon", "Nîmes", "Orléans"),
        "FR", _fr_phone),
    "es": Locale(
        0.10,
        ("José", "María", "Ángel", "Sofía", "Jesús", "Iñigo", "Raúl", "Lucía", "Martín", "Inés", "Óscar", "Begoña"),
        ("Núñez", "Peña", "García", "Muñoz", "Ibáñez", "Fernández", "López", "Martínez", "Rodríguez", "Gómez",
         "Sánchez", "Pérez", "Jiménez", "Álvarez", "Hernández"),
        ("Construcciones", "Transportes", "Panadería", "Reformas", "Jardinería", "Electricidad", "Asesoría"),
        ("S.L.", "S.A.", "S.A. de C.V.", ""),
        ("Madrid", "Sevilla", "Málaga", "Córdoba", "Ciudad de México", "Mérida", "León"),
        "ES", lambda r: r.choice((f"+34 9{_d(r, 2)} {_d(r, 3)} {_d(r, 3)}", f"+52 55 {_d(r, 4)} {_d(r, 4)}"))),
    "de": Locale(
        0.08,
        ("Jürgen", "Jörg", "Björn", "Uwe", "Käthe", "Günther", "Sören", "Anja", "Klaus", "Märta", "Lukas", "Jens"),
        ("Müller", "Schröder", "Weiß", "Groß", "Köhler", "Schäfer", "Krüger", "Hoffmann", "Becker", "Wagner",
         "Schulz", "Fischer", "Bäcker", "Strauß"),
        ("Bäckerei", "Elektrotechnik", "Bau", "Gärtnerei", "Metallbau", "Steuerberatung", "Malerbetrieb"),
        ("GmbH", "AG", "GmbH & Co. KG", "e.K.", ""),
        ("Berlin", "München", "Köln", "Düsseldorf", "Nürnberg", "Lübeck"),
        "DE", lambda r: r.choice((f"+49 30 {_d(r, 8)}", f"0{r.randint(30, 899)} {_d(r, 7)}"))),
    "vi": Locale(
        0.05,
        ("Văn Anh", "Thị Hương", "Đức", "Minh", "Thị Lan", "Quốc Bảo", "Ngọc"),
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng"),
        ("Xây Dựng", "Thương Mại", "Vận Tải", "Du Lịch"),
        ("TNHH", "JSC", ""),
        ("Hà Nội", "Đà Nẵng", "Huế", "Cần Thơ"),
        "VN", lambda r: f"+84 {_d(r, 2)} {_d(r, 3)} {_d(r, 4)}"),
    "ja": Locale(
        0.05,
        ("太郎", "花子", "健", "美咲", "翔", "陽菜"),
        ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村"),
        ("商事", "建設", "工業", "電機"),
        ("株式会社", "有限会社"),
        ("東京", "大阪", "横浜", "名古屋"),
        "JP", lambda r: f"0{r.randint(3, 99)}-{_d(r, 4)}-{_d(r, 4)}", cjk=True),
    "zh": Locale(
        0.05,
        ("伟", "芳", "娜", "敏", "静", "磊", "洋"),
        ("王", "李", "张", "刘", "陈", "杨", "黄", "赵"),
        ("贸易", "科技", "建筑", "物流"),
        ("有限公司", "集团"),
        ("北京", "上海", "广州", "深圳"),
        "CN", lambda r: f"+86 1{r.randint(30, 99)} {_d(r, 4)} {_d(r, 4)}", cjk=True),
    "ko": Locale(
        0.04,
        ("민준", "서연", "지훈", "하은", "도윤"),
        ("김", "이", "박", "최", "정", "강"),
        ("무역", "건설", "전자", "식품"),
        ("주식회사", ""),
        ("서울", "부산", "인천", "대구"),
        "KR", lambda r: f"010-{_d(r, 4)}-{_d(r, 4)}", cjk=True),
}
_JOBS = ("Kitchen remodel", "Bathroom", "Roof repair", "Office move", "Annual maintenance", "Chantier", "Projet",
         "Rénovation cuisine", "Site", "Warehouse", "Phase", "Agrandissement", "Lot")
_WORDS = ("North", "Summit", "Maple", "Atlas", "Blue River", "Horizon", "Pioneer", "Lakeside", "Érable", "Étoile",
          "Soleil", "Cèdre", "Harbor", "Granite", "Evergreen", "Aurora", "Silver", "Oak", "Prairie", "Coastal")
_DOMAINS = ("gmail.com", "outlook.com", "yahoo.fr", "videotron.ca", "orange.fr", "gmx.de", "hotmail.com", "icloud.com")
_NOTES = ("Pays net 30.", "Prefers email invoices.", "Ne pas appeler avant 10 h.", "Key under the mat", "", "", "")


def ascii_fold(value: str) -> str:
    """``"Hélène"`` → ``"Helene"`` (what someone types without accents)."""
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()


class CustomerMaker:
    """Customers as a small business's list holds them: people and companies in several languages."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self._codes = list(LOCALES)
        self._weights = [LOCALES[c].weight for c in self._codes]

    def person_or_company(self) -> dict[str, Any]:
        r = self.r
        loc = LOCALES[r.choices(self._codes, self._weights)[0]]
        first, last = r.choice(loc.first), r.choice(loc.last)
        company = ""
        if r.random() < 0.55:
            if loc.cjk:
                company = f"{r.choice(loc.legal)}{last}{r.choice(loc.trades)}"
            else:
                base = r.choice((f"{last} {r.choice(loc.trades)}", f"{r.choice(_WORDS)} {r.choice(loc.trades)}",
                                 f"{r.choice(loc.trades)} {last}", f"{last} & {r.choice(loc.last)}"))
                company = f"{base} {r.choice(loc.legal)}".strip()
        is_company = bool(company) and r.random() < 0.8
        person = f"{last}{first}" if loc.cjk else r.choice((f"{first} {last}", f"{first} {last}", f"{last}, {first}"))
        values: dict[str, Any] = {
            "display_name": company if is_company else person,
            "company_name": company or None,
            "given_name": None if loc.cjk and is_company else first,
            "family_name": None if loc.cjk and is_company else last,
            "bill_city": r.choice(loc.cities),
            "bill_country": loc.country,
            "notes": r.choice(_NOTES) or None,
            "opening_balance": f"{r.uniform(0, 5000):.2f}" if r.random() < 0.3 else "0.00",
        }
        if r.random() < 0.85:
            values["email"] = self.email(first, last, company)
        if r.random() < 0.85:
            values["phone"] = loc.phone(r)
        if r.random() < 0.4:
            values["mobile"] = loc.phone(r)
        return values

    def email(self, first: str, last: str, company: str) -> str:
        r = self.r
        f = ascii_fold(first).lower().replace(" ", "") or "user"
        l_ = ascii_fold(last).lower().replace(" ", "").replace("'", "") or str(r.randint(100, 99999))
        local = r.choice((f"{f}.{l_}", f"{f[0]}{l_}", f"{f}{l_}{r.randint(1, 99)}", f"{l_}.{f}", "info", "billing"))
        domain = r.choice(_DOMAINS)
        if local in ("info", "billing"):
            slug = "".join(ch for ch in ascii_fold(company or last).lower() if ch.isalnum())[:20]
            domain = f"{slug or 'company'}{r.randint(1, 999)}.com"
        address = f"{local}@{domain}"
        return address.upper() if r.random() < 0.03 else address

    def sub_customer(self, parent: dict[str, Any]) -> dict[str, Any]:
        r = self.r
        words = parent["display_name"].replace(",", "").split()
        values = {k: parent.get(k) for k in ("company_name", "email", "bill_city", "bill_country")}
        values["display_name"] = f"{r.choice(_JOBS)} {r.choice(words)} {r.randint(1, 999)}"
        return values


@dataclass
class Seeded:
    """What was stored, kept in memory to draw realistic queries and drafts from."""

    rows: list[Json] = field(default_factory=list)
    seconds: float = 0.0
    sub_customers: int = 0
    inactive: int = 0


def seed(engine: Engine, n: int, seed_value: int) -> Seeded:
    """``n`` customers of workspace ``TEAM`` (~5 % sub-customers, ~3 % inactive), in one transaction.

    Rows go in through Core ``executemany`` in batches; their keys come from
    ``handlers.customers.customer_keys``, the pure function ``refresh_keys`` applies (checked below against
    ``refresh_keys`` itself on a sample), and every other column takes the model's default.
    """
    started = time.perf_counter()
    maker = CustomerMaker(seed_value)
    r = maker.r
    table = Customer.__table__  # type: ignore[attr-defined]
    defaults = {c.name: getattr(Customer(team_id=TEAM, display_name="x"), c.name) for c in table.columns}
    taken: set[str] = set()
    parents: list[Json] = []
    out = Seeded()
    for customer_id in range(1, n + 1):
        parent = r.choice(parents) if parents and r.random() < SUB_CUSTOMER_RATE else None
        values = maker.sub_customer(parent) if parent else maker.person_or_company()
        name = values["display_name"]
        for attempt in range(2, 10_000):
            if normalize.name_key(values["display_name"]) not in taken:
                break
            city = values.get("bill_city")
            values["display_name"] = f"{name} ({city})" if attempt == 2 and city else f"{name} {attempt}"
        row = defaults | values | customers.customer_keys(values)
        row |= {"id": customer_id, "created_by": "bench", "updated_by": "bench",
                "parent_id": parent["id"] if parent else None}
        taken.add(row["name_key"])
        out.rows.append(row)
        out.sub_customers += parent is not None
        # Parents: companies, and a few first-level jobs (so some jobs sit two levels down).
        company = bool(row["company_name"]) and row["display_name"] == row["company_name"]
        job = parent is not None and parent["parent_id"] is None and r.random() < 0.2
        if (company or job) and len(parents) < 5000:
            parents.append(row)
    has_children = {row["parent_id"] for row in out.rows}
    for row in out.rows:
        if row["id"] not in has_children and r.random() < INACTIVE_RATE:
            row["active"] = False
            out.inactive += 1
    _check_keys_match_refresh_keys(out.rows[:: max(1, n // 200)])
    with engine.begin() as connection:
        for start in range(0, n, BATCH):
            connection.execute(table.insert(), out.rows[start : start + BATCH])
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT setval(pg_get_serial_sequence('customer', 'id'), :n)"), {"n": n})
    if engine.dialect.name == "postgresql":
        # PostgreSQL's autovacuum vacuums and analyses a table that grew this much within a minute; SQLite
        # never analyses on its own (the app does not run ANALYZE), so its planner keeps its defaults.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE customer")
    out.seconds = time.perf_counter() - started
    return out


def _check_keys_match_refresh_keys(rows: Sequence[Json]) -> None:
    fields = ("display_name", "company_name", "email", "phone", "mobile", "other_phone")
    for row in rows:
        values: dict[str, Any] = {f: row.get(f) for f in fields}
        customer = Customer(team_id=TEAM, **values)
        customers.refresh_keys(customer)
        for key in ("name_key", "core_key", "email_key", "phone_key", "search_key"):
            if getattr(customer, key) != row[key]:
                raise SystemExit(f"seeded {key} differs from refresh_keys for {row['display_name']!r}")


# ----------------------------------------------------------------------------- queries, drafts

@dataclass(frozen=True)
class Query:
    kind: str
    text: str


def typeahead_queries(data: Seeded, per_kind: int, seed_value: int) -> list[Query]:
    """Texts as people type them into a picker: prefixes of 1-6 characters, pieces from inside a word,
    names typed without accents, phone digits, and texts that match nobody."""
    r = random.Random(seed_value + 1)
    active = [row for row in data.rows if row["active"]]
    accented = [row for row in active if ascii_fold(row["display_name"]) != row["display_name"]
                and ascii_fold(row["display_name"]).strip()]
    with_phone = [row for row in active if row.get("phone")]
    found: list[Query] = []
    for _ in range(per_kind):
        name = r.choice(active)["display_name"]
        typed = name[: r.randint(1, 6)]
        found.append(Query("prefix", typed.lower() if r.random() < 0.7 else typed))
        words = [w for w in r.choice(active)["display_name"].split() if len(w) >= 5] or ["Tremblay"]
        word = r.choice(words)
        size = r.choice((3, 4))
        start = r.randint(1, len(word) - size)
        found.append(Query("substring", word[start : start + size].lower()))
        folded = ascii_fold(r.choice(accented)["display_name"])
        found.append(Query("accentless", folded[: r.randint(4, 10)].lower()))
        phone = normalize.digits(r.choice(with_phone)["phone"])
        found.append(Query("phone", phone[-r.randint(4, 7) :]))
        found.append(Query("miss", "".join(r.choice("qxzjkvw") for _ in range(r.randint(3, 6)))))
    r.shuffle(found)
    return found


@dataclass(frozen=True)
class Draft:
    kind: str
    fields: Json
    expected_id: int | None  # the existing customer it duplicates (None: unrelated)


def duplicate_drafts(data: Seeded, per_kind: int, seed_value: int) -> list[Draft]:
    """New-customer drafts: a near-duplicate name (typo, legal form, case, accents), someone else's email
    or phone in another format, and an unrelated new customer."""
    r = random.Random(seed_value + 2)
    maker = CustomerMaker(seed_value + 3)
    long_names = [row for row in data.rows if len(row["core_key"]) >= 10 and row["merged_into_id"] is None]
    emails = [row for row in data.rows if row.get("email_key")]
    phones = [row for row in data.rows if normalize.phone_key(row.get("phone"))]

    def someone_new() -> Json:
        """A new customer whose name is like nobody's."""
        fresh = maker.person_or_company()
        fresh["display_name"] = f"{fresh['display_name']} {r.choice(_WORDS)} {r.randint(1000, 9999)}"
        return {"display_name": fresh["display_name"], "given_name": fresh.get("given_name")}

    drafts: list[Draft] = []
    for _ in range(per_kind):
        row = r.choice(long_names)
        drafts.append(Draft("near name", {"display_name": _near(r, row["display_name"])}, row["id"]))
        row = r.choice(emails)
        drafts.append(Draft("same email", someone_new() | {"email": f"  {row['email'].upper()} "}, row["id"]))
        row = r.choice(phones)
        digits = normalize.digits(row["phone"])
        phone = f"{digits[:-6]} {digits[-6:-3]}-{digits[-3:]}"  # the same number written another way
        drafts.append(Draft("same phone", someone_new() | {"phone": phone}, row["id"]))
        drafts.append(Draft("unrelated", someone_new(), None))
    r.shuffle(drafts)
    return drafts


def _near(r: random.Random, name: str) -> str:
    how = r.randrange(5)
    if how == 0:  # a typo: one letter doubled or dropped, away from the first three
        i = r.randint(3, len(name) - 1)
        return name[:i] + name[i] + name[i:] if r.random() < 0.5 else name[:i] + name[i + 1 :]
    if how == 1:
        return name.upper()
    if how == 2 and any(c.isalpha() for c in ascii_fold(name)):
        return ascii_fold(name)
    if how == 3:
        return f"{name} Inc." if not name.endswith(".") else name.rstrip(".")
    if how == 2:
        return name.lower()
    return name.replace(" ", "  ") + " ."


# --------------------------------------------------------------------------------- measuring

@dataclass
class Samples:
    ms: list[float] = field(default_factory=list)

    def add(self, started: float) -> None:
        self.ms.append((time.perf_counter() - started) * 1000)

    def pct(self, q: float) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")

    @property
    def p50(self) -> float:
        return statistics.median(self.ms) if self.ms else float("nan")

    @property
    def p95(self) -> float:
        return self.pct(0.95)


@dataclass
class Row:
    label: str
    samples: Samples
    target: float | None = None
    baselines: tuple[tuple[str, Samples], ...] = ()
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.target is None or self.samples.p95 <= self.target


def pk_select(db: SessionFactory, customer_id: int) -> None:
    with db(read_only=True) as session:
        session.exec(select(Customer).where(col(Customer.id) == customer_id)).one()


def naive_scan(db: SessionFactory, query: str) -> None:
    """``display_name LIKE '%q%' LIMIT 25`` with no other term, so that no index applies: a plain scan of
    the table, which stops at the 25th match (the bench's customers all belong to one workspace)."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    with db(read_only=True) as session:
        stmt = select(Customer).where(col(Customer.display_name).like(f"%{escaped}%", escape="\\")).limit(25)
        list(session.exec(stmt))


def measure_search(db: SessionFactory, data: Seeded, queries: Sequence[Query]) -> list[Row]:
    r = random.Random(7)
    pk, scan, total = Samples(), Samples(), Samples()
    by_kind: dict[str, Samples] = {}
    hits: dict[str, list[int]] = {}
    for query in queries[:20]:  # warm-up (caches, pools, statement compilation)
        with db(read_only=True) as session:
            customers.search(session, team_id=TEAM, text=query.text, limit=25)
    for query in queries:
        started = time.perf_counter()
        pk_select(db, r.randint(1, len(data.rows)))
        pk.add(started)
        started = time.perf_counter()
        naive_scan(db, query.text)
        scan.add(started)
        started = time.perf_counter()
        with db(read_only=True) as session:
            page = customers.search(session, team_id=TEAM, text=query.text, limit=25)
        total.add(started)
        by_kind.setdefault(query.kind, Samples()).ms.append(total.ms[-1])
        hits.setdefault(query.kind, []).append(len(page.customers))
    rows = [Row("baseline: primary-key SELECT (ORM, own session)", pk),
            Row("baseline: naive scan, display_name LIKE '%q%' LIMIT 25", scan, baselines=(("pk", pk),))]
    for kind, samples in by_kind.items():
        rows.append(Row(f"search: {kind}", samples, baselines=(("pk", pk), ("scan", scan)),
                        note=f"median hits {statistics.median(hits[kind]):.0f}"))
    rows.append(Row("search (limit 25): all texts", total, TARGETS_MS["search"], (("pk", pk), ("scan", scan))))
    return rows


def measure_options(engine: Engine, db: SessionFactory, data: Seeded, queries: Sequence[Query]) -> list[Row]:
    import urllib.request

    from tests.slack_harness import running_app

    r = random.Random(8)
    health, pk, picker, parents = Samples(), Samples(), Samples(), Samples()
    add_form = build_form(new_draft(), FormMeta())
    with running_app(engine, db) as app:

        def options(action_id: str, value: str, view: Json | None = None) -> None:
            response = app.slack.block_suggestion(action_id, value, block_id="picker", view=view)
            if response.status != 200 or "options" not in (response.json() or {}):
                raise SystemExit(f"options request answered {response.status}: {response.text[:300]}")

        def healthz() -> None:
            with urllib.request.urlopen(app.url.rstrip("/") + "/healthz", timeout=10) as answer:
                answer.read()

        for query in queries[:10]:
            options(Suggest.CUSTOMER, query.text)
            healthz()
        for query in queries:
            started = time.perf_counter()
            healthz()
            health.add(started)
            started = time.perf_counter()
            pk_select(db, r.randint(1, len(data.rows)))
            pk.add(started)
            started = time.perf_counter()
            options(Suggest.CUSTOMER, query.text)
            picker.add(started)
            started = time.perf_counter()
            options(Suggest.PARENT, query.text, add_form)
            parents.add(started)
    base = (("healthz", health), ("pk", pk))
    return [
        Row("baseline: GET /healthz (HTTP + SELECT 1)", health),
        Row("options over HTTP: customer picker (≤ 100 options)", picker, TARGETS_MS["options"], base),
        Row("options over HTTP: parent picker, add form", parents, TARGETS_MS["options"], base),
    ]


def measure_duplicates(db: SessionFactory, data: Seeded, drafts: Sequence[Draft]) -> list[Row]:
    r = random.Random(9)
    pk, scan, total = Samples(), Samples(), Samples()
    by_kind: dict[str, Samples] = {}
    found: dict[str, list[bool]] = {}
    for draft in drafts[:10]:
        with db(read_only=True) as session:
            customers.possible_duplicates(session, team_id=TEAM, fields=draft.fields)
    for draft in drafts:
        started = time.perf_counter()
        pk_select(db, r.randint(1, len(data.rows)))
        pk.add(started)
        started = time.perf_counter()
        naive_scan(db, normalize.fold(draft.fields["display_name"])[:4])
        scan.add(started)
        started = time.perf_counter()
        with db(read_only=True) as session:
            matches = customers.possible_duplicates(session, team_id=TEAM, fields=draft.fields)
        total.add(started)
        by_kind.setdefault(draft.kind, Samples()).ms.append(total.ms[-1])
        if draft.expected_id is not None:  # found at all (among equally good matches beyond the first 5)?
            with db(read_only=True) as session:
                matches = customers.possible_duplicates(session, team_id=TEAM, fields=draft.fields, limit=10_000)
        ids = [m.customer.id for m in matches]
        found.setdefault(draft.kind, []).append(draft.expected_id in ids if draft.expected_id else not ids)
    rows = []
    for kind, samples in by_kind.items():
        ok = found[kind]
        what = "nothing reported" if kind == "unrelated" else "the customer it duplicates found"
        rows.append(Row(f"possible_duplicates: {kind}", samples, baselines=(("pk", pk), ("scan", scan)),
                        note=f"{what}: {sum(ok)}/{len(ok)}"))
    rows.append(Row("possible_duplicates: all drafts", total, TARGETS_MS["duplicates"], (("pk", pk), ("scan", scan))))
    return rows


# ---------------------------------------------------------------------------------- EXPLAIN

@contextmanager
def captured_statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def explain(engine: Engine, db: SessionFactory, queries: Sequence[Query], drafts: Sequence[Draft]) -> None:
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    calls: list[tuple[str, Callable[[Any], object]]] = []
    for kind in ("prefix", "substring", "miss"):
        query = next(q for q in queries if q.kind == kind)
        calls.append((f"search {query.text!r} ({kind})",
                      partial(customers.search, team_id=TEAM, text=query.text, limit=25)))
    for kind in ("near name", "unrelated"):
        draft = next(d for d in drafts if d.kind == kind)
        calls.append((f"possible_duplicates {draft.fields['display_name']!r} ({kind})",
                      partial(customers.possible_duplicates, team_id=TEAM, fields=draft.fields)))
    for title, call in calls:
        with captured_statements(engine) as statements, db(read_only=True) as session:
            call(session)
        for statement, parameters in statements:
            print(f"\n-- {title}\n{statement.strip()}\n   params: {parameters}")
            with engine.connect() as connection:
                for line in connection.exec_driver_sql(prefix + statement, parameters):
                    print("   ", " | ".join(str(v) for v in line))


# ------------------------------------------------------------------------------------ output

def render(rows: Sequence[Row]) -> str:
    header = "| measurement | n | p50 ms | p95 ms | max ms | target p95 | ratio (p95 / baseline p95) | |"
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        s = row.samples
        ratios = " · ".join(f"×{s.p95 / b.p95:.1f} {name}" for name, b in row.baselines if b.p95 > 0)
        target = f"≤ {row.target:.0f} ms" if row.target is not None else ""
        verdict = ("ok" if row.ok else "**MISSED**") if row.target is not None else ""
        extra = f" {row.note}" if row.note else ""
        lines.append(f"| {row.label} | {len(s.ms)} | {s.p50:.2f} | {s.p95:.2f} | {max(s.ms):.2f} | {target} "
                     f"| {ratios} | {verdict}{extra} |")
    return "\n".join(lines)


@contextmanager
def database(url: str | None, revision: str = "head") -> Iterator[Engine]:
    """A fresh SQLite file, or a dedicated PostgreSQL schema dropped afterwards, migrated to ``revision``."""
    if not url:
        with tempfile.TemporaryDirectory(prefix="clientdesk-bench-") as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            try:
                upgrade(engine, revision)
                yield engine
            finally:
                engine.dispose()
        return
    url = normalize_database_url(url)
    if not url.startswith("postgresql"):
        raise SystemExit("--database-url takes a PostgreSQL URL (SQLite is the default: a fresh file)")
    schema = f"clientdesk_bench_{os.getpid()}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine, revision)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def describe(engine: Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            version = "SQLite " + str(connection.execute(text("SELECT sqlite_version()")).scalar())
        else:
            version = str(connection.execute(text("SHOW server_version")).scalar())
            version = f"PostgreSQL {version.split()[0]}"
    return (f"{version} · Python {platform.python_version()} · SQLAlchemy {sqlalchemy.__version__} · "
            f"{os.cpu_count()} CPUs · {platform.machine()} {platform.system()} {platform.release()} · "
            f"search text index: {search_index(engine)} · load average {load()}")


def search_index(engine: Engine) -> str:
    """Which text index of ``search_key`` migration 0005 left (none before it, or when refused)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            found = connection.execute(text("SELECT 1 FROM sqlite_master WHERE name = :n"),
                                       {"n": CUSTOMER_SEARCH_FTS}).first()
            return "FTS5 trigram" if found else "none"
        found = connection.execute(text("SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() "
                                         "AND indexname = :n"), {"n": CUSTOMER_SEARCH_TRGM_INDEX}).first()
        return "pg_trgm GIN" if found else "none"


def load() -> str:
    """The 1-minute load average (other processes on the machine skew every timing; ratios less)."""
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "n/a"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=100_000, help="customers to seed (default 100,000)")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL (a schema of its own is used and dropped); default: a fresh SQLite file")
    parser.add_argument("--queries", type=int, default=60, help="typed texts per kind (5 kinds; default 60)")
    parser.add_argument("--drafts", type=int, default=50, help="duplicate-check drafts per kind (4 kinds; default 50)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--skip-http", action="store_true", help="leave out the options requests over HTTP")
    parser.add_argument("--sql", action="append", default=[], metavar="STATEMENT",
                        help="run after seeding (repeatable): try an index before writing its migration")
    parser.add_argument("--explain", action="store_true", help="print the query plans of sample searches")
    parser.add_argument("--check", action="store_true", help="exit 1 when a p95 misses its target")
    parser.add_argument("--revision", default="head",
                        help="migrate to this revision (e.g. 0004: before the search text index; default head)")
    args = parser.parse_args(argv)

    with database(args.database_url, args.revision) as engine:
        db = session_factory(engine)
        print(f"# {describe(engine)}", flush=True)
        data = seed(engine, args.customers, args.seed)
        for statement in args.sql:
            started = time.perf_counter()
            with engine.begin() as connection:
                connection.exec_driver_sql(statement)
            print(f"{statement}: {time.perf_counter() - started:.1f} s", flush=True)
        print(f"seeded {len(data.rows):,} customers ({data.sub_customers:,} sub-customers, {data.inactive:,} "
              f"inactive) in {data.seconds:.1f} s", flush=True)
        queries = typeahead_queries(data, args.queries, args.seed)
        drafts = duplicate_drafts(data, args.drafts, args.seed)
        if args.explain:
            explain(engine, db, queries, drafts)
        rows = measure_search(db, data, queries)
        if not args.skip_http:
            rows += measure_options(engine, db, data, queries)
        rows += measure_duplicates(db, data, drafts)
    print(f"\nload average at the end: {load()}\n")
    print(render(rows))
    missed = [row.label for row in rows if not row.ok]
    if missed:
        print("\nmissed: " + "; ".join(missed))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
