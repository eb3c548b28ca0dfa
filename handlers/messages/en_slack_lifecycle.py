"""English for sub-customers, make inactive/reactivate, merge and undo, transactions, history, App Home, permissions."""

from __future__ import annotations

USAGE: dict[str, str] = {
    "lc.usage.deactivate": "`/clients deactivate <name>` — make a customer inactive, with its sub-customers"
    " (you'll see what is affected first).",
    "lc.usage.reactivate": "`/clients reactivate <name>` — make an inactive customer active again.",
    "lc.usage.merge": "`/clients merge [duplicate] [into <customer to keep>]` — merge a duplicate customer,"
    " with a preview first and an undo after.",
    "lc.usage.transactions": "`/clients transactions <name>` — a customer's open invoices, payments, projects"
    " and recurring templates, with buttons to add more.",
    "lc.usage.history": "`/clients history <name>` — every change made to a customer: who, when, what.",
    "lc.usage.home": "`/clients home` — refresh your ClientDesk Home tab.",
    "lc.usage.settings": "`/clients settings` — (workspace admins) who may make customers inactive, merge,"
    " undo and import; where merge messages go; the currency.",
}

PERMISSIONS: dict[str, str] = {
    "error.perm_make_inactive": "You can't make customers inactive in this workspace.",
    "error.perm_merge": "You can't merge customers in this workspace.",
    "error.perm_undo_merge": "You can't undo merges in this workspace.",
    "error.perm_import": "You can't import customers in this workspace.",
    "error.perm_settings": "Only workspace admins and owners can change ClientDesk's settings.",
    "error.perm_who_everyone": "Everyone in the workspace can, except guests.",
    "error.perm_who_admins": "Workspace admins and owners can: ask one of them. (Admins choose who may in"
    " `/clients settings`.)",
    "error.perm_who_users": "These people can: {users}. Ask one of them. (Workspace admins choose who may in"
    " `/clients settings`.)",
    "error.perm_who_nobody": "No one is allowed yet: a workspace admin can choose who in `/clients settings`.",
    "error.perm_outsider": "Guests, people from other organisations and deactivated accounts never can: ask a"
    " member of the workspace.",
    "error.settings_bad_mode": "“{value}” isn't one of the choices: everyone, workspace admins, or the people"
    " listed.",
    "error.settings_bad_users": "Choose people of this workspace (at most {max}).",
    "error.settings_users_required": "Choose at least one person, or pick another option above.",
    "error.settings_bad_notice": "“{value}” isn't one of the choices: in the channel, or only to the person"
    " who merged.",
    "error.settings_bad_currency": "“{value}” isn't a currency code: use three letters such as EUR or USD, or"
    " leave it empty.",
    "error.settings_stale": "Another admin saved these settings after you opened them. Nothing was saved:"
    " reopen `/clients settings` to see their choice.",
}

COMMON: dict[str, str] = {
    "lc.name_missing": "Which customer? Type `/clients {command} <name>`.",
    "lc.pick_one": "{count} customers match “{text}”. Which one?",
    "lc.more": "…and {count} more",
    "lc.close": "Close",
    "lc.cancel": "Cancel",
    "lc.notice_title": "ClientDesk",
    "lc.not_allowed_title": "Not allowed",
    "lc.button.make_inactive": "Make inactive",
    "lc.button.reactivate": "Reactivate",
    "lc.button.history": "History",
    "lc.button.new_invoice": "New invoice",
    "lc.button.receive_payment": "Receive payment",
    "lc.button.new_project": "New project",
    "lc.button.new_template": "New recurring template",
    "lc.close_project.placeholder": "Close a project…",
    "lc.close_project.confirm_title": "Close this project?",
    "lc.close_project.confirm_text": "It will no longer count as open work for its customer.",
    "lc.close_project.confirm": "Close it",
    "lc.close_project.deny": "Keep it open",
    "lc.button.transactions": "Transactions",
    "lc.button.undo": "Undo merge",
    "lc.button.older": "Older",
    "lc.button.newer": "Newer",
}

DEACTIVATE: dict[str, str] = {
    "lc.deactivate.title": "Make inactive",
    "lc.deactivate.submit": "Make inactive",
    "lc.deactivate.question": "Make *{name}* inactive?",
    "lc.deactivate.subs": "These {count} sub-customer(s) will become inactive with it:",
    "lc.deactivate.no_subs": "No other customer is affected: it has no active sub-customers.",
    "lc.deactivate.explain": "Inactive customers keep their name, transactions and history; they leave lists"
    " and pickers. You can reactivate them at any time.",
    "lc.deactivate.blocked": "*{name}* can't be made inactive yet. Every customer made inactive (it and its"
    " sub-customers) needs a zero balance and no open project:",
    "lc.deactivate.blocked_balance": "• *{name}* has a balance of {balance}: receive a payment to bring it to"
    " zero.",
    "lc.deactivate.blocked_credit": "• *{name}* has a credit of {balance}: refund or invoice it to bring the"
    " balance to zero.",
    "lc.deactivate.blocked_projects": "• *{name}* has open projects ({projects}): close them.",
    "lc.deactivate.blocked_after": "This dialog updates as you fix each one.",
    "lc.deactivate.changed": ":warning: The sub-customers changed since you opened this dialog. Check the list"
    " again, then confirm.",
    "lc.deactivate.done": "*{name}* is now inactive.",
    "lc.deactivate.done_subs": "*{name}* is now inactive, with {count} sub-customer(s): {names}.",
    "lc.deactivate.refused_title": "Not made inactive",
    "lc.reactivate.done": "*{name}* is active again.",
    "lc.reactivate.done_ancestors": "*{name}* is active again, and so are its parent customers (a"
    " sub-customer can't be active under an inactive parent): {names}.",
}

