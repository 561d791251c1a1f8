"""The layers run one way, and the pure ones import neither the web framework nor the database.

DESIGN.md rule 1 and docs/ARCHITECTURE.md. Imports are read statically with `ast` (nothing is
executed), including imports inside functions; a fresh interpreter then proves that importing the
pure packages really leaves Flask and SQLAlchemy unloaded.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

EDC = Path(__file__).resolve().parents[2] / "edc"

FORBIDDEN = ("flask", "sqlalchemy", "alembic", "wtforms")
PURE = ("protocol", "rules", "formats")

# Each layer may import the layers before it, never one after it or a peer of the same rank.
LAYERS = {
    "protocol": 0,
    "rules": 1,
    "formats": 2,
    "permissions": 0,
    "models": 3,
    "audit": 4,
    "services": 5,
    "read": 5,
    "extensions": 6,
    "db": 6,
    "exports": 6,
    "maintenance": 7,
    "views": 7,
    "app": 8,
    "cli": 9,
}
# The view modules every blueprint may use; a blueprint package never imports another one.
VIEWS_SHARED = {"shared", "fields", "widgets", "filters", "crf_forms", "history_words"}


def is_forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return top in FORBIDDEN or top.startswith("flask_")


def module_file(package_dir: Path, dotted: str) -> Path | None:
    """The file of an edc.* module (edc/a/b.py or edc/a/b/__init__.py), or None."""
    parts = dotted.split(".")[1:]
    base = package_dir.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def dotted_name(package_dir: Path, path: Path) -> str:
    parts = list(path.relative_to(package_dir).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package_dir.name, *parts])


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node but those under `if TYPE_CHECKING:` (imports for type hints never run)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for child in node.body for inner in ast.walk(child))
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def imported_modules(path: Path, dotted: str) -> list[tuple[str, int]]:
    """Every module named by an import statement in the file, with its line number."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in _runtime_nodes(tree):
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
                # `from edc.rules import renal` imports the submodule edc.rules.renal.
                found += [(f"{module}.{alias.name}", node.lineno) for alias in node.names
                          if alias.name != "*"]
    return found


def edc_imports(package_dir: Path) -> dict[str, set[str]]:
    """Each edc module -> the edc modules it imports (that exist as files)."""
    package = package_dir.name
    graph: dict[str, set[str]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        dotted = dotted_name(package_dir, path)
        graph[dotted] = {
            module for module, _line in imported_modules(path, dotted)
            if module.split(".")[0] == package and module != package
            and module_file(package_dir, module) is not None
        }
    return graph


def forbidden_imports(package_dir: Path, start: str) -> list[str]:
    """Walk the imports of edc.<start> and of every edc.* module it reaches; list offenders."""
    package = package_dir.name
    first = module_file(package_dir, f"{package}.{start}")
    assert first is not None, f"{package}/{start} does not exist"
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
            elif module.split(".")[0] == package and module != package:
                target = module_file(package_dir, module)
                if target is not None and target not in seen:
                    stack.append((module, target, [*chain, module]))
    return sorted(set(offenders))


def wrong_way_imports(package_dir: Path) -> list[str]:
    """Imports from a layer to a later layer or a peer, and between blueprint packages."""
    wrong = []
    for module, targets in edc_imports(package_dir).items():
        parts = module.split(".")
        if len(parts) < 2:
            continue
        here = parts[1]
        for target in targets:
            there = target.split(".")[1]
            if there == here:
                if here == "views" and len(parts) > 2 and len(target.split(".")) > 2:
                    mine, theirs = parts[2], target.split(".")[2]
                    if mine != theirs and theirs not in VIEWS_SHARED and mine not in ("__init__",):
                        wrong.append(f"{module} -> {target} (one blueprint into another)")
                continue
            if LAYERS.get(there, 99) >= LAYERS.get(here, 99):
                wrong.append(f"{module} -> {target}")
    return sorted(wrong)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def pure_modules() -> list[str]:
    return sorted(
        dotted_name(EDC, path).removeprefix("edc.")
        for folder in PURE for path in (EDC / folder).rglob("*.py")
    )


@pytest.mark.parametrize("name", pure_modules())
def test_pure_module_imports_no_web_or_database_library(name):
    assert forbidden_imports(EDC, name) == []


def test_importing_the_pure_packages_loads_neither_flask_nor_sqlalchemy():
    modules = ", ".join(f"edc.{name}" for name in pure_modules())
    code = (f"import sys, {modules}\n"
            "print(sorted(m for m in ('flask', 'sqlalchemy', 'wtforms') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=EDC.parent)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_layers_import_only_the_layers_before_them():
    assert wrong_way_imports(EDC) == []


def test_no_module_imports_itself_through_others():
    assert cycles(edc_imports(EDC)) == []


def test_every_edc_folder_has_a_layer():
    folders = {p.name for p in EDC.iterdir() if (p / "__init__.py").is_file()}
    modules = {p.stem for p in EDC.glob("*.py")} - {"__init__"}
    assert folders | modules <= set(LAYERS) | {"templates", "static", "translations"}


def test_import_walker_finds_forbidden_imports_through_other_edc_modules(tmp_path):
    """The check itself must be able to fail: a fake edc package with hidden offenders."""
    fake = tmp_path / "edc"
    (fake / "sub").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
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


def test_layer_and_cycle_checks_can_fail(tmp_path):
    fake = tmp_path / "edc"
    for folder in ("rules", "services", "read", "views", "views/auth", "views/visits"):
        (fake / folder).mkdir(parents=True)
        (fake / folder / "__init__.py").write_text("")
    (fake / "__init__.py").write_text("")
    (fake / "rules" / "a.py").write_text("def f():\n    from edc.services.b import g\n")
    (fake / "services" / "b.py").write_text("from edc.read.c import h\n")
    (fake / "read" / "c.py").write_text("from edc.rules.a import f\n")
    (fake / "views" / "auth" / "routes.py").write_text("from edc.views.visits.routes import bp\n")
    (fake / "views" / "visits" / "routes.py").write_text("from edc.views.shared import x\n")
    (fake / "views" / "shared.py").write_text("")

    assert wrong_way_imports(fake) == [
        "edc.rules.a -> edc.services.b",
        "edc.services.b -> edc.read.c",
        "edc.views.auth.routes -> edc.views.visits.routes (one blueprint into another)",
    ]
    assert cycles(edc_imports(fake)) == [["edc.read.c", "edc.rules.a", "edc.services.b"]]


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
