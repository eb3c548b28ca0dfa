#!/usr/bin/env python3
"""Ack latency benchmark: 50 concurrent Slack users over HTTP while a 100,000-row import runs.

Run on demand, not part of pytest::

    python bench/ack_bench.py [--users 50] [--seconds 30] [--import-rows 100000] [--database-url URL] [--check]

The server is the product as it is deployed: ``clientdesk serve`` in a process of its own (gunicorn's
threaded worker, HTTP on 127.0.0.1), its Web API calls going to a ``tests.slack_fake.FakeSlack`` served by
this process (``SLACK_API_URL``), on a fresh SQLite file (default) or a PostgreSQL schema of its own
(``--database-url postgresql+psycopg://...``, dropped afterwards), migrated and seeded with
``--customers`` customers (``bench/search_bench.py``'s realistic multilingual list, Core inserts).

This process plays Slack: every user is a thread sending signed requests in a loop, with a random think
time between them (uniform 0..2x``--think`` s): ``/clients find <text>``, ``/clients show <name>``,
``/clients help``, options requests of the customer picker and of the add form's parent picker
(``block_suggestion``), and add-customer form submissions (``view_submission`` of the real form with a
new name: read checks, duplicate check, then the insert in a write transaction, all before the ack). The
HTTP response time is the ack latency: listeners of commands run after the ack, while the answer of an
options request and of a form submission IS the ack.

Two phases, one after the other:

1. baseline: ``--seconds`` of that load, nothing else running;
2. under import: the same load while an admin imports a ``--import-rows`` spreadsheet
   (``bench/import_bench.py``'s 20-column .xlsx) **through Slack, into the same server**, as a user
   would: the file is shared in a channel, the offer's Import... button is clicked, the suggested mapping
   confirmed, the preview waited for (the server downloads and plans the file) and submitted with
   "all valid rows" (the server imports them in one transaction). The phase lasts at least
   ``--seconds`` and until the import's summary is posted (bounded by ``--max-seconds``).

The report gives per request kind: count, p50/p95/p99/max ms, requests over Slack's 3 s, errors
(non-200 or no answer), the ratio of the p99 under import to the baseline p99, and for the import phase
the requests split by what the import was doing when they started (planning the preview, or importing).
``--check`` exits 1 when the p99 of all requests under import is >= 300 ms.

``--import-in-process`` (the previous version of this benchmark) imports through ``handlers.importing``
in a separate plain process instead of through the server.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from sqlalchemy import Engine  # noqa: E402

from bot.blocks.customer_form import FormMeta, build_form, new_draft  # noqa: E402
from bot.blocks.ids import Suggest  # noqa: E402
from db.session import make_engine, normalize_database_url, session_factory  # noqa: E402

TEAM = "T0001"  # the workspace of the test suite's signed client and of its users U0001/U0002
ADMIN = "U0001"
CHANNEL = "C0001"
TARGET_P99_MS = 300.0
SLACK_DEADLINE_MS = 3000.0
KINDS = ("find", "show", "help", "options: customer", "options: parent", "submit: add customer")
WEIGHTS = (25, 20, 5, 20, 15, 15)
SYLLABLES = ("ka", "zo", "mir", "vel", "tu", "bran", "qui", "sor", "dex", "lun", "pha", "gri", "nob", "yel", "wu")

Json = dict[str, Any]


# ------------------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """``clientdesk serve`` (HTTP, gunicorn) in a process group of its own, until ``stop()``."""

    def __init__(self, database_url: str, api_url: str, log: Path) -> None:
        from tests.slack_harness import BOT_TOKEN, SIGNING_SECRET

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env |= {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": api_url,
                "DATABASE_URL": database_url, "PORT": str(self.port), "LOG_LEVEL": "WARNING"}
        self.log = log.open("w")
        self.process = subprocess.Popen([str(Path(sys.executable).with_name("clientdesk")), "serve"], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited ({self.process.returncode}); see {log}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"the server did not answer /healthz within 60 s; see {log}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def server_url(engine: Engine, schema: str | None) -> str:
    """The database URL the server process is given (a PostgreSQL schema through libpq's options)."""
    url = engine.url.render_as_string(hide_password=False)
    return f"{url}?options=-csearch_path%3D{schema}" if schema else url


# ------------------------------------------------------------------------------------- the import


class SlackImport:
    """An admin importing ``path`` through Slack into the server, on a thread of this process.

    ``times`` gets the epoch seconds of each step: ``started`` (file shared), ``mapping_submitted``
    (planning begins on the server), ``preview_shown``, ``import_submitted``, ``committed`` (the summary
    is in the thread)."""

    def __init__(self, harness: Any, path: Path, timeout: float) -> None:
        self.harness, self.path, self.timeout = harness, path, timeout
        self.times: dict[str, float] = {}
        self.error: BaseException | None = None
        self.summary = ""
        self.thread = threading.Thread(target=self._run, name="bench-import", daemon=True)
        self.thread.start()

    def running(self) -> bool:
        return self.thread.is_alive()

    def _run(self) -> None:
        try:
            self._flow()
        except BaseException as error:  # reported by finish()
            self.error = error

    def _flow(self) -> None:
        from bot.blocks.ids import Action, Callback
        from tests.slack_fake import file_share_message_event
        from tests.test_slack_import import button_value, mapping_values, selection_values

        app, fake = self.harness, self.harness.fake
        self.times["started"] = time.time()
        file = fake.add_file(self.path.read_bytes(), self.path.name, user=ADMIN, channels=[CHANNEL])
        assert app.slack.event(file_share_message_event([file], channel_id=CHANNEL, user_id=ADMIN)).status == 200
        offer = self._wait(lambda: next((m for m in fake.messages(CHANNEL)
                                         if Action.IMPORT_OPEN in str(m.get("blocks"))), None), "the import offer")
        response = app.slack.block_action(Action.IMPORT_OPEN, value=button_value(offer, Action.IMPORT_OPEN),
                                          message=offer, channel_id=CHANNEL, user_id=ADMIN)
        assert response.status == 200, response.status
        mapping = self._wait(lambda: self._view(Callback.IMPORT_MAPPING), "the mapping modal")
        self.times["mapping_submitted"] = time.time()
        answer = app.slack.view_submission(mapping["id"], mapping_values(mapping), user_id=ADMIN)
        assert answer.status == 200, answer.status
        preview = self._wait(lambda: self._view(Callback.IMPORT_PREVIEW), "the preview")
        self.times["preview_shown"] = time.time()
        self.times["import_submitted"] = time.time()
        answer = app.slack.view_submission(preview["id"], selection_values("all"), user_id=ADMIN)
        assert answer.status == 200, answer.status
        done = self._wait(lambda: next((m for m in fake.messages(CHANNEL) if " imported *" in (m.get("text") or "")
                                        or (m.get("text") or "").startswith("Nothing was imported")), None),
                          "the import's summary")
        self.times["committed"] = time.time()
        self.summary = str(done.get("text") or "")

    def _view(self, callback: str) -> Json | None:
        views = self.harness.fake.open_views(ADMIN)
        return views[-1] if views and views[-1]["callback_id"] == callback else None

    def _wait(self, check: Any, what: str) -> Any:
        deadline = time.monotonic() + self.timeout
        while (found := check()) is None:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {what} within {self.timeout:g} s")
            time.sleep(0.25)
        return found

    def finish(self) -> dict[str, float]:
        self.thread.join(timeout=self.timeout)
        if self.error is not None:
            raise SystemExit(f"the import through Slack failed: {self.error!r}")
        return self.times


class ImportProcess:
    """``--import-in-process``: plan + apply through ``handlers.importing`` in a plain process."""

    def __init__(self, path: Path, url: str, schema: str | None) -> None:
        command = [sys.executable, __file__, "--run-import", str(path), "--url", url]
        if schema:
            command += ["--schema", schema]
        self.started = time.time()
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)

    def running(self) -> bool:
        return self.process.poll() is None

    def finish(self, timeout: float) -> dict[str, float]:
        try:
            stdout, stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            raise SystemExit("the import did not finish within --max-seconds (killed)") from None
        if self.process.returncode != 0:
            raise SystemExit(f"the import failed:\n{stderr[-3000:]}")
        phases = json.loads(stdout.strip().splitlines()[-1])
        return {"started": self.started, "mapping_submitted": phases["plan_started"],
                "preview_shown": phases["apply_started"], "import_submitted": phases["apply_started"],
                "committed": phases["committed"]}