MERGE: dict[str, str] = {
    "lc.merge.title": "Merge customers",
    "lc.merge.next": "Preview",
    "lc.merge.intro": "Everything the duplicate has — invoices, payments, projects, recurring templates,"
    " opening balance — moves to the customer you keep. You'll see a preview before anything changes,"
    " and you can undo the merge afterwards.",
    "lc.merge.duplicate": "Duplicate (merged away)",
    "lc.merge.kept": "Customer to keep",
    "lc.merge.placeholder": "Type a name…",
    "lc.merge.required": "Choose a customer.",
    "lc.preview.title": "Merge preview",
    "lc.preview.submit": "Merge",
    "lc.preview.back": "Back",
    "lc.preview.heading": "Merge *{duplicate}* into *{kept}*?",
    "lc.preview.moves": "*Moves to {kept}*",
    "lc.preview.invoices": "*Invoices*\n{count} · {amount}",
    "lc.preview.payments": "*Payments*\n{count} · {amount}",
    "lc.preview.projects": "*Projects*\n{count}",
    "lc.preview.templates": "*Recurring templates*\n{count} · {amount}",
    "lc.preview.balances": "*Balances*",
    "lc.preview.balance_duplicate": "*{name}* now\n{amount}",
    "lc.preview.balance_kept": "*{name}* now\n{amount}",
    "lc.preview.balance_after": "*{name}* after the merge\n{amount}",
    "lc.preview.copy": "Copy these details to {kept}",
    "lc.preview.copy_hint": "{kept} has no value for them. Untick what you don't want copied.",
    "lc.preview.copy_option": "{label}: {value}",
    "lc.preview.nothing_to_copy": "{kept} already has every detail {duplicate} has: nothing to copy.",
    "lc.preview.after": "{duplicate} then leaves the customer list and its name becomes free. You can undo"
    " the merge from the message that follows, as long as the moved records are unchanged.",
    "lc.preview.changed": ":warning: Something changed since this preview was made. Check it again, then"
    " confirm.",
    "lc.merged.text": "<@{user}> merged *{duplicate}* into *{kept}*.",
    "lc.merged.moved": "Moved to {kept}: {invoices} invoice(s), {payments} payment(s), {projects} project(s),"
    " {templates} recurring template(s). Its balance is now {balance}.",
    "lc.merged.copied": "Copied to {kept}: {fields}.",
    "lc.merged.undo_hint": "Undo puts everything back while the moved records are unchanged.",
    "lc.undone.text": "<@{user}> undid the merge of *{duplicate}* into *{kept}*: {duplicate} is back with its"
    " {invoices} invoice(s), {payments} payment(s), {projects} project(s) and {templates} recurring"
    " template(s).",
    "lc.undo.refused": "Couldn't undo the merge of *{duplicate}* into *{kept}*. {reason}",
}

