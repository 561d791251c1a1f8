"""The pure core imports neither the web framework nor the database layer (DESIGN.md, rule 1).

Imports are read statically with `ast` (nothing is executed), including imports inside functions,
and followed into every other edc.* module a pure module imports. The package's own __init__.py
(create_app) is not followed: it is the web shell, not part of a pure module.
"""

import ast
from pathlib import Path

import pytest

EDC = Path(__file__).resolve().parent.parent / "edc"

FORBIDDEN = ("flask", "sqlalchemy", "alembic", "wtforms")
ALWAYS_PURE = [
    "study", "schedule", "definition", "labs", "units", "checks", "renal", "charts", "trends",
    "worklist_rules",
]
PURE_WHEN_PRESENT = ["ics"]
PURE_MODULES = ALWAYS_PURE + [name for name in PURE_WHEN_PRESENT if (EDC / f"{name}.py").exists()]


def is_forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return top in FORBIDDEN or top.startswith("flask_")


def module_file(package_dir: Path, dotted: str) -> Path | None:
    """The file of an edc.* module (edc/a/b.py or edc/a/b/__init__.py), or None."""
    parts = dotted.split(".")[1:]
    if not parts:
        return None  # the package __init__ itself: not followed
    base = package_dir.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path, dotted: str) -> list[tuple[str, int]]:
    """Every module named by an import statement in the file, with its line number."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                here = dotted.split(".") if is_package else dotted.split(".")[:-1]
                base = here[: len(here) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, node.lineno))
            if module.split(".")[0] == dotted.split(".")[0]:
                # `from edc import units` imports the submodule edc.units.
                found += [(f"{module}.{alias.name}", node.lineno) for alias in node.names
                          if alias.name != "*"]
    return found


def forbidden_imports(package_dir: Path, start: str) -> list[str]:
    """Walk the imports of edc.<start> and of every edc.* module it reaches; list offenders."""
    package = package_dir.name
    first = module_file(package_dir, f"{package}.{start}")
    assert first is not None, f"{package}/{start}.py does not exist"
    offenders: list[str] = []
    seen: set[Path] = set()
    stack = [(f"{package}.{start}", first, [f"{package}.{start}"])]
    while stack:
        dotted, path, chain = stack.pop()
        if path in seen:
            continue
        seen.add(path)
        for module, line in imported_modules(path, dotted):
            if is_forbidden(module):
                where = " -> ".join(chain)
                offenders.append(f"{where} imports {module} ({path.name}:{line})")
            elif module.split(".")[0] == package:
                target = module_file(package_dir, module)
                if target is not None and target not in seen:
                    stack.append((module, target, [*chain, module]))
    return sorted(set(offenders))


@pytest.mark.parametrize("name", PURE_MODULES)
def test_pure_module_imports_no_web_or_database_library(name):
    assert forbidden_imports(EDC, name) == []


def test_study_and_schedule_are_always_checked():
    assert {"study", "schedule"} <= set(PURE_MODULES)


def test_import_walker_finds_forbidden_imports_through_other_edc_modules(tmp_path):
    """The check itself must be able to fail: a fake edc package with hidden offenders."""
    fake = tmp_path / "edc"
    (fake / "sub").mkdir(parents=True)
    (fake / "__init__.py").write_text("from flask import Flask\n")  # the web shell: ignored
    (fake / "a.py").write_text("import math\nfrom edc import b\nfrom . import c\n")
    (fake / "b.py").write_text("def later():\n    import flask_login\n")
    (fake / "c.py").write_text("from .sub.d import thing\n")
    (fake / "sub" / "__init__.py").write_text("")
    (fake / "sub" / "d.py").write_text("from ..e import x\nimport sqlalchemy.orm\n")
    (fake / "e.py").write_text("from wtforms import Form\nfrom edc.a import loop\n")
    (fake / "clean.py").write_text("import datetime\nfrom edc import clean\n")

    offenders = forbidden_imports(fake, "a")
    assert sorted(o.split(" imports ")[1].split(" ")[0] for o in offenders) == [
        "flask_login", "sqlalchemy.orm", "wtforms"
    ]
    assert any(o.startswith("edc.a -> edc.c -> edc.sub.d -> edc.e imports wtforms")
               for o in offenders), offenders
    assert forbidden_imports(fake, "clean") == []


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("flask", True),
        ("flask.views", True),
        ("flask_wtf", True),
        ("flask_babel", True),
        ("sqlalchemy.orm", True),
        ("alembic.op", True),
        ("wtforms", True),
        ("flasklike", False),
        ("holidays", False),
        ("dateutil.relativedelta", False),
        ("icalendar", False),
    ],
)
def test_forbidden_names_are_matched_on_the_top_level_package(module, forbidden):
    assert is_forbidden(module) is forbidden
