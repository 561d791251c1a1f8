"""How fast the scheduler and the busiest pages are, with a full trial's worth of children."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edc.protocol.study import load_study
from edc.rules.schedule import clinic_calendar, plan_visits
from tests.support.apps import allocation_csv
from tests.support.forms import enrolment_form, infusion_form

CHILDREN = 40


@pytest.fixture
def bare_route(app: Flask) -> str:
    """A logged-in route that renders nothing: the pages read as multiples of it."""

    @app.route("/bench-bare")
    def bare() -> str:
        return "ok"

    return "/bench-bare"


@pytest.fixture
def full_trial(app: Flask, bare_route: str, nurse: FlaskClient) -> FlaskClient:
    from edc import services
    from edc.app import context_for

    with app.app_context():
        services.load_allocation(context_for(services.Operator("bench")),
                                 allocation_csv(CHILDREN // 2))
    for n in range(1, CHILDREN + 1):
        response = nurse.post("/participants/enrol", data=enrolment_form(app, code=f"AS-{n:03d}"))
        pid = response.location.rsplit("/", 1)[1]
        for number, day in ((1, "2026-03-02"), (2, "2026-03-16")):
            nurse.post(f"/participants/{pid}/infusions/{number}", data=infusion_form(date=day))
    return nurse


def test_plan_eleven_visits(benchmark) -> None:
    study = load_study("forms")
    calendar = clinic_calendar(study.site)
    visits = benchmark(plan_visits, date(2026, 1, 31), study.schedule, calendar)
    assert len(visits) == 11


def test_participant_list_with_a_full_trial(benchmark, full_trial: FlaskClient) -> None:
    response = benchmark(full_trial.get, "/participants/")
    assert response.text.count("/participants/") >= CHILDREN


def test_participant_page_with_eleven_visits(benchmark, full_trial: FlaskClient) -> None:
    response = benchmark(full_trial.get, "/participants/20")
    assert response.text.count("data-visit=") == 11


def test_bare_route_for_comparison(benchmark, bare_route: str, full_trial: FlaskClient) -> None:
    response = benchmark(full_trial.get, bare_route)
    assert response.text == "ok"


def test_worklist_with_a_full_trial(benchmark, full_trial: FlaskClient) -> None:
    response = benchmark(full_trial.get, "/")
    assert "<h1>Worklist</h1>" in response.text


def test_deviations_with_a_full_trial(benchmark, full_trial: FlaskClient) -> None:
    response = benchmark(full_trial.get, "/deviations")
    assert response.status_code == 200
