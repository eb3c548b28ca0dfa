"""English for the customer form, its validation and the typeahead."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # Modal titles and buttons (plain text, at most 24 characters).
    "form.title.add": "New customer",
    "form.title.edit": "Edit customer",
    "form.title.duplicates": "Possible duplicate",
    "form.title.reactivate": "Inactive customer",
    "form.title.merge": "Merge customers?",
    "form.title.notice": "ClientDesk",
    "form.submit": "Save",
    "form.submit.anyway": "Save anyway",
    "form.submit.reactivate": "Reactivate",
    "form.cancel": "Cancel",
    "form.back": "Back",
    "form.close": "Close",
    # Section headers, grouped as QuickBooks Online's customer form.
    "form.section.name_contact": "Name and contact",
    "form.section.addresses": "Addresses",
    "form.section.notes": "Notes",
    "form.section.payments": "Payments",
    "form.section.additional": "Additional info",
    # Inputs that are not a single customer field.
    "form.label.sub_customer": "Sub-customer",
    "form.is_sub_customer": "Is a sub-customer",
    "form.label.bill_to": "Billing",
    "form.bill_this_customer": "Bill this customer",
    "form.label.shipping": "Shipping address",
    "form.same_as_billing": "Same as billing address",
    "form.label.taxes": "Taxes",
    "form.placeholder.customer": "Type a customer's name",
    "form.hint.display_name": "How this customer appears in lists. Left empty, it's built from the name"
    " or the company name.",
    "form.hint.opening_balance": "What this customer already owes you, e.g. 1,250.00. It can't be"
    " changed after the customer is added.",
    "form.hint.parent": "Only active customers that can take a sub-customer (at most 4 levels below the"
    " top) are offered.",
    "form.opening_balance_locked": "The opening balance is entered when a customer is added and isn't"
    " edited afterwards (as in QuickBooks): record an invoice or a payment to change what's owed.",
    # Validation the form adds to the handlers' rules.
    "error.form_parent_required": "Choose the parent customer, or untick \"Is a sub-customer\".",
    "form.error.stale": "{name} was changed by someone else at {at} since you opened this form. Nothing"
    " was saved. What you typed is still here: copy what you need, close the form and edit {name} again.",
    "form.error.name_inactive_on_edit": "{name} is an inactive customer's name. Choose another name, or"
    " reactivate {name} first (you can then merge this customer into it).",
    # Possible duplicates, shown before a new customer is saved.
    "form.dup.intro": ":warning: This may be a customer you already have. Open it to check, or press"
    " *Save anyway* to add a new customer with what you typed (it's all kept below).",
    "form.dup.row": "*{name}* — {reasons} · {score}% match",
    "form.dup.row_inactive": "*{name}* (inactive) — {reasons} · {score}% match",
    "form.dup.reason.name": "similar name",
    "form.dup.reason.email": "same email",
    "form.dup.reason.phone": "same phone",
    "form.dup.open": "Open",
    # Reactivation offered when the name belongs to an inactive customer.
    "form.reactivate.explain": "Reactivating brings back {name} with its history; its inactive parent"
    " customers are reactivated with it, its sub-customers stay as they are. What you typed in the form"
    " isn't copied to it: edit it afterwards to update its details. Press *Back* to choose another name"
    " instead.",
    "form.reactivated": ":white_check_mark: {name} is active again.",
    "form.reactivated_with_parents": ":white_check_mark: {name} is active again, with its parent"
    " customers {parents}.",
    # Merge offered when an edit gives a customer another active customer's name.
    "form.merge.offer": "The name *{other}* belongs to another customer. Merge *{this}* into *{other}*?"
    " You'll see exactly what moves before anything changes.",
    "form.merge.back": "Or press *Back* to choose another name.",
    "form.merge.button": "Review the merge",
    # Confirmations.
    "form.saving": ":hourglass_flowing_sand: Saving *{name}*… The customer list is busy saving another change"
    " (an import, probably); yours is saved as soon as it is done, and this window will say so.",
    "form.added": ":white_check_mark: Added {name}.",
    "form.saved": ":white_check_mark: Saved {name}.",
    "form.unchanged": "Nothing changed on {name}.",
}
