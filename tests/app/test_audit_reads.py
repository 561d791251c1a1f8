"""The trail stores a created record as one row of what was entered, and every reader still
tells it field by field: the history pages, the exports, the blinded and unblinded views."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html import unescape
from types import SimpleNamespace

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from edc import db
from edc.models import AuditEvent
from edc.models.audit import FieldChange
from edc.read.exports import AUDIT_COLUMNS, audit_rows
from edc.read.review import casebook
from edc.views.filters import term
from edc.views.history_words import saves
from edc.views.review.words import record_words
from edc.views.shared import results_definition
from tests.support.audit import stored_rows
from tests.support.forms import results_form
from tests.support.pages import page
from tests.support.records import visit_id as find_visit


def _lines(html: str) -> list[str]:
    """Every change line of the history page, newest save first."""
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [unescape(line).strip() for line in re.findall(r"<li>(.*?)</li>", body, re.S)]


def test_a_results_save_shows_each_value_entered_once_with_who_and_when(
        app: Flask, nurse: FlaskClient, scheduled: int) -> None:
    w06 = find_visit(app, scheduled, "W06")
    assert nurse.post(f"/visits/{w06}", data=results_form(
        nurse, w06, creatinine=("0.48", "mg/dL"))).status_code == 302
    lines = _lines(nurse.get(f"/participants/{scheduled}/history").text)
    assert lines.count("W06 Serum creatinine 0.48 mg/dL") == 1
    assert lines.count("W06 Cystatin C 0.9 mg/L") == 1
    # The save is one entry: one who and when above all its lines.
    html = nurse.get(f"/participants/{scheduled}/history").text
    newest = re.search(r'<tr class="save">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'<td class="who">\s*nurse\s*</td>', newest)
    assert "W06 Serum creatinine 0.48 mg/dL" in unescape(newest)


def test_a_removed_result_still_names_its_analyte_and_visit(
        app: Flask, nurse: FlaskClient, scheduled: int) -> None:
    w04 = find_visit(app, scheduled, "W04")
    assert nurse.post(f"/visits/{w04}", data=results_form(nurse, w04)).status_code == 302
    response = nurse.post(f"/visits/{w04}", data=results_form(
        nurse, w04, protein_24h=("", ""), reason="Sample lost"))
    assert response.status_code == 302, page(response).errors
    lines = _lines(nurse.get(f"/participants/{scheduled}/history").text)
    assert "W04 24-hour urine protein 420 mg/24h removed" in lines
    history = page(nurse.get(f"/visits/{w04}")).results["protein_24h"].history
    assert [line.split(" nurse: ")[1] for line in history] == [
        "420 mg/24h", "420 mg/24h removed (Sample lost)"]
    # Stored: one row with the result's last values, its analyte and visit among them.
    (deleted,) = stored_rows(app, AuditEvent.action == "delete")
    assert deleted.field is None and deleted.new is None
    assert json.loads(deleted.old)["field"] == "protein_24h"
    assert json.loads(deleted.old)["visit_id"] == str(w04)


def test_the_audit_export_keeps_one_line_per_field_and_the_arm_for_the_unblinded_only(
        app: Flask, nurse: FlaskClient, scheduled: int) -> None:
    w04 = find_visit(app, scheduled, "W04")
    assert nurse.post(f"/visits/{w04}", data=results_form(
        nurse, w04, creatinine=("0.48", "mg/dL"))).status_code == 302
    with app.app_context():
        blinded = [dict(zip(AUDIT_COLUMNS, row, strict=True))
                   for row in audit_rows(db.session(), "monitor")]
        unblinded = [dict(zip(AUDIT_COLUMNS, row, strict=True))
                     for row in audit_rows(db.session(), "unblinded")]
    creatinine = {r["entity_id"] for r in blinded
                  if r["entity"] == "result" and r["field"] == "field"
                  and r["new"] == "creatinine"}
    assert len(creatinine) == 1
    assert {r["field"]: r["new"] for r in blinded if r["entity_id"] in creatinine
            and r["entity"] == "result"} == {
        "field": "creatinine", "visit_id": str(w04), "typed_value": "0.48",
        "typed_unit": "mg/dL"}
    assert all(r["field"] is not None for r in blinded if r["action"] == "create")
    assert [r for r in blinded if r["entity"] == "allocation" or r["field"] == "arm"] == []
    arms = {r["new"] for r in unblinded if r["entity"] == "allocation" and r["field"] == "arm"}
    assert arms == {"MSC", "PBO"}


def test_the_casebook_never_reads_the_allocation(app: Flask, scheduled: int) -> None:
    with app.app_context():
        book = casebook(db.session(), scheduled)
    assert book is not None and book.trail
    assert {row.entity for row in book.trail} == {"participant", "infusion", "visit"}
    assert all(row.field != "arm" for row in book.trail)


def _change(row_id: int, entity: str, action: str, field: str | None, old: str | None,
            new: str | None) -> FieldChange:
    return FieldChange(id=row_id, entry_id=row_id, action=action, entity=entity, entity_id=1,
                       participant_id=1, field=field, old=old, new=new,
                       at=datetime(2026, 3, 2, tzinfo=UTC), username="monitor", reason=None)


def test_a_chinese_history_tells_signatures_marks_queries_and_secrets_in_chinese(
        app: Flask) -> None:
    rows = [_change(1, "signature", "create", None, None, '{"meaning":"x"}'),
            _change(2, "verification", "create", None, None, '{"entity":"visit"}'),
            _change(3, "data_query", "create", None, None, '{"status":"open","text":"?"}'),
            _change(4, "data_query", "update", "status", "open", "answered"),
            _change(5, "participant", "update", "frozen_at", None, "2026-03-02"),
            _change(6, "signature", "update", "voided_at", None, "2026-03-02"),
            _change(7, "participant", "update", "screening_token", "(set)", "(changed)")]
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        lines = [c.line for save in saves(rows, results_definition(), term)
                 for c in save.changes]
        review = SimpleNamespace(participant=SimpleNamespace(
            visits=[SimpleNamespace(id=4, code="W04")]))
        target = record_words(review, "visit", 4, "actual_date")  # type: ignore[arg-type]
    assert lines[:6] == ["病例报告已签名", "已与原始资料核查一致", "已提出质疑", "质疑已回复",
                         "记录已冻结", "签名已作废"]
    # A secret the trail does not keep is said so in Chinese too.
    assert lines[6].endswith("（已设置） → （已更改）")
    assert target == "W04 采样日期"
