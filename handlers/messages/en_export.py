"""English for exporting the customer list."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "export.full_name": "Full name",
    "export.status": "Status",
    "export.active": "Active",
    "export.inactive": "Inactive",
    "export.balance": "Balance",
    "export.balance_with_subs": "Balance with sub-customers",
    "export.yes": "Yes",
    "export.no": "No",
    "export.filename": "customers",
    "export.sheet": "Customers",
    "export.usage": "`/clients export [all] [csv]` — the customer list as a spreadsheet, sent to you"
    " privately (`all` adds inactive customers).",
    "export.working": "Preparing your export…",
    "export.done": "Here is your customer list: {count} customer(s).",
    "export.done_all": "Here is your customer list, inactive customers included: {count} customer(s).",
    "export.failed": "I couldn't send you the file ({error}). Check that ClientDesk may message you.",
    "cli.help_export": "export the customer list to a .xlsx or .csv file",
    "cli.exported": "Wrote {count} customer(s) to {path}.",
}
