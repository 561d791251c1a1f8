"""The datasets of a trial with what the small fixed trial lacks, equal to their golden files
(tests/golden/sdtm_cases/): an unscheduled visit, a missed and a cancelled visit, a result
too numerous to count, a removed vital-signs entry, a child whose measures cannot be computed,
signatures in force and voided, a completed child; read one child at a time and a hundred at
a time, blinded and not."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime, time

import pytest
from flask import Flask
from sqlalchemy import select, update

from edc import db, exports, services
from edc.audit import audited
from edc.models import LogEntry, Result, Signature, Visit
from edc.permissions import Role
from edc.read import datasets
from edc.services import TypedResult
from tests.support import factories
from tests.support.exports import small_trial
from tests.support.factories import INFUSION_1, _acting, _participant, _visit
from tests.support.paths import GOLDEN

AT = datetime(2026, 4, 27, 8, 30, tzinfo=UTC)
CASES = GOLDEN / "sdtm_cases"


def varied_trial(app: Flask) -> None:
    """The small fixed trial, then children in every state and the cases it lacks."""
    ids = small_trial(app)
    completed = factories.child(app, "completed", "AS-004")
    withdrawn = factories.child(app, "withdrawn", "AS-005")
    factories.child(app, "screened", "AS-006")
    odd = factories.child(app, "with results", "AS-007")
    second = ids["AS-002"]
    with _acting(app, "nurse") as ctx:
        child = _participant(ctx, second)
        services.add_visit(ctx, child, "unscheduled", date(2026, 4, 2), "Gross haematuria")
        services.mark_missed(ctx, _visit(ctx, second, "W04"), "The family was away")
    unscheduled = next(code for code, day in factories.targets(app, second).items()
                       if day == date(2026, 4, 2))
    factories.enter_results(app, second, unscheduled, date(2026, 4, 2),
                            urine_rbc=TypedResult(qualifier="too numerous to count"))
    with _acting(app, "nurse") as ctx:
        vital = ctx.session.scalars(select(LogEntry).where(
            LogEntry.participant_id == ids["AS-001"], LogEntry.form == "vital_signs")).first()
        services.remove_log_entry(ctx, _participant(ctx, ids["AS-001"]), vital,
                                  "Entered for the wrong infusion")
    factories.log_entry(app, completed, "vital_signs", {
        "infusion": "1", "timepoint": "PRE", "date": INFUSION_1, "time": time(8, 40),
        "temperature": 36.8, "heart_rate": None, "resp_rate": 22, "systolic": 100,
        "diastolic": 60, "spo2": None})
    with _acting(app, "nurse") as ctx, audited(ctx.session, "nurse", "Export cases"):
        # A unit no rule converts: the child's measures cannot be computed (TRENDERR).
        ctx.session.execute(update(Result).where(Result.participant_id == odd,
                                                 Result.field == "creatinine")
                            .values(unit="mg/L"))
        ctx.session.execute(update(Visit).where(Visit.participant_id == withdrawn,
                                                Visit.status == "planned")
                            .values(status="cancelled", cancelled_reason="Withdrawn"))
        for pid, name, voided in ((completed, "王医生", None),
                                  (ids["AS-001"], "Dr Li\nsecond line", "Signed too early")):
            ctx.session.add(Signature(
                participant_id=pid, signed_by="investigator", printed_name=name,
                meaning="I confirm the casebook 我确认", signed_at=AT,
                voided_at=AT if voided else None, voided_reason=voided))
        ctx.session.commit()


def written(app: Flask, kind: str, role: str) -> dict[str, str]:
    with app.app_context():
        file = io.BytesIO()
        exports.write(db.session(), app.extensions["edc_study"], kind, role, file, AT)
    if kind == "wide":
        return {"wide.csv": file.getvalue().decode("utf-8-sig")}
    with zipfile.ZipFile(file) as archive:
        return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}


@pytest.mark.parametrize("batch", [1, 100])
def test_every_case_is_written_as_its_golden_file(app: Flask, allocation: None,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  batch: int) -> None:
    varied_trial(app)
    monkeypatch.setattr(datasets, "BATCH", batch)
    for role in (Role.MONITOR, Role.UNBLINDED):
        for kind in ("csv", "wide"):
            for name, text in written(app, kind, role).items():
                golden = CASES / f"{role}-{name}"
                assert text.replace("\r\n", "\n") == golden.read_text(encoding="utf-8"), (
                    role, name)
