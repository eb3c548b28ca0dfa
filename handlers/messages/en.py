"""English: the reference catalog. Keys: ``error.*`` for domain errors, ``field.*`` for QuickBooks'
field labels, ``label.*`` for words shown beside data; the Slack and CLI surfaces add their own
prefixes (``slack.*``, ``cli.*``) in the same dictionary."""

from __future__ import annotations

FIELD_LABELS: dict[str, str] = {
    "field.title": "Title",
    "field.given_name": "First name",
    "field.middle_name": "Middle name",
    "field.family_name": "Last name",
    "field.suffix": "Suffix",
    "field.company_name": "Company name",
    "field.display_name": "Display name",
    "field.print_on_check_name": "Print on check as",
    "field.email": "Email",
    "field.phone": "Phone",
    "field.mobile": "Mobile",
    "field.fax": "Fax",
    "field.other_phone": "Other",
    "field.website": "Website",
    "field.bill_street": "Billing street",
    "field.bill_city": "Billing city",
    "field.bill_state": "Billing state/province",
    "field.bill_postal_code": "Billing ZIP/postal code",
    "field.bill_country": "Billing country",
    "field.ship_street": "Shipping street",
    "field.ship_city": "Shipping city",
    "field.ship_state": "Shipping state/province",
    "field.ship_postal_code": "Shipping ZIP/postal code",
    "field.ship_country": "Shipping country",
    "field.notes": "Notes",
    "field.payment_method": "Preferred payment method",
    "field.terms": "Terms",
    "field.delivery_method": "Preferred delivery method",
    "field.tax_exempt": "This customer is tax exempt",
    "field.resale_number": "Resale number",
    "field.opening_balance": "Opening balance",
    "field.opening_balance_date": "As of",
    "field.bill_with_parent": "Bill with parent",
    "field.parent_id": "Parent customer",
}

ERRORS: dict[str, str] = {
    "error.display_name_required": "Enter a display name (or a name or company to build it from).",
    "error.forbidden_character": "Names can't contain a {character} (\":\" separates a parent from its"
    " sub-customer).",
    "error.too_long": "Too long: {length} characters, at most {max}.",
    "error.bad_email": "\"{value}\" isn't an email address (it needs an @ and a domain, no spaces).",
    "error.bad_boolean": "\"{value}\" isn't yes or no.",
    "error.bad_amount": "\"{value}\" isn't an amount.",
    "error.amount_precision": "\"{value}\" has more than 2 decimals.",
    "error.amount_not_positive": "The amount must be more than zero.",
    "error.bad_date": "\"{value}\" isn't a date; use YYYY-MM-DD.",
    "error.bad_delivery_method": "\"{value}\" isn't a delivery method: print, email or none.",
    "error.name_taken": "There's already a customer named {name}. Choose a different display name.",
    "error.name_taken_inactive": "{name} is an inactive customer: reactivate it instead of adding it again,"
    " or choose a different display name.",
    "error.name_belongs_to": "This name belongs to {name}. Merge this customer into {name}?",
    "error.name_missing": "Give a customer's name.",
    "error.stale_version": "{name} was changed by someone else since you opened it (<@{by}>, {at})."
    " Nothing was saved: reopen it to see their changes.",
    "error.customer_not_found": "That customer doesn't exist (any more).",
    "error.busy": "The customer list is busy saving another change (an import, probably), so nothing was"
    " saved. Try again in a few seconds.",
    "error.customer_merged": "{name} was merged into another customer.",
    "error.no_customer_matches": "No customer matches \"{text}\".",
    "error.several_customers_match": "{count} customers match \"{text}\": pick one.",
    "error.parent_inactive": "{parent} is inactive: reactivate it before adding sub-customers under it.",
    "error.parent_is_self": "{name} can't be its own parent.",
    "error.parent_cycle": "{parent} is a sub-customer of {name}: a customer can't sit under its own"
    " sub-customer.",
    "error.too_deep": "Too deep: under {parent} this customer (with {levels_below} level(s) of"
    " sub-customers below it) would sit more than {max} levels below the top-level customer.",
    "error.bill_with_parent_needs_parent": "Only a sub-customer can be billed with its parent.",
    "error.already_inactive": "{name} is already inactive.",
    "error.already_active": "{name} is already active.",
    "error.inactive_blocked_balance": "{name} has a balance of {balance}: settle it before making it"
    " inactive.",
    "error.inactive_blocked_project": "{name} has open projects ({projects}): close them before making"
    " it inactive.",
    "error.customer_inactive": "{name} is inactive: reactivate it first.",
    "error.merge_same": "A customer can't be merged into itself.",
    "error.merge_has_sub_customers": "{name} has sub-customers: neither customer in a merge may have"
    " sub-customers. Move or merge them first.",
    "error.merge_kept_inactive": "{name} is inactive: reactivate it before merging into it.",
    "error.merge_unknown_field": "{field} can't be copied in a merge.",
    "error.merge_already_undone": "This merge was already undone.",
    "error.undo_records_changed": "This merge can't be undone any more: {count} of the records it moved"
    " changed since ({what}).",
    "error.undo_fields_changed": "This merge can't be undone any more: {name} was edited since"
    " ({fields}).",
    "error.undo_kept_merged": "This merge can't be undone: {name} was itself merged into another customer"
    " since. Undo that merge first.",
    "error.undo_name_taken": "This merge can't be undone: the name {name} is now used by another"
    " customer.",
    "error.undo_parent_gone": "This merge can't be undone: {name}'s parent customer is no longer active.",
    "error.undo_too_deep": "This merge can't be undone: {name} would sit more than 4 levels below the top"
    " under {parent}.",
    "error.merge_not_found": "That merge doesn't exist.",
    "error.project_not_found": "That project doesn't exist.",
    "error.project_closed": "Project {name} is already closed.",
    "error.invoice_not_found": "That invoice doesn't exist.",
    "error.payment_exceeds_invoice": "The payment ({amount}) is more than what's left on invoice {number}"
    " ({open}).",
    "error.invoice_number_taken": "Invoice number {number} is already used.",
    "error.due_before_invoice_date": "The due date ({due}) is before the invoice date ({date}).",
    "error.required": "This is required.",
    "error.not_allowed": "You can't {action}: {who}.",
}

