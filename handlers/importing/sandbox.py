"""The child process that opens an untrusted spreadsheet. Standard library only at import time.

Run as a script (``python -I sandbox.py '<json request>'``), never imported by the bot for parsing: a
parser that aborts (python-calamine on a cell at XFD1048576), loops or eats memory kills this child,
never the bot. The child limits itself (address space, CPU seconds, no file writes) before it
touches the file, and the parent (``handlers.importing.read``) adds a wall-clock deadline.

Protocol: one JSON document per line on stdout, in UTF-8.
  {"meta": {...}}                      first: kind, engine, sheets, sheet, encoding, delimiter, count
  {"rows": [[number, [cell, ...]], ...]}  data in batches; empty rows are not sent
  {"end": {"rows": n, "stopped_early": bool}}
  {"error": {"code": "...", "params": {...}}}   a refusal the user can act on
Cells are str, int, float, bool, null, or {"d": "2024-01-31"} / {"dt": "..."} / {"t": "..."} / {"s": seconds}.

Before any parser runs, ``preflight_xlsx`` checks the zip: magic bytes, entry count, declared and
actual sizes, compression ratios, macros, DTD/entity declarations in every XML part, and the shape of
the sheet (how far its cells reach), which decides between python-calamine (fast, whole sheet in
memory) and openpyxl read-only (streams; for sheets that claim huge ranges).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import re
import sys
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any, BinaryIO

# ----------------------------------------------------------------------------------- limits

MAX_COLUMNS = 100                 # only the first 100 columns are read
EMPTY_RUN_STOP = 10_000           # a run this long of empty rows ends the sheet
MAX_ZIP_ENTRIES = 2_000
MAX_UNCOMPRESSED = 512 * 1024**2  # sum of the parts' sizes
MAX_RATIO = 100                   # per part, for parts above RATIO_FLOOR
RATIO_FLOOR = 1024**2
MAX_XML_META = 8 * 1024**2        # workbook.xml, its rels, [Content_Types].xml
MAX_FIELD_CHARS = 32_768          # a CSV field; a spreadsheet cell is at most 32,767 characters
CALAMINE_MAX_CELLS = 12_000_000   # rows x columns calamine may materialise (~32 bytes each)
BATCH_ROWS = 1000
BATCH_BYTES = 1024**2
CHUNK = 1024**2

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
# Cell references: a column past CV (100) or a row number of 7 digits or more.
_WIDE_REF = re.compile(rb'r="(?:[A-Z]{3}|[D-Z][A-Z]|C[W-Z])[0-9]')
_ROOT_PREFIX = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet\b")
FAR_ROW = 1_000_000
_MULTI_LETTER_REF = re.compile(rb'r="[A-Z]{2}[0-9]')
_XML_PART = re.compile(r"\.(xml|rels|vml)$", re.IGNORECASE)
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


class Refusal(Exception):
    """A file the import won't read, with the catalog code (``error.import_<code>``) and parameters."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# ------------------------------------------------------------------------------ sniffing


def sniff(path: str) -> str:
    """"xlsx" or "csv" from the content (not the name); refuses the rest with a reason."""
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if not head:
        raise Refusal("empty")
    if head.startswith(OLE2_MAGIC):
        with open(path, "rb") as handle:
            data = handle.read(4 * 1024**2)
        # An OLE2 file holding an "EncryptedPackage" stream is an .xlsx saved with a password.
        raise Refusal("encrypted" if _ENCRYPTED in data else "legacy_xls")
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"{\\rtf", b"\x7fELF", b"MZ")):
        raise Refusal("not_spreadsheet")
    if _looks_like_text(head):
        return "csv"
    raise Refusal("not_spreadsheet")


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if _utf16_without_bom(head):
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return controls <= len(head) // 100


def _utf16_without_bom(head: bytes) -> str | None:
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4 and odd.count(0) >= len(odd) * 0.4 and even.count(0) == 0:
        return "utf-16-le"
    if len(head) >= 4 and even.count(0) >= len(even) * 0.4 and odd.count(0) == 0:
        return "utf-16-be"
    return None


# ------------------------------------------------------------------------------- xlsx preflight


class Shape:
    """What the scan of the sheet's XML found: how far its cells reach."""

    def __init__(self) -> None:
        self.max_row = 0
        self.wide = False        # a cell beyond column CV
        self.multi_letter = False  # a cell beyond column Z
        self.row_elements = 0
        self.row_pattern: re.Pattern[bytes] | None = None
        self.row_literal = b"<row"

    def calamine_safe(self) -> bool:
        columns = MAX_COLUMNS if self.multi_letter else 26
        height = max(self.max_row, self.row_elements)
        return not self.wide and height < FAR_ROW and height * columns <= CALAMINE_MAX_CELLS


