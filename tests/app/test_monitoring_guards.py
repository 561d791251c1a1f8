"""What a careful attacker tried against monitoring, kept refused: a form posted without its
version, an investigator closing the query they answered, reviews while the database is
locked, a query on the early termination, an id the database cannot store, an allocation list
with cells beyond its header. Each is a clear refusal, never a 500 and never a silent save."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from edc import db
from edc.audit import audited
from edc.models import DataQuery, LogEntry, Signature, StudyLock, Verification, Visit
from tests.support import factories
from tests.support.pages import page
from tests.support.records import visit_id

NOW = datetime(2026, 4, 27, 2, 0, tzinfo=UTC)
LOCKED = ("The database is locked for analysis: nothing can be changed until an administrator "
          "unlocks it. Nothing was saved.")


@pytest.fixture
def child(app: Flask, allocation: None) -> int:
    return factories.child(app, "with results")


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return len(db.session().scalars(select(model.id)).all())


def raise_on_w02(monitor, app: Flask, child: int, text: str = "Sample date?") -> int:
    visit = visit_id(app, child, "W02")
    response = monitor.post("/queries/new", data={"entity": "visit", "entity_id": str(visit),
                                                  "field": "actual_date", "text": text})
    assert response.status_code == 302, page(response).errors
    with app.app_context():
        return db.session().scalars(select(DataQuery.id).order_by(DataQuery.id.desc())).first()


def version_of(app: Flask, qid: int) -> str:
    with app.app_context():
        return str(db.session().get(DataQuery, qid).version)


def test_forms_without_their_version_save_nothing(app: Flask, child: int, as_role) -> None:
    monitor, investigator = as_role("monitor"), as_role("investigator")
    qid = raise_on_w02(monitor, app, child)
    answered = investigator.post(f"/queries/{qid}/answer", data={"answer": "Checked."})
    assert answered.status_code in (409, 422)
    with app.app_context():
        assert db.session().get(DataQuery, qid).status == "open"
    visit = visit_id(app, child, "W02")
    marked = monitor.post(f"/participants/{child}/verify",
                          data={"entity": "visit", "entity_id": visit, "version": ""})
    assert marked.status_code in (302, 409, 422) and count(app, Verification) == 0
    signed = investigator.post(f"/participants/{child}/sign", data={
        "printed_name": "Dr Li Ming", "confirmed": "y", "password": "x" * 12})
    assert signed.status_code in (409, 422) and count(app, Signature) == 0


def test_who_answered_a_query_does_not_close_it(app: Flask, child: int, as_role) -> None:
    investigator = as_role("investigator")
    qid = raise_on_w02(as_role("monitor"), app, child)
    assert investigator.post(f"/queries/{qid}/answer", data={
        "answer": "Checked against the lab book.",
        "version": version_of(app, qid)}).status_code == 302
    refused = investigator.post(f"/queries/{qid}/close", data={"version": version_of(app, qid)})
    assert "You answered this query: someone who did not answer it closes it." in page(
        refused).text
    closed = as_role("monitor").post(f"/queries/{qid}/close",
                                     data={"version": version_of(app, qid)})
    assert closed.status_code == 302
    with app.app_context():
        assert db.session().get(DataQuery, qid).closed_by == "monitor"


def test_a_locked_database_holds_its_reviews_still(app: Flask, child: int, as_role) -> None:
    monitor = as_role("monitor")
    qid = raise_on_w02(monitor, app, child)
    with app.app_context():
        session = db.session()
        with audited(session, "admin"):
            session.add(StudyLock(locked_by="admin", locked_at=NOW, reason="Interim analysis"))
            session.commit()
    queries = count(app, DataQuery)
    visit = visit_id(app, child, "W04")
    response = monitor.post("/queries/new", data={"entity": "visit", "entity_id": str(visit),
                                                  "field": "actual_date", "text": "Why late?"})
    assert LOCKED in page(response).text and count(app, DataQuery) == queries
    answered = as_role("nurse").post(f"/queries/{qid}/answer", data={
        "answer": "Checked.", "version": version_of(app, qid)})
    assert LOCKED in page(answered).text
    with app.app_context():
        assert db.session().get(DataQuery, qid).status == "open"
        stored = db.session().get(Visit, visit).version
    marked = monitor.post(f"/participants/{child}/verify", data={
        "entity": "visit", "entity_id": visit, "version": str(stored)}, follow_redirects=True)
    assert LOCKED in page(marked).text and count(app, Verification) == 0


def test_a_query_on_the_early_termination_is_raised_like_any_other(
        app: Flask, child: int, as_role) -> None:
    factories.withdraw(app, child)
    with app.app_context():
        entry = db.session().scalars(select(LogEntry.id).where(
            LogEntry.form == "termination")).one()
    monitor = as_role("monitor")
    assert monitor.get(f"/queries/new?entity=log_entry&entity_id={entry}").status_code == 200
    response = monitor.post("/queries/new", data={"entity": "log_entry", "entity_id": str(entry),
                                                  "field": "reason", "text": "Which reason?"})
    assert response.status_code == 302


def test_an_id_the_database_cannot_hold_is_refused_at_the_form(
        app: Flask, child: int, as_role) -> None:
    response = as_role("monitor").post(f"/participants/{child}/verify", data={
        "entity": "visit", "entity_id": "9" * 25, "version": "1"})
    assert response.status_code < 500 and count(app, Verification) == 0


@pytest.mark.parametrize(("text", "message"), [
    ("sequence,arm\n44,MSC,extra\n", "Line 2: more cells than the header sequence,arm."),
    ("sequence,arm\n" + "9" * 30 + ",MSC\n", "Expected a whole number ≥ 1."),
])
def test_an_allocation_list_the_database_cannot_hold_is_refused(
        app: Flask, as_role, text: str, message: str) -> None:
    response = as_role("unblinded").post("/admin/allocation", data={
        "list_file": (io.BytesIO(text.encode()), "list.csv")},
        content_type="multipart/form-data")
    assert response.status_code < 500 and message in page(response).text