LABELS: dict[str, str] = {
    "label.inactive": "{name} (inactive)",
    "label.delivery.print": "Print later",
    "label.delivery.email": "Send later",
    "label.delivery.none": "None",
}

MESSAGES: dict[str, str] = FIELD_LABELS | ERRORS | LABELS

CLI: dict[str, str] = {
    "cli.description": "ClientDesk: your customer list, QuickBooks rules, in Slack and here.",
    "cli.help_team": "workspace (Slack team id); default $CLIENTDESK_TEAM",
    "cli.help_serve": "run the Slack bot (Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT)",
    "cli.help_db": "database maintenance",
    "cli.help_db_upgrade": "create or upgrade the database schema",
    "cli.help_customers": "manage customers",
    "cli.help_add": "add a customer",
    "cli.help_parent": "parent customer: makes this a sub-customer",
    "cli.help_as_of": "date of the opening balance (YYYY-MM-DD)",
    "cli.help_list": "list customers",
    "cli.help_all": "include inactive customers",
    "cli.help_show": "show one customer",
    "cli.help_deactivate": "make a customer (and its sub-customers) inactive",
    "cli.help_reactivate": "make an inactive customer active again",
    "cli.help_merge": "merge a duplicate customer into another",
    "cli.db_upgraded": "Database is up to date.",
    "cli.team_missing": "Which workspace? Give --team T… or set CLIENTDESK_TEAM.",
    "cli.added": "Added {name}.",
    "cli.more": "(more than {limit}: narrow with --search or raise --limit)",
    "cli.none_found": "No customers.",
    "cli.deactivated": "{name} is now inactive, with {count} sub-customer(s).",
    "cli.reactivated": "{name} is active again (parents reactivated with it: {ancestors}).",
    "cli.merged": "Merged {duplicate} into {kept} (merge #{merge_id}; it can be undone from Slack).",
    "cli.status": "Status",
    "cli.active": "Active",
    "cli.inactive": "Inactive",
    "cli.balance": "Balance",
    "cli.balance_with_subs": "Balance with sub-customers",
    "cli.sub_customers": "Sub-customers",
    "cli.config_missing": "Missing environment variable(s): {names}. See {readme} for how to create the"
    " app from manifest.yml and where each value comes from.",
    "cli.config_bad_port": "PORT must be a number, not \"{value}\".",
    "cli.serving_http": "ClientDesk listening on port {port} (POST /slack/events, GET /healthz).",
    "cli.serving_socket": "ClientDesk connected to Slack in Socket Mode.",
}

MESSAGES |= CLI
