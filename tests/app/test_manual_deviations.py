"""Protocol deviations recorded by hand (forms/deviations.toml) on the deviations page: a child
chosen by code, the category, date, description and corrective action; audited, listed beside
the deviations the record computes for every role, refused with what was typed kept, and on
each child's own log page. The page runs the same queries whatever the number of children."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db
from edc.models import LogEntry
from tests.support import factories
from tests.support.audit import audit_count, audit_rows
from tests.support.pages import page
from tests.support.queries import queries_for

MISSED_ECG = {"child": "AS-001", "category": "MISSED", "deviation_date": "2026-03-30",
              "description": "W02 urine sample not collected",
              "corrective_action": "Nurses reminded to check the sample list"}


def recorded_rows(html: str) -> list[str]:
    """The rows of the recorded deviations, as text."""
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r"<tr data-recorded=[^>]*>(.*?)</tr>", html, re.S)]


def record(client: FlaskClient, headers: dict[str, str] | None = None, **items: str) -> Any:
    return client.post("/deviations", data={**MISSED_ECG, **items}, headers=headers or {})


@pytest.fixture
def pid(app: Flask, allocation: None) -> int:
    return factories.child(app, "scheduled")


def test_a_deviation_recorded_on_the_page_is_saved_audited_and_listed(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    response = record(nurse)
    assert response.status_code == 302, page(response).errors
    assert response.headers["Location"] == "/deviations"
    listed = nurse.get("/deviations")
    assert ("success", "Protocol deviations of AS-001: entry 1 is saved.") in page(listed).flashes
    assert recorded_rows(listed.text) == [
        "AS-001 1 Missed visit or assessment 2026-03-30 Mon W02 urine sample not collected "
        "Nurses reminded to check the sample list nurse"]
    assert f'href="/participants/{pid}/log/deviations/1"' in listed.text
    rows = audit_rows(app, entity="log_entry")
    # One change per item entered (a created entry's values come by name).
    assert sorted((r.username, r.field, r.new) for r in rows) == sorted([
        ("nurse", "form", "deviations"),
        ("nurse", "number", "1"), ("nurse", "category", "MISSED"),
        ("nurse", "deviation_date", "2026-03-30"),
        ("nurse", "description", "W02 urine sample not collected"),
        ("nurse", "corrective_action", "Nurses reminded to check the sample list")])
    # The child's own log page lists it too.
    own = nurse.get(f"/participants/{pid}/log/deviations").text
    assert "W02 urine sample not collected" in own


@pytest.mark.parametrize("role", ["admin", "investigator", "nurse", "monitor"])
def test_every_role_reads_the_recorded_deviations(
        app: Flask, nurse: FlaskClient, as_role, pid: int, role: str) -> None:
    assert record(nurse).status_code == 302
    response = as_role(role).get("/deviations")
    assert response.status_code == 200
    assert len(recorded_rows(response.text)) == 1
    form_shown = 'id="record-deviation"' in response.text
    assert form_shown == (role in ("investigator", "nurse"))


def test_a_monitor_may_read_but_not_record(app: Flask, as_role, pid: int) -> None:
    monitor = as_role("monitor")
    before = audit_count(app)
    assert record(monitor).status_code == 403
    assert audit_count(app) == before
    assert recorded_rows(monitor.get("/deviations").text) == []


@pytest.mark.parametrize(("items", "field", "message"), [
    ({"description": " "}, "description",
     "Describe the deviation: what happened, and against which part of the protocol."),
    ({"category": ""}, "category", "Choose the category of the deviation."),
    ({"deviation_date": "2026-02-01"}, "deviation_date",
     "Date of the deviation 2026-02-01 is before consent (2026-02-20)."),
    ({"deviation_date": "2026-04-28"}, "deviation_date",
     "Date of the deviation 2026-04-28 is after today."),
    ({"child": ""}, "child", "Enter the child's code."),
    ({"child": "AS-999"}, "child",
     "Got 'AS-999'. Expected the code of a child of the study, e.g. AS-001."),
])
def test_a_refused_deviation_saves_nothing_and_keeps_what_was_typed(
        app: Flask, nurse: FlaskClient, pid: int, items: dict[str, str], field: str,
        message: str) -> None:
    before = audit_count(app)
    response = record(nurse, **items)
    assert response.status_code == 422
    shown = page(response)
    assert shown.errors[field] == [message]
    typed = {**MISSED_ECG, **items}
    for name in ("category", "deviation_date", "corrective_action"):
        assert shown.value(name) == typed[name], name
    assert 'id="record-deviation" open' in response.text
    assert audit_count(app) == before
    assert recorded_rows(response.text) == []


def test_the_child_is_named_by_its_code_as_a_chinese_keyboard_may_type_it(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    """A typed code, not a list of every child (a large study would not fit one): full-width
    letters, digits and dash, spaces, lower case and a missing dash still name the child."""
    child = factories.child(app, "enrolled", "AS-002")
    form = page(nurse.get("/deviations"))
    assert form.value("child") == ""
    assert 'placeholder="AS-001"' in nurse.get("/deviations").text
    assert record(nurse, child="\u3000ａｓ－００２ ").status_code == 302
    assert recorded_rows(nurse.get("/deviations").text)[0].startswith("AS-002 1")
    with app.app_context():
        assert [e.participant_id for e in db.session().scalars(select(LogEntry))] == [child]
    # Filtered to a child, the form is ready for that child's code.
    assert page(nurse.get("/deviations?participant=AS-002")).value("child") == "AS-002"
    assert record(nurse, child="AS 002").status_code == 302  # a space typed for the dash
    assert recorded_rows(nurse.get("/deviations?participant=as002").text)[1].startswith(
        "AS-002 2")


def test_the_filters_apply_to_recorded_deviations(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    factories.child(app, "scheduled", "AS-002")
    assert record(nurse).status_code == 302
    assert record(nurse, child="AS-002", category="CONSENT", deviation_date="2026-02-20",
                  description="Consent form signed without the date").status_code == 302

    def shown(query: str) -> list[str]:
        return [row[:8] for row in recorded_rows(nurse.get(f"/deviations?{query}").text)]

    assert shown("") == ["AS-001 1", "AS-002 1"]
    assert shown("participant=as-002") == ["AS-002 1"]
    assert shown("kind=recorded") == ["AS-001 1", "AS-002 1"]
    assert shown("kind=sample") == []
    assert "data-deviation=" not in nurse.get("/deviations?kind=recorded").text


def test_the_deviations_page_reads_in_chinese(app: Flask, nurse: FlaskClient, pid: int) -> None:
    zh = {"Accept-Language": "zh-CN"}
    assert record(nurse, zh).status_code == 302
    html = nurse.get("/deviations", headers=zh).text
    assert "患儿 AS-001 的方案偏离：第1条已保存。" in html
    assert recorded_rows(html)[0].startswith("AS-001 1 漏访/漏检 2026-03-30")
    for label in ("偏离类别", "偏离日期", "偏离描述", "纠正及预防措施", "录入人", "记录方案偏离"):
        assert label in html
    refused = page(record(nurse, zh, description=""))
    assert refused.errors["description"] == ["请描述偏离：发生了什么，违背了方案的哪一部分。"]


def test_the_deviations_page_runs_the_same_queries_for_2_and_8_children(
        app: Flask, nurse: FlaskClient, allocation: None) -> None:
    def with_deviations(first: int, last: int) -> None:
        factories.add_children(app, first, last)
        for n in range(first, last + 1):
            for _twice in range(2):
                assert record(nurse, child=f"AS-{n:03d}").status_code == 302

    with_deviations(1, 2)
    few = queries_for(app, nurse, "/deviations")
    with_deviations(3, 8)
    assert len(recorded_rows(nurse.get("/deviations").text)) == 16
    assert queries_for(app, nurse, "/deviations") == few
    assert queries_for(app, nurse, "/deviations?participant=AS-003") == few + 1


def test_the_worklist_counts_a_recorded_deviation_among_those_to_review(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    def to_review() -> int:
        html = nurse.get("/").text
        section = html[html.index('<section id="deviations">'):]
        return int(re.search(r'<span class="badge count">(\d+)</span>', section).group(1))

    before = to_review()
    assert record(nurse).status_code == 302
    assert to_review() == before + 1


def test_the_childs_page_and_casebook_show_the_deviations_the_record_computes(
        app: Flask, as_role, pid: int) -> None:
    """W02's window is 27 March to 2 April; its sample on 5 April is 3 days late. Nobody typed
    a deviation in, yet the child's page and the casebook the investigator signs say so."""
    factories.enter_results(app, pid, "W02", factories.date(2026, 4, 5))
    monitor = as_role("monitor")
    shown = monitor.get(f"/participants/{pid}").text
    assert ">Protocol deviations (0)</a>" in shown
    assert re.search(r'data-computed-deviations="1">Deviations the record computes \(1\)</a>',
                     shown)
    casebook = monitor.get(f"/participants/{pid}/casebook").text
    computed = casebook.split("Deviations the record computes</h2>")[1].split("<h2>")[0]
    rows = [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in re.findall(r"<tr data-deviation=[^>]*>(.*?)</tr>", computed, re.S)]
    assert rows == ["W02 · 2 weeks Sample outside the visit window 2026-04-05 Sun 3 days after"]
    zh = as_role("monitor").get(f"/participants/{pid}", headers={"Accept-Language": "zh-CN"})
    assert "系统计算出的方案偏离（1）" in zh.text
