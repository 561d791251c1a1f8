"""The audit trail: who changed what, when and why, written with the change, never rewritten."""

from __future__ import annotations

import json
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
from edc.audit import IdentityChanged, UnauditedWrite, audited
from edc.models import AuditEvent, Infusion, Participant, Result, Visit
from tests.support.audit import audit_rows, stored_rows
from tests.support.forms import enrolment_form, infusion_form, results_form, submit, withdrawal_form
from tests.support.pages import page
from tests.support.queries import queries_for
from tests.support.records import visit_id as find_visit

SHANGHAI = ZoneInfo("Asia/Shanghai")


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


def test_enrolment_writes_one_create_row_of_the_entered_values_by_the_nurse_now_in_utc(
    app: Flask, enrolled: int
) -> None:
    (stored,) = stored_rows(app, AuditEvent.entity == "participant")
    assert (stored.action, stored.field, stored.old) == ("create", None, None)
    entered = json.loads(stored.new)
    # Compact, sorted, and only what was entered: no default (the status a child is enrolled
    # with) and no empty value.
    assert stored.new == json.dumps(entered, sort_keys=True, separators=(",", ":"),
                                    ensure_ascii=False)
    assert "status" not in entered and None not in entered.values()
    rows = audit_rows(app, AuditEvent.entity == "participant")
    assert {r.action for r in rows} == {"create"}
    assert {r.entity_id for r in rows} == {r.participant_id for r in rows} == {enrolled}
    fields = [r.field for r in rows]
    assert len(fields) == len(set(fields)), f"Got a field written twice: {sorted(fields)}"
    new = {r.field: r.new for r in rows}
    assert {k: new.get(k) for k in ("code", "date_of_birth", "sex", "weight_kg", "height_cm",
                                    "consent_date", "status")} == {
        "code": "AS-001", "date_of_birth": "2018-05-10", "sex": "F", "weight_kg": "24.5",
        "height_cm": "125.0", "consent_date": "2026-02-20", "status": None,
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
        stored = db.session().execute(text("SELECT at FROM audit_entry")).scalars().all()
    now = datetime.now(UTC).replace(tzinfo=None)
    for value in stored:
        value = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        assert value.tzinfo is None or value.utcoffset() == timedelta(0)
        assert abs(now - value.replace(tzinfo=None)) < timedelta(minutes=1), value


def test_recording_infusions_writes_create_rows_for_the_infusion_and_each_visit(
    app: Flask, scheduled: int
) -> None:
    infusions = audit_rows(app, AuditEvent.entity == "infusion")
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

    visit_rows = audit_rows(app, AuditEvent.entity == "visit")
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
    before = {r.id for r in audit_rows(app)}
    response = submit(nurse, f"/participants/{scheduled}/infusions/1", infusion_form(
        product_lot="UC-2026-018", weight_kg="25", reason="Lot number mistyped"))
    assert response.status_code == 302, response.text
    rows = [r for r in audit_rows(app) if r.id not in before]
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
    rows = audit_rows(app, AuditEvent.entity == "visit", AuditEvent.action == "update")
    assert {(r.entity_id, r.participant_id, r.field, r.old, r.new, r.username, r.reason)
            for r in rows} == {
        (visit_id, scheduled, "status", "planned", "done", "nurse", "Visit took place"),
        (visit_id, scheduled, "actual_date", None, "2026-04-20", "nurse", "Visit took place"),
    }


def test_a_results_save_is_one_entry_whose_creates_hold_what_the_nurse_typed(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    w04 = find_visit(app, scheduled, "W04")
    before = {r.id for r in audit_rows(app)}
    response = nurse.post(f"/visits/{w04}", data=results_form(
        nurse, w04, sample_date="2026-04-14", creatinine=("0.48", "mg/dL")))
    assert response.status_code == 302, response.text
    rows = [r for r in audit_rows(app) if r.id not in before]
    # One save: one entry, one who, when and why for every field it changed.
    assert len({r.entry_id for r in rows}) == 1
    assert {(r.username, r.reason) for r in rows} == {("nurse", None)}
    with app.app_context():
        entries = db.session().execute(text(
            "SELECT count(*) FROM audit_entry WHERE id = :id"), {"id": rows[0].entry_id})
        assert entries.scalar() == 1
    creatinine = {r.entity_id for r in rows if r.field == "field" and r.new == "creatinine"}
    assert len(creatinine) == 1
    typed = {r.field: r.new for r in rows if r.entity_id in creatinine and r.entity == "result"}
    # What was typed, where: the analyte, its visit, the value and unit as typed. Not what the
    # app derived from them (the value in µmol/L, its codes) nor the owner's key.
    assert typed == {"visit_id": str(w04), "field": "creatinine", "typed_value": "0.48",
                     "typed_unit": "mg/dL"}
    # Stored: one row per result created, holding exactly the values entered (the analyte
    # and visit are the result's identity, on the record for good).
    created = stored_rows(app, AuditEvent.id > max(before), AuditEvent.entity == "result")
    assert len({r.entity_id for r in created}) == len(created) > 1
    assert [(r.action, r.field, r.old, json.loads(r.new)) for r in created
            if r.entity_id in creatinine] == [
        ("create", None, None, {"typed_unit": "mg/dL", "typed_value": "0.48"})]
    visit = {r.field: (r.old, r.new) for r in rows if r.entity == "visit"}
    assert visit == {"actual_date": (None, "2026-04-14"), "status": ("planned", "done")}


def test_a_planned_visit_records_which_visit_and_when_not_the_schedules_arithmetic(
    app: Flask, scheduled: int
) -> None:
    w02 = find_visit(app, scheduled, "W02")
    # Stored: the code that names it; the schedule decided the rest, nobody entered it.
    (stored,) = stored_rows(app, AuditEvent.entity == "visit", AuditEvent.entity_id == w02)
    assert (stored.action, stored.new) == ("create", '{"code":"W02"}')
    # Read: the dates it was planned with, from the visit (none of them has changed since).
    fields = {r.field: r.new for r in audit_rows(app, entity="visit", entity_id=w02)}
    assert fields == {"code": "W02", "target_date": "2026-03-30", "window_start": "2026-03-27",
                      "window_end": "2026-04-02", "suggested_date": "2026-03-30"}


def test_a_results_analyte_or_visit_never_changes_so_its_create_need_not_say_them(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    w04, w06 = find_visit(app, scheduled, "W04"), find_visit(app, scheduled, "W06")
    assert nurse.post(f"/visits/{w04}", data=results_form(nurse, w04)).status_code == 302
    with app.app_context():
        session = db.session()
        result = session.scalars(select(Result).where(Result.visit_id == w04)).first()
        for field, value in (("field", "other_analyte"), ("visit_id", w06)):
            with audited(session, "nurse", "moved"):
                setattr(result, field, value)
                with pytest.raises(IdentityChanged, match=field):
                    session.commit()
            session.rollback()


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
                text("SELECT c.id, at, username, action, entity, field, old, new, reason "
                     "FROM audit_event c JOIN audit_entry e ON e.id = c.entry_id "
                     "ORDER BY c.id"))]
    finally:
        engine.dispose()


# The one statement per database that would replace or empty the trail without UPDATE or DELETE.
BYPASS = {
    "sqlite": "INSERT OR REPLACE INTO audit_event (id, entry_id, action, entity) "
              "VALUES (1, 1, 'create', 'participant')",
    "postgresql": "TRUNCATE audit_event",
}
BYPASS_ENTRY = {
    "sqlite": "INSERT OR REPLACE INTO audit_entry (id, at, username) "
              "VALUES (1, '2026-01-01 00:00:00', 'forger')",
    "postgresql": "TRUNCATE audit_entry CASCADE",
}


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET new = 'x'",
    "UPDATE audit_entry SET username = 'someone else'",
    "UPDATE audit_entry SET reason = 'forged' WHERE id = 1",
    "DELETE FROM audit_event",
    "DELETE FROM audit_event WHERE entity = 'participant'",
    "DELETE FROM audit_entry",
    "bypass",
    "bypass entry",
])
def test_the_database_refuses_to_update_or_delete_audit_rows(
    app: Flask, database_url: str, enrolled: int, statement: str
) -> None:
    before = _all_audit_rows(database_url)
    assert before, "Got an empty audit trail. Expected rows to protect."
    engine = create_engine(database_url)
    bypass = {"bypass": BYPASS, "bypass entry": BYPASS_ENTRY}.get(statement)
    statement = bypass[engine.dialect.name] if bypass else statement
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


