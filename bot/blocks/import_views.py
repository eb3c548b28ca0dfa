"""The import in Slack: the offer message, the file modal, the mapping modal, the preview, and the
progress / summary / refusal / interrupted messages — each builder next to its parser.

Views carry the import job's id only (``private_metadata`` ``{"job": id}``); everything else is read
back from the job in the database. Texts stay within Slack's limits whatever the file: long lists are
cut with "…and N more" (the rejected-rows report has them all).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.blocks.card import Block, button, clip, safe, section
from bot.blocks.ids import Action, Callback
from bot.blocks.modal_kit import (
    context,
    input_block,
    load_meta,
    meta_int,
    modal,
    option,
    plain,
    selected_value,
    selected_values,
    state_value,
    text_input,
)
from bot.blocks.text import bounded_lines
from handlers.messages import t

FILE_BLOCK = "import_file"
FILE_ACTION = "file"
COLUMN_ACTION = "column"
MODE_BLOCK = "import_update_by"
MODE_ACTION = "mode"
SELECTION_BLOCK = "import_selection"
SELECTION_ACTION = "selection"
ROWS_BLOCK = "import_rows"
ROWS_ACTION = "rows"
PICK_BLOCK = "import_pick_{n}"
PICK_ACTION = "rows"
NOT_MAPPED = "none"
MODES = ("create", "name", "email")
SELECTIONS = ("all", "new", "rows", "picked")
FILETYPES = ["xlsx", "csv"]
MAX_COLUMNS = 99            # a static select holds 100 options: "not imported" and 99 columns
CHECKBOXES_MAX = 10         # options per checkboxes element
PICK_MAX = 30               # files with at most this many importable rows get row checkboxes
SECTION_MAX = 3000
HEADER_IN_OPTION = 40
NAME_MAX = 80
VALUE_MAX = 60
FILE_NAME_MAX = 120

Messages = tuple[str, list[Block]]


def _file(name: str) -> str:
    return safe(name, FILE_NAME_MAX)


def field_label(name: str, lang: str = "en") -> str:
    """A customer field's label as the form shows it ("parent" is the parent customer)."""
    return t("field.parent_id" if name == "parent" else f"field.{name}", lang)


def job_of(view: Mapping[str, Any] | None) -> int | None:
    """The import job id a view carries (None when absent or malformed)."""
    return meta_int(load_meta(view), "job")


def bounded(title: str, lines: Sequence[str], *, total: int, lang: str, limit: int = SECTION_MAX) -> str:
    """``title`` and as many ``lines`` as fit in ``limit`` characters, then "…and N more" (of ``total``)."""
    return bounded_lines(title, lines, total=total, lang=lang, limit=limit, more_key="slack_import.more")


# ------------------------------------------------------------------------------ offer and file modal


def offer_message(file_name: str, job_id: int, *, user_id: str | None = None, lang: str = "en") -> Messages:
    """"Import customers from *file.xlsx*?" with the button that opens the mapping (value: job id)."""
    text = t("slack_import.offer", lang, file=_file(file_name))
    blocks: list[Block] = [
        section(text),
        {"type": "actions", "block_id": "import_offer", "elements": [
            button(t("slack_import.offer_button", lang), Action.IMPORT_OPEN, str(job_id), style="primary"),
        ]},
        context(t("slack_import.offer_hint", lang)),
    ]
    if user_id:
        blocks.append(context(t("slack_import.offer_shared_by", lang, user=user_id)))
    return text, blocks


def file_modal(lang: str = "en") -> Block:
    """``/clients import`` and the Home tab's Import button: a modal with a file input."""
    element = {"type": "file_input", "action_id": FILE_ACTION, "filetypes": FILETYPES, "max_files": 1}
    blocks = [
        section(t("slack_import.file_intro", lang)),
        input_block(FILE_BLOCK, t("slack_import.file_label", lang), element,
                    hint=t("slack_import.file_hint", lang)),
    ]
    return modal(Callback.IMPORT_FILE, t("slack_import.title", lang), blocks,
                 submit=t("slack_import.file_submit", lang), lang=lang)