def import_child(args: argparse.Namespace) -> int:
    """In its own process: plan + apply the file; phase times on stdout as JSON."""
    from handlers import importing

    kwargs: Json = {"connect_args": {"options": f"-csearch_path={args.schema}"}} if args.schema else {}
    engine = make_engine(args.url, **kwargs)
    factory = session_factory(engine)
    path = Path(args.run_import)
    out: Json = {"started": time.time()}
    headers = importing.inspect(path).headers
    with factory() as session:
        fields = importing.suggest_for(session, team_id=TEAM, headers=headers).fields
        out["plan_started"] = time.time()
        plan = importing.plan_import(session, team_id=TEAM, path=path, fields=fields)
        out["apply_started"] = time.time()
        result = importing.apply_plan(session, plan, actor="UACKBENCH")
        out["committed"] = time.time()
        plan.close()
    out |= {"created": result.created, "rejected": result.rejected}
    engine.dispose()
    print(json.dumps(out), flush=True)
    return 0


# ---------------------------------------------------------------------------------------- the load


@dataclass
class Sample:
    kind: str
    started: float  # epoch seconds
    ms: float
    status: int  # 0: no answer (timeout, connection error)
    outcome: str = ""


@dataclass
class Workload:
    queries: list[str]
    names: list[str]
    add_form: Json
    users: int
    think: float
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def user_loop(app: Any, work: Workload, number: int, stop: threading.Event, phase: str) -> None:
    from tests.slack_fake import SignedClient, plain_text
    from tests.slack_harness import SIGNING_SECRET
    from tests.test_blocks_customer_form import initial_state

    user = "U0001" if number % 2 == 0 else "U0002"
    client = SignedClient(app.url, SIGNING_SECRET, app.fake, user_id=user, timeout=60.0)
    r = random.Random(number * 7919 + zlib.crc32(phase.encode()))  # other names in every phase
    mine: list[Sample] = []
    made = 0
    time.sleep(r.uniform(0, work.think))  # users don't all start in the same millisecond
    while not stop.is_set():
        kind = r.choices(KINDS, WEIGHTS)[0]
        outcome = ""
        wall, started = time.time(), time.perf_counter()
        try:
            if kind == "find":
                response = client.command(f"find {r.choice(work.queries)}")
            elif kind == "show":
                response = client.command(f"show {r.choice(work.names)}")
            elif kind == "help":
                response = client.command("help")
            elif kind == "options: customer":
                response = client.block_suggestion(Suggest.CUSTOMER, r.choice(work.queries), block_id="picker")
            elif kind == "options: parent":
                response = client.block_suggestion(Suggest.PARENT, r.choice(work.queries), block_id="parent",
                                                   view=work.add_form)
            else:
                made += 1
                values = initial_state(work.add_form)
                name = " ".join("".join(r.choice(SYLLABLES) for _ in range(3)).title() for _ in range(2))
                values["display_name"] = {"display_name": plain_text(name)}
                response = client.view_submission(work.add_form, values)
                body = response.json() if response.status == 200 else None
                outcome = "saved" if body is None else str(body.get("response_action", "?"))
                if body and body.get("errors"):  # the form's own words, shortened: what the user was told
                    outcome += ": " + " / ".join(str(e)[:60] for e in body["errors"].values())
            status = response.status
        except Exception as error:  # a dead request is a measured error
            status, outcome = 0, type(error).__name__
        mine.append(Sample(kind, wall, (time.perf_counter() - started) * 1000, status, outcome))
        stop.wait(r.uniform(0, 2 * work.think))
    with work.lock:
        work.samples.extend(mine)