def _history(html: str) -> list[tuple[str, str, str, list[str]]]:
    """The saves a monitor reads, newest first: (when, who, reason, lines)."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    saves = []
    for row in re.findall(r'<tr class="save">(.*?)</tr>', body, re.S):
        when, who, reason = (unescape(re.search(rf'<td class="{name}">(.*?)</td>', row,
                                                re.S).group(1)).strip()
                             for name in ("when", "who", "reason"))
        lines = [unescape(line).strip() for line in re.findall(r"<li>(.*?)</li>", row, re.S)]
        saves.append((when, who, reason, lines))
    return saves


def _shanghai(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def test_history_shows_one_entry_per_save_with_its_time_in_shanghai_who_and_reason(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    response = submit(nurse, f"/participants/{scheduled}/infusions/1", infusion_form(
        product_lot="UC-2026-018", reason="Lot number mistyped"))
    assert response.status_code == 302, response.text
    page = nurse.get(f"/participants/{scheduled}/history")
    assert page.status_code == 200
    assert "Asia/Shanghai" in page.text
    saves = _history(page.text)

    correction = next(e for e in audit_rows(app, AuditEvent.participant_id == scheduled)
                      if e.field == "product_lot" and e.action == "update")
    assert saves[0] == (_shanghai(correction.at), "nurse", "Lot number mistyped",
                        ["Infusion 1 lot UC-2026-017 → UC-2026-018"])
    shown_at = datetime.strptime(saves[0][0], "%Y-%m-%d %H:%M:%S")
    assert shown_at - correction.at.replace(tzinfo=None, microsecond=0) == timedelta(hours=8)
    # Oldest last: the enrolment as one line, not one line per column.
    assert saves[-1][1:] == ("nurse", "Enrolment", [
        "AS-001 enrolled: born 2018-05-10, sex F, 24.5 kg, 125 cm, consent 2026-02-20, "
        "screening eGFR 98"])
    assert saves[-2][3] == ["Infusion 1 recorded: 2026-03-02, 24.5 kg, lot UC-2026-017, 50 mL"]
    second = saves[-3][3]
    assert second[:2] == ["Follow-up counted from infusion 2",
                          "Infusion 2 recorded: 2026-03-16, 24.5 kg, lot UC-2026-017, 50 mL"]
    assert second[2] == "Visit W02 planned: target 2026-03-30, window 2026-03-27 to 2026-04-02"
    assert len(second) == 2 + 11
    chinese = nurse.get(f"/participants/{scheduled}/history",
                        headers={"Accept-Language": "zh-CN"}).text
    assert "随访起算的输注序号 2" in chinese


def test_history_never_shows_technical_columns(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    w06 = find_visit(app, scheduled, "W06")
    assert nurse.post(f"/visits/{w06}", data=results_form(nurse, w06)).status_code == 302
    text = " ".join(line for save in _history(nurse.get(
        f"/participants/{scheduled}/history").text) for line in save[3])
    for column in ("version", "calendar", "uid", "sequence", "results_saved_at", "_id",
                   "participant_id", "test_code", "loinc", "planned_cells", "None"):
        assert column not in text, column


def test_history_of_another_participant_shows_none_of_this_ones_rows(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    response = nurse.post("/participants/enrol", data=enrolment_form(app, code="AS-002"))
    assert response.status_code == 302, response.text
    other = int(re.search(r"/participants/(\d+)", response.location).group(1))
    saves = _history(nurse.get(f"/participants/{other}/history").text)
    assert [lines for _when, _who, _reason, lines in saves] == [[
        "AS-002 enrolled: born 2018-05-10, sex F, 24.5 kg, 125 cm, consent 2026-02-20, "
        "screening eGFR 98"]]


@pytest.fixture
def monitored(app: Flask, nurse: FlaskClient, scheduled: int) -> int:
    """AS-001's W04 results entered, then corrected with a reason; W08 booked, then rebooked."""
    w04, w08 = find_visit(app, scheduled, "W04"), find_visit(app, scheduled, "W08")
    response = nurse.post(f"/visits/{w04}", data=results_form(nurse, w04,
                                                              sample_date="2026-04-14"))
    assert response.status_code == 302, response.text
    response = nurse.post(f"/visits/{w04}", data=results_form(
        nurse, w04, sample_date="2026-04-15", creatinine=("42", "umol/L"),
        cystatin_c={"value": "", "not_done": "y", "not_done_reason": "haemolysed sample"},
        reason="Lab re-issued the report"))
    assert response.status_code == 302, response.text
    for form in ({"date": "2026-05-11"}, {"date": "2026-05-13", "time": "09:30"}):
        assert submit(nurse, f"/visits/{w08}/book", form).status_code == 302
    return scheduled


