"""Every action, callback and block id the app uses, in one place (Slack limits them to 255 chars)."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """Buttons and selects; a button's ``value`` carries ids only (never names)."""

    SHOW = "customer.show"  # value: customer id
    EDIT = "customer.edit"  # value: customer id
    ADD_SUB = "customer.add_sub"  # value: parent id
    DEACTIVATE = "customer.deactivate"  # value: customer id
    REACTIVATE = "customer.reactivate"  # value: customer id
    MERGE = "customer.merge"  # value: duplicate id (opens the merge modal)
    MERGE_INTO = "customer.merge_into"  # value: "duplicate_id:kept_id" (opens the preview)
    UNDO_MERGE = "merge.undo"  # value: merge record id
    HISTORY = "customer.history"  # value: customer id
    NEW_INVOICE = "customer.new_invoice"  # value: customer id
    RECEIVE_PAYMENT = "customer.receive_payment"  # value: customer id
    NEW_PROJECT = "customer.new_project"  # value: customer id
    CLOSE_PROJECT = "project.close"  # value: project id
    NEW_TEMPLATE = "customer.new_template"  # value: customer id
    OVERFLOW = "customer.more"  # overflow menu; each option's value is "<action>|<id>"
    PAGE = "list.page"  # value: JSON {"q": text, "offset": n, "all": bool}
    TOGGLE_INACTIVE = "list.toggle_inactive"  # value: JSON as PAGE
    PICK = "customer.pick"  # button/select among ambiguous matches; value: "<action>|<customer id>" (show or edit)
    OPEN_EXISTING = "form.open_existing"  # value: customer id (from the duplicate warning)
    REACTIVATE_INSTEAD = "form.reactivate_instead"  # value: customer id
    # /clients find and show (browse.py): a list's "Previous" button (Next is PAGE; ids are unique per
    # block) and the "Add <name>" offer when nothing matches (value: the user's own typed text, only
    # prefilled in the form, never trusted).
    PAGE_BACK = "list.page_back"  # value: JSON as PAGE
    ADD_NAMED = "customer.add_named"  # value: display name to prefill
    HOME_SEARCH = "home.search"
    HOME_PAGE = "home.page"
    HOME_TOGGLE_INACTIVE = "home.toggle_inactive"
    IMPORT_START = "import.start"
    EXPORT = "export.start"
    # --- customer form (bot/listeners/customer_form.py): toggles that show/hide parts of the form
    FORM_IS_SUB = "form.is_sub"  # "Is a sub-customer" checkbox (shows the parent and billing inputs)
    FORM_SAME_AS_BILLING = "form.same_as_billing"  # "Same as billing address" (hides the shipping inputs)
    # --- lifecycle (bot/listeners/history.py, transactions.py, settings.py, home.py): paging a customer's
    # history, a customer's transactions message, the Home tab's "Settings" button and "Previous" page
    HISTORY_PAGE = "customer.history_page"  # value: "<customer id>:<offset>" (Older)
    HISTORY_PAGE_BACK = "customer.history_back"  # value: as HISTORY_PAGE (Newer; ids are unique per block)
    TRANSACTIONS = "customer.transactions"  # value: customer id
    SETTINGS_OPEN = "settings.open"
    HOME_PAGE_BACK = "home.page_back"  # the Home list's "Previous" (Next is HOME_PAGE; ids are unique per block)
    # --- import in Slack (bot/listeners/importing): the offer's "Import" button (download, mapping modal) and
    # the "Restart" button of an interrupted import; value: import job id (re-checked with the tenant)
    IMPORT_OPEN = "import.open"
    IMPORT_RESTART = "import.restart"


class Suggest(StrEnum):
    """External selects answered from the database (``block_suggestion``)."""

    CUSTOMER = "pick.customer"  # any active customer
    CUSTOMER_ANY = "pick.customer_any"  # active and inactive
    PARENT = "pick.parent"  # customers that can take a sub-customer


class Callback(StrEnum):
    """Modal callback ids."""

    CUSTOMER_FORM = "customer_form"
    DUPLICATE_WARNING = "customer_form.duplicates"
    REACTIVATE_OFFER = "customer_form.reactivate_offer"
    MERGE_FORM = "merge_form"
    MERGE_PREVIEW = "merge_preview"
    DEACTIVATE_CONFIRM = "deactivate_confirm"
    INVOICE_FORM = "invoice_form"
    PAYMENT_FORM = "payment_form"
    PROJECT_FORM = "project_form"
    TEMPLATE_FORM = "template_form"
    SETTINGS_FORM = "settings_form"
    IMPORT_FILE = "import_file"
    IMPORT_MAPPING = "import_mapping"
    IMPORT_PREVIEW = "import_preview"
    IMPORT_NOTICE = "import_notice"  # import: a modal that only says something (reading, importing, refused)
    # --- customer form: pushed when an edit renames a customer to another active customer's name
    MERGE_OFFER = "customer_form.merge_offer"


class FormBlock(StrEnum):
    """Block ids of the customer form (bot/blocks/customer_form.py) besides its field inputs, whose
    block_id (and action_id) is the customer field name (handlers.fields.EDITABLE_FIELDS), so a
    problem's ``field`` names the input it goes under."""

    IS_SUB = "is_sub"
    PARENT = "parent_id"
    BILL_WITH_PARENT = "bill_with_parent"
    SAME_AS_BILLING = "same_as_billing"
    NOTICE = "form_notice"  # prefix of the informational blocks at the top (duplicates list)