def run_phase(app: Any, work: Workload, phase: str, seconds: float, until: Any = None,
              max_seconds: float = 600.0) -> list[Sample]:
    work.samples = []
    stop = threading.Event()
    threads = [threading.Thread(target=user_loop, args=(app, work, n, stop, phase), daemon=True)
               for n in range(work.users)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    while True:
        time.sleep(0.2)
        elapsed = time.monotonic() - started
        if elapsed >= max_seconds or (elapsed >= seconds and (until is None or not until.running())):
            break
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    return list(work.samples)


# ------------------------------------------------------------------------------------ statistics


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))]


def row(label: str, samples: Sequence[Sample], baseline: Sequence[Sample] | None = None) -> str:
    ms = [s.ms for s in samples]
    if not ms:
        return f"| {label} | 0 | | | | | | | |"
    errors = sum(s.status != 200 for s in samples)
    late = sum(s.ms > SLACK_DEADLINE_MS for s in samples)
    ratio = ""
    if baseline:
        base = pct([s.ms for s in baseline], 0.99)
        ratio = f"×{pct(ms, 0.99) / base:.1f}" if base > 0 else ""
    return (f"| {label} | {len(ms):,} | {statistics.median(ms):.1f} | {pct(ms, 0.95):.1f} | {pct(ms, 0.99):.1f} | "
            f"{max(ms):.1f} | {late} | {errors} | {ratio} |")


