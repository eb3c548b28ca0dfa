#!/usr/bin/env python3
"""Import benchmark (on demand, not in the test suite): spreadsheet → plan → apply, end to end.

    python bench/import_bench.py                       # 1k, 10k, 100k rows on SQLite (+ pandas if installed)
    python bench/import_bench.py --sizes 100000 --reps 3
    python bench/import_bench.py --sizes 100000 --models-only   # without the search index's triggers
    CLIENTDESK_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/import_bench.py

Files: 20-column .xlsx written by shared/tools/gen_customers.py's faker (its 16 QuickBooks-like columns,
plus Website, Fax, Customer Type and Last Modified, the last two not imported), kept in bench/data/.

Every measurement runs in a fresh process, one at a time, in a database made as the bot makes it
(``db.migrate.upgrade``: every migration, the search index and its triggers included; ``--models-only``
creates the models' tables alone, to see what that index costs an import). "pipeline s" is plan +
apply inside that process (what a user waits for after the Slack ack: reading in the sandbox child,
cleaning, classifying, writing, committing); "process s" adds the interpreter start, imports and
schema. Peak memory is the maximum RSS of the process and, separately, of its largest child (the
sandbox that parsed the file, or the cleaning helper).

The naive pipeline is what a user would write: ``pandas.read_excel`` (openpyxl) + ``DataFrame.to_sql``,
no validation, no duplicate check. pandas is only needed here (``pip install pandas``); without it
that line is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
GENERATOR_DIRS = [ROOT.parent / "shared" / "tools", ROOT / "shared" / "tools"]
EXTRA_HEADERS = ["Website", "Fax", "Customer Type", "Last Modified"]
TEAM = "TBENCH"
TARGETS = {1000: 1.0, 10000: 2.0, 100000: 10.0}
PG_TARGET = 15.0


# ------------------------------------------------------------------------------- data


def generator() -> Any:
    for folder in GENERATOR_DIRS:
        if (folder / "gen_customers.py").exists():
            sys.path.insert(0, str(folder))
            import gen_customers

            return gen_customers
    raise SystemExit("gen_customers.py not found beside the repository (shared/tools)")


def data_file(rows: int) -> Path:
    """bench/data/customers_<rows>.xlsx, 20 columns, written once."""
    path = DATA / f"customers_{rows}.xlsx"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    gen = generator()
    faker = gen.CustomerFaker(42, 0.03, 1.0, 0.05)
    extra = random.Random(7)
    headers = gen.make_headers("en", random.Random(43)) + EXTRA_HEADERS
    out = gen.XlsxOut(str(path), "xlsxwriter", headers, False)
    start = date(2020, 1, 1)
    for _ in range(rows):
        row = faker.row()
        email = row[4].split(",")[0].strip()
        website = f"https://www.{email.split('@')[1]}" if "@" in email and extra.random() < 0.4 else ""
        fax = f"+1 555 {extra.randint(100, 999)} {extra.randint(1000, 9999)}" if extra.random() < 0.1 else ""
        kind = extra.choice(["Commercial", "Residential", "Government", ""])
        modified = (start + timedelta(days=extra.randint(0, 2000))).isoformat()
        out.write([*row, website, fax, kind, modified])
    out.close()
    return path


# ----------------------------------------------------------------------------- one run


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_s(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_ours(path: Path, url: str, schema: str | None, models_only: bool = False) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import text
    from sqlmodel import SQLModel

    import db.models  # noqa: F401
    from db.migrate import upgrade
    from db.session import make_engine, session_factory
    from handlers import importing

    kwargs: dict[str, Any] = {}
    if schema:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    engine = make_engine(url, **kwargs)
    if models_only:  # the models' tables and indexes only: no search index (migration 0005)
        SQLModel.metadata.create_all(engine)
    else:  # as the bot does on start: every migration, the search index's triggers included
        upgrade(engine)
    factory = session_factory(engine)
    headers = importing.inspect(path).headers  # what the mapping step reads before the user confirms
    with factory() as session:
        fields = importing.suggest_for(session, team_id=TEAM, headers=headers).fields
        cpu0 = cpu_s(resource.RUSAGE_SELF), cpu_s(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        plan = importing.plan_import(session, team_id=TEAM, path=path, fields=fields)
        planned = time.perf_counter()
        cpu1 = cpu_s(resource.RUSAGE_SELF)
        result = importing.apply_plan(session, plan, actor="bench")
        applied = time.perf_counter()
        cpu2 = cpu_s(resource.RUSAGE_SELF), cpu_s(resource.RUSAGE_CHILDREN)
        plan.close()
    engine.dispose()
    if schema:
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    return {"pipeline_s": applied - started, "plan_s": planned - started, "apply_s": applied - planned,
            "plan_cpu_s": cpu1 - cpu0[0], "apply_cpu_s": cpu2[0] - cpu1, "child_cpu_s": cpu2[1] - cpu0[1],
            "created": result.created, "rejected": result.rejected,
            "rss_mb": peak_mb(resource.RUSAGE_SELF), "child_rss_mb": peak_mb(resource.RUSAGE_CHILDREN)}


def run_pandas(path: Path, url: str) -> dict[str, Any]:
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    started = time.perf_counter()
    frame = pd.read_excel(path)
    frame = frame.rename(columns={"Display Name": "display_name", "Company": "company_name", "Email": "email"})
    frame.to_sql("customer_raw", engine, if_exists="replace", index=False)
    done = time.perf_counter()
    engine.dispose()
    return {"pipeline_s": done - started, "plan_s": 0.0, "apply_s": 0.0, "plan_cpu_s": 0.0,
            "apply_cpu_s": cpu_s(resource.RUSAGE_SELF), "child_cpu_s": 0.0, "created": len(frame), "rejected": 0,
            "rss_mb": peak_mb(resource.RUSAGE_SELF), "child_rss_mb": 0.0}


def child_main(args: argparse.Namespace) -> int:
    path = Path(args.file)
    result = run_pandas(path, args.url) if args.run == "pandas" else run_ours(path, args.url, args.schema,
                                                                              args.models_only)
    print(json.dumps(result))
    return 0


# ------------------------------------------------------------------------------ driver


def measure(kind: str, path: Path, url: str, schema: str | None = None, models_only: bool = False) -> dict[str, Any]:
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url[len("sqlite:///"):] + suffix).unlink(missing_ok=True)
    command = [sys.executable, __file__, "--run", kind, "--file", str(path), "--url", url]
    if schema:
        command += ["--schema", schema]
    if models_only:
        command.append("--models-only")
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


def pandas_available() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["1000,10000,100000"],
                        help="row counts: --sizes 1000 10000, --sizes 1000,10000 or --sizes '1000 10000'")
    parser.add_argument("--reps", type=int, default=1, help="repetitions (the median is shown)")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--run", choices=["ours", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    parser.add_argument("--models-only", action="store_true",
                        help="schema from the models alone (create_all), without the migrations' search index")
    args = parser.parse_args()
    if args.run:
        return child_main(args)

    sizes = [int(n) for part in args.sizes for n in re.split(r"[,\s]+", part.strip()) if n]
    pg_url = os.environ.get("CLIENTDESK_BENCH_PG_URL", "")
    with_pandas = not args.no_pandas and pandas_available()
    if not with_pandas and not args.no_pandas:
        print("pandas is not installed: the naive pipeline line is skipped (pip install pandas)", file=sys.stderr)
    sqlite_url = f"sqlite:///{DATA / 'bench.db'}"
    variant = " (models only, no search index)" if args.models_only else ""
    lines = []
    for rows in sizes:
        path = data_file(rows)
        runs: dict[str, list[dict[str, Any]]] = {}
        for _ in range(args.reps):  # round-robin: the variants of one size side by side
            runs.setdefault(f"ClientDesk, SQLite{variant}", []).append(
                measure("ours", path, sqlite_url, models_only=args.models_only))
            if with_pandas:
                runs.setdefault("naive pandas + to_sql, SQLite", []).append(measure("pandas", path, sqlite_url))
            if pg_url:
                runs.setdefault(f"ClientDesk, PostgreSQL{variant}", []).append(
                    measure("ours", path, pg_url, schema=f"bench_{os.getpid()}", models_only=args.models_only))
        ours = statistics.median(r["pipeline_s"] for r in runs[f"ClientDesk, SQLite{variant}"])
        for name, results in runs.items():
            med = {k: statistics.median(r[k] for r in results) for k in results[0]}
            ratio = ""
            if name.startswith("naive"):
                ratio = f"{med['pipeline_s'] / ours:.1f}× slower than ClientDesk"
            target = PG_TARGET if "PostgreSQL" in name else TARGETS.get(rows)
            verdict = ""
            if target and not name.startswith("naive"):
                verdict = f"target ≤ {target:g} s: {'met' if med['pipeline_s'] <= target else 'MISSED'}"
            lines.append(
                f"| {rows:,} | {name} | {len(results)} | {med['pipeline_s']:.2f} | {med['plan_s']:.2f} | "
                f"{med['apply_s']:.2f} | {med['plan_cpu_s'] + med['apply_cpu_s']:.2f} | {med['child_cpu_s']:.2f} | "
                f"{med['process_s']:.2f} | {med['rss_mb']:.0f} | {med['child_rss_mb']:.0f} | "
                f"{int(med['created']):,} | {int(med['rejected']):,} | {ratio or verdict} |"
            )
            print(lines[-1], flush=True)
    print()
    print("| rows | pipeline | reps | pipeline s | plan s | apply s | CPU s | sandbox CPU s | process s | "
          "peak RSS MB | sandbox peak RSS MB | created | rejected | note |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