def test_history_tells_entry_correction_booking_and_rebooking_as_a_monitor_reads_them(
    app: Flask, nurse: FlaskClient, monitored: int
) -> None:
    saves = _history(nurse.get(f"/participants/{monitored}/history").text)
    rows = audit_rows(app, AuditEvent.participant_id == monitored)
    times = sorted({_shanghai(r.at) for r in rows}, reverse=True)
    assert [(who, reason, lines) for _when, who, reason, lines in saves[:4]] == [
        ("nurse", "", ["W08 booked 2026-05-11 → 2026-05-13 09:30"]),
        ("nurse", "", ["W08 booked 2026-05-11"]),
        ("nurse", "Lab re-issued the report", [
            "W04 sample date 2026-04-14 → 2026-04-15",
            "W04 Serum creatinine 40 → 42 µmol/L",
            "W04 Cystatin C marked not done: haemolysed sample",
        ]),
        ("nurse", "", [
            "W04 sample date 2026-04-14",
            "W04 status planned → done",
            "W04 24-hour urine protein 420 mg/24h",
            "W04 Urine volume 900 mL",
            "W04 UPCR 0.45 mg/mg",
            "W04 Urine RBC 12 /HPF",
            "W04 Dysmorphic RBC 60 %",
            "W04 Serum creatinine 40 µmol/L",
            "W04 Urea / BUN 4.2 mmol/L (urea)",
            "W04 Cystatin C 0.9 mg/L",
            "W04 eGFR (lab) 105 mL/min/1.73m²",
            "W04 Height 126 cm",
            "W04 Weight 25 kg",
        ]),
    ]
    assert [when for when, *_rest in saves[:4]] == [
        _shanghai(max(r.at for r in rows if r.field == "booked_date")),
        _shanghai(min(r.at for r in rows if r.field == "booked_date")),
        _shanghai(next(r.at for r in rows if r.reason == "Lab re-issued the report")),
        _shanghai(next(r.at for r in rows if r.field == "actual_date")),
    ]
    assert [when for when, *_rest in saves] == sorted((s[0] for s in saves), reverse=True)
    assert {when for when, *_rest in saves} <= set(times)


