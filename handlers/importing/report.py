"""The rejected-rows report: the file's own columns plus a "Problem" column, ready to fix and re-upload.

Written with openpyxl's write-only workbook (streamed). The source file is read again (the plan keeps
no cell values); cells keep their type, and text that a spreadsheet would take for a formula (``=``,
``+``, ``-``, ``@``...) is written as an inert text cell, never as a formula.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from handlers.importing.mapping import PARENT
from handlers.importing.plan import Plan, PlannedRow, RowStatus
from handlers.importing.read import open_source
from handlers.messages import t

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
MAX_CELL = 32_767


def problem_text(row: PlannedRow, lang: str = "en") -> str:
    """What is wrong with a row, in one cell: "Email: "bob@" isn't an email address ...; ..."."""
    if row.status is RowStatus.DUPLICATE:
        return t("import.problem_duplicate", lang, row=row.duplicate_of)
    parts = []
    for problem in row.problems:
        label = _label(problem.field, lang)
        message = problem.message(lang)
        parts.append(f"{label}: {message}" if label else message)
    return "; ".join(parts)


def _label(name: str | None, lang: str) -> str:
    if name is None:
        return ""
    if name == PARENT:
        return t("field.parent_id", lang)
    try:
        return t(f"field.{name}", lang)
    except KeyError:
        return name


def write_rejected_report(
    plan: Plan,
    out_path: str | os.PathLike[str],
    *,
    rows: Iterable[PlannedRow] | None = None,
    lang: str = "en",
) -> int:
    """Write the ``rows`` (default: the plan's rejected rows, invalid and duplicates) as an .xlsx with
    the original header and cells and a last "Problem" column. Returns the number of rows written."""
    wanted = {r.number: r for r in (plan.rejected if rows is None else rows)}
    workbook = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = workbook.create_sheet(t("import.report_sheet", lang))
    written = 0
    with open_source(plan.path, file_name=plan.file_name, sheet=plan.info.sheet, limits=plan.limits) as source:
        sheet.append([*(_cell(sheet, h) for h in source.info.headers), t("import.report_problem", lang)])
        if wanted:
            for source_row in source.rows():
                row = wanted.get(source_row.number)
                if row is None:
                    continue
                sheet.append([*(_cell(sheet, v) for v in source_row.cells), _cell(sheet, problem_text(row, lang))])
                written += 1
                if written == len(wanted):
                    break
    workbook.save(os.fspath(out_path))
    return written


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, dict):  # an unknown tagged value from the reader
        value = str(value)
    if not isinstance(value, str):
        return value
    text = value[:MAX_CELL]
    if not text.startswith(FORMULA_TRIGGERS):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl would otherwise write "=..." as a live formula
    return cell
