"""English for the import flow in Slack (file shared, mapping modal, preview, progress, report)."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "slack_import.usage": "`/clients import` — import customers from a spreadsheet (.xlsx or .csv); you can"
    " also share the file in a channel where ClientDesk is, or send it to ClientDesk directly",
    "slack_import.title": "Import customers",
    "slack_import.more": "…and {count:,} more",
    # the offer
    "slack_import.offer": "Import customers from *{file}*?",
    "slack_import.offer_button": "Import…",
    "slack_import.offer_hint": "You choose the columns and see a preview before anything changes.",
    "slack_import.offer_shared_by": "Shared by <@{user}>.",
    # the file modal
    "slack_import.file_intro": "Send an Excel workbook (.xlsx) or a CSV file with one customer per row and"
    " a header row. You'll choose the columns and see a preview before anything is imported.",
    "slack_import.file_label": "Spreadsheet",
    "slack_import.file_hint": "An .xlsx or .csv file, up to 100,000 rows.",
    "slack_import.file_submit": "Continue",
    "slack_import.file_missing": "Choose the file to import.",
    "slack_import.file_not_spreadsheet": "Send an Excel workbook (.xlsx) or a CSV file (.csv).",
    # reading the file
    "slack_import.reading": "Reading *{file}*…",
    "slack_import.download.host": "This file isn't stored on Slack ({host}), so it wasn't downloaded.",
    "slack_import.download.redirect": "Slack sent this file from another address ({host}), so it wasn't"
    " downloaded: ClientDesk only downloads from Slack. Send the file again.",
    "slack_import.download.html": "Slack answered with a web page instead of the file: ClientDesk may be"
    " missing the permission to read files (files:read). Ask a workspace admin to reinstall it.",
    "slack_import.download.http": "The file couldn't be downloaded from Slack (error {status}). Try again in"
    " a moment.",
    "slack_import.download.network": "The file couldn't be downloaded from Slack. Try again in a moment.",
    "slack_import.download.missing": "This file isn't available on Slack any more. Send it again.",
    # the mapping modal
    "slack_import.mapping_title": "Choose the columns",
    "slack_import.mapping_submit": "Preview",
    "slack_import.mapping_intro": "*{file}*: the headers are on row {header_row}{rows}. Choose the column"
    " that fills each customer field (suggested from the headers; each column shows its first value)."
    " Nothing is imported before the preview.",
    "slack_import.rows_count": ", with {rows:,} rows below",
    "slack_import.mapping_remembered": "These are the columns confirmed last time for a file with the same"
    " headers.",
    "slack_import.not_imported": "— Not imported —",
    "slack_import.column_sample": "{header} (e.g. {sample})",
    "slack_import.display_name_hint": "Required, unless the file has a company, first name or last name"
    " column to build it from.",
    "slack_import.guessed_hint": "Guessed from the header \"{header}\": check it.",
    "slack_import.mode_label": "Customers already on the list",
    "slack_import.mode.create": "Leave them as they are (only add new customers)",
    "slack_import.mode.name": "Update the customer with the same display name",
    "slack_import.mode.email": "Update the customer with the same email",
    "slack_import.unused_columns": "*Columns not imported:*",
    "slack_import.column_line": "• {header} (e.g. {sample})",
    "slack_import.other_fields": "Other fields",
    "slack_import.checking": "Checking every row of *{file}*… The preview comes next; nothing is imported yet.",
    "slack_import.checking_rows": "Checking every row of *{file}*… {rows:,} rows read.",
    # the preview
    "slack_import.preview_title": "Preview the import",
    "slack_import.preview_submit": "Import",
    "slack_import.preview_counts": "*{file}*: *{new:,}* new, *{update:,}* to update, *{unchanged:,}* unchanged,"
    " *{duplicate:,}* duplicate(s) in the file, *{invalid:,}* with problems.",
    "slack_import.preview_create_only": "{count:,} row(s) match customers already on the list: they are left"
    " as they are (only new customers are added).",
    "slack_import.preview_stopped_early": "Reading stopped after a long run of empty rows: rows further down"
    " the sheet, if any, are not in this preview.",
    "slack_import.preview_rejected": "*Rows that can't be imported* (you'll get them back in a file with a"
    " Problem column, to fix and send again):",
    "slack_import.row_problem": "• Row {row}: {problem}",
    "slack_import.preview_similar": "*New customers that look like customers already on the list:*",
    "slack_import.row_similar": "• Row {row}: *{name}* looks like {existing}",
    "slack_import.preview_updates": "*Customers that will be updated:*",
    "slack_import.row_update": "• Row {row}: *{name}*: {changes}",
    "slack_import.change": "{field} {before} → {after}",
    "slack_import.preview_nothing": "There's nothing to import in this file.",
    "slack_import.select_label": "What to import",
    "slack_import.select.all": "Every valid row ({count:,})",
    "slack_import.select.new": "Only the new customers ({count:,})",
    "slack_import.select.rows": "Only the rows listed below",
    "slack_import.select.picked": "Only the rows ticked below",
    "slack_import.rows_label": "Rows",
    "slack_import.rows_placeholder": "e.g. 2, 5, 9-12",
    "slack_import.rows_hint": "Row numbers as the spreadsheet shows them, with ranges.",
    "slack_import.rows_missing": "Write the rows to import, e.g. 2, 5, 9-12.",
    "slack_import.pick_label": "Rows {first} to {last}",
    "slack_import.pick_row": "Row {row}: {name} ({status})",
    "slack_import.pick_missing": "Tick at least one row.",
    "slack_import.rows_unused": "To import only these rows, choose \"Only the rows listed below\" above (or"
    " clear this box).",
    "slack_import.pick_unused": "To import only the ticked rows, choose \"Only the rows ticked below\" above"
    " (or untick them).",
    "slack_import.importing": "Importing *{file}*. The progress and the result are posted where the file was"
    " shared; you can close this window.",
    # progress and result, in the thread
    "slack_import.progress_start": "Importing *{file}*…",
    "slack_import.progress_reading": "Importing *{file}*: checking the rows, {rows:,} read…",
    "slack_import.progress_writing": "Importing *{file}*: {done:,} of {total:,} rows written ({percent} %)…",
    "slack_import.summary": "<@{user}> imported *{file}*: *{created:,}* created, *{updated:,}* updated,"
    " *{skipped:,}* skipped, *{rejected:,}* rejected.",
    "slack_import.summary_unchanged": "{count:,} row(s) were already up to date.",
    "slack_import.failed": "Nothing was imported from *{file}*. {reason}",
    "slack_import.report_filename": "{name} - rejected rows.xlsx",
    "slack_import.report_comment": "The {count:,} row(s) of {file} that couldn't be imported, with a Problem"
    " column: fix them and send the file again.",
    "slack_import.interrupted": "The import of *{file}* was interrupted (ClientDesk stopped while it ran)."
    " Nothing was imported: the customer list is as it was before.",
    "slack_import.restart_button": "Restart the import",
    "slack_import.restarted": "<@{user}> restarted the import of *{file}*.",
}
