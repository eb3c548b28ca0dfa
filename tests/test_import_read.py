"""Reading .xlsx and .csv files: encodings, delimiters, header rows, cell types kept as the user typed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handlers.errors import Refused
from handlers.importing.read import cell_text, inspect, open_source
from tests import spreadsheets as s

ROWS = [["Nom", "Ville", "Code postal"], ["Hélène Côté", "Montréal", "H2X 1Y4"], ["Zoë Müller", "Köln", "50667"]]


def read_all(path: Path, **kwargs: object) -> list[tuple[object, ...]]:
    with open_source(path, **kwargs) as source:  # type: ignore[arg-type]
        return [row.cells for row in source.rows()]


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", False), ("utf-8", True), ("utf-16", False), ("cp1252", False), ("latin-1", False)],
    ids=["utf8", "utf8_bom", "utf16_bom", "cp1252", "latin1"],
)
def test_csv_encodings_read_with_accents_intact(tmp_path: Path, encoding: str, bom: bool) -> None:
    path = s.csv_file(tmp_path / "clients.csv", ROWS, encoding=encoding, bom=bom)
    with open_source(path) as source:
        assert source.info.headers == ("Nom", "Ville", "Code postal")  # no "\ufeffNom"
        assert [r.cells for r in source.rows()] == [tuple(r) for r in ROWS[1:]]


def test_csv_encoding_reported_for_the_mapping_step(tmp_path: Path) -> None:
    assert inspect(s.csv_file(tmp_path / "a.csv", ROWS, encoding="cp1252")).encoding == "cp1252"
    assert inspect(s.csv_file(tmp_path / "b.csv", ROWS, bom=True)).encoding == "utf-8-sig"


def test_utf16_without_bom_read(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes("Name,City\r\nZoë,Köln\r\n".encode("utf-16-le"))
    assert read_all(path) == [("Zoë", "Köln")]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_csv_delimiters_detected(tmp_path: Path, delimiter: str) -> None:
    rows = [["Name", "Notes", "Balance"], ["Acme", "Pays, slowly; by cheque", "1 234,56"], ["Globex", "", "12"]]
    path = s.csv_file(tmp_path / "d.csv", rows, delimiter=delimiter)
    with open_source(path) as source:
        assert source.info.delimiter == delimiter
        assert [r.cells for r in source.rows()] == [("Acme", "Pays, slowly; by cheque", "1 234,56"),
                                                    ("Globex", "", "12")]


def test_csv_quoted_newlines_stay_in_one_cell(tmp_path: Path) -> None:
    path = s.csv_file(tmp_path / "n.csv", [["Name", "Notes"], ["Acme", "Line 1\nLine 2"], ["Globex", "x"]])
    with open_source(path) as source:
        rows = list(source.rows())
    assert rows[0].cells == ("Acme", "Line 1\nLine 2")
    assert rows[1].number == 3


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_header_found_below_report_titles(tmp_path: Path, kind: str) -> None:
    rows = [["Customer Contact List"], ["Demo Company Inc."], ["All dates"], [],
            ["Display Name", "Email", "Phone"], ["Acme", "a@acme.com", "555"]]
    path = s.xlsx(tmp_path / "t.xlsx", rows) if kind == "xlsx" else s.csv_file(tmp_path / "t.csv", rows)
    with open_source(path) as source:
        assert source.info.header_row == 5
        assert source.info.headers == ("Display Name", "Email", "Phone")
        assert [(r.number, r.cells) for r in source.rows()] == [(6, ("Acme", "a@acme.com", "555"))]


def test_unknown_headings_found_by_width_below_a_title(tmp_path: Path) -> None:
    rows = [["Liste 2024"], ["Kunde", "Stadt", "Nummer"], ["A", "B", "C"]]
    assert inspect(s.csv_file(tmp_path / "u.csv", rows)).headers == ("Kunde", "Stadt", "Nummer")


def test_postal_codes_with_leading_zeros_stay_text(tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "zip.xlsx", [["Name", "ZIP"], ["Acme", "02134"], ["Globex", "01000"]])
    assert [r[1] for r in read_all(path)] == ["02134", "01000"]


def test_phone_stored_as_float_reads_as_its_digits(tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "phone.xlsx", [["Name", "Phone"], ["Acme", 33612345678.0]])
    (row,) = read_all(path)
    assert cell_text(row[1]) == "33612345678"


def test_formula_looking_text_kept_as_text(tmp_path: Path) -> None:
    rows = [["Name", "Notes"], ["Acme", '=HYPERLINK("http://evil.example","click")'], ["Globex", "@SUM(1+1)"],
            ["Initech", "+33 6 12 34 56 78"], ["Umbrella", "-12"]]
    path = s.xlsx(tmp_path / "f.xlsx", rows, text_cells=True)
    assert [r[1] for r in read_all(path)] == [r[1] for r in rows[1:]]


def test_real_formula_never_evaluated(tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "formula.xlsx", [["Name", "Total"], ["Acme", "=1+1"]])  # a formula, no cached value
    (row,) = read_all(path)
    assert row[1] in (None, "")


def test_dates_read_as_dates(tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "d.xlsx", [["Name", "As of"], ["Acme", date(2024, 1, 31)]])
    assert read_all(path) == [("Acme", date(2024, 1, 31))]


def test_chosen_sheet_read_and_every_sheet_listed(tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "multi.xlsx", [["Title only"]], sheet="Summary",
                  more_sheets={"Clients": [["Name"], ["Acme"]]})
    with open_source(path, sheet="Clients") as source:
        assert source.info.sheets == ("Summary", "Clients")
        assert [r.cells for r in source.rows()] == [("Acme",)]


def test_missing_sheet_refused_with_the_sheets_there_are(tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "one.xlsx", [["Name"], ["Acme"]], sheet="Clients")
    with pytest.raises(Refused) as caught:
        inspect(path, sheet="Customers")
    assert caught.value.code == "import_sheet_not_found"
    assert "Clients" in caught.value.message()


def test_empty_rows_skipped_and_numbers_kept(tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "gaps.xlsx", [["Name"], ["Acme"], [], [None], ["Globex"]])
    with open_source(path) as source:
        assert [(r.number, r.cells) for r in source.rows()] == [(2, ("Acme",)), (5, ("Globex",))]


def test_blank_header_named_after_its_column(tmp_path: Path) -> None:
    path = s.csv_file(tmp_path / "blank.csv", [["Name", "", "Email"], ["Acme", "x", "a@acme.com"]])
    assert inspect(path).headers == ("Name", "Column B", "Email")


def test_samples_shown_as_text(tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "s.xlsx", [["Name", "Phone", "Balance"], ["Acme", 33612345678.0, 12.5]])
    assert inspect(path).samples == (("Acme", "33612345678", "12.5"),)


def test_gen_customers_file_read_whole(tmp_path: Path) -> None:
    rows = [s.HEADERS_EN] + [[f"C{n}", "", "", "", f"c{n}@x.com", "", "Boston", "02134", "US", 10.5, ""]
                              for n in range(500)]
    path = s.xlsx(tmp_path / "gen.xlsx", rows)
    with open_source(path) as source:
        assert source.info.engine == "calamine"
        assert sum(1 for _ in source.rows()) == 500


def test_calamine_never_loaded_in_this_process(tmp_path: Path) -> None:
    import sys

    read_all(s.xlsx(tmp_path / "c.xlsx", s.customers_rows(3)))
    assert "python_calamine" not in sys.modules
