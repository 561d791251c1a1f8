"""Counting the SQL statements a page runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    """Collect the statements run on the app's engine inside the block."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = app.extensions["edc_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def queries_for(app: Flask, client: FlaskClient, url: str) -> int:
    """How many statements a GET of `url` runs; the page must answer 200."""
    with counted(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)
