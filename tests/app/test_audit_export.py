"""The audit trail's CSV as a monitor reconciles it: equal to its golden file for the small
fixed trial (tests/golden/audit.csv), each line named by its save and its stored row, a created
record's values one line each under the one row that stored them, and no line repeated."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db, exports
from edc.models import AuditChange
from edc.permissions import Role
from tests.support.apps import login
from tests.support.exports import small_trial
from tests.support.paths import GOLDEN

AT = datetime(2026, 4, 27, 8, 30, tzinfo=UTC)
CLOCK = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")


def audit_csv(app: Flask, role: str = Role.MONITOR) -> str:
    with app.app_context():
        file = io.BytesIO()
        exports.write(db.session(), app.extensions["edc_study"], "audit", role, file, AT)
        return file.getvalue().decode("utf-8-sig")


def comparable(text: str) -> str:
    """The file with what the run decides replaced: the clock's times (the saves', and those a
    record keeps, such as when a query was raised), and the saves' and rows' numbers renumbered
    1, 2... in order (a database may skip numbers); which lines share a save or a row stays as
    written."""
    rows = list(csv.DictReader(io.StringIO(text)))
    # Within a save the database writes its records in no set order (a withdrawal cancels
    # the visits left): the file is compared with each save's lines by record and field.
    saves = {entry: n for n, entry in enumerate(dict.fromkeys(r["audit_entry_id"] for r in rows))}
    rows.sort(key=lambda row: (saves[row["audit_entry_id"]], row["entity"],
                               int(row["entity_id"] or 0), row["field"]))
    numbers: dict[str, dict[str, int]] = {"audit_entry_id": {}, "audit_event_id": {}}
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        for column, seen in numbers.items():
            row[column] = str(seen.setdefault(row[column], len(seen) + 1))
        writer.writerow(row | {"at": "(audit time)", "old": CLOCK.sub("(clock)", row["old"]),
                               "new": CLOCK.sub("(clock)", row["new"])})
    return out.getvalue()


def test_the_audit_export_equals_its_golden_file(app: Flask, allocation: None) -> None:
    small_trial(app)
    text = audit_csv(app)
    assert comparable(text) == (GOLDEN / "audit.csv").read_text(encoding="utf-8")


def test_each_line_names_its_save_and_stored_row_and_none_repeats(
        app: Flask, allocation: None) -> None:
    ids = small_trial(app)
    rows = list(csv.DictReader(io.StringIO(audit_csv(app))))
    assert list(rows[0]) == ["audit_entry_id", "at", "username", "reason", "audit_event_id",
                             "action", "entity", "entity_id", "participant_id",
                             "participant_code", "field", "old", "new"]
    keys = [(r["audit_event_id"], r["field"]) for r in rows]
    assert len(keys) == len(set(keys))  # one line per stored row and field: none repeated
    # AS-003's enrolment: one save, one stored row holding every value entered; the export
    # tells each value on its own line under that row.
    enrolment = [r for r in rows if r["entity"] == "participant" and r["action"] == "create"
                 and r["entity_id"] == str(ids["AS-003"])]
    with app.app_context():
        [stored] = db.session().scalars(select(AuditChange).where(
            AuditChange.entity == "participant", AuditChange.action == "create",
            AuditChange.entity_id == ids["AS-003"])).all()
    assert {r["audit_event_id"] for r in enrolment} == {str(stored.id)}
    assert {r["audit_entry_id"] for r in enrolment} == {str(stored.entry_id)}
    assert {r["field"]: r["new"] for r in enrolment} == {
        name: value for name, value in json.loads(stored.new).items() if value is not None}
    assert {r["field"]: r["new"] for r in enrolment}["code"] == "AS-003"
    assert {(r["username"], r["reason"]) for r in enrolment} == {("nurse", "Enrolment")}
    assert {(r["participant_id"], r["participant_code"]) for r in enrolment} == {
        (str(ids["AS-003"]), "AS-003")}
    # A save of many records (a visit's results): one save, one stored row per result.
    saves = {}
    for r in rows:
        if r["entity"] == "result":
            saves.setdefault(r["audit_entry_id"], set()).add(r["audit_event_id"])
    assert saves and all(len(rows_of_save) > 1 for rows_of_save in saves.values())


def test_log_ins_and_computers_waits_are_only_in_the_administrators_export(
        app: Flask, allocation: None) -> None:
    """What someone typed as a user name (a password, in the wrong box) and the computers'
    addresses are the site's security, not the study's data the monitor takes away."""
    small_trial(app)
    assert login(FlaskClient(app), "Mypass-2026!zz", "whatever-it-was").status_code == 401
    for role, shown in ((Role.MONITOR, False), (Role.INVESTIGATOR, False),
                        (Role.UNBLINDED, False), (Role.ADMIN, True)):
        text = audit_csv(app, role)
        assert ("Mypass-2026!zz" in text) is shown, role
        assert ("login_attempt" in text) is shown, role
        assert "AS-003" in text, role  # the study's own rows stay
