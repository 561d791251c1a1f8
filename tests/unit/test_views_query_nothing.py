"""Views query nothing themselves: every SELECT a page needs is a function of edc/read.

A view validates its form, calls one service or read, and renders or redirects. Read
statically with `ast`: no view module imports SQLAlchemy, calls `select(...)`, or asks the
session for rows (`session.get/scalar/scalars/execute/query` on `db.session()`).
"""

from __future__ import annotations

import ast
from pathlib import Path

VIEWS = Path(__file__).resolve().parents[2] / "edc" / "views"
ASKS_FOR_ROWS = {"get", "scalar", "scalars", "execute", "query"}


def _session_call(node: ast.AST) -> bool:
    """`db.session()`: the request's database session (Flask's cookie `session` is not one)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "session")


def _session_names(tree: ast.AST) -> set[str]:
    """The local names a database session is kept in (`session = db.session()`)."""
    return {target.id for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and _session_call(node.value)
            for target in node.targets if isinstance(target, ast.Name)}


def queries_in(source: str) -> list[str]:
    """Each import of SQLAlchemy, `select(` call and query through a session, with its line."""
    found = []
    tree = ast.parse(source)
    sessions = _session_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {alias.name}" for alias in node.names
                      if alias.name.split(".")[0] == "sqlalchemy"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            found.append(f"{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "select":
                found.append(f"{node.lineno}: select(...)")
            elif isinstance(func, ast.Attribute) and name in ASKS_FOR_ROWS and (
                    _session_call(func.value)
                    or isinstance(func.value, ast.Name) and func.value.id in sessions):
                found.append(f"{node.lineno}: session.{name}(...)")
    return sorted(found, key=lambda text: int(text.split(":")[0]))


def test_no_view_queries_the_database_itself() -> None:
    offenders = {
        str(path.relative_to(VIEWS.parent.parent)): found
        for path in sorted(VIEWS.rglob("*.py"))
        if (found := queries_in(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "Move these queries into a function of edc/read."


def test_the_check_finds_each_kind_of_query() -> None:
    source = "\n".join([
        "from sqlalchemy import func",
        "import sqlalchemy.orm",
        "rows = db.session().scalars(select(Visit)).all()",
        "user = db.session().get(User, 1)",
        "session = db.session(); session.execute(text)",
        "db.session().expire(visit)",  # not a query
        "request.args.get('week'); flask.session.get('last_seen')",  # not the database
        "reads.participant_list(db.session(), role)",  # a read, given the session
    ])
    assert queries_in(source) == [
        "1: from sqlalchemy import ...",
        "2: import sqlalchemy.orm",
        "3: session.scalars(...)",
        "3: select(...)",
        "4: session.get(...)",
        "5: session.execute(...)",
    ]