HEADER = ("| requests | n | p50 ms | p95 ms | p99 ms | max ms | > 3 s | errors | p99 / baseline p99 |\n"
          "|---|---|---|---|---|---|---|---|---|")


def table(title: str, samples: Sequence[Sample], baseline: Sequence[Sample] | None = None) -> str:
    lines = [f"\n### {title}\n", HEADER]
    for kind in KINDS:
        mine = [s for s in samples if s.kind == kind]
        base = [s for s in baseline if s.kind == kind] if baseline else None
        lines.append(row(kind, mine, base))
    lines.append(row("**all**", samples, baseline))
    return "\n".join(lines)


def outcomes(samples: Sequence[Sample]) -> str:
    counts: dict[str, int] = {}
    for s in samples:
        if s.kind.startswith("submit"):
            counts[s.outcome] = counts.get(s.outcome, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))


# ---------------------------------------------------------------------------------------- the run


@contextmanager
def serve(engine: Engine, db: Any, schema: str | None) -> Iterator[tuple[Any, ServerProcess]]:
    """The fake Slack in this process, the server in its own; a harness that sends signed requests to it."""
    from bot.config import Settings
    from tests.slack_fake import FakeSlack, SignedClient
    from tests.slack_harness import BOT_TOKEN, SIGNING_SECRET, SlackHarness

    with FakeSlack() as fake:
        fake.add_user(ADMIN, team_id=TEAM, name="alice", is_admin=True)
        fake.add_user("U0002", team_id=TEAM, name="bob")
        log = ROOT / "bench" / "data" / "ack_bench_server.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        server = ServerProcess(server_url(engine, schema), fake.api_url, log)
        try:
            settings = Settings(bot_token=BOT_TOKEN, signing_secret=SIGNING_SECRET, slack_api_url=fake.api_url)
            yield SlackHarness(SignedClient(server.url, SIGNING_SECRET, fake, timeout=60.0), fake, db, settings,
                               server.url), server
        finally:
            server.stop()


def statuses(samples: Sequence[Sample]) -> str:
    counts: dict[int, int] = {}
    for s in samples:
        counts[s.status] = counts.get(s.status, 0) + 1
    return ", ".join(f"{k or 'no answer'}: {v}" for k, v in sorted(counts.items()))


