"""Importing customers from a spreadsheet: read → map → plan (dry run) → apply (one transaction).

No Slack here: the Slack flow and ``clientdesk import FILE`` both call this API.

    info = inspect(path)                                        # headers, samples, sheets (or Refused)
    suggestion = suggest_for(session, team_id=T, headers=info.headers)
    with plan_import(session, team_id=T, path=path, fields=suggestion.fields) as plan:  # nothing written
        result = apply_plan(session, plan, actor=U, selection=parse_selection("new"))
        write_rejected_report(plan, "rejected.xlsx")

Every refusal is a ``handlers.errors.ClientDeskError`` whose code has a catalog entry (``error.import_*``).
"""

from __future__ import annotations

from handlers.importing.apply import ALL, NEW_ONLY, ImportResult, Selection, apply_plan, parse_selection
from handlers.importing.mapping import (
    PARENT,
    TARGET_FIELDS,
    MappingSuggestion,
    header_signature,
    remember,
    suggest,
    suggest_for,
    validate,
)
from handlers.importing.plan import Change, Plan, PlannedRow, RowStatus, UpdateBy, plan_import
from handlers.importing.read import DEFAULT_LIMITS, Limits, SourceInfo, SourceRow, inspect, open_source, sha256_of
from handlers.importing.report import problem_text, write_rejected_report

__all__ = [
    "ALL",
    "DEFAULT_LIMITS",
    "NEW_ONLY",
    "PARENT",
    "TARGET_FIELDS",
    "Change",
    "ImportResult",
    "Limits",
    "MappingSuggestion",
    "Plan",
    "PlannedRow",
    "RowStatus",
    "Selection",
    "SourceInfo",
    "SourceRow",
    "UpdateBy",
    "apply_plan",
    "header_signature",
    "inspect",
    "open_source",
    "parse_selection",
    "plan_import",
    "problem_text",
    "remember",
    "sha256_of",
    "suggest",
    "suggest_for",
    "validate",
    "write_rejected_report",
]
