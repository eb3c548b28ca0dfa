"""Export of a large customer list: peak memory and time against list size (run on demand).

    python bench/export_bench.py [--customers 100000] [--database-url URL] [--formats xlsx,csv]
                                 [--openpyxl] [--check] [--max-growth-mb 10]

Seeds two fresh databases, one with 10 % of ``--customers`` and one with all of them (SQLite files, or
with ``--database-url postgresql+psycopg://...`` a schema of its own, dropped afterwards): the customers
of ``search_bench.seed`` (~5 % sub-customers, some two levels down, ~3 % inactive) plus money, ~2 invoices
and ~1 payment per customer and some opening balances, so that the balance roll-ups have work to do.
Each export (``export_customers(include_inactive=True)``) runs in a fresh child process, one at a time;
the child reports its peak RSS (``VmHWM``), its peak RSS before the export (interpreter, imports, one
connection), wall and CPU seconds.

Bounded memory means the 100 % export peaks about where the 10 % one does. ``--check`` exits 1 when, for
some format, the 100 % peak exceeds the 10 % peak by more than ``--max-growth-mb``. Time is reported per
1,000 customers: a 100 % / 10 % ratio near 1 means the export is linear in the list's length.
``--openpyxl`` adds the writer the export used before (openpyxl write-only, same rows, same text cells)
as format ``xlsx-openpyxl``, to compare the writers on the same data in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BATCH = 5000
CENT = Decimal("0.01")


# ------------------------------------------------------------------------------------ child side

def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM`` on Linux. Not ``ru_maxrss``, which after ``fork`` + ``exec`` keeps
    the parent's high-water mark (the seeding parent's 300+ MB would hide the child's own peak)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(spec: dict[str, Any]) -> None:
    """One export in this (fresh) process; prints a JSON line with what it measured."""
    from db.session import make_engine, session_factory
    from handlers import exporting

    engine = make_engine(spec["url"], **_engine_options(spec.get("schema")))
    fmt = spec["format"]
    with session_factory(engine)(read_only=True) as session:
        session.connection()  # the connection and the transaction are not the export's memory
        before = peak_rss_mb()
        started, cpu = time.perf_counter(), _cpu()
        if fmt == "xlsx-openpyxl":
            rows = exporting._rows(session, team_id=spec["team"], include_inactive=True, lang="en")
            count = _write_openpyxl(rows, Path(spec["out"]))
        else:
            count = exporting.export_customers(
                session, team_id=spec["team"], path=Path(spec["out"]), fmt=exporting.ExportFormat(fmt),
                include_inactive=True,
            ).count
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    peak = peak_rss_mb()
    print(json.dumps({"count": count, "seconds": seconds, "cpu": cpu, "before_mb": before, "peak_mb": peak,
                      "file_mb": Path(spec["out"]).stat().st_size / 1e6}))


def _write_openpyxl(rows: Iterator[list[Any]], path: Path) -> int:
    """The writer the export used before xlsxwriter (openpyxl 3.1 write-only), for comparison only."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from handlers import exporting

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Customers")
    sheet.append(exporting.headers())
    count = 0
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if exporting.needs_neutralising(value):
                value = WriteOnlyCell(sheet, value=value)
                value.data_type = "s"
            cells.append(value)
        sheet.append(cells)
        count += 1
    workbook.save(path)
    return count


# ----------------------------------------------------------------------------------- parent side

def _engine_options(schema: str | None) -> dict[str, Any]:
    return {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}


@contextmanager
def database(url: str | None, folder: str, name: str) -> Iterator[tuple[str, str | None]]:
    """(url, schema): a fresh SQLite file in ``folder``, or a PostgreSQL schema of its own, dropped after."""
    from sqlalchemy import text

    from db.migrate import upgrade
    from db.session import make_engine, normalize_database_url

    if not url:
        path = f"sqlite:///{folder}/{name}.db"
        engine = make_engine(path)
        upgrade(engine)
        engine.dispose()
        yield path, None
        return
    url = normalize_database_url(url)
    schema = f"clientdesk_export_bench_{os.getpid()}_{name}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(url, **_engine_options(schema))
    upgrade(engine)
    engine.dispose()
    try:
        yield url, schema
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def seed_money(url: str, schema: str | None, n: int, seed_value: int) -> tuple[int, int]:
    """Invoices (0–5 per customer, ~2 on average), payments on about half of them, opening balances on
    ~20 % of the customers; Core ``executemany`` in batches. Returns (invoices, payments)."""
    from search_bench import TEAM
    from sqlalchemy import bindparam, text

    from db.models import Customer, Invoice, Payment
    from db.session import make_engine

    r = random.Random(seed_value)
    engine = make_engine(url, **_engine_options(schema))
    invoices: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    openings: list[dict[str, Any]] = []
    day = date(2026, 1, 1)
    with engine.begin() as connection:
        ids = list(connection.execute(text("SELECT id FROM customer WHERE team_id = :t"), {"t": TEAM}).scalars())
        for cid in ids:
            if r.random() < 0.2:
                openings.append({"cid": cid, "ob": Decimal(r.randint(0, 500_000)) / 100})
            for _ in range(r.choice((0, 0, 1, 2, 3, 4, 5))):
                amount = Decimal(r.randint(1_000, 250_000)) / 100
                invoices.append({"team_id": TEAM, "customer_id": cid, "number": f"INV-{len(invoices) + 1}",
                                 "date": day + timedelta(days=r.randrange(365)), "amount": amount,
                                 "created_by": "bench"})
                if r.random() < 0.5:
                    payments.append({"team_id": TEAM, "customer_id": cid, "amount": (amount / 2).quantize(CENT),
                                     "date": day + timedelta(days=r.randrange(365)), "created_by": "bench"})
        for table, rows in ((Invoice.__table__, invoices), (Payment.__table__, payments)):  # type: ignore[attr-defined]
            for start in range(0, len(rows), BATCH):
                connection.execute(table.insert(), rows[start : start + BATCH])
        update = Customer.__table__.update().where(  # type: ignore[attr-defined]
            Customer.__table__.c.id == bindparam("cid")  # type: ignore[attr-defined]
        ).values(opening_balance=bindparam("ob"))
        for start in range(0, len(openings), BATCH):
            connection.execute(update, openings[start : start + BATCH])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return len(invoices), len(payments)