def schema_for(url: str | None) -> str | None:
    return f"clientdesk_bench_{os.getpid()}" if url else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="baseline duration, and the minimum duration of the phase under import")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="bound of the phase under import")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=5000, help="customers seeded before the run")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time of a user between requests (s)")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL (a schema of its own is used and dropped); default: a fresh SQLite file")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--import-in-process", action="store_true",
                        help="import in a separate plain process instead of through the server (old version)")
    parser.add_argument("--check", action="store_true", help="exit 1 when the p99 under import is >= 300 ms")
    parser.add_argument("--run-import", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--schema", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run_import:
        return import_child(args)

    import logging

    import import_bench
    import search_bench

    logging.disable(logging.WARNING)  # the fake's own warnings (e.g. rate limits) are not the point
    if args.database_url and not normalize_database_url(args.database_url).startswith("postgresql"):
        raise SystemExit("--database-url takes a PostgreSQL URL (SQLite is the default: a fresh file)")
    path = import_bench.data_file(args.import_rows)
    with search_bench.database(args.database_url) as engine:
        engine_: Engine = engine
        db = session_factory(engine_)
        schema = schema_for(args.database_url)  # search_bench.database names it after this pid too
        print(f"# {search_bench.describe(engine_)}", flush=True)
        data = search_bench.seed(engine_, args.customers, args.seed)
        print(f"seeded {len(data.rows):,} customers in {data.seconds:.1f} s; import file {path.name} "
              f"({path.stat().st_size / 1e6:.1f} MB); {args.users} users, think time ~{args.think:g} s", flush=True)
        queries = [q.text for q in search_bench.typeahead_queries(data, 60, args.seed)]
        names = [r["display_name"] for r in random.Random(args.seed).sample(data.rows, min(500, len(data.rows)))]
        work = Workload(queries, names, build_form(new_draft(), FormMeta(channel_id="C0001")), args.users,
                        args.think)
        with serve(engine_, db, schema) as (app, _server):
            run_phase(app, work, "warmup", min(3.0, args.seconds))
            baseline = run_phase(app, work, "baseline", args.seconds)
            print(f"baseline: {len(baseline):,} requests in {args.seconds:g} s (load average {search_bench.load()})",
                  flush=True)
            importer: Any
            if args.import_in_process:
                importer = ImportProcess(path, engine_.url.render_as_string(hide_password=False), schema)
            else:
                importer = SlackImport(app, path, timeout=args.max_seconds)
            loaded = run_phase(app, work, "import", args.seconds, until=importer, max_seconds=args.max_seconds)
            phases = importer.finish(timeout=60) if args.import_in_process else importer.finish()
            span = time.time() - phases["started"]
            print(f"under import: {len(loaded):,} requests in {span:.1f} s (load average {search_bench.load()})",
                  flush=True)
            summary = getattr(importer, "summary", "")
    t0 = phases["started"]
    how = "in a separate process" if args.import_in_process else "through Slack, by the server"
    print(f"\nimport of {args.import_rows:,} rows {how}: planning {phases['mapping_submitted'] - t0:.1f}–"
          f"{phases['preview_shown'] - t0:.1f} s, importing {phases['import_submitted'] - t0:.1f}–"
          f"{phases['committed'] - t0:.1f} s after the file was shared. {summary[:200]}")
    print(table(f"Baseline ({args.users} users, {args.seconds:g} s, no import)", baseline))
    print(table(f"Under import ({args.users} users, whole import)", loaded, baseline))
    planning = [s for s in loaded if s.started < phases["import_submitted"]]
    writing = [s for s in loaded if phases["import_submitted"] <= s.started < phases["committed"]]
    after = [s for s in loaded if s.started >= phases["committed"]]
    print(table("Under import: requests started while it was read and planned (the preview)", planning, baseline))
    print(table("Under import: requests started while it was imported", writing, baseline))
    if after:
        print(table("After the import committed (same phase)", after, baseline))
    print(f"\nsubmit outcomes: baseline {outcomes(baseline)}; under import {outcomes(loaded)}")
    print(f"HTTP statuses: baseline {statuses(baseline)}; under import {statuses(loaded)}")
    p99 = pct([s.ms for s in loaded], 0.99)
    base = pct([s.ms for s in baseline], 0.99)
    verdict = "met" if p99 < TARGET_P99_MS else "MISSED"
    print(f"\np99 ack under import {p99:.1f} ms (baseline {base:.1f} ms, ×{p99 / base:.1f}): "
          f"target < {TARGET_P99_MS:.0f} ms {verdict}")
    return 1 if args.check and p99 >= TARGET_P99_MS else 0


if __name__ == "__main__":
    sys.exit(main())
