"""The audit trail: who changed what, when and why, written with the change, never rewritten."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DatabaseError

from edc import db
from edc.audit import UnauditedWrite, audited
from edc.models import AuditEvent, Infusion, Participant, Visit
from tests.conftest import enrolment_form, infusion_form

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _events(app: Flask, *where) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session().scalars(select(AuditEvent).where(*where).order_by(AuditEvent.id)))


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(model))


def _participant(**overrides) -> Participant:
    values = dict(code="AS-090", date_of_birth=date(2018, 5, 10), sex="F", weight_kg=24.5,
                  height_cm=125.0, consent_date=date(2026, 2, 20), screening_egfr=98.0,
                  eligibility={}, status="enrolled")
    values.update(overrides)
    return Participant(**values)


# Creates and changes write audit rows ------------------------------------------------------------


def test_enrolment_writes_one_create_row_per_field_by_the_nurse_now_in_utc(
    app: Flask, enrolled: int
) -> None:
    rows = _events(app, AuditEvent.entity == "participant")
    assert {r.action for r in rows} == {"create"}
    assert {r.entity_id for r in rows} == {r.participant_id for r in rows} == {enrolled}
    fields = [r.field for r in rows]
    assert len(fields) == len(set(fields)), f"Got a field written twice: {sorted(fields)}"
    new = {r.field: r.new for r in rows}
    assert {k: new.get(k) for k in ("code", "date_of_birth", "sex", "weight_kg", "height_cm",
                                    "consent_date", "status")} == {
        "code": "AS-001", "date_of_birth": "2018-05-10", "sex": "F", "weight_kg": "24.5",
        "height_cm": "125.0", "consent_date": "2026-02-20", "status": "enrolled",
    }
    assert float(new["screening_egfr"]) == 98
    assert '"' in new["eligibility"] and "true" in new["eligibility"]
    assert all(r.old is None for r in rows)
    assert {r.username for r in rows} == {"nurse"}
    now = datetime.now(UTC)
    for r in rows:
        assert r.at.utcoffset() == timedelta(0)
        assert abs(now - r.at) < timedelta(minutes=1), r.at


def test_audit_times_are_stored_as_utc(app: Flask, enrolled: int) -> None:
    with app.app_context():
        stored = db.session().execute(text("SELECT at FROM audit_event")).scalars().all()
    now = datetime.now(UTC).replace(tzinfo=None)
    for value in stored:
        value = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        assert value.tzinfo is None or value.utcoffset() == timedelta(0)
        assert abs(now - value.replace(tzinfo=None)) < timedelta(minutes=1), value


def test_recording_infusions_writes_create_rows_for_the_infusion_and_each_visit(
    app: Flask, scheduled: int
) -> None:
    infusions = _events(app, AuditEvent.entity == "infusion")
    with app.app_context():
        saved = {i.id: i for i in db.session().scalars(select(Infusion))}
        visits = {v.id: v for v in db.session().scalars(select(Visit))}
    assert {r.entity_id for r in infusions} == set(saved)
    assert {(r.action, r.username, r.old) for r in infusions} == {("create", "nurse", None)}
    for infusion_id, infusion in saved.items():
        new = {r.field: r.new for r in infusions if r.entity_id == infusion_id}
        assert new["date"] == infusion.date.isoformat()
        assert new["product_lot"] == "UC-2026-017"
        assert new["number"] == str(infusion.number)
        assert {r.participant_id for r in infusions} == {scheduled}

    visit_rows = _events(app, AuditEvent.entity == "visit")
    assert len(visits) == 11
    assert {r.entity_id for r in visit_rows} == set(visits)
    assert {(r.action, r.username, r.old) for r in visit_rows} == {("create", "nurse", None)}
    for visit_id, visit in visits.items():
        new = {r.field: r.new for r in visit_rows if r.entity_id == visit_id}
        assert new["target_date"] == visit.target_date.isoformat()
        assert new["code"] == visit.code


def test_a_correction_writes_update_rows_with_old_new_and_the_reason(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    before = {r.id for r in _events(app)}
    response = nurse.post(f"/participants/{scheduled}/infusions/1", data=infusion_form(
        product_lot="UC-2026-018", weight_kg="25", reason="Lot number mistyped"))
    assert response.status_code == 302, response.text
    rows = [r for r in _events(app) if r.id not in before]
    changed = {r.field: (r.action, r.entity, r.username, r.old, r.new, r.reason) for r in rows}
    assert changed["product_lot"] == (
        "update", "infusion", "nurse", "UC-2026-017", "UC-2026-018", "Lot number mistyped")
    assert changed["weight_kg"][3:] == ("24.5", "25.0", "Lot number mistyped")
    assert "date" not in changed, "Got a row for a field that did not change."


def test_a_visit_change_writes_update_rows_for_the_changed_fields_only(
    app: Flask, scheduled: int
) -> None:
    with app.app_context():
        session = db.session()
        visit = session.scalars(select(Visit).order_by(Visit.target_date)).first()
        with audited(session, "nurse", "Visit took place"):
            visit.status, visit.actual_date = "done", date(2026, 4, 20)
            session.commit()
        visit_id = visit.id
    rows = _events(app, AuditEvent.entity == "visit", AuditEvent.action == "update")
    assert {(r.entity_id, r.participant_id, r.field, r.old, r.new, r.username, r.reason)
            for r in rows} == {
        (visit_id, scheduled, "status", "planned", "done", "nurse", "Visit took place"),
        (visit_id, scheduled, "actual_date", None, "2026-04-20", "nurse", "Visit took place"),
    }


# Writes outside audited() and failed transactions ------------------------------------------------


def test_a_write_outside_audited_is_refused_and_saves_nothing(app: Flask, enrolled: int) -> None:
    audit_rows = _count(app, AuditEvent)
    with app.app_context():
        session = db.session()
        session.add(_participant())
        with pytest.raises(UnauditedWrite):
            session.commit()
        session.rollback()
        participant = session.get(Participant, enrolled)
        participant.weight_kg = 99.0
        with pytest.raises(UnauditedWrite):
            session.commit()
        session.rollback()
    with app.app_context():
        assert db.session().get(Participant, enrolled).weight_kg == 24.5
    assert _count(app, Participant) == 1
    assert _count(app, AuditEvent) == audit_rows


def test_a_failed_transaction_keeps_neither_the_change_nor_its_audit_rows(
    app: Flask, enrolled: int
) -> None:
    audit_rows = _count(app, AuditEvent)
    with app.app_context():
        session = db.session()
        with audited(session, "test", "same transaction"):
            session.add(_participant(code="AS-090"))
            session.flush()  # the participant and its audit rows are written...
            written = session.scalar(select(func.count()).select_from(AuditEvent))
            assert written > audit_rows
            session.add(_participant(code="AS-001"))  # ...then a duplicate code fails
            with pytest.raises(DatabaseError):
                session.flush()
            session.rollback()
    with app.app_context():
        session = db.session()
        assert session.scalar(select(Participant.id).where(Participant.code == "AS-090")) is None
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == audit_rows
        assert session.scalars(select(AuditEvent).where(AuditEvent.new == "AS-090")).all() == []


def test_an_enrolment_refused_for_want_of_allocation_leaves_no_audit_rows(
    app: Flask, nurse: FlaskClient
) -> None:
    # No allocation list is loaded: the child is flushed, then the enrolment is rolled back.
    audit_rows = _count(app, AuditEvent)
    response = nurse.post("/participants/enrol", data=enrolment_form(app))
    assert response.status_code == 422
    assert "No allocation is left" in unescape(response.text)
    assert _count(app, Participant) == 0
    assert _count(app, AuditEvent) == audit_rows


# The database refuses to rewrite history ---------------------------------------------------------


def _all_audit_rows(url: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(
                text("SELECT id, at, username, action, entity, field, old, new, reason "
                     "FROM audit_event ORDER BY id"))]
    finally:
        engine.dispose()


# The one statement per database that would replace or empty the trail without UPDATE or DELETE.
BYPASS = {
    "sqlite": "INSERT OR REPLACE INTO audit_event (id, at, username, action, entity) "
              "VALUES (1, '2026-01-01 00:00:00', 'forger', 'create', 'participant')",
    "postgresql": "TRUNCATE audit_event",
}


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET new = 'x'",
    "UPDATE audit_event SET username = 'someone else' WHERE field = 'code'",
    "DELETE FROM audit_event",
    "DELETE FROM audit_event WHERE entity = 'participant'",
    "bypass",
])
def test_the_database_refuses_to_update_or_delete_audit_rows(
    app: Flask, database_url: str, enrolled: int, statement: str
) -> None:
    before = _all_audit_rows(database_url)
    assert before, "Got an empty audit trail. Expected rows to protect."
    engine = create_engine(database_url)
    statement = BYPASS[engine.dialect.name] if statement == "bypass" else statement
    try:
        with engine.connect() as connection:
            with pytest.raises(DatabaseError) as refused:
                connection.execute(text(statement))
            connection.rollback()
    finally:
        engine.dispose()
    assert "append-only" in str(refused.value)
    assert _all_audit_rows(database_url) == before


# The history page --------------------------------------------------------------------------------


def _history_rows(html: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [
        [unescape(cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


ACTION_WORDS = {"create": ("creat", "new", "add"), "update": ("updat", "chang", "correct")}


def _is(what: str, action: str, entity: str) -> bool:
    """Whether the history's 'What' cell names this action on this entity (in any wording)."""
    return entity in what and any(word in what.lower() for word in ACTION_WORDS[action])


