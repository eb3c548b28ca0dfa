"""Export of a large customer list: time and peak memory against list size (run on demand).

    python bench/export_bench.py [--customers 100000]

Seeds ``n`` customers (bench/search_bench.seed) in a fresh SQLite file, then exports 10 % of them and
all of them, each in a fresh child process, and reports time and peak RSS: bounded memory means the
100 % export does not take ~10x the memory of the 10 % one.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def child(db_path: str, out: str, team: str) -> None:
    from db.session import make_engine, session_factory
    from handlers import exporting

    with session_factory(make_engine(f"sqlite:///{db_path}"))(read_only=True) as session:
        started = time.perf_counter()
        result = exporting.export_customers(session, team_id=team, path=Path(out), include_inactive=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{result.count} {time.perf_counter() - started:.2f} {peak:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    from search_bench import TEAM, seed

    from db.migrate import upgrade
    from db.session import make_engine

    with tempfile.TemporaryDirectory() as folder:
        rows = []
        for n in (args.customers // 10, args.customers):
            db_path = f"{folder}/export_{n}.db"
            engine = make_engine(f"sqlite:///{db_path}")
            upgrade(engine)
            seed(engine, n, 7)
            engine.dispose()
            out = subprocess.run(
                [sys.executable, __file__, "--child", db_path, f"{folder}/out_{n}.xlsx", TEAM],
                capture_output=True, text=True, check=True,
            ).stdout.split()
            rows.append((int(out[0]), float(out[1]), float(out[2])))
        print("| customers exported | seconds | peak RSS MB |\n|---|---|---|")
        for count, seconds, peak in rows:
            print(f"| {count:,} | {seconds:.1f} | {peak:.0f} |")
        print(f"memory ratio 100% / 10%: {rows[1][2] / rows[0][2]:.2f}x for {rows[1][0] / rows[0][0]:.0f}x the rows")


if __name__ == "__main__":
    main()