def preflight_xlsx(path: str, sheet: str | None) -> tuple[list[str], str, Shape]:
    """Check the zip before any spreadsheet parser sees it. Returns the sheet names, the chosen sheet
    and its shape; raises ``Refusal`` for encrypted, macro-enabled, bombs, DTDs, damaged files."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise Refusal("damaged") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise Refusal("zip_bomb")
        names = {i.filename for i in infos}
        if any(i.flag_bits & 0x1 for i in infos):
            raise Refusal("encrypted")
        if "xl/vbaProject.bin" in names or any(n.lower().endswith("vbaproject.bin") for n in names):
            raise Refusal("macros")
        if "xl/workbook.bin" in names:
            raise Refusal("xlsb")
        if "xl/workbook.xml" not in names:
            raise Refusal("not_spreadsheet")
        if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
            raise Refusal("zip_bomb")
        for info in infos:
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise Refusal("zip_bomb")
        content_types = _read_small(archive, "[Content_Types].xml")
        if b"macroEnabled" in content_types:
            raise Refusal("macros")
        sheets = _sheet_parts(archive)
        if not sheets:
            raise Refusal("no_sheet")
        chosen = sheet if sheet is not None else sheets[0][0]
        part = next((p for n, p in sheets if n == chosen), None)
        if part is None:
            raise Refusal("sheet_not_found", sheet=chosen, sheets=", ".join(n for n, _ in sheets))
        shape = Shape()
        for info in infos:
            if _XML_PART.search(info.filename) or info.filename == part:
                _scan_part(archive, info, shape if info.filename == part else None)
        return [n for n, _ in sheets], chosen, shape


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return b""
    if info.file_size > MAX_XML_META:
        raise Refusal("zip_bomb")
    data = _checked_read(archive, info)
    if _DTD.search(data):
        raise Refusal("dtd")
    return data


def _checked_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        with archive.open(info) as part:
            data = part.read(info.file_size + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError):
        raise Refusal("damaged") from None
    if len(data) > info.file_size:
        raise Refusal("zip_bomb")
    return data


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """[(sheet name, part name)] in workbook order."""
    from xml.etree import ElementTree

    workbook = _read_small(archive, "xl/workbook.xml")
    rels = _read_small(archive, "xl/_rels/workbook.xml.rels")
    try:
        targets = {
            r.get("Id"): r.get("Target", "")
            for r in ElementTree.fromstring(rels).iter(f"{_NS_PKG_REL}Relationship")
        } if rels else {}
        root = ElementTree.fromstring(workbook)
    except ElementTree.ParseError:
        raise Refusal("damaged") from None
    found = []
    for node in root.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(node.get(f"{_NS_REL}id"), "")
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        found.append((node.get("name") or "", os.path.normpath(part).replace(os.sep, "/")))
    return found


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, shape: Shape | None) -> None:
    """Decompress one part once: its real size (zipfile stops at the declared size and checks the
    CRC), DTD/entity declarations, and for the sheet, how far its cells reach."""
    tail = b""
    total = 0
    try:
        with archive.open(info) as part:
            while True:
                chunk = part.read(CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > info.file_size:
                    raise Refusal("zip_bomb")
                window = tail + chunk
                if _DTD.search(window):
                    raise Refusal("dtd")
                if shape is not None:
                    _measure(window, chunk, shape)
                tail = chunk[-256:]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError):
        raise Refusal("damaged") from None


def _measure(window: bytes, chunk: bytes, shape: Shape) -> None:
    if shape.row_pattern is None:
        root = _ROOT_PREFIX.search(window)
        prefix = root.group(1) or b"" if root else b""
        shape.row_literal = b"<" + prefix + b"row"
        shape.row_pattern = re.compile(re.escape(shape.row_literal) + rb'\s[^>]*?\br="([0-9]{1,9})"')
    if not shape.multi_letter and _MULTI_LETTER_REF.search(window):
        shape.multi_letter = True
    if shape.multi_letter and not shape.wide and _WIDE_REF.search(window):
        shape.wide = True
    numbers = shape.row_pattern.findall(window)
    if numbers:
        shape.max_row = max(shape.max_row, *map(int, numbers))
    shape.row_elements += chunk.count(shape.row_literal)


# --------------------------------------------------------------------------------- cells


def tagged(value: Any) -> Any:
    """JSON for what json can't write: dates and times tagged, anything else as text."""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return {"d": value.date().isoformat()}
        return {"dt": value.isoformat(sep=" ")}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"t": value.isoformat()}
    if isinstance(value, timedelta):
        return {"s": value.total_seconds()}
    return str(value)