def test_history_filtered_by_a_visit_shows_only_that_visits_changes(
    nurse: FlaskClient, monitored: int
) -> None:
    page = nurse.get(f"/participants/{monitored}/history?visit=W08")
    assert page.status_code == 200
    assert '<option value="W08" selected>W08</option>' in page.text
    assert [lines for *_rest, lines in _history(page.text)] == [
        ["W08 booked 2026-05-11 → 2026-05-13 09:30"],
        ["W08 booked 2026-05-11"],
        ["Visit W08 planned: target 2026-05-11, window 2026-05-08 to 2026-05-14"],
    ]
    w04 = _history(nurse.get(f"/participants/{monitored}/history?visit=W04").text)
    assert [reason for _when, _who, reason, _lines in w04] == [
        "Lab re-issued the report", "", ""]
    assert all(line.startswith(("W04 ", "Visit W04 ")) for *_rest, lines in w04
               for line in lines)


@pytest.mark.parametrize("asked", ["X99", "", "w08", "W08'--", "%00", "W08&visit=W04", "é" * 300])
def test_history_with_an_unknown_visit_says_so_and_shows_every_change(
    nurse: FlaskClient, monitored: int, asked: str
) -> None:
    everything = nurse.get(f"/participants/{monitored}/history").text
    response = nurse.get(f"/participants/{monitored}/history", query_string={"visit": asked})
    assert response.status_code == (400 if asked else 200)
    said = [text for kind, text in page(response).flashes if kind == "error"]
    assert said == ([f"Got visit {asked[:40]!r}. Expected a visit of AS-001: W02, W04, W06, "
                     "W08, M03, M04, M05, M06, M08, M10, M12. Every change is shown."]
                    if asked else [])
    assert '<option value="" selected>' in response.text
    assert _history(response.text) == _history(everything)


def test_visit_page_history_shows_each_value_with_its_unit(
    app: Flask, nurse: FlaskClient, monitored: int
) -> None:
    visit = page(nurse.get(f"/visits/{find_visit(app, monitored, 'W04')}"))
    creatinine = [line.split(" nurse: ")[1] for line in visit.results["creatinine"].history]
    assert creatinine == ["40 µmol/L", "40 → 42 µmol/L (Lab re-issued the report)"]
    cystatin = [line.split(" nurse: ")[1] for line in visit.results["cystatin_c"].history]
    assert cystatin == ["0.9 mg/L",
                        "marked not done: haemolysed sample (Lab re-issued the report)"]
    upcr = [line.split(" nurse: ")[1] for line in visit.results["upcr"].history]
    assert upcr == ["0.45 mg/mg"]


