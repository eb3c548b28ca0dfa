"""English for /clients find, show, edit, lists and the profile card."""

from __future__ import annotations

USAGE: dict[str, str] = {
    "slack.usage.add": "`/clients add [name]` — add a customer (opens the customer form).",
    "slack.usage.find": "`/clients find <text> [--all]` — search by name, company, email or phone;"
    " `--all` includes inactive customers. No text lists everyone.",
    "slack.usage.show": "`/clients show <name>` — a customer's profile: contacts, balance, open invoices,"
    " sub-customers, history.",
    "slack.usage.edit": "`/clients edit <name>` — change a customer's details.",
}

ANSWERS: dict[str, str] = {
    "slack.browse.name_missing": "Which customer? Type `/clients {command} <name>`, or `/clients find <text>`"
    " to search.",
    "slack.browse.no_match": "No customer matches “{text}”.",
    "slack.browse.no_match_hint": "Check the spelling, try `/clients find <part of the name>`, or add it as"
    " a new customer.",
    "slack.browse.pick_one": "{count} customers match “{text}”: pick one.",
    "slack.browse.not_found": "That customer doesn't exist in this workspace (any more).",
    "slack.browse.action_unavailable": "That action isn't available yet.",
    "slack.browse.card_text": "Customer profile: {name}",
}

LIST: dict[str, str] = {
    "slack.browse.list.title_query": "*Customers matching “{text}”* — {first}–{last}",
    "slack.browse.list.title_all": "*All customers* — {first}–{last}",
    "slack.browse.list.including_inactive": "including inactive customers",
    "slack.browse.list.active_only": "active customers only",
    "slack.browse.list.text_query": "Customers matching “{text}”",
    "slack.browse.list.text_all": "All customers",
    "slack.browse.list.row_balance": "Balance {balance}",
    "slack.browse.list.no_one": "There are no customers yet. Add the first one with `/clients add <name>`.",
    "slack.browse.list.page_empty": "No more customers on this page. Go back to the first page.",
    "slack.browse.button.show": "Show",
    "slack.browse.button.edit": "Edit",
    "slack.browse.button.previous": "Previous",
    "slack.browse.button.next": "Next",
    "slack.browse.button.first_page": "First page",
    "slack.browse.button.include_inactive": "Include inactive",
    "slack.browse.button.hide_inactive": "Hide inactive",
    "slack.browse.button.add_named": "Add “{name}”",
    "slack.browse.button.find": "Find “{text}”",
    "slack.browse.button.add_sub": "Add sub-customer",
    "slack.browse.button.new_invoice": "New invoice",
    "slack.browse.button.receive_payment": "Receive payment",
    "slack.browse.button.new_project": "New project",
    "slack.browse.button.make_inactive": "Make inactive",
    "slack.browse.button.reactivate": "Reactivate",
    "slack.browse.button.merge": "Merge",
    "slack.browse.button.history": "History",
}

CARD: dict[str, str] = {
    "slack.browse.card.status_active": ":large_green_circle: Active",
    "slack.browse.card.status_inactive": ":white_circle: Inactive",
    "slack.browse.card.top_level": "Top-level customer",
    "slack.browse.card.sub_customer_of": "Sub-customer of *{parent}*",
    "slack.browse.card.billing": "Billing: {mode}",
    "slack.browse.card.bill_this_customer": "Bill this customer",
    "slack.browse.card.full_name": "Full name",
    "slack.browse.card.billing_address": "Billing address",
    "slack.browse.card.shipping_address": "Shipping address",
    "slack.browse.card.balance": "Balance",
    "slack.browse.card.balance_with_subs": "Balance with sub-customers",
    "slack.browse.card.no_contact": "_No contact details yet._",
    "slack.browse.card.parent": "*Parent customer:* {parent}",
    "slack.browse.card.sub_customers": "*Sub-customers ({count})*",
    "slack.browse.card.more": "…and {count} more",
    "slack.browse.card.open_invoices": "*Open invoices ({count})* — {total} open",
    "slack.browse.card.invoice_line": "• *{number}* · {date} · due {due} · {open} open",
    "slack.browse.card.invoice_line_no_due": "• *{number}* · {date} · {open} open",
    "slack.browse.card.projects": "*Projects* — {open} open, {closed} closed",
    "slack.browse.card.project_open": "• {name} — open",
    "slack.browse.card.project_closed": "• {name} — closed",
    "slack.browse.card.templates": "*Recurring templates ({count})*",
    "slack.browse.card.template_line": "• {name} · {interval} · next {date} · {amount}",
    "slack.browse.card.interval.weekly": "Weekly",
    "slack.browse.card.interval.monthly": "Monthly",
    "slack.browse.card.interval.quarterly": "Quarterly",
    "slack.browse.card.interval.yearly": "Yearly",
    "slack.browse.card.history": "*Recent changes*",
    "slack.browse.card.history_line": "• {when} — {who} {what}",
    "slack.browse.card.when": "<!date^{ts}^{{date_short_pretty}} {{time}}|{fallback}>",
}

HISTORY: dict[str, str] = {
    "slack.browse.event.add": "added this customer",
    "slack.browse.event.edit": "changed {changes}",
    "slack.browse.event.edit_nothing": "edited this customer",
    "slack.browse.event.change": "{field}: {before} → {after}",
    "slack.browse.event.more_changes": "and {count} more",
    "slack.browse.event.empty": "(empty)",
    "slack.browse.event.yes": "yes",
    "slack.browse.event.no": "no",
    "slack.browse.event.top_level": "(top level)",
    "slack.browse.event.make_inactive": "made it inactive",
    "slack.browse.event.make_inactive_cascaded": "made it inactive with {parent}",
    "slack.browse.event.reactivate": "reactivated it",
    "slack.browse.event.invoice": "invoiced {invoice} for {amount}",
    "slack.browse.event.payment": "recorded a payment of {amount}",
    "slack.browse.event.project": "opened project {project}",
    "slack.browse.event.close_project": "closed project {project}",
    "slack.browse.event.template": "added recurring template {template}",
    "slack.browse.event.merge": "merged {duplicate} into this customer",
    "slack.browse.event.merged_into": "merged this customer into {kept}",
    "slack.browse.event.undo_merge": "undid the merge with {other}",
    "slack.browse.event.other": "made a change ({action})",
    "slack.browse.event.someone": "someone",
}

MESSAGES: dict[str, str] = USAGE | ANSWERS | LIST | CARD | HISTORY