def test_history_lists_who_what_old_new_and_reason_in_shanghai_time(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    response = nurse.post(f"/participants/{scheduled}/infusions/1", data=infusion_form(
        product_lot="UC-2026-018", reason="Lot number mistyped"))
    assert response.status_code == 302, response.text
    page = nurse.get(f"/participants/{scheduled}/history")
    assert page.status_code == 200
    assert "Asia/Shanghai" in page.text
    rows = _history_rows(page.text)

    events = _events(app, AuditEvent.participant_id == scheduled,
                     AuditEvent.entity != "allocation")
    assert len(rows) == len(events)
    correction = next(e for e in events if e.field == "product_lot" and e.action == "update")
    shown = next(r for r in rows if r[3] == "product_lot" and _is(r[2], "update", "infusion"))
    local = correction.at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    assert [shown[i] for i in (0, 1, 3, 4, 5, 6)] == [
        local, "nurse", "product_lot", "UC-2026-017", "UC-2026-018", "Lot number mistyped"]
    shown_at = datetime.strptime(shown[0], "%Y-%m-%d %H:%M:%S")
    assert shown_at - correction.at.replace(tzinfo=None, microsecond=0) == timedelta(hours=8)

    code = next(r for r in rows if r[3] == "code" and "participant" in r[2])
    assert _is(code[2], "create", "participant")
    assert [code[i] for i in (1, 3, 4, 5, 6)] == ["nurse", "code", "", "AS-001", "Enrolment"]


def test_history_of_another_participant_shows_none_of_this_ones_rows(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    response = nurse.post("/participants/enrol", data=enrolment_form(app, code="AS-002"))
    assert response.status_code == 302, response.text
    other = int(re.search(r"/participants/(\d+)", response.location).group(1))
    rows = _history_rows(nurse.get(f"/participants/{other}/history").text)
    assert rows
    assert all(_is(r[2], "create", "participant") for r in rows), rows
    assert "AS-001" not in [r[5] for r in rows]