def test_visit_page_history_keeps_the_unit_a_value_was_typed_in(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    w06 = find_visit(app, scheduled, "W06")
    assert nurse.post(f"/visits/{w06}", data=results_form(nurse, w06, upcr=(
        "50", "mg/mmol"))).status_code == 302
    assert nurse.post(f"/visits/{w06}", data=results_form(
        nurse, w06, upcr=("55", "mg/mmol"), reason="Typo")).status_code == 302
    assert nurse.post(f"/visits/{w06}", data=results_form(
        nurse, w06, upcr=("0.5", "mg/mg"), reason="Unit of the report")).status_code == 302
    history = page(nurse.get(f"/visits/{w06}")).results["upcr"].history
    assert [line.split(" nurse: ")[1] for line in history] == [
        "50 mg/mmol", "50 → 55 mg/mmol (Typo)", "55 mg/mmol → 0.5 mg/mg (Unit of the report)"]


def test_history_page_runs_the_same_queries_for_a_short_and_a_long_history(
    app: Flask, nurse: FlaskClient, as_role, scheduled: int
) -> None:
    url = f"/participants/{scheduled}/history"
    short = queries_for(app, nurse, url)
    for code in ("W02", "W04", "W06"):
        visit = find_visit(app, scheduled, code)
        assert nurse.post(f"/visits/{visit}", data=results_form(nurse, visit)).status_code == 302
        assert nurse.post(f"/visits/{visit}", data=results_form(
            nurse, visit, creatinine=("41", "umol/L"), reason="Typo")).status_code == 302
    submit(nurse, f"/participants/{scheduled}/visits",
           {"kind": "unscheduled", "date": "2026-04-20", "reason": "Fever"})
    assert queries_for(app, nurse, url) == short
    assert queries_for(app, nurse, url + "?visit=W04") == short
    assert queries_for(app, as_role("unblinded"), url) == short


def test_history_tells_a_moved_infusion_and_the_visits_it_moved_one_line_each(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    # Infusion 2 was on 18 March, not 16: every planned visit moves two days.
    response = submit(nurse, f"/participants/{scheduled}/infusions/2", infusion_form(
        date="2026-03-18", reason="Date mistyped", confirmed="2026-03-18"))
    assert response.status_code == 302, response.text
    when, who, reason, lines = _history(nurse.get(f"/participants/{scheduled}/history").text)[0]
    assert (who, reason) == ("nurse", "Date mistyped")
    assert lines[0] == "Infusion 2 date 2026-03-16 → 2026-03-18"
    assert lines[1] == "W02 target 2026-03-30 → 2026-04-01, suggested day 2026-03-30 → 2026-04-01"
    assert len([line for line in lines if " target " in line]) == 11


def test_history_tells_a_missed_visit_a_calendar_link_and_a_withdrawal_in_words(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    assert submit(nurse, f"/visits/{find_visit(app, scheduled, 'W02')}/missed",
                  {"reason": "Flu"}).status_code == 302
    assert submit(nurse, f"/participants/{scheduled}/calendar-link").status_code == 302
    assert submit(nurse, f"/participants/{scheduled}/withdraw",
                  withdrawal_form()).status_code == 302
    saves = _history(nurse.get(f"/participants/{scheduled}/history").text)
    withdrawal, link, missed = ((reason, lines) for _when, _who, reason, lines in saves[:3])
    assert missed == ("Flu", ["W02 status planned → missed"])
    assert link == ("Calendar link issued", ["Calendar link issued"])
    assert withdrawal[0] == "Other: Family moved away"
    # W04's window closed on 16 April: not done before the withdrawal, it was missed; the
    # visits from W06 (window open today) on are cancelled.
    assert withdrawal[1][:4] == ["Status enrolled → withdrawn", "W04 status planned → missed",
                                 "W04 missed because: Not done before the withdrawal: Other: "
                                 "Family moved away", "W06 status planned → cancelled"]
    # The status, W04's two changes, nine cancelled visits and the early termination's row.
    assert len(withdrawal[1]) == 1 + 2 + 9 + 1