@dataclass(frozen=True)
class Run:
    fmt: str
    customers: int
    count: int
    seconds: float
    cpu: float
    before_mb: float
    peak_mb: float
    file_mb: float

    @property
    def ms_per_1k(self) -> float:
        return 1000 * self.seconds / (self.count / 1000)

    @property
    def cpu_ms_per_1k(self) -> float:
        return 1000 * self.cpu / (self.count / 1000)


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"export child failed ({spec['format']}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=100_000, help="the 100 %% list (default 100,000)")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL (schemas of their own, dropped after); default: fresh SQLite files")
    parser.add_argument("--formats", default="xlsx,csv", help="comma-separated: xlsx, csv (default both)")
    parser.add_argument("--openpyxl", action="store_true", help="also the former openpyxl write-only writer")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a 100 %% export peaks more than --max-growth-mb above the 10 %% one")
    parser.add_argument("--max-growth-mb", type=float, default=10.0,
                        help="allowed peak RSS growth from 10 %% to 100 %% of the list (default 10 MB)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(json.loads(args.child))
        return 0

    from search_bench import TEAM, seed
    from sqlalchemy import text

    from db.session import make_engine

    formats = [f.strip() for f in args.formats.split(",") if f.strip()] + (["xlsx-openpyxl"] if args.openpyxl else [])
    sizes = (args.customers // 10, args.customers)
    runs: list[Run] = []
    print(f"# load average at the start: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="clientdesk-export-bench-") as folder:
        for n in sizes:
            with database(args.database_url, folder, f"c{n}") as (url, schema):
                engine = make_engine(url, **_engine_options(schema))
                seed(engine, n, args.seed)
                with engine.connect() as connection:
                    version = (connection.execute(text("SELECT sqlite_version()")).scalar()
                               if engine.dialect.name == "sqlite" else
                               connection.execute(text("SHOW server_version")).scalar())
                engine.dispose()
                invoices, payments = seed_money(url, schema, n, args.seed)
                print(f"# {engine.dialect.name} {version}: seeded {n:,} customers, {invoices:,} invoices, "
                      f"{payments:,} payments", flush=True)
                for fmt in formats:
                    out = f"{folder}/out_{n}.{fmt.split('-')[0]}"
                    got = run_child({"url": url, "schema": schema, "team": TEAM, "format": fmt, "out": out})
                    runs.append(Run(fmt=fmt, customers=n, **got))
                    Path(out).unlink(missing_ok=True)
    print(f"# load average at the end: {load()}\n")
    print("| format | customers exported | seconds | ms / 1k customers | CPU ms / 1k | RSS before MB "
          "| peak RSS MB | file MB |\n|---|---|---|---|---|---|---|---|")
    for run in runs:
        print(f"| {run.fmt} | {run.count:,} | {run.seconds:.1f} | {run.ms_per_1k:.0f} | {run.cpu_ms_per_1k:.0f} "
              f"| {run.before_mb:.0f} | {run.peak_mb:.0f} | {run.file_mb:.1f} |")
    print()
    failed = []
    for fmt in formats:
        small, big = (next(r for r in runs if r.fmt == fmt and r.customers == n) for n in sizes)
        growth = big.peak_mb - small.peak_mb
        ok = growth <= args.max_growth_mb
        if not ok:
            failed.append(fmt)
        print(f"{fmt}: peak 100 % / 10 % = {big.peak_mb / small.peak_mb:.2f}x ({growth:+.0f} MB; bound "
              f"+{args.max_growth_mb:.0f} MB: {'met' if ok else 'MISSED'}) for {big.count / small.count:.0f}x "
              f"the rows; time per 1k customers 100 % / 10 % = {big.ms_per_1k / small.ms_per_1k:.2f}x wall, "
              f"{big.cpu_ms_per_1k / small.cpu_ms_per_1k:.2f}x CPU")
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
