"""English for importing spreadsheets (pipeline and Slack flow)."""

from __future__ import annotations

# Refusals of a file (handlers/importing/read.py and sandbox.py): say what to do about it.
FILE_ERRORS: dict[str, str] = {
    "error.import_empty": "This file is empty: there are no rows to import.",
    "error.import_encrypted": "This file is protected by a password. Open it in Excel, remove the password"
    " (File > Info > Protect Workbook), save it and send it again.",
    "error.import_legacy_xls": "This is an old Excel file (.xls). Open it in Excel and save it as .xlsx"
    " (or as .csv), then send it again.",
    "error.import_macros": "This workbook contains macros (.xlsm), which aren't accepted. Save it as a"
    " plain .xlsx workbook (or as .csv) and send it again.",
    "error.import_xlsb": "This is a binary Excel workbook (.xlsb). Save it as .xlsx (or as .csv) and send"
    " it again.",
    "error.import_not_spreadsheet": "This isn't a spreadsheet. Send an Excel workbook (.xlsx) or a CSV file.",
    "error.import_damaged": "This file looks damaged: it can't be opened as a spreadsheet. Open it in Excel,"
    " save it again as .xlsx and send it again.",
    "error.import_zip_bomb": "This file expands to far more data than a customer list holds, so it wasn't"
    " opened. Save the list again as .xlsx (or as .csv) and send it again.",
    "error.import_dtd": "This file contains XML declarations (DTD or entities) that spreadsheets don't use,"
    " so it wasn't opened. Save it again from Excel and send it again.",
    "error.import_no_sheet": "This workbook has no worksheet to import.",
    "error.import_sheet_not_found": "There's no sheet named \"{sheet}\" in this workbook. Its sheets: {sheets}.",
    "error.import_too_big": "This file is too large to open. Split it into smaller files and import them"
    " one after the other.",
    "error.import_file_too_big": "This file is {size_mb} MB; files up to {max_mb} MB can be imported. Split"
    " it into smaller files.",
    "error.import_field_too_long": "Row {row} has a cell of more than {max:,} characters, far longer than"
    " any customer field. Check that the file is the customer list, then send it again.",
    "error.import_too_many_rows": "This file has {rows:,} rows; up to {max:,} can be imported at once."
    " Split it into files of {max:,} rows or fewer. Nothing was imported.",
    "error.import_timeout": "Reading this file took too long, so it was stopped. Save it again as .xlsx or"
    " .csv (without formatting) and send it again.",
    "error.import_unreadable": "This file can't be read. Save it again as .xlsx or .csv and send it again.",
}

# Mapping, plan and apply.
PIPELINE_ERRORS: dict[str, str] = {
    "error.import_unknown_field": "\"{field}\" isn't a customer field.",
    "error.import_no_such_column": "The file has no column {column}.",
    "error.import_column_twice": "Column \"{column}\" is chosen for two fields: pick one field per column.",
    "error.import_name_unmapped": "Choose the column with the customers' display names (or a name or"
    " company to build it from).",
    "error.import_email_ambiguous": "This email belongs to {count} customers: the row can't say which one"
    " to update. Update by display name instead.",
    "error.import_name_taken": "Another customer is already named {name}.",
    "error.import_unknown_parent": "There's no customer named {parent}, in the list or in this file.",
    "error.import_parent_row_invalid": "Its parent customer (row {row}) can't be imported.",
    "error.import_file_changed": "The file changed since it was previewed. Preview it again.",
    "error.import_bad_selection": "\"{text}\" isn't a list of rows: write row numbers and ranges such as"
    " 2, 5, 9-12, or \"all\", or \"new\".",
    "error.import_rows_unknown": "The file has no data row {rows}.",
    "error.import_rows_not_importable": "Row(s) {rows} can't be imported as they are: fix them in the"
    " file, or leave them out.",
    "error.import_parent_not_selected": "Row {row} is a sub-customer of row {parent_row}, which isn't"
    " selected: select both, or neither.",
    "error.import_nothing_selected": "No row to import in this selection.",
    "error.import_changed_meanwhile": "Someone changed the customer list during the import, so nothing"
    " was imported. Preview the file again.",
    "error.import_job_not_found": "That import doesn't exist (any more).",
    "error.import_job_running": "The import of {file} is already running.",
    "error.import_job_done": "The import of {file} is already done.",
    "error.import_failed": "The import failed; nothing was imported.",
}

LABELS: dict[str, str] = {
    "import.column_letter": "Column {letter}",
    "import.problem_duplicate": "Same customer as row {row}",
    "import.report_sheet": "Rejected rows",
    "import.report_problem": "Problem",
    "import.status.new": "New",
    "import.status.update": "Update",
    "import.status.unchanged": "Unchanged",
    "import.status.duplicate": "Duplicate in the file",
    "import.status.invalid": "Has problems",
}

CLI: dict[str, str] = {
    "cli.help_import": "import customers from a spreadsheet (.xlsx or .csv)",
    "cli.help_import_file": "the .xlsx or .csv file",
    "cli.help_sheet": "the sheet to read (default: the first)",
    "cli.help_update_by": "match existing customers by display name or by email (default: name)",
    "cli.help_dry_run": "show what would change, write nothing",
    "cli.help_rows": "rows to import: all (valid), new, or row numbers like 2,5,9-12 (default: all)",
    "cli.import_file": "{file}: the header is on row {header_row}{where}.",
    "cli.import_where_sheet": " of sheet \"{sheet}\"",
    "cli.import_where_csv": " ({encoding}, separated by \"{delimiter}\")",
    "cli.import_mapping": "  {header} → {field}",
    "cli.import_mapping_remembered": "Columns (as confirmed before for these headers):",
    "cli.import_mapping_suggested": "Columns:",
    "cli.import_unmapped": "  not imported: {headers}",
    "cli.import_counts": "Plan: {new:,} new, {update:,} to update, {unchanged:,} unchanged, {duplicate:,}"
    " duplicate(s) in the file, {invalid:,} with problems.",
    "cli.import_row_problem": "  row {row}: {problem}",
    "cli.import_row_update": "  row {row}: {name}: {changes}",
    "cli.import_change": "{field} {before} → {after}",
    "cli.import_row_similar": "  row {row}: {name} looks like {count} existing customer(s)",
    "cli.import_more": "  … and {count:,} more",
    "cli.import_dry_run": "Dry run: nothing was written.",
    "cli.import_done": "Imported: {created:,} created, {updated:,} updated, {unchanged:,} unchanged,"
    " {skipped:,} skipped, {rejected:,} rejected.",
    "cli.import_stopped_early": "Reading stopped after a long run of empty rows.",
}

MESSAGES: dict[str, str] = FILE_ERRORS | PIPELINE_ERRORS | LABELS | CLI
