"""Hostile and broken files: a refusal the user can act on, quickly, and the bot process unharmed."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from handlers.errors import Refused
from handlers.importing.read import Limits, inspect, open_source
from tests import spreadsheets as s

QUICK = 1.5  # seconds: "well under a second" plus a child process start on a busy CI machine


def refusal(path: Path, limits: Limits | None = None) -> tuple[Refused, float]:
    started = time.monotonic()
    with pytest.raises(Refused) as caught, open_source(path, limits=limits or Limits()) as source:
        for _row in source.rows():
            pass
    return caught.value, time.monotonic() - started


@pytest.mark.parametrize(
    ("build", "code", "words"),
    [
        (s.encrypted_xlsx, "import_encrypted", "password"),
        (s.legacy_xls, "import_legacy_xls", ".xls"),
        (s.macro_xlsm, "import_macros", "macros"),
        (s.png_named_xlsx, "import_not_spreadsheet", "isn't a spreadsheet"),
        (s.zip_not_workbook, "import_not_spreadsheet", "isn't a spreadsheet"),
        (s.zip_bomb, "import_zip_bomb", "expands"),
        (s.declared_size_bomb, "import_zip_bomb", "expands"),
        (s.shared_strings_bomb, "import_zip_bomb", "expands"),
        (s.dtd_xlsx, "import_dtd", "DTD"),
    ],
    ids=["encrypted", "legacy_xls", "xlsm", "png", "docx_like_zip", "zip_bomb", "declared_3gb", "sst_bomb", "dtd"],
)
def test_hostile_file_refused_quickly_with_its_reason(
    tmp_path: Path, build: Callable[[Path], Path], code: str, words: str
) -> None:
    path = build(tmp_path / "customers.xlsx")
    error, seconds = refusal(path)
    assert error.code == code
    assert words in error.message()
    assert seconds < QUICK


def test_part_lying_about_its_size_is_refused(tmp_path: Path) -> None:
    error, seconds = refusal(s.lying_size(tmp_path / "lying.xlsx"))
    assert error.code in ("import_zip_bomb", "import_damaged")
    assert seconds < QUICK


def test_empty_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert refusal(path)[0].code == "import_empty"


def test_cell_at_xfd1048576_reads_only_the_used_cells(tmp_path: Path) -> None:
    started = time.monotonic()
    with open_source(s.far_corner(tmp_path / "corner.xlsx")) as source:
        rows = list(source.rows())
        assert source.info.headers == ("Display Name", "Email")
    assert [r.cells for r in rows] == [("Acme", "a@acme.com"), ("Globex", "g@globex.com")]
    assert time.monotonic() - started < 10


def test_dimension_claiming_a_whole_sheet_reads_the_real_rows(tmp_path: Path) -> None:
    with open_source(s.lying_dimension(tmp_path / "dimension.xlsx")) as source:
        assert [r.number for r in source.rows()] == [2, 3]


def test_million_styled_empty_rows_read_in_seconds(tmp_path: Path) -> None:
    path = s.styled_empty_rows(tmp_path / "styled.xlsx")
    started = time.monotonic()
    with open_source(path) as source:
        rows = list(source.rows())
    assert [r.cells[0] for r in rows] == ["Acme", "Globex"]
    assert time.monotonic() - started < 10


def test_csv_field_of_megabytes_refused(tmp_path: Path) -> None:
    error, seconds = refusal(s.huge_csv_field(tmp_path / "huge.csv"))
    assert error.code == "import_field_too_long"
    assert "Row 2" in error.message()
    assert seconds < QUICK


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_too_many_rows_refused_with_the_count_before_reading_them(tmp_path: Path, kind: str) -> None:
    rows = s.customers_rows(60)
    path = s.xlsx(tmp_path / "many.xlsx", rows) if kind == "xlsx" else s.csv_file(tmp_path / "many.csv", rows)
    with pytest.raises(Refused) as caught:
        inspect(path, limits=Limits(max_rows=50))
    assert caught.value.code == "import_too_many_rows"
    assert caught.value.params == {"rows": 60, "max": 50}
    assert "60 rows" in caught.value.message()


def test_rows_at_the_cap_are_all_read(tmp_path: Path) -> None:
    path = s.csv_file(tmp_path / "fifty.csv", s.customers_rows(50))
    with open_source(path, limits=Limits(max_rows=50)) as source:
        assert len(list(source.rows())) == 50


def test_file_above_the_size_cap_refused_without_reading(tmp_path: Path) -> None:
    path = s.csv_file(tmp_path / "big.csv", s.customers_rows(2000))
    error, _ = refusal(path, Limits(max_file_bytes=10_000))
    assert error.code == "import_file_too_big"


def test_slow_read_stopped_at_the_deadline(tmp_path: Path) -> None:
    path = s.csv_file(tmp_path / "slow.csv", s.customers_rows(10))
    error, seconds = refusal(path, Limits(timeout=0.001))
    assert error.code == "import_timeout"
    assert seconds < QUICK


def test_reader_killed_by_its_memory_limit_leaves_the_process_running(tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "ok.xlsx", s.customers_rows(3))
    error, _ = refusal(path, Limits(memory_bytes=8 * 1024**2))
    assert error.code in ("import_unreadable", "import_too_big")
    with open_source(path) as source:  # the same file reads fine with the normal limits
        assert len(list(source.rows())) == 3
