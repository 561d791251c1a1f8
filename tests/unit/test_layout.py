"""The tests' own layout: unit tests run without the app, and test modules share helpers only
through tests/support."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
UNIT_MODULES = sorted(f"tests.unit.{p.stem}" for p in (TESTS / "unit").glob("test_*.py"))


def test_the_unit_tests_and_their_conftests_load_neither_flask_nor_sqlalchemy() -> None:
    modules = ["tests.conftest", "tests.unit.conftest", *UNIT_MODULES]
    code = (f"import importlib, sys\nfor m in {modules!r}:\n    importlib.import_module(m)\n"
            "print(sorted(m for m in ('flask', 'sqlalchemy', 'wtforms') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=TESTS.parent).stdout.strip()
    assert loaded == "[]"


def imported_test_modules(path: Path) -> list[str]:
    """The test modules and conftests that `path` imports."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return [n for n in names if n.startswith("tests.")
            and (n.rsplit(".", 1)[-1].startswith("test_") or n.endswith("conftest"))]


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    offenders = {str(p.relative_to(TESTS)): imported_test_modules(p)
                 for p in TESTS.rglob("*.py") if imported_test_modules(p)}
    assert offenders == {}


def test_the_import_check_finds_an_import_of_a_test_module(tmp_path: Path) -> None:
    module = tmp_path / "test_x.py"
    module.write_text("from tests.app.test_results import page\nimport tests.conftest\n"
                      "from tests.support.pages import Page\n")
    assert imported_test_modules(module) == ["tests.app.test_results", "tests.conftest"]
