"""What a change of a child's data does to monitoring, whoever makes it and through whichever
service: it voids the investigator's signature, clears the verification of the visit or
entry it touched, answers the open query on the value it corrected (all in the audit trail);
and a frozen record or a locked database refuses it whole, saying why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from edc import db
from edc.audit import audited
from edc.models import DataQuery, Participant, Result, Signature, StudyLock, Verification, Visit
from edc.services import Refused
from tests.support import factories
from tests.support.audit import audit_rows
from tests.support.factories import SCREENING

NOW = datetime(2026, 4, 27, 2, 0, tzinfo=UTC)


def add(app: Flask, record: object, by: str = "monitor") -> int:
    with app.app_context():
        session = db.session()
        with audited(session, by):
            session.add(record)
            session.commit()
        return record.id


def stored(app: Flask, model: type, record_id: int) -> object:
    with app.app_context():
        found = db.session().get(model, record_id)
        db.session().expunge(found)
        return found


def ids(app: Flask, pid: int, code: str) -> tuple[int, int]:
    """The visit's id and its creatinine result's id."""
    with app.app_context():
        visit = db.session().scalars(select(Visit).where(Visit.participant_id == pid,
                                                         Visit.code == code)).one()
        result = next(r for r in visit.results if r.field == "creatinine")
        return visit.id, result.id


@pytest.fixture
def child(app: Flask, allocation: None) -> int:
    return factories.child(app, "with results")


def test_a_correction_voids_the_signature_clears_the_visit_and_answers_the_query(
        app: Flask, child: int) -> None:
    w02, creatinine = ids(app, child, "W02")
    w04, _ = ids(app, child, "W04")
    signed = add(app, Signature(participant_id=child, signed_by="investigator",
                                printed_name="Dr Li Ming", meaning="I have reviewed ...",
                                signed_at=NOW), by="investigator")
    checked = add(app, Verification(participant_id=child, entity="visit", entity_id=w02,
                                    verified_by="monitor", verified_at=NOW))
    untouched = add(app, Verification(participant_id=child, entity="visit", entity_id=w04,
                                      verified_by="monitor", verified_at=NOW))
    asked = add(app, DataQuery(participant_id=child, entity="result", entity_id=creatinine,
                               field="value", text="Creatinine 40 µmol/L at 8 years?",
                               raised_by="monitor", raised_at=NOW))
    day = factories.targets(app, child)["W02"]
    factories.enter_results(app, child, "W02", day, creatinine=("45", "umol/L"),
                            reason="Transcription error")

    signature = stored(app, Signature, signed)
    assert signature.voided_at is not None and signature.version == 2
    assert signature.voided_reason.startswith("nurse: ")
    assert f"result {creatinine} typed_value" in signature.voided_reason
    visit = stored(app, Verification, checked)
    assert visit.cleared_at is not None and f"result {creatinine}" in visit.cleared_reason
    assert stored(app, Verification, untouched).cleared_at is None
    query = stored(app, DataQuery, asked)
    assert (query.status, query.answered_by) == ("answered", "nurse")
    assert "typed_value 40 → 45" in query.answer and "(Transcription error)" in query.answer
    trail = {(r.entity, r.field, r.new) for r in audit_rows(app, username="nurse")}
    assert ("data_query", "status", "answered") in trail
    assert ("verification", "cleared_reason", visit.cleared_reason) in trail
    assert ("signature", "voided_reason", signature.voided_reason) in trail


def test_booking_an_appointment_is_not_a_change_of_the_casebook(app: Flask, child: int) -> None:
    signed = add(app, Signature(participant_id=child, signed_by="investigator",
                                printed_name="Dr Li Ming", meaning="I have reviewed ...",
                                signed_at=NOW), by="investigator")
    from edc import services
    from tests.support.factories import _acting

    with _acting(app, "nurse") as ctx:
        visit = ctx.session.scalars(select(Visit).where(Visit.participant_id == child,
                                                        Visit.code == "W06")).one()
        services.book_visit(ctx, visit, visit.target_date, None, "")
    assert stored(app, Signature, signed).voided_at is None


def test_a_frozen_record_refuses_every_change_and_keeps_the_stored_values(
        app: Flask, child: int) -> None:
    with app.app_context():
        session = db.session()
        with audited(session, "monitor", "Ready for the interim analysis"):
            participant = session.get(Participant, child)
            participant.frozen_at, participant.frozen_by = NOW, "monitor"
            participant.frozen_reason = "Ready for the interim analysis"
            session.commit()
    day = factories.targets(app, child)["W02"]
    with pytest.raises(Refused) as refused:
        factories.enter_results(app, child, "W02", day, creatinine=("45", "umol/L"),
                                reason="Transcription error")
    assert refused.value.messages == [
        "AS-001 is frozen: nothing can be changed until it is unfrozen, with a reason. "
        "Nothing was saved."]
    _, creatinine = ids(app, child, "W02")
    assert stored(app, Result, creatinine).typed_value == "40"
    with pytest.raises(Refused):
        factories.log_entry(app, child, "deviations", {
            "category": "SAMPLE", "deviation_date": SCREENING, "description": "x"})
    # Another child is not frozen.
    other = factories.child(app, "scheduled", "AS-002")
    factories.enter_results(app, other, "W02", factories.targets(app, other)["W02"])


def test_a_locked_database_refuses_enrolment_and_corrections(app: Flask, child: int) -> None:
    lock = add(app, StudyLock(locked_by="admin", locked_at=NOW, reason="Final analysis"),
               by="admin")
    expected = ("The database is locked for analysis: nothing can be changed until an "
                "administrator unlocks it. Nothing was saved.")
    with pytest.raises(Refused) as refused:
        factories.enrol(app, "AS-002")
    assert refused.value.messages == [expected]
    with pytest.raises(Refused) as refused:
        factories.withdraw(app, child)
    assert refused.value.messages == [expected]
    with app.app_context():
        assert db.session().scalar(select(Participant.status).where(
            Participant.id == child)) == "enrolled"
        session = db.session()
        with audited(session, "admin", "Analysis done"):
            session.get(StudyLock, lock).unlocked_at = NOW
            session.commit()
    assert factories.enrol(app, "AS-002")
