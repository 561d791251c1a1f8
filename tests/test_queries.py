"""Pages run a fixed number of queries whatever the number of participants or visits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from tests.conftest import enrolment_form, infusion_form, results_form, visit_id


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


def test_participant_page_runs_the_same_queries_with_and_without_results(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    [quiet, busy] = add_children(app, nurse, 1, 2)
    for code in ("W02", "W04", "W06"):
        visit = visit_id(app, busy, code)
        response = nurse.post(f"/visits/{visit}", data=results_form(nurse, visit,
                                                                    sample_date="2026-04-27"))
        assert response.status_code == 302, response.text
    assert queries_for(app, nurse, f"/participants/{quiet}") == queries_for(
        app, nurse, f"/participants/{busy}")
    assert queries_for(app, nurse, f"/participants/{busy}") <= 5


def test_visit_page_runs_the_same_queries_before_and_after_results(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    [child] = add_children(app, nurse, 1, 1)
    visit = visit_id(app, child, "W06")
    before = queries_for(app, nurse, f"/visits/{visit}")
    nurse.post(f"/visits/{visit}", data=results_form(nurse, visit))
    assert queries_for(app, nurse, f"/visits/{visit}") == before


def test_visit_page_runs_the_same_queries_with_more_visits_and_results(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    [child] = add_children(app, nurse, 1, 1)
    w06 = visit_id(app, child, "W06")
    nurse.post(f"/visits/{w06}", data=results_form(nurse, w06))
    few = queries_for(app, nurse, f"/visits/{w06}")
    for day in ("2026-04-20", "2026-04-21", "2026-04-22"):
        response = nurse.post(f"/participants/{child}/visits",
                              data={"kind": "unscheduled", "date": day, "reason": "Fever"})
        extra = int(response.location.rsplit("/", 1)[1])
        nurse.post(f"/visits/{extra}", data=results_form(nurse, extra, sample_date=day))
    assert queries_for(app, nurse, f"/visits/{w06}") == few
