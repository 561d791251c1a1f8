"""Pages and the reads behind them run a fixed number of queries whatever the number of
participants or visits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from edc import db
from edc.read import calendars, history, participant_list, participants
from edc.read.participant_list import ListQuery
from tests.support.apps import TODAY
from tests.support.factories import add_children
from tests.support.forms import results_form, submit
from tests.support.queries import counted, queries_for
from tests.support.records import visit_id


def test_participant_list_runs_the_same_queries_for_2_and_8_children(
    app: Flask, nurse: FlaskClient, allocation: None, as_role
) -> None:
    add_children(app, 1, 2)
    few = queries_for(app, nurse, "/participants/")
    add_children(app, 3, 8)
    many = queries_for(app, nurse, "/participants/")
    assert few == many
    unblinded = as_role("unblinded")
    assert queries_for(app, unblinded, "/participants/") == many + 1  # the arm column


def test_participant_page_runs_the_same_queries_with_and_without_results(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    [quiet, busy] = add_children(app, 1, 2)
    for code in ("W02", "W04", "W06"):
        visit = visit_id(app, busy, code)
        response = nurse.post(f"/visits/{visit}", data=results_form(nurse, visit,
                                                                    sample_date="2026-04-27"))
        assert response.status_code == 302, response.text
    assert queries_for(app, nurse, f"/participants/{quiet}") == queries_for(
        app, nurse, f"/participants/{busy}")
    # The child with infusions, visits and results (4), its log entries, the user, the
    # serious events waiting for an investigator and the database lock (the banners of every
    # page), the verification marks, the signatures, the queries waiting (the header's count)
    # and the child's queries (the marks on its values).
    assert queries_for(app, nurse, f"/participants/{busy}") <= 12


def test_visit_page_runs_the_same_queries_before_and_after_results(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    [child] = add_children(app, 1, 1)
    visit = visit_id(app, child, "W06")
    before = queries_for(app, nurse, f"/visits/{visit}")
    nurse.post(f"/visits/{visit}", data=results_form(nurse, visit))
    assert queries_for(app, nurse, f"/visits/{visit}") == before


def test_visit_page_runs_the_same_queries_with_more_visits_and_results(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    [child] = add_children(app, 1, 1)
    w06 = visit_id(app, child, "W06")
    nurse.post(f"/visits/{w06}", data=results_form(nurse, w06))
    few = queries_for(app, nurse, f"/visits/{w06}")
    for day in ("2026-04-20", "2026-04-21", "2026-04-22"):
        response = submit(nurse, f"/participants/{child}/visits",
                          {"kind": "unscheduled", "date": day, "reason": "Fever"})
        extra = int(response.location.rsplit("/", 1)[1])
        nurse.post(f"/visits/{extra}", data=results_form(nurse, extra, sample_date=day))
    assert queries_for(app, nurse, f"/visits/{w06}") == few


def queries_of(app: Flask, read: Callable[[Session], Any]) -> int:
    """How many statements the read runs, including any lazy load of what it returns that
    `read` itself touches."""
    with app.app_context():
        session = db.session()
        with counted(app) as statements:
            read(session)
        return len(statements)


def _list(app: Flask, role: str) -> Callable[[Session], Any]:
    def read(session: Session) -> Any:
        return participant_list.participant_list(session, role, TODAY,
                                                 app.extensions["edc_calendar"], ListQuery())
    return read


def test_the_list_read_runs_four_queries_and_one_more_for_the_arms(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    add_children(app, 1, 2)
    assert queries_of(app, _list(app, "nurse")) == 4
    add_children(app, 3, 8)
    assert queries_of(app, _list(app, "nurse")) == 4
    assert queries_of(app, _list(app, "monitor")) == 4
    assert queries_of(app, _list(app, "unblinded")) == 5


def _child(pid: int) -> Callable[[Session], Any]:
    def read(session: Session) -> Any:
        child = participants.load_participant(session, pid)
        assert child is not None
        return [v.results for v in child.visits], child.infusion(1), child.infusion(2)
    return read


def test_a_child_loads_in_four_queries_whatever_it_holds(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    [quiet, busy] = add_children(app, 1, 2)
    for code in ("W02", "W04", "W06"):
        visit = visit_id(app, busy, code)
        nurse.post(f"/visits/{visit}", data=results_form(nurse, visit, sample_date="2026-04-27"))
    assert queries_of(app, _child(quiet)) == queries_of(app, _child(busy)) == 4


def test_a_childs_page_reads_the_arm_only_for_the_unblinded_role(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    [child] = add_children(app, 1, 1)

    def page(role: str) -> Callable[[Session], Any]:
        def read(session: Session) -> Any:
            loaded = participants.load_participant(session, child)
            with counted(app) as statements:
                participants.child_page(session, role, loaded, app.extensions["edc_results_form"],
                                        app.extensions["edc_study"].outcomes)
            return statements
        return read

    with app.app_context():
        # One for the results (as rows), one for the log entries; the arm's only for the
        # unblinded role.
        assert len(page("nurse")(db.session())) == 2
        assert len(page("unblinded")(db.session())) == 3


def test_the_trail_and_the_changes_since_a_watermark_are_one_query_each(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    [child] = add_children(app, 1, 1)
    w06 = visit_id(app, child, "W06")
    nurse.post(f"/visits/{w06}", data=results_form(nurse, w06))
    assert queries_of(app, lambda s: history.participant_trail(s, "nurse", child)) == 1
    assert queries_of(app, lambda s: history.participant_trail(s, "unblinded", child)) == 1
    assert queries_of(app, lambda s: history.visit_trail(s, child, w06)) == 1
    assert queries_of(app, lambda s: history.changes_since(s, child, w06, 0)) == 1
    assert queries_of(app, history.watermark) == 1


def test_the_clinic_feed_reads_one_query_for_one_child_or_eight(
    app: Flask, nurse: FlaskClient, allocation: None
) -> None:
    schedule = app.extensions["edc_study"].schedule
    window = calendars.clinic_window(TODAY, 30, 180)
    add_children(app, 1, 1)
    one = queries_of(app, lambda s: calendars.clinic_visits(s, schedule, window))
    add_children(app, 2, 8)
    assert queries_of(app, lambda s: calendars.clinic_visits(s, schedule, window)) == one == 1
