"""Architecture: the business layer knows nothing of Slack, and every error it raises can be worded."""

from __future__ import annotations

import ast
import string
from dataclasses import dataclass
from pathlib import Path

import pytest

from handlers.messages import CATALOGS

ROOT = Path(__file__).resolve().parents[1]
CORE_DIRS = ("handlers", "db")
SLACK_PACKAGES = ("slack_bolt", "slack_sdk")


def _python_files(*dirs: str) -> list[Path]:
    return sorted(p for d in dirs for p in (ROOT / d).rglob("*.py") if "__pycache__" not in p.parts)


def _imported_modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__" and node.args:
            if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("path", _python_files(*CORE_DIRS), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_module_does_not_import_slack(path: Path) -> None:
    modules = _imported_modules(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    slack = sorted(m for m in modules if m.split(".")[0] in SLACK_PACKAGES)
    assert slack == [], f"{path.relative_to(ROOT)} imports {slack}"
    bot = sorted(m for m in modules if m.split(".")[0] == "bot")
    assert bot == [], f"{path.relative_to(ROOT)} imports the Slack layer: {bot}"


def test_the_slack_import_check_would_notice_one() -> None:
    tree = ast.parse("import slack_sdk.web\nfrom slack_bolt import App\n")
    assert _imported_modules(tree) == {"slack_sdk.web", "slack_bolt"}


# ------------------------------------------------------------------------------ error codes


@dataclass(frozen=True)
class Raised:
    """An error code written in the source, with the parameters given where it is raised."""

    where: str
    code: str
    params: frozenset[str] | None  # None: not known statically (``**params``)


def _keywords(call: ast.Call) -> frozenset[str] | None:
    if any(k.arg is None for k in call.keywords):
        return None
    return frozenset(k.arg for k in call.keywords if k.arg is not None)


def _dict_keys(node: ast.AST | None) -> frozenset[str] | None:
    if node is None:
        return frozenset()
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
        return frozenset(str(k.value) for k in node.keys if isinstance(k, ast.Constant))
    return None


def _literal_codes(node: ast.AST) -> list[str]:
    """The code literals of ``"code"`` or ``"a" if cond else "b"``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literal_codes(node.body) + _literal_codes(node.orelse)
    return []


def _raised_codes() -> list[Raised]:
    raised: list[Raised] = []
    for path in _python_files("handlers"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            func = node.func
            for code in _literal_codes(node.args[0]):
                if isinstance(func, ast.Attribute) and func.attr == "of":
                    raised.append(Raised(where, code, _keywords(node)))
                elif isinstance(func, ast.Name) and func.id == "Problem":
                    params = node.args[2] if len(node.args) > 2 else next(
                        (k.value for k in node.keywords if k.arg == "params"), None)
                    raised.append(Raised(where, code, _dict_keys(params)))
                elif isinstance(func, ast.Name) and func.id == "_FieldProblem":
                    # handlers.fields adds the field's name as the "field" parameter.
                    kw = _keywords(node)
                    raised.append(Raised(where, code, None if kw is None else kw | {"field"}))
    return raised


RAISED = _raised_codes()


def test_the_scan_finds_the_codes_raised_in_handlers() -> None:
    codes = {r.code for r in RAISED}
    assert {"name_taken", "stale_version", "too_deep", "merge_same", "too_long", "bad_email"} <= codes


@pytest.mark.parametrize("raised", RAISED, ids=lambda r: f"{r.code}@{r.where}")
def test_every_error_code_raised_in_handlers_is_in_the_english_catalog(raised: Raised) -> None:
    assert f"error.{raised.code}" in CATALOGS["en"], f"{raised.where}: error.{raised.code} has no message"


@pytest.mark.parametrize("raised", [r for r in RAISED if r.params is not None],
                         ids=lambda r: f"{r.code}@{r.where}")
def test_every_placeholder_of_an_error_message_is_given_where_it_is_raised(raised: Raised) -> None:
    template = CATALOGS["en"].get(f"error.{raised.code}", "")
    wanted = {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}
    assert raised.params is not None
    missing = wanted - raised.params
    assert not missing, f"{raised.where}: error.{raised.code} needs {sorted(missing)}"
