"""``clientdesk import FILE``: the plan summary, the result, and refusals with status 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.cli import main
from db.models import Customer
from db.session import make_engine, session_factory
from tests import spreadsheets as s

TEAM = "T0001"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI opens its own database (DATABASE_URL) and migrates it, as in production."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def customers_in(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with session_factory(engine)(read_only=True) as session:
            return sorted(c.display_name for c in session.exec(select(Customer)))
    finally:
        engine.dispose()


def test_dry_run_prints_the_plan_and_writes_nothing(database: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = s.xlsx(tmp_path / "list.xlsx", [["Name", "Email"], ["Acme", "a@acme.com"], ["ACME", ""],
                                           ["Globex", "bad"]])
    assert main(["--team", TEAM, "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Plan: 1 new, 0 to update, 0 unchanged, 1 duplicate(s) in the file, 1 with problems." in out
    assert "row 3: Same customer as row 2" in out
    assert "row 4: Email:" in out
    assert "Dry run: nothing was written." in out
    assert customers_in(database) == []


def test_import_prints_the_result(database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = s.csv_file(tmp_path / "list.csv", [["Nom", "Courriel"], ["Côté", "c@x.ca"], ["Roy", ""]], delimiter=";")
    assert main(["--team", TEAM, "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Imported: 2 created, 0 updated, 0 unchanged, 0 skipped, 0 rejected." in out
    assert customers_in(database) == ["Côté", "Roy"]


def test_second_import_of_the_same_file_creates_nothing(database: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = s.xlsx(tmp_path / "list.xlsx", s.customers_rows(3))
    main(["--team", TEAM, "import", str(path)])
    capsys.readouterr()
    assert main(["--team", TEAM, "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Imported: 0 created, 0 updated, 3 unchanged" in out
    assert "as confirmed before" in out  # the mapping was remembered by the first import


def test_update_by_email_shows_the_changes(database: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    main(["--team", TEAM, "import", str(s.xlsx(tmp_path / "a.xlsx", [["Name", "Email"], ["Acme", "a@acme.com"]]))])
    capsys.readouterr()
    renamed = s.xlsx(tmp_path / "b.xlsx", [["Name", "Email"], ["Acme Corp", "a@acme.com"]])
    assert main(["--team", TEAM, "import", str(renamed), "--update-by", "email"]) == 0
    out = capsys.readouterr().out
    assert "row 2: Acme Corp: display_name Acme → Acme Corp" in out
    assert customers_in(database) == ["Acme Corp"]


def test_rows_option_imports_only_those_rows(database: str, tmp_path: Path) -> None:
    path = s.xlsx(tmp_path / "list.xlsx", s.customers_rows(5))
    assert main(["--team", TEAM, "import", str(path), "--rows", "2,4-5"]) == 0
    assert customers_in(database) == ["Customer 1", "Customer 3", "Customer 4"]


def test_refused_file_exits_1_with_the_message(database: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = s.legacy_xls(tmp_path / "old.xls")
    assert main(["--team", TEAM, "import", str(path)]) == 1
    assert "old Excel file (.xls)" in capsys.readouterr().err


def test_refused_selection_exits_1_and_imports_nothing(database: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = s.xlsx(tmp_path / "list.xlsx", [["Name", "Email"], ["Acme", "bad"]])
    assert main(["--team", TEAM, "import", str(path), "--rows", "2"]) == 1
    assert "can't be imported as they are" in capsys.readouterr().err
    engine = make_engine(database)
    with session_factory(engine)() as session:
        assert session.exec(select(func.count()).select_from(Customer)).one() == 0
    engine.dispose()
