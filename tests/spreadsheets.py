"""Spreadsheets built in tests: ordinary .xlsx/.csv files, ugly ones, and hostile ones.

``xlsx`` writes with openpyxl (cells typed as given: str, int, float, date...). ``raw_xlsx`` assembles a
workbook package by hand from sheet XML, for what openpyxl won't write (DTDs, far-away cells, lies).
"""

from __future__ import annotations

import codecs
import csv
import io
import struct
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.cell.cell import Cell

HEADERS_EN = ["Display Name", "Company", "First Name", "Last Name", "Email", "Phone", "City", "ZIP/Postal Code",
              "Country", "Opening Balance", "Sub-customer of"]


def xlsx(path: Path, rows: Iterable[Sequence[Any]], *, sheet: str = "Customers",
         more_sheets: dict[str, list[list[Any]]] | None = None, text_cells: bool = False) -> Path:
    """An .xlsx with ``rows`` (the first is usually the header). ``text_cells``: strings starting with
    "=" are stored as text cells (as Excel does for '=...), not as formulas."""
    workbook = Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    for row in rows:
        worksheet.append(list(row))
    if text_cells:
        for line in worksheet.iter_rows():
            for cell in line:
                if isinstance(cell, Cell) and isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    for name, extra in (more_sheets or {}).items():
        other = workbook.create_sheet(name)
        for row in extra:
            other.append(row)
    workbook.save(path)
    return path


def csv_file(path: Path, rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8", delimiter: str = ",",
             bom: bool = False) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    if bom:
        data = codecs.BOM_UTF8 + data
    path.write_bytes(data)
    return path


def customers_rows(count: int, *, start: int = 1) -> list[list[Any]]:
    """A header and ``count`` plain customers ("Customer 1", ...)."""
    rows: list[list[Any]] = [["Display Name", "Email", "Phone"]]
    for n in range(start, start + count):
        rows.append([f"Customer {n}", f"c{n}@example.com", f"+1 555 010 {n:04d}"])
    return rows


# ------------------------------------------------------------------------------- raw package

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="{main}"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
MAIN_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MAIN_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def cell_xml(ref: str, value: Any) -> str:
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def row_xml(number: int, values: Sequence[Any]) -> str:
    cells = "".join(cell_xml(f"{chr(65 + i)}{number}", v) for i, v in enumerate(values) if v is not None)
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(rows: Sequence[Sequence[Any]], *, extra: str = "", dimension: str | None = None,
              prolog: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = "".join(row_xml(n, r) for n, r in enumerate(rows, start=1))
    return (prolog + SHEET_HEAD + dim + "<sheetData>" + body + extra + "</sheetData></worksheet>").encode()


def raw_xlsx(path: Path, sheet: bytes, *, parts: dict[str, bytes] | None = None, macro: bool = False,
             workbook: str = WORKBOOK) -> Path:
    """A workbook package around one sheet's XML (and any extra parts)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.replace("{main}", MAIN_XLSM if macro else MAIN_XLSX))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (parts or {}).items():
            archive.writestr(name, data)
    return path


def simple_sheet() -> bytes:
    return sheet_xml([["Display Name", "Email"], ["Acme", "a@acme.com"], ["Globex", "g@globex.com"]])


# ----------------------------------------------------------------------------------- hostile


def encrypted_xlsx(path: Path) -> Path:
    """What Excel writes for a password-protected .xlsx: an OLE2 file with an EncryptedPackage stream."""
    header = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504
    directory = "EncryptionInfo".encode("utf-16-le") + b"\0" * 20 + "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(header + directory + b"\0" * 2048)
    return path


def legacy_xls(path: Path) -> Path:
    header = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504
    path.write_bytes(header + "Workbook".encode("utf-16-le") + b"\0" * 2048)
    return path


def macro_xlsm(path: Path) -> Path:
    return raw_xlsx(path, simple_sheet(), parts={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0fake vba"}, macro=True)


def png_named_xlsx(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + bytes(range(256)) * 8)
    return path


def zip_not_workbook(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return path


def zip_bomb(path: Path, *, megabytes: int = 40) -> Path:
    """A sheet part that deflates ~1000:1 (a real bomb is the same thing, bigger)."""
    padding = b" " * (megabytes * 1024 * 1024)
    sheet = SHEET_HEAD.encode() + b"<sheetData>" + padding + b"</sheetData></worksheet>"
    return raw_xlsx(path, sheet)


def declared_size_bomb(path: Path, *, declared: int = 3 * 1024**3) -> Path:
    """A small package whose central directory claims a 3 GB sheet."""
    raw_xlsx(path, simple_sheet())
    return _patch_sizes(path, "xl/worksheets/sheet1.xml", declared)


def lying_size(path: Path) -> Path:
    """A sheet part that declares 2 KB but inflates to 5 MB."""
    sheet = SHEET_HEAD.encode() + b"<sheetData>" + b" " * (5 * 1024 * 1024) + b"</sheetData></worksheet>"
    raw_xlsx(path, sheet)
    return _patch_sizes(path, "xl/worksheets/sheet1.xml", 2048)


def _patch_sizes(path: Path, name: str, size: int) -> Path:
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    # local file header: signature, ..., uncompressed size at offset 22, name at 30
    local = data.find(b"PK\x03\x04" + b"", 0)
    while local >= 0:
        name_len = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30:local + 30 + name_len] == encoded:
            struct.pack_into("<I", data, local + 22, size)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + name_len] == encoded:
            struct.pack_into("<I", data, central + 24, size)
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    return path


def shared_strings_bomb(path: Path, *, count: int = 2_000_000) -> Path:
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + \
        b"<si><t>x</t></si>" * count + b"</sst>"
    return raw_xlsx(path, simple_sheet(), parts={"xl/sharedStrings.xml": strings})


def dtd_xlsx(path: Path) -> Path:
    prolog = '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    sheet = sheet_xml([["Display Name"], ["&lol2;"]], prolog=prolog).replace(b'<?xml version="1.0" encoding="UTF-8"?>',
                                                                               b"", 1)
    return raw_xlsx(path, sheet)


def far_corner(path: Path) -> Path:
    """Three real rows and one cell at XFD1048576 (the last cell of a sheet)."""
    rows = [["Display Name", "Email"], ["Acme", "a@acme.com"], ["Globex", "g@globex.com"]]
    return raw_xlsx(path, sheet_xml(rows, extra='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))


def lying_dimension(path: Path) -> Path:
    rows = [["Display Name", "Email"], ["Acme", "a@acme.com"], ["Globex", "g@globex.com"]]
    return raw_xlsx(path, sheet_xml(rows, dimension="A1:XFD1048576"))


def styled_empty_rows(path: Path, *, count: int = 1_000_000) -> Path:
    rows = [["Display Name", "Email"], ["Acme", "a@acme.com"], ["Globex", "g@globex.com"]]
    empty = "".join(f'<row r="{n}" s="1" customFormat="1"/>' for n in range(4, 4 + count))
    return raw_xlsx(path, sheet_xml(rows, extra=empty))


def huge_csv_field(path: Path, *, megabytes: int = 2) -> Path:
    path.write_text("Display Name,Notes\r\nAcme,\"" + "x" * (megabytes * 1024 * 1024) + "\"\r\n", encoding="utf-8")
    return path