def _trim(values: Any, offset: int = 0) -> list[Any]:
    """The first ``MAX_COLUMNS`` cells, without the trailing empty ones ([] for an empty row)."""
    if not offset and type(values) is list and 0 < len(values) <= MAX_COLUMNS:
        last = values[-1]
        if last is not None and last != "" and not (isinstance(last, str) and not last.strip()):
            return values  # the common row: nothing to cut (calamine gives a new list per row)
    row = list(values[: MAX_COLUMNS - offset]) if len(values) > MAX_COLUMNS - offset else list(values)
    end = len(row)
    while end:
        last = row[end - 1]
        if last is None or last == "" or (isinstance(last, str) and not last.strip()):
            end -= 1
        else:
            break
    del row[end:]
    if offset and row:
        row[:0] = [None] * offset
    return row


# ------------------------------------------------------------------------------ readers


class Output:
    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.batch: list[Any] = []
        self.size = 0
        self.count = 0

    def send(self, message: dict[str, Any]) -> None:
        # UTF-8 rather than \\u escapes: cheaper to write here and to read in the parent. JSON escapes
        # every control character, so a message never contains a newline; "surrogatepass" carries a lone
        # surrogate through as the escapes did.
        text = json.dumps(message, separators=(",", ":"), default=tagged, allow_nan=False, ensure_ascii=False)
        self.stream.write(text.encode("utf-8", "surrogatepass") + b"\n")

    def row(self, number: int, values: list[Any]) -> None:
        self.batch.append([number, values])
        self.count += 1
        self.size += 16 + sum(len(v) for v in values if isinstance(v, str))
        if len(self.batch) >= BATCH_ROWS or self.size >= BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            self.send({"rows": self.batch})
            self.batch, self.size = [], 0
        self.stream.flush()


def _emit(out: Output, rows: Iterator[tuple[int, list[Any]]]) -> bool:
    """Send the non-empty rows; True when a long run of empty rows ended the sheet early."""
    empty_run = 0
    for number, values in rows:
        if not values:
            empty_run += 1
            if empty_run >= EMPTY_RUN_STOP:
                return True
            continue
        empty_run = 0
        out.row(number, values)
    return False


def _count_nonempty(rows: Iterator[tuple[int, list[Any]]]) -> int:
    count = empty_run = 0
    for _, values in rows:
        if values:
            count += 1
            empty_run = 0
        else:
            empty_run += 1
            if empty_run >= EMPTY_RUN_STOP:
                break
    return count


def read_xlsx(path: str, request: dict[str, Any], out: Output) -> None:
    sheets, chosen, shape = preflight_xlsx(path, request.get("sheet"))
    engine = request.get("engine") or ("calamine" if shape.calamine_safe() else "openpyxl")
    if engine == "calamine":
        try:
            import python_calamine  # noqa: F401
        except ImportError:
            engine = "openpyxl"
    cap = request.get("count_above")
    count = None
    if engine == "calamine":
        data = _calamine_sheet(path, chosen)
        # The header takes a row: only a sheet of more than cap + 1 rows can hold more than cap data rows.
        if cap is not None and data.height - 1 > cap:
            count = _count_nonempty(_calamine_rows(data))
        rows = _calamine_rows(data)
    else:
        if cap is not None and shape.row_elements - 1 > cap:
            count = _count_nonempty(_openpyxl_rows(path, chosen))
        rows = _openpyxl_rows(path, chosen)
    out.send({"meta": {"kind": "xlsx", "engine": engine, "sheets": sheets, "sheet": chosen,
                       "encoding": None, "delimiter": None, "count": count}})
    stopped = _emit(out, rows)
    out.flush()
    out.send({"end": {"rows": out.count, "stopped_early": stopped}})


def _calamine_sheet(path: str, sheet: str) -> Any:
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(path).get_sheet_by_name(sheet)
    except Exception as error:  # calamine's own errors: PasswordError, XmlError, ZipError ...
        raise Refusal("encrypted" if "Password" in type(error).__name__ else "damaged") from None


def _calamine_rows(data: Any) -> Iterator[tuple[int, list[Any]]]:
    first_row, first_col = data.start or (0, 0)
    for index, values in enumerate(data.iter_rows()):
        yield first_row + index + 1, _trim(values, first_col)


def _unknown_size(worksheet: Any) -> None:
    worksheet._min_row = worksheet._min_column = worksheet._max_row = worksheet._max_column = None