def parse_file_modal(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The file objects submitted in the file modal (usually one)."""
    files = state_value(view, FILE_BLOCK, FILE_ACTION).get("files") or []
    return [dict(f) for f in files if isinstance(f, Mapping) and f.get("id")]


def notice(text: str, *, job_id: int | None = None, lang: str = "en") -> Block:
    """A modal that only says something (reading the file, checking rows, importing, a refusal)."""
    return modal(Callback.IMPORT_NOTICE, t("slack_import.title", lang), [section(text)],
                 metadata={"job": job_id} if job_id else None, lang=lang)


# ------------------------------------------------------------------------------ mapping


@dataclass(frozen=True)
class MappingForm:
    """What the mapping modal shows: the file's columns with a sample each, and the suggestion."""

    job_id: int
    file_name: str
    header_row: int
    headers: Sequence[str]
    samples: Sequence[str]                      # one per column ("" when the first rows are empty)
    fields: Sequence[str]                       # the customer fields, in the form's order
    suggested: Mapping[str, int]                # field → column
    guessed: frozenset[str] = frozenset()       # fields matched by a similar header only
    remembered: bool = False
    mode: str = "name"                          # create | name | email
    data_rows: int | None = None


@dataclass(frozen=True)
class MappingChoice:
    """The submitted mapping: field → column index, and what to do with customers already listed."""

    fields: dict[str, int]
    mode: str


def _column_option(index: int, header: str, sample: str, lang: str) -> dict[str, Any]:
    head = clip(header, HEADER_IN_OPTION)
    text = t("slack_import.column_sample", lang, header=head, sample=sample) if sample else head
    return option(text, str(index))


def _column_select(form: MappingForm, name: str, options: list[dict[str, Any]], lang: str) -> Block:
    element: dict[str, Any] = {
        "type": "static_select", "action_id": COLUMN_ACTION,
        "placeholder": plain(t("slack_import.not_imported", lang), 150),
        "options": options,
    }
    column = form.suggested.get(name)
    if column is not None and 0 <= column < min(len(form.headers), MAX_COLUMNS):
        element["initial_option"] = options[column + 1]
    hint = None
    if name == "display_name":
        hint = t("slack_import.display_name_hint", lang)
    elif name in form.guessed and column is not None and column < len(form.headers):
        hint = t("slack_import.guessed_hint", lang, header=clip(form.headers[column], 100))
    return input_block(name, field_label(name, lang), element, optional=True, hint=hint)


def mapping_modal(form: MappingForm, lang: str = "en") -> Block:
    """One select per customer field (the suggested column chosen; each column shown with a sample),
    the suggested fields first, then what to do with customers already on the list."""
    headers = list(form.headers)[:MAX_COLUMNS]
    options = [option(t("slack_import.not_imported", lang), NOT_MAPPED)] + [
        _column_option(i, h, form.samples[i] if i < len(form.samples) else "", lang) for i, h in enumerate(headers)
    ]
    rows = t("slack_import.rows_count", lang, rows=form.data_rows) if form.data_rows is not None else ""
    blocks: list[Block] = [section(t("slack_import.mapping_intro", lang, file=_file(form.file_name),
                                     header_row=form.header_row, rows=rows))]
    if form.remembered:
        blocks.append(context(t("slack_import.mapping_remembered", lang)))
    first = [n for n in form.fields if n in form.suggested or n == "display_name"]
    rest = [n for n in form.fields if n not in first]
    blocks.extend(_column_select(form, n, options, lang) for n in first)
    blocks.append(_mode_input(form.mode, lang))
    mapped = set(form.suggested.values())
    unused = [i for i in range(len(headers)) if i not in mapped]
    if unused:
        lines = [t("slack_import.column_line", lang, header=safe(headers[i], 100),
                   sample=safe(form.samples[i], VALUE_MAX) if i < len(form.samples) and form.samples[i] else "—")
                 for i in unused]
        blocks.append(section(bounded(t("slack_import.unused_columns", lang), lines, total=len(lines), lang=lang)))
    if rest:
        blocks.append({"type": "divider"})
        blocks.append({"type": "header", "text": plain(t("slack_import.other_fields", lang), 150)})
        blocks.extend(_column_select(form, n, options, lang) for n in rest)
    return modal(Callback.IMPORT_MAPPING, t("slack_import.mapping_title", lang), blocks,
                 submit=t("slack_import.mapping_submit", lang), metadata={"job": form.job_id}, lang=lang)


def _mode_input(mode: str, lang: str) -> Block:
    options = [option(t(f"slack_import.mode.{m}", lang), m) for m in MODES]
    element = {"type": "radio_buttons", "action_id": MODE_ACTION, "options": options,
               "initial_option": options[MODES.index(mode) if mode in MODES else 1]}
    return input_block(MODE_BLOCK, t("slack_import.mode_label", lang), element)


def parse_mapping(view: Mapping[str, Any], fields: Sequence[str]) -> MappingChoice:
    """The chosen column of every field (fields left on "not imported" are absent)."""
    chosen: dict[str, int] = {}
    for name in fields:
        value = selected_value(view, name, COLUMN_ACTION)
        if value and value != NOT_MAPPED and value.isdigit():
            chosen[name] = int(value)
    mode = selected_value(view, MODE_BLOCK, MODE_ACTION) or "name"
    return MappingChoice(chosen, mode if mode in MODES else "name")


def mapping_errors(problems: Sequence[Any], fields: Sequence[str], lang: str = "en") -> dict[str, str]:
    """Each problem of a refused mapping under its field's input (else under "Display name")."""
    errors: dict[str, str] = {}
    for problem in problems:
        block = problem.field if problem.field in fields else "display_name"
        message = problem.message(lang)
        errors[block] = clip(f"{errors[block]} {message}" if block in errors else message, 2000)
    return errors


# ------------------------------------------------------------------------------ preview


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class PreviewRow:
    number: int
    name: str
    detail: str = ""                                 # a problem, or the names it looks like
    changes: tuple[Change, ...] = ()
    status: str = ""


@dataclass(frozen=True)
class PreviewSummary:
    """What the preview shows, as plain data (built from the plan by the listener)."""

    job_id: int
    file_name: str
    counts: Mapping[str, int]                        # by row class: new, update, unchanged, duplicate, invalid
    create_only: bool = False
    rejected: Sequence[PreviewRow] = ()              # invalid rows and duplicates in the file
    similar: Sequence[PreviewRow] = ()               # new rows that look like existing customers
    similar_total: int = 0
    updates: Sequence[PreviewRow] = ()
    pickable: Sequence[PreviewRow] = field(default=())  # every importable row, when there are few
    stopped_early: bool = False

    @property
    def importable(self) -> int:
        return self.counts.get("new", 0) + (0 if self.create_only else self.counts.get("update", 0))


@dataclass(frozen=True)
class SelectionChoice:
    """What the user chose to import: ``mode`` all | new | rows | picked, the typed rows, the ticked rows."""

    mode: str
    rows_text: str = ""
    picked: tuple[int, ...] = ()


def preview_modal(summary: PreviewSummary, *, lang: str = "en") -> Block:
    """Counts by class, the rows with problems, possible duplicates, the updates, and the choice of rows."""
    counts = summary.counts
    blocks: list[Block] = []
    blocks.append(section(t("slack_import.preview_counts", lang, file=_file(summary.file_name),
                            **{k: counts.get(k, 0) for k in ("new", "update", "unchanged", "duplicate", "invalid")})))
    if summary.create_only and counts.get("update", 0):
        blocks.append(context(t("slack_import.preview_create_only", lang, count=counts.get("update", 0))))
    if summary.stopped_early:
        blocks.append(context(t("slack_import.preview_stopped_early", lang)))
    if summary.rejected:
        lines = [t("slack_import.row_problem", lang, row=r.number, problem=safe(r.detail, 500))
                 for r in summary.rejected]
        total = counts.get("invalid", 0) + counts.get("duplicate", 0)
        blocks.append(section(bounded(t("slack_import.preview_rejected", lang), lines, total=total, lang=lang)))
    if summary.similar:
        lines = [t("slack_import.row_similar", lang, row=r.number, name=safe(r.name, NAME_MAX),
                   existing=safe(r.detail, 300)) for r in summary.similar]
        blocks.append(section(bounded(t("slack_import.preview_similar", lang), lines,
                                      total=max(summary.similar_total, len(lines)), lang=lang)))
    if summary.updates and not summary.create_only:
        lines = [t("slack_import.row_update", lang, row=r.number, name=safe(r.name, NAME_MAX),
                   changes="; ".join(t("slack_import.change", lang, field=c.label, before=safe(c.before, VALUE_MAX)
                                       or "—", after=safe(c.after, VALUE_MAX) or "—") for c in r.changes))
                 for r in summary.updates]
        blocks.append(section(bounded(t("slack_import.preview_updates", lang), lines,
                                      total=counts.get("update", 0), lang=lang)))
    if summary.importable == 0:
        blocks.append(section(t("slack_import.preview_nothing", lang)))
        return modal(Callback.IMPORT_PREVIEW, t("slack_import.preview_title", lang), blocks,
                     metadata={"job": summary.job_id}, lang=lang)
    blocks.append({"type": "divider"})
    blocks.extend(_selection_inputs(summary, lang))
    return modal(Callback.IMPORT_PREVIEW, t("slack_import.preview_title", lang), blocks,
                 submit=t("slack_import.preview_submit", lang), metadata={"job": summary.job_id}, lang=lang)


def _selection_inputs(summary: PreviewSummary, lang: str) -> list[Block]:
    counts = summary.counts
    modes = ["new", "rows"] if summary.create_only else ["all", "new", "rows"]
    if summary.pickable:
        modes.append("picked")
    labels = {"all": t("slack_import.select.all", lang, count=summary.importable),
              "new": t("slack_import.select.new", lang, count=counts.get("new", 0)),
              "rows": t("slack_import.select.rows", lang), "picked": t("slack_import.select.picked", lang)}
    options = [option(labels[m], m) for m in modes]
    radio = {"type": "radio_buttons", "action_id": SELECTION_ACTION, "options": options, "initial_option": options[0]}
    blocks = [
        input_block(SELECTION_BLOCK, t("slack_import.select_label", lang), radio),
        input_block(ROWS_BLOCK, t("slack_import.rows_label", lang),
                    text_input(ROWS_ACTION, max_length=2000, placeholder=t("slack_import.rows_placeholder", lang)),
                    optional=True, hint=t("slack_import.rows_hint", lang)),
    ]
    rows = list(summary.pickable)[:PICK_MAX]
    for n, start in enumerate(range(0, len(rows), CHECKBOXES_MAX)):
        group = rows[start:start + CHECKBOXES_MAX]
        element = {"type": "checkboxes", "action_id": PICK_ACTION, "options": [
            option(t("slack_import.pick_row", lang, row=r.number, name=clip(r.name, 45),
                     status=t(f"import.status.{r.status}", lang)), str(r.number)) for r in group]}
        label = t("slack_import.pick_label", lang, first=group[0].number, last=group[-1].number)
        blocks.append(input_block(PICK_BLOCK.format(n=n), label, element, optional=True))
    return blocks


def parse_preview(view: Mapping[str, Any]) -> SelectionChoice:
    """The chosen selection mode, the typed row numbers and the ticked rows."""
    mode = selected_value(view, SELECTION_BLOCK, SELECTION_ACTION) or "all"
    rows_text = str(state_value(view, ROWS_BLOCK, ROWS_ACTION).get("value") or "").strip()
    picked: list[int] = []
    for n in range(PICK_MAX // CHECKBOXES_MAX):
        picked.extend(int(v) for v in selected_values(view, PICK_BLOCK.format(n=n), PICK_ACTION) if v.isdigit())
    return SelectionChoice(mode if mode in SELECTIONS else "all", rows_text, tuple(sorted(picked)))


# ------------------------------------------------------------------------------ messages in the thread


def progress_message(file_name: str, *, phase: str, done: int = 0, total: int = 0, lang: str = "en") -> Messages:
    """The import's progress: ``phase`` "start", "reading" (``done`` rows read) or "writing"."""
    name = _file(file_name)
    if phase == "reading":
        text = t("slack_import.progress_reading", lang, file=name, rows=done)
    elif phase == "writing":
        percent = int(done * 100 / total) if total else 100
        text = t("slack_import.progress_writing", lang, file=name, done=done, total=total, percent=percent)
    else:
        text = t("slack_import.progress_start", lang, file=name)
    return text, [section(text)]


def summary_message(file_name: str, counts: Mapping[str, int], *, user_id: str, lang: str = "en") -> Messages:
    """The final summary: created, updated, skipped, rejected (and unchanged rows, if any)."""
    text = t("slack_import.summary", lang, file=_file(file_name), user=user_id,
             **{k: counts.get(k, 0) for k in ("created", "updated", "skipped", "rejected")})
    blocks = [section(text)]
    if counts.get("unchanged"):
        blocks.append(context(t("slack_import.summary_unchanged", lang, count=counts["unchanged"])))
    return text, blocks


def failed_message(file_name: str, reason: str, *, lang: str = "en") -> Messages:
    """Nothing was imported, and why (a refusal of the file, of the selection, a download problem)."""
    text = t("slack_import.failed", lang, file=_file(file_name), reason=reason)
    return text, [section(text)]


def interrupted_message(file_name: str, job_id: int, *, lang: str = "en") -> Messages:
    """An import whose process stopped while it ran: nothing was written; a Restart button."""
    text = t("slack_import.interrupted", lang, file=_file(file_name))
    return text, [
        section(text),
        {"type": "actions", "block_id": "import_restart", "elements": [
            button(t("slack_import.restart_button", lang), Action.IMPORT_RESTART, str(job_id), style="primary"),
        ]},
    ]


def restarted_message(file_name: str, *, user_id: str, lang: str = "en") -> Messages:
    text = t("slack_import.restarted", lang, file=_file(file_name), user=user_id)
    return text, [section(text)]
