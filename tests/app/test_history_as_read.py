"""The participant's history as a nurse and a monitor read it: Chinese lists joined as Chinese
writes them, a measurement's unit said once, a visit the child does not have said so, and an
enrolment's verification named."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db
from edc.models import Participant
from tests.support.factories import INFUSION_1, INFUSION_2, child, infuse
from tests.support.forms import book
from tests.support.pages import page
from tests.support.records import visit_id

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def history(client: FlaskClient, pid: int, headers: dict[str, str], query: str = "") -> str:
    return page(client.get(f"/participants/{pid}/history{query}", headers=headers)).text


def test_a_moved_visit_and_a_flagged_booking_read_with_chinese_punctuation(
        app: Flask, nurse: FlaskClient, allocation: None) -> None:
    pid = child(app, "screened")
    infuse(app, pid, 1, INFUSION_1)  # screening's target and suggested day move to it
    infuse(app, pid, 2, INFUSION_2)
    assert book(nurse, app, pid, "W08", date="2026-05-10",
                reason="Family travels that week").status_code == 302  # a Sunday
    chinese, english = history(nurse, pid, ZH), history(nurse, pid, EN)
    moved = re.search(r"SCR 目标日期 \S+ → \S+(.)建议日期", chinese)
    assert moved is not None and moved.group(1) == "、"
    assert "W08 已预约 2026-05-10（周末）" in chinese
    assert ", suggested day" in english and "W08 booked 2026-05-10 (weekend)" in english


def test_a_measurement_whose_label_holds_its_unit_shows_the_unit_once(
        app: Flask, nurse: FlaskClient, allocation: None) -> None:
    pid = child(app, "with results")
    chinese, english = history(nurse, pid, ZH), history(nurse, pid, EN)
    assert "W02 身高 126 cm" in chinese and "W02 体重 25 kg" in chinese
    assert "W02 尿量 900 mL" in chinese and "W02 畸形红细胞 60%" in chinese
    assert "(cm)" not in chinese and "(kg)" not in chinese and "(%)" not in chinese
    assert "W02 Height 126 cm" in english and "W02 Weight 25 kg" in english
    assert "W02 Dysmorphic RBC 60 %" in english and "Height (cm)" not in english
    # The visit's own history (the visit page) tells it so too.
    visit = page(nurse.get(f"/visits/{visit_id(app, pid, 'W02')}", headers=ZH))
    assert [line.split("：", 1)[1] for line in visit.results["height"].history] == ["126 cm"]


def test_a_visit_the_child_does_not_have_is_said_and_the_whole_history_shown(
        app: Flask, nurse: FlaskClient, allocation: None) -> None:
    pid = child(app, "scheduled")
    other = child(app, "enrolled", code="AS-002")
    for query in ("?visit=XYZ", "?visit=999999", f"?visit={visit_id(app, pid, 'W02')}"):
        for headers, said in ((ZH, "应为 AS-001 的访视之一：W02、W04、"),
                              (EN, "Expected a visit of AS-001: W02, W04, ")):
            response = nurse.get(f"/participants/{pid}/history{query}", headers=headers)
            shown = page(response)
            assert response.status_code == 400, query
            [(kind, text)] = shown.flashes
            assert kind == "error" and said in text and repr(query[7:]) in text
            assert "W02" in shown.text and "W04" in shown.text  # every change, as said
    assert nurse.get(f"/participants/{pid}/history?visit=W02").status_code == 200
    assert nurse.get(f"/participants/{pid}/history?visit=").status_code == 200
    # Another child's screening visit is not this child's (AS-001 has none yet).
    assert nurse.get(f"/participants/{other}/history?visit=SCR").status_code == 400
    assert nurse.get(f"/participants/{pid}/history?visit=%00%FF").status_code == 400


def test_the_verified_enrolment_is_named_in_the_history(
        app: Flask, as_role, allocation: None) -> None:
    pid = child(app, "enrolled")
    with app.app_context():
        version = db.session().scalar(select(Participant.version).where(
            Participant.id == pid))
    monitor = as_role("monitor")
    assert monitor.post(f"/participants/{pid}/verify", data={
        "entity": "participant", "entity_id": pid, "version": version}).status_code == 302
    assert "入组 已与原始资料核查一致" in history(monitor, pid, ZH)
    assert "Enrolment Verified against the source documents" in history(monitor, pid, EN)


def test_a_query_is_named_by_what_it_asks_about_and_shown_with_its_visit(
        app: Flask, as_role, allocation: None) -> None:
    pid = child(app, "with results")
    monitor = as_role("monitor")
    w02 = visit_id(app, pid, "W02")
    assert monitor.post("/queries/new", data={
        "entity": "visit", "entity_id": str(w02), "field": "actual_date",
        "text": "Sample date?"}).status_code == 302
    assert monitor.post("/queries/new", data={
        "entity": "participant", "entity_id": str(pid), "field": "weight_kg",
        "text": "Weight at enrolment?"}).status_code == 302
    chinese, english = history(monitor, pid, ZH), history(monitor, pid, EN)
    assert "W02 已提出质疑" in chinese and "入组 已提出质疑" in chinese
    assert "W02 Query raised" in english and "Enrolment Query raised" in english
    assert "W02 Query raised" in history(monitor, pid, EN, "?visit=W02")
