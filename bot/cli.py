"""The command line: the same handlers as Slack, for admins, scripts and benchmarks.

A refused change prints the message a Slack user would read and exits with status 1.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session

from db.migrate import upgrade
from db.models import Customer
from db.session import database_url_from_env, make_engine, session_factory
from handlers import customers, exporting, hierarchy, merge
from handlers.errors import ClientDeskError
from handlers.exporting import ExportFormat
from handlers.messages import money, t

if TYPE_CHECKING:
    from handlers.importing import Plan


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clientdesk", description=t("cli.description"))
    parser.add_argument("--team", default=os.environ.get("CLIENTDESK_TEAM", ""), help=t("cli.help_team"))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help=t("cli.help_serve"))
    db = sub.add_parser("db", help=t("cli.help_db")).add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help=t("cli.help_db_upgrade"))

    cust = sub.add_parser("customers", help=t("cli.help_customers")).add_subparsers(dest="action", required=True)
    add = cust.add_parser("add", help=t("cli.help_add"))
    add.add_argument("name")
    add.add_argument("--email")
    add.add_argument("--phone")
    add.add_argument("--company")
    add.add_argument("--parent", help=t("cli.help_parent"))
    add.add_argument("--bill-with-parent", action="store_true")
    add.add_argument("--opening-balance")
    add.add_argument("--as-of", help=t("cli.help_as_of"))
    lst = cust.add_parser("list", help=t("cli.help_list"))
    lst.add_argument("--all", action="store_true", help=t("cli.help_all"))
    lst.add_argument("--search", default="")
    lst.add_argument("--limit", type=int, default=50)
    for name in ("show", "deactivate", "reactivate"):
        cust.add_parser(name, help=t(f"cli.help_{name}")).add_argument("name")
    exp = sub.add_parser("export", help=t("cli.help_export"))
    exp.add_argument("--all", action="store_true", help=t("cli.help_all"))
    exp.add_argument("--format", choices=[f.value for f in ExportFormat], default=ExportFormat.XLSX.value)
    exp.add_argument("--output", type=Path)
    mrg = cust.add_parser("merge", help=t("cli.help_merge"))
    mrg.add_argument("duplicate")
    mrg.add_argument("--into", required=True)
    _add_import_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    default_level = "INFO" if args.command == "serve" else "WARNING"
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", default_level), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if args.command == "serve":
        from bot.serve import serve

        return serve()
    engine = make_engine(database_url_from_env())
    upgrade(engine)
    if args.command == "db":
        print(t("cli.db_upgraded"))
        return 0
    if not args.team:
        print(t("cli.team_missing"), file=sys.stderr)
        return 2
    actor = f"cli:{getpass.getuser()}"
    try:
        if args.command == "export":
            with session_factory(engine)(read_only=True) as session:
                return _export(session, args)
        if args.command == "import":
            with session_factory(engine)() as session:
                return _import(session, args, actor)
        with session_factory(engine)() as session:
            return _customers(session, args, actor)
    except ClientDeskError as error:
        print(error.message(), file=sys.stderr)
        return 1


def _customers(session: Session, args: argparse.Namespace, actor: str) -> int:
    team = args.team
    if args.action == "add":
        parent = customers.resolve(session, team_id=team, text=args.parent) if args.parent else None
        fields = {"display_name": args.name, "email": args.email, "phone": args.phone,
                  "company_name": args.company, "bill_with_parent": args.bill_with_parent,
                  "opening_balance": args.opening_balance, "opening_balance_date": args.as_of}
        added = customers.add(session, team_id=team, actor=actor, parent_id=parent.id if parent else None,
                              fields={k: v for k, v in fields.items() if v not in (None, False)})
        print(t("cli.added", name=hierarchy.fully_qualified_name(session, added)))
    elif args.action == "list":
        page = customers.search(session, team_id=team, text=args.search, include_inactive=args.all,
                                limit=args.limit)
        names = hierarchy.fully_qualified_names(session, page.customers)
        owed = customers.balances(session, team_id=team, customer_ids=names)
        for c in page.customers:
            assert c.id is not None
            label = names[c.id] if c.active else t("label.inactive", name=names[c.id])
            print(f"{label}\t{c.email or ''}\t{c.phone or ''}\t{money(owed[c.id])}")
        if page.has_more:
            print(t("cli.more", limit=args.limit))
        if not page.customers:
            print(t("cli.none_found"))
    elif args.action == "show":
        _show(session, customers.resolve(session, team_id=team, text=args.name))
    elif args.action == "deactivate":
        target = customers.resolve(session, team_id=team, text=args.name)
        assert target.id is not None
        result = customers.make_inactive(session, team_id=team, customer_id=target.id, actor=actor)
        print(t("cli.deactivated", name=result.customer.display_name, count=len(result.sub_customers)))
    elif args.action == "reactivate":
        target = customers.resolve(session, team_id=team, text=args.name)
        assert target.id is not None
        revived = customers.reactivate(session, team_id=team, customer_id=target.id, actor=actor)
        print(t("cli.reactivated", name=revived.customer.display_name,
                ancestors=", ".join(a.display_name for a in revived.ancestors) or "-"))
    elif args.action == "merge":
        dup = customers.resolve(session, team_id=team, text=args.duplicate)
        kept = customers.resolve(session, team_id=team, text=args.into, include_inactive=False)
        assert dup.id is not None and kept.id is not None
        done = merge.merge(session, team_id=team, duplicate_id=dup.id, kept_id=kept.id, actor=actor)
        print(t("cli.merged", duplicate=done.duplicate.display_name, kept=done.kept.display_name,
                merge_id=done.record.id))
    return 0


def _export(session: Session, args: argparse.Namespace) -> int:
    fmt = ExportFormat(args.format)
    path = args.output or Path(f"{t('export.filename')}.{fmt.value}")
    result = exporting.export_customers(session, team_id=args.team, path=path, fmt=fmt, include_inactive=args.all)
    print(t("cli.exported", count=result.count, path=result.path))
    return 0


def _show(session: Session, c: Customer) -> None:
    assert c.id is not None
    team = c.team_id
    lines = [
        (t("field.display_name"), hierarchy.fully_qualified_name(session, c)),
        (t("field.company_name"), c.company_name),
        (t("field.email"), c.email),
        (t("field.phone"), c.phone),
        (t("cli.status"), t("cli.active") if c.active else t("cli.inactive")),
        (t("cli.balance"), money(customers.balance(session, team_id=team, customer_id=c.id))),
        (t("cli.balance_with_subs"),
         money(customers.balance_with_sub_customers(session, team_id=team, customer_id=c.id))),
    ]
    subs = hierarchy.children(session, team, [c.id])
    if subs:
        lines.append((t("cli.sub_customers"), ", ".join(s.display_name for s in subs)))
    for label, value in lines:
        if value:
            print(f"{label}: {value}")


# ------------------------------------------------------------------------ clientdesk import FILE
# (the import pipeline's command: handlers.importing, the same calls as the Slack flow)

SHOWN_ROWS = 20


def _add_import_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser("import", help=t("cli.help_import"))
    imp.add_argument("file", type=Path, help=t("cli.help_import_file"))
    imp.add_argument("--sheet", help=t("cli.help_sheet"))
    imp.add_argument("--update-by", choices=["name", "email"], default="name", help=t("cli.help_update_by"))
    imp.add_argument("--dry-run", action="store_true", help=t("cli.help_dry_run"))
    imp.add_argument("--rows", default="all", help=t("cli.help_rows"))


def _import(session: Session, args: argparse.Namespace, actor: str) -> int:
    from handlers import importing

    selection = importing.parse_selection(args.rows)
    info = importing.inspect(args.file, sheet=args.sheet)
    where = (t("cli.import_where_sheet", sheet=info.sheet) if info.kind == "xlsx"
             else t("cli.import_where_csv", encoding=info.encoding, delimiter=info.delimiter))
    print(t("cli.import_file", file=info.file_name, header_row=info.header_row, where=where))
    suggestion = importing.suggest_for(session, team_id=args.team, headers=info.headers)
    print(t("cli.import_mapping_remembered" if suggestion.remembered else "cli.import_mapping_suggested"))
    columns = suggestion.columns()
    for index, header in enumerate(info.headers):
        if index in columns:
            field = columns[index]
            label = t("field.parent_id") if field == importing.PARENT else t(f"field.{field}")
            print(t("cli.import_mapping", header=header, field=label))
    unmapped = [h for i, h in enumerate(info.headers) if i not in columns]
    if unmapped:
        print(t("cli.import_unmapped", headers=", ".join(unmapped)))
    with importing.plan_import(session, team_id=args.team, path=args.file, fields=suggestion.fields,
                               update_by=args.update_by, sheet=args.sheet) as plan:
        _print_plan(plan)
        if args.dry_run:
            print(t("cli.import_dry_run"))
            return 0
        result = importing.apply_plan(session, plan, actor=actor, selection=selection)
        importing.remember(session, team_id=args.team, headers=info.headers, fields=plan.fields, actor=actor,
                           update_by=plan.update_by.value)
    print(t("cli.import_done", **result.counts()))
    return 0


def _print_plan(plan: Plan) -> None:
    from handlers.importing import RowStatus, problem_text

    print(t("cli.import_counts", **{status.value: count for status, count in plan.counts.items()}))
    if plan.stopped_early:
        print(t("cli.import_stopped_early"))
    rejected = plan.rejected
    for row in rejected[:SHOWN_ROWS]:
        print(t("cli.import_row_problem", row=row.number, problem=problem_text(row)))
    if len(rejected) > SHOWN_ROWS:
        print(t("cli.import_more", count=len(rejected) - SHOWN_ROWS))
    updates = plan.with_status(RowStatus.UPDATE)
    for row in updates[:SHOWN_ROWS]:
        changes = "; ".join(
            t("cli.import_change", field=change.field, before=change.before if change.before is not None else "",
              after=change.after) for change in row.changes
        )
        print(t("cli.import_row_update", row=row.number, name=row.name, changes=changes))
    if len(updates) > SHOWN_ROWS:
        print(t("cli.import_more", count=len(updates) - SHOWN_ROWS))
    similar = plan.possible_duplicates
    for row in similar[:SHOWN_ROWS]:
        print(t("cli.import_row_similar", row=row.number, name=row.name, count=len(row.similar_to)))
    if len(similar) > SHOWN_ROWS:
        print(t("cli.import_more", count=len(similar) - SHOWN_ROWS))