def _openpyxl_rows(path: str, sheet: str) -> Iterator[tuple[int, list[Any]]]:
    import warnings

    from openpyxl import load_workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    # openpyxl looks for a <dimension> element by parsing up to the end of <sheetData>: a whole
    # million-row sheet when the element is missing. The rows are read without it anyway.
    ReadOnlyWorksheet._get_size = _unknown_size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
            worksheet = workbook[sheet]
            worksheet.reset_dimensions()
            rows = worksheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
            for number, values in enumerate(rows, start=1):
                yield number, _trim(values)
        except Refusal:
            raise
        except Exception:
            raise Refusal("damaged") from None
        finally:
            if "workbook" in locals():
                workbook.close()


# ---------------------------------------------------------------------------------- csv


def detect_encoding(path: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 (BOM, or NUL bytes between ASCII), else cp1252, else latin-1."""
    with open(path, "rb") as handle:
        head = handle.read(4)
        if head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        else:
            handle.seek(0)
            sniffed = _utf16_without_bom(handle.read(8192))
            if sniffed:
                return sniffed
            encoding = "utf-8"
        handle.seek(0)
        for candidate in (encoding, "cp1252"):
            decoder = codecs.getincrementaldecoder(candidate)("strict")
            handle.seek(0)
            try:
                while chunk := handle.read(CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
                return candidate
            except UnicodeDecodeError:
                continue
    return "latin-1"


def detect_delimiter(sample: str) -> str:
    """The delimiter (comma, semicolon, tab) that splits the most sample rows into the same width."""
    best, best_score = ",", -1
    lines = sample if len(sample) < 65536 else sample[: sample.rfind("\n", 0, 65536) + 1] or sample
    for delimiter in (",", ";", "\t"):
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(lines), delimiter=delimiter) if any(r)]
        except csv.Error:
            continue
        wide = [w for w in widths if w > 1]
        if not wide:
            continue
        mode = max(set(wide), key=wide.count)
        score = wide.count(mode) * 1000 + mode
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv(path: str, request: dict[str, Any], out: Output) -> None:
    encoding = detect_encoding(path)
    with open(path, encoding=encoding, newline="") as handle:
        delimiter = detect_delimiter(handle.read(65536 * 2))
    csv.field_size_limit(MAX_FIELD_CHARS)
    cap = request.get("count_above")
    count = None
    if cap is not None:
        with open(path, "rb") as raw:
            newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(CHUNK), b""))
        if newlines > cap:
            count = _count_nonempty(_csv_rows(path, encoding, delimiter))
    out.send({"meta": {"kind": "csv", "engine": "csv", "sheets": [], "sheet": None, "encoding": encoding,
                       "delimiter": delimiter, "count": count}})
    stopped = _emit(out, _csv_rows(path, encoding, delimiter))
    out.flush()
    out.send({"end": {"rows": out.count, "stopped_early": stopped}})


def _csv_rows(path: str, encoding: str, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        number = 0
        try:
            for number, values in enumerate(reader, start=1):
                yield number, _trim([_unquote_formula(v) for v in values])
        except csv.Error as error:
            if "field larger" in str(error):
                raise Refusal("field_too_long", row=number + 1, max=MAX_FIELD_CHARS) from None
            raise Refusal("not_spreadsheet") from None


def _unquote_formula(value: str) -> str:
    # A CSV exported safely writes formula-looking text as '=...; read it back as it was typed.
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        return value[1:]
    return value


# ---------------------------------------------------------------------------------- main


def limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    try:
        import resource
    except ImportError:  # not on Linux: the parent's deadline still applies
        return
    for limit, value in ((resource.RLIMIT_AS, memory_bytes), (resource.RLIMIT_CPU, cpu_seconds),
                         (resource.RLIMIT_FSIZE, 0), (resource.RLIMIT_CORE, 0)):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(limit, (value, value))


def main(argv: list[str]) -> int:
    request = json.loads(argv[1])
    limit_resources(int(request.get("memory_bytes", 2 * 1024**3)), int(request.get("cpu_seconds", 120)))
    out = Output(sys.stdout.buffer)
    path = request["path"]
    try:
        kind = sniff(path)
        if kind == "xlsx":
            read_xlsx(path, request, out)
        else:
            read_csv(path, request, out)
    except Refusal as refusal:
        out.flush()
        out.send({"error": {"code": refusal.code, "params": refusal.params}})
    except MemoryError:
        out.send({"error": {"code": "too_big", "params": {}}})
    except BrokenPipeError:  # the parent stopped reading (it had what it needed)
        return 0
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
