"""Pages run a fixed number of queries whatever the number of participants or visits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.conftest import enrolment_form, infusion_form


@contextmanager
def counted(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = app.extensions["edc_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def add_children(app: Flask, nurse: FlaskClient, first: int, last: int) -> list[int]:
    ids = []
    for n in range(first, last + 1):
        response = nurse.post("/participants/enrol", data=enrolment_form(app, code=f"AS-{n:03d}"))
        assert response.status_code == 302, response.text
        pid = int(response.location.rsplit("/", 1)[1])
        for number, day in ((1, "2026-03-02"), (2, "2026-03-16")):
            nurse.post(f"/participants/{pid}/infusions/{number}", data=infusion_form(date=day))
        ids.append(pid)
    return ids


def queries_for(app: Flask, client: FlaskClient, url: str) -> int:
    with counted(app) as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_participant_list_runs_the_same_queries_for_2_and_8_children(
    app: Flask, nurse: FlaskClient, allocation: None, as_role
) -> None:
    add_children(app, nurse, 1, 2)
    few = queries_for(app, nurse, "/participants/")
    add_children(app, nurse, 3, 8)
    many = queries_for(app, nurse, "/participants/")
    assert few == many
    unblinded = as_role("unblinded")
    assert queries_for(app, unblinded, "/participants/") == many + 1  # the arm column


def test_participant_page_runs_the_same_queries_with_0_and_11_visits(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    bare = nurse.post("/participants/enrol", data=enrolment_form(app, code="AS-001"))
    bare_id = int(bare.location.rsplit("/", 1)[1])
    [scheduled_id] = add_children(app, nurse, 2, 2)
    assert queries_for(app, nurse, f"/participants/{bare_id}") == queries_for(
        app, nurse, f"/participants/{scheduled_id}")
    assert queries_for(app, nurse, f"/participants/{scheduled_id}") <= 4