TRANSACTIONS: dict[str, str] = {
    "lc.amount": "Amount ({currency})",
    "lc.amount_plain": "Amount",
    "lc.amount_placeholder": "e.g. 1,250.00",
    "lc.for_customer": "For *{name}* · balance {balance}",
    "lc.invoice.title": "New invoice",
    "lc.invoice.submit": "Create invoice",
    "lc.invoice.number": "Invoice no.",
    "lc.invoice.date": "Invoice date",
    "lc.invoice.due": "Due date",
    "lc.invoice.done": "Invoice *{number}* for {customer}: {amount}, dated {date}.",
    "lc.invoice.done_due": "Invoice *{number}* for {customer}: {amount}, dated {date}, due {due}.",
    "lc.payment.title": "Receive payment",
    "lc.payment.submit": "Record payment",
    "lc.payment.date": "Payment date",
    "lc.payment.invoice": "Apply to invoice",
    "lc.payment.invoice_hint": "Leave empty to record it against the balance.",
    "lc.payment.invoice_option": "{number} · {open} open",
    "lc.payment.no_invoices": "No open invoices: the payment goes against the balance.",
    "lc.payment.done": "Payment of {amount} from {customer} recorded. Balance now {balance}.",
    "lc.payment.done_applied": "Payment of {amount} from {customer} recorded against invoice *{number}*."
    " Balance now {balance}.",
    "lc.project.title": "New project",
    "lc.project.submit": "Create project",
    "lc.project.name": "Project name",
    "lc.project.done": "Project *{name}* opened for {customer}.",
    "lc.project.closed": "Project *{name}* of {customer} is closed.",
    "lc.template.title": "New recurring template",
    "lc.template.submit": "Create template",
    "lc.template.name": "Template name",
    "lc.template.interval": "Repeats",
    "lc.template.next_date": "Next invoice date",
    "lc.template.done": "Recurring template *{name}* for {customer}: {interval}, next on {date}, {amount}.",
    "lc.interval.weekly": "Weekly",
    "lc.interval.monthly": "Monthly",
    "lc.interval.quarterly": "Quarterly",
    "lc.interval.yearly": "Yearly",
    "lc.ledger.title": "*Transactions of {name}* · balance {balance}",
    "lc.ledger.text": "Transactions of {name}",
    "lc.ledger.invoices": "*Open invoices*",
    "lc.ledger.invoice_line": "• *{number}* · {customer} · {date} · {open} open of {amount}",
    "lc.ledger.payments": "*Latest payments*",
    "lc.ledger.payment_line": "• {date} · {amount}",
    "lc.ledger.projects": "*Open projects*",
    "lc.ledger.project_line": "• {name}",
    "lc.ledger.templates": "*Recurring templates*",
    "lc.ledger.template_line": "• *{name}* · {customer} · {interval} · next {date} · {amount}",
    "lc.ledger.none": "_None._",
}

HISTORY: dict[str, str] = {
    "lc.history.title": "*History of {name}* — changes {first}–{last} of {total}, newest first",
    "lc.history.empty": "No change to *{name}* recorded yet.",
    "lc.history.text": "History of {name}",
}

HOME: dict[str, str] = {
    "lc.home.header": "ClientDesk — your customers",
    "lc.home.counts": "*{active}* active customer(s) · *{inactive}* inactive",
    "lc.home.search": "Search customers",
    "lc.home.search_placeholder": "Name, company, email or phone, then Enter",
    "lc.home.list_all": "*Customers* — {first}–{last}",
    "lc.home.list_query": "*Customers matching “{text}”* — {first}–{last}",
    "lc.home.scope_all": "Including inactive customers",
    "lc.home.scope_active": "Active customers only",
    "lc.home.empty": "No customers yet. Add one with `/clients add <name>`, or import a spreadsheet.",
    "lc.home.no_match": "No customer matches “{text}”.",
    "lc.home.recent": "*Recent changes*",
    "lc.home.recent_line": "{line} · *{customer}*",
    "lc.home.no_recent": "_Nothing changed yet._",
    "lc.home.settings_changed": "changed ClientDesk's settings",
    "lc.home.import_hint": "Import customers from a CSV or Excel file (you'll see a preview first), or"
    " export the list.",
    "lc.home.refreshed": "Your ClientDesk Home tab is up to date.",
    "lc.button.import": "Import a spreadsheet",
    "lc.button.export": "Export",
    "lc.button.settings": "Settings",
    "lc.button.previous": "Previous",
    "lc.button.next": "Next",
    "lc.button.include_inactive": "Include inactive",
    "lc.button.hide_inactive": "Hide inactive",
}

SETTINGS: dict[str, str] = {
    "lc.settings.title": "ClientDesk settings",
    "lc.settings.submit": "Save",
    "lc.settings.intro": "Guests, people from other organisations and deactivated accounts can never make"
    " customers inactive, merge, undo merges or import.",
    "lc.settings.who": "Who may make customers inactive, merge, undo merges and import",
    "lc.settings.mode.everyone": "Everyone in the workspace",
    "lc.settings.mode.admins": "Workspace admins and owners",
    "lc.settings.mode.users": "Only the people listed below",
    "lc.settings.users": "People allowed (with “only the people listed”)",
    "lc.settings.notice": "After a merge, the message with the Undo button goes",
    "lc.settings.notice.in_channel": "To the channel, for everyone to see",
    "lc.settings.notice.ephemeral": "Only to the person who merged",
    "lc.settings.currency": "Currency shown beside amounts",
    "lc.settings.currency_hint": "A three-letter code such as EUR or USD; leave empty for none.",
    "lc.settings.saved": "ClientDesk settings saved.",
    "lc.settings.saved_who.everyone": "Everyone in the workspace (but guests) may make customers inactive,"
    " merge, undo and import.",
    "lc.settings.saved_who.admins": "Workspace admins and owners may make customers inactive, merge, undo"
    " and import.",
    "lc.settings.saved_who.users": "{users} may make customers inactive, merge, undo and import.",
    "lc.settings.saved_notice": "Merge messages: {notice}. Currency: {currency}.",
    "lc.settings.no_currency": "none",
}

MESSAGES: dict[str, str] = (
    USAGE | PERMISSIONS | COMMON | DEACTIVATE | MERGE | TRANSACTIONS | HISTORY | HOME | SETTINGS
)
