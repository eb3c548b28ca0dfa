"""Exporting the customer list to .xlsx or .csv, streamed (100,000 customers in bounded memory).

Columns: every customer field under its QuickBooks label, plus the fully qualified name, the parent,
the status and the balances. Text that a spreadsheet would take for a formula (``=``, ``+``, ``-``,
``@``, tab, carriage return) is written inert: a text cell in .xlsx, a leading apostrophe in .csv.
The headers are the ones the import recognises, so an unchanged export imports as "nothing to do".
"""

from __future__ import annotations

import csv
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlmodel import Session, col, select

from db.models import Customer
from handlers.customers import ZERO, balances
from handlers.fields import EDITABLE_FIELDS
from handlers.hierarchy import SEPARATOR
from handlers.messages import t

PAGE = 2000
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
# Extra columns, after the customer's own fields; the import ignores them.
FULL_NAME, PARENT, STATUS, BALANCE, BALANCE_WITH_SUBS = (
    "export.full_name", "field.parent_id", "export.status", "export.balance", "export.balance_with_subs",
)
FIELD_COLUMNS = ("display_name", *(f for f in EDITABLE_FIELDS if f != "display_name"))


class ExportFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    count: int
    filename: str


def headers(lang: str = "en") -> list[str]:
    """The header row: QuickBooks field labels, then the computed columns."""
    return [t(f"field.{f}", lang) for f in FIELD_COLUMNS] + [
        t(key, lang) for key in (FULL_NAME, PARENT, STATUS, BALANCE, BALANCE_WITH_SUBS)
    ]


def export_customers(
    session: Session,
    *,
    team_id: str,
    path: Path,
    fmt: ExportFormat = ExportFormat.XLSX,
    include_inactive: bool = False,
    lang: str = "en",
) -> ExportResult:
    """Write the workspace's customers (active only unless ``include_inactive``) to ``path``.

    Customers are read a page at a time; the whole list's balances are rolled up first (one number
    per customer), so memory stays bounded by the page, not by the list.
    """
    rows = _rows(session, team_id=team_id, include_inactive=include_inactive, lang=lang)
    count = _write_xlsx(rows, path, lang) if fmt is ExportFormat.XLSX else _write_csv(rows, path, lang)
    return ExportResult(path=path, count=count, filename=f"{t('export.filename', lang)}.{fmt.value}")


def _rows(session: Session, *, team_id: str, include_inactive: bool, lang: str) -> Iterator[list[Any]]:
    own, with_subs, names, parents = _ledger(session, team_id)
    last_id = 0
    while True:
        stmt = select(Customer).where(
            Customer.team_id == team_id, col(Customer.merged_into_id).is_(None), col(Customer.id) > last_id
        )
        if not include_inactive:
            stmt = stmt.where(col(Customer.active).is_(True))
        page = list(session.exec(stmt.order_by(col(Customer.id)).limit(PAGE)))
        if not page:
            return
        for c in page:
            assert c.id is not None
            parent = parents.get(c.id)
            yield [
                *(_cell(getattr(c, f), lang) for f in FIELD_COLUMNS),
                _full_name(c.id, names, parents),
                _full_name(parent, names, parents) if parent else None,
                t("export.active" if c.active else "export.inactive", lang),
                own.get(c.id, ZERO),
                with_subs.get(c.id, ZERO),
            ]
        last_id = page[-1].id or last_id
        session.expunge_all()


def _ledger(
    session: Session, team_id: str
) -> tuple[dict[int, Decimal], dict[int, Decimal], dict[int, str], dict[int, int]]:
    """Own balances, balances with sub-customers, names and parents of every listed customer."""
    names: dict[int, str] = {}
    parents: dict[int, int] = {}
    stmt = select(col(Customer.id), col(Customer.display_name), col(Customer.parent_id)).where(
        Customer.team_id == team_id, col(Customer.merged_into_id).is_(None)
    )
    for cid, name, parent_id in session.exec(stmt):
        assert cid is not None
        names[cid] = name
        if parent_id is not None:
            parents[cid] = parent_id
    own = balances(session, team_id=team_id, customer_ids=names)
    with_subs = dict(own)
    for cid, amount in own.items():
        node = parents.get(cid)
        while node is not None:
            with_subs[node] = with_subs.get(node, ZERO) + amount
            node = parents.get(node)
    return own, with_subs, names, parents


def _full_name(cid: int | None, names: dict[int, str], parents: dict[int, int]) -> str | None:
    parts: list[str] = []
    while cid is not None and cid in names:
        parts.append(names[cid])
        cid = parents.get(cid)
    return SEPARATOR.join(reversed(parts)) or None


def _cell(value: Any, lang: str) -> Any:
    if isinstance(value, bool):
        return t("export.yes" if value else "export.no", lang)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def needs_neutralising(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def _write_xlsx(rows: Iterator[list[Any]], path: Path, lang: str) -> int:
    workbook = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = workbook.create_sheet(t("export.sheet", lang))
    sheet.append(headers(lang))
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in row])
        count += 1
    workbook.save(path)
    return count


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if not needs_neutralising(value):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    # openpyxl turns any str starting with "=" into a formula; a text cell is written as it is.
    cell.data_type = "s"
    return cell


def _write_csv(rows: Iterator[list[Any]], path: Path, lang: str) -> int:
    count = 0
    # UTF-8 with BOM: Excel opens it with the accents right.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers(lang))
        for row in rows:
            writer.writerow([csv_value(v) for v in row])
            count += 1
    return count


def csv_value(value: Any) -> Any:
    """A CSV cell: formula-looking text gets a leading apostrophe (OWASP CSV injection)."""
    if value is None:
        return ""
    if needs_neutralising(value):
        return "'" + value
    return value
