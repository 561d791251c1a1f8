"""A child's record frozen by the monitor and the whole database locked by the administrator,
as a trial uses them: a freeze and a lock each with who, when and why; every change of a
child's data refused while they hold, with the message at the top of the form and what was
typed still in its boxes; unfrozen and unlocked with a reason, and the data correctable again."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db
from edc.models import StudyLock
from tests.support import factories
from tests.support.audit import audit_rows
from tests.support.forms import book, enrolment_form, results_form
from tests.support.pages import page
from tests.support.queries import counted
from tests.support.records import participant, participants, stored_results, visit_id

FROZEN = ("AS-001 is frozen: nothing can be changed until it is unfrozen, with a reason. "
          "Nothing was saved.")
LOCKED = ("The database is locked for analysis: nothing can be changed until an administrator "
          "unlocks it. Nothing was saved.")
FEVER = {"term": "Fever", "onset_date": "2026-03-02", "end_date": "2026-03-03",
         "ongoing": "no", "grade": "2", "serious": "no", "relation": "PROBABLE",
         "infusion": "1", "action": ["MEDICATION"], "outcome": "RECOVERED"}


@pytest.fixture
def pid(app: Flask, allocation: None) -> int:
    return factories.child(app, "with results")


def freeze(client: FlaskClient, pid: int, reason: str, version: Any = None,
           undo: bool = False) -> Any:
    version = participant(client.application, pid).version if version is None else version
    return client.post(f"/participants/{pid}/{'unfreeze' if undo else 'freeze'}",
                       data={"reason": reason, "version": str(version)})


def correct_creatinine(nurse: FlaskClient, app: Flask, pid: int) -> Any:
    visit = visit_id(app, pid, "W02")
    day = factories.targets(app, pid)["W02"].isoformat()
    return nurse.post(f"/visits/{visit}", data=results_form(
        nurse, visit, sample_date=day, creatinine=("45", "umol/L"), reason="Transcription error"))


def creatinine(app: Flask, pid: int) -> str:
    return stored_results(app, visit_id(app, pid, "W02"))["creatinine"].typed_value


def test_the_monitor_freezes_a_child_and_a_correction_is_refused_with_the_typing_kept(
        app: Flask, as_role, nurse: FlaskClient, pid: int) -> None:
    monitor = as_role("monitor")
    response = freeze(monitor, pid, "Source data verified; ready for the interim analysis")
    assert response.status_code == 302, page(response).errors
    assert response.location == f"/participants/{pid}"
    child = participant(app, pid)
    assert (child.frozen_by, child.frozen_reason) == (
        "monitor", "Source data verified; ready for the interim analysis")
    shown = page(nurse.get(f"/participants/{pid}"))
    assert "Frozen by monitor at" in shown.text
    assert "ready for the interim analysis" in shown.text
    assert "Unfreeze" not in shown.text  # a nurse may not unfreeze
    [row] = audit_rows(app, entity="participant", field="frozen_by")
    assert (row.username, row.new, row.reason) == (
        "monitor", "monitor", "Source data verified; ready for the interim analysis")

    refused = correct_creatinine(nurse, app, pid)
    assert refused.status_code == 422
    shown = page(refused)
    assert ("error", FROZEN) in shown.flashes
    assert shown.value("creatinine-value") == "45"
    assert shown.value("reason") == "Transcription error"
    assert creatinine(app, pid) == "40"

    assert "Unfreeze" in page(monitor.get(f"/participants/{pid}")).text
    response = freeze(monitor, pid, "Query on W02 creatinine to be corrected", undo=True)
    assert response.status_code == 302
    assert participant(app, pid).frozen_at is None
    assert [(r.old, r.reason) for r in audit_rows(app, entity="participant",
                                                  field="frozen_reason")][-1] == (
        "Source data verified; ready for the interim analysis",
        "Query on W02 creatinine to be corrected")
    assert correct_creatinine(nurse, app, pid).status_code == 302
    assert creatinine(app, pid) == "45"


def test_a_freeze_needs_a_reason_and_the_page_it_was_asked_from(
        app: Flask, as_role, pid: int) -> None:
    monitor = as_role("monitor")
    blank = freeze(monitor, pid, "　 ")
    assert blank.status_code == 422
    assert page(blank).errors["reason"] == ["Say why."]
    stale = freeze(monitor, pid, "Ready", version=participant(app, pid).version - 1)
    assert stale.status_code == 409
    assert "was changed by someone else" in " ".join(m for _, m in page(stale).flashes)
    assert participant(app, pid).frozen_at is None
    for role in ("nurse", "investigator", "unblinded"):
        assert freeze(as_role(role), pid, "Ready").status_code == 403
    assert freeze(as_role("admin"), pid, "Ready").status_code == 302
    again = freeze(monitor, pid, "Twice")
    assert ("error", "AS-001 is already frozen.") in page(again).flashes


def lock(client: FlaskClient, reason: str) -> Any:
    return client.post("/admin/lock", data={"reason": reason})


def test_a_locked_database_refuses_every_write_and_keeps_what_was_typed(
        app: Flask, as_role, nurse: FlaskClient, pid: int) -> None:
    admin = as_role("admin")
    assert "Lock the database" in page(admin.get("/admin/lock")).text
    assert lock(admin, "").status_code == 422
    response = lock(admin, "Interim analysis, data cut-off 2026-04-27")
    assert response.status_code == 302
    shown = page(admin.get("/admin/lock"))
    assert "Locked by admin" in shown.text
    assert "Interim analysis, data cut-off 2026-04-27" in shown.text
    [row] = audit_rows(app, entity="study_lock", field="reason")
    assert (row.username, row.reason) == ("admin", "Interim analysis, data cut-off 2026-04-27")

    # Every staff page says so.
    worklist = page(nurse.get("/"))
    assert "The database is locked for analysis: no data can be changed." in worklist.text
    assert "Interim analysis, data cut-off 2026-04-27" in worklist.text

    # Enrolment: refused at the top, every box as typed.
    enrol = nurse.post("/participants/enrol", data=enrolment_form(app, code="AS-002",
                                                                  weight_kg="26.5"))
    assert enrol.status_code == 422
    shown = page(enrol)
    assert ("error", LOCKED) in shown.flashes
    assert (shown.value("code"), shown.value("weight_kg")) == ("AS-002", "26.5")
    assert [p.code for p in participants(app)] == ["AS-001"]

    # Results.
    results = correct_creatinine(nurse, app, pid)
    assert results.status_code == 422
    shown = page(results)
    assert ("error", LOCKED) in shown.flashes
    assert shown.value("creatinine-value") == "45"
    assert creatinine(app, pid) == "40"

    # An adverse event.
    event = nurse.post(f"/participants/{pid}/log/adverse_events/new", data=FEVER)
    assert event.status_code == 422
    shown = page(event)
    assert ("error", LOCKED) in shown.flashes
    assert (shown.value("term"), shown.value("onset_date")) == ("Fever", "2026-03-02")

    # An appointment is not the casebook's data: the clinic keeps booking while it is locked.
    booked = book(nurse, app, pid, "W06", date=factories.targets(app, pid)["W06"].isoformat(),
                  reason="The family asked for this day")
    assert booked.status_code == 302, page(booked).flashes

    # Unlocked with a reason: the data can be entered again and the banner is gone.
    assert admin.post("/admin/unlock", data={"reason": ""}).status_code == 422
    version = _lock(app).version
    response = admin.post("/admin/unlock", data={"reason": "Interim analysis done",
                                                 "version": str(version)})
    assert response.status_code == 302
    assert _lock(app).unlock_reason == "Interim analysis done"
    assert "The database is locked" not in page(nurse.get("/")).text
    assert correct_creatinine(nurse, app, pid).status_code == 302


def _lock(app: Flask) -> StudyLock:
    with app.app_context():
        found = db.session().scalars(select(StudyLock).order_by(StudyLock.id.desc())).first()
        db.session().expunge(found)
        return found


def test_the_lock_page_is_the_administrators_alone(as_role) -> None:
    for role in ("nurse", "investigator", "monitor", "unblinded"):
        client = as_role(role)
        assert client.get("/admin/lock").status_code == 403
        assert lock(client, "Final analysis").status_code == 403
        assert client.post("/admin/unlock", data={"reason": "x"}).status_code == 403


def test_the_lock_commands_lock_and_unlock_with_a_reason(runner, database_url) -> None:
    assert runner("init").exit_code == 0
    locked = runner("lock", "--reason", "Final analysis")
    assert locked.exit_code == 0, locked.output
    assert locked.stdout == "The database is locked.\n"
    twice = runner("lock", "--reason", "Again")
    assert (twice.exit_code, twice.stderr) == (2, "Error: The database is already locked.\n")
    assert runner("unlock", "--reason", "").exit_code == 2
    unlocked = runner("unlock", "--reason", "Analysis done")
    assert (unlocked.exit_code, unlocked.stdout) == (0, "The database is unlocked.\n")
    assert runner("unlock", "--reason", "Again").stderr == (
        "Error: The database is not locked.\n")


def test_the_lock_banner_costs_one_query_per_page(app: Flask, as_role, nurse: FlaskClient,
                                                  pid: int) -> None:
    with counted(app) as statements:
        assert nurse.get(f"/participants/{pid}").status_code == 200
    assert len([s for s in statements if "study_lock" in s]) == 1
    assert lock(as_role("admin"), "Final analysis").status_code == 302
    with counted(app) as statements:
        shown = nurse.get(f"/participants/{pid}")
    assert "The database is locked for analysis" in shown.text
    assert len([s for s in statements if "study_lock" in s]) == 1
