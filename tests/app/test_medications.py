"""The ACEI/ARB log as a nurse uses it: a dose in mg or mg/kg saved as typed with its unit and
audited item by item, the other drug named exactly when Other is chosen, a course started before
consent; each start and dose change between the visits of the results table and on the chart,
and a change shortly before a sample flagged beside its proteinuria outcome."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db
from edc.models import LogEntry
from tests.support import factories
from tests.support.audit import audit_rows
from tests.support.pages import html_of, page

ZH = {"Accept-Language": "zh-CN"}
STARTED = {"drug": "ENALAPRIL", "dose": "2.5", "dose_unit": "mg", "frequency": "BID",
           "start_date": "2026-01-10", "end_date": "", "ongoing": "yes", "change": "STARTED"}


def new_url(pid: int, name: str = "medications") -> str:
    return f"/participants/{pid}/log/{name}/new"


@pytest.fixture
def pid(app: Flask, allocation: None) -> int:
    return factories.child(app, "with results")


def entries(app: Flask) -> list[LogEntry]:
    with app.app_context():
        return list(db.session().scalars(select(LogEntry).order_by(LogEntry.id)))


def test_a_course_started_before_consent_is_saved_with_its_unit_and_audited(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    response = nurse.post(new_url(pid), data=STARTED)
    assert response.status_code == 302, page(response).errors
    [entry] = entries(app)
    assert entry.values["dose"] == {"value": 2.5, "unit": "mg"}
    assert entry.start_date.isoformat() == "2026-01-10"  # before consent: a medication may be
    rows = {(r.field, r.new) for r in audit_rows(app, entity="log_entry")}
    assert ("dose", '{"unit": "mg", "value": 2.5}') in rows and ("drug", "ENALAPRIL") in rows
    shown = page(nurse.get(f"/participants/{pid}/log/medications/1"))
    assert shown.value("dose") == "2.5" and shown.value("dose_unit") == "mg"


def test_a_dose_per_kg_keeps_its_unit_and_its_own_range(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    losartan = {**STARTED, "drug": "LOSARTAN", "dose": "0.7", "dose_unit": "mg/kg"}
    assert nurse.post(new_url(pid), data=losartan).status_code == 302
    assert entries(app)[0].values["dose"] == {"value": 0.7, "unit": "mg/kg"}
    refused = nurse.post(new_url(pid), data={**losartan, "dose": "50"})
    assert refused.status_code == 422
    assert "mg/kg" in " ".join(page(refused).errors["dose"])


def test_the_other_drug_must_be_named_and_only_then(app: Flask, nurse: FlaskClient,
                                                    pid: int) -> None:
    unnamed = nurse.post(new_url(pid), data={**STARTED, "drug": "OTHER"}, headers=ZH)
    assert unnamed.status_code == 422
    assert page(unnamed).errors["drug_other"] == ["请填写药名：药物选择了“其他”。"]
    named_twice = nurse.post(new_url(pid), data={**STARTED, "drug_other": "咪达普利"})
    assert named_twice.status_code == 422 and "drug_other" in page(named_twice).errors
    named = nurse.post(new_url(pid), data={**STARTED, "drug": "OTHER", "drug_other": "咪达普利"})
    assert named.status_code == 302
    assert entries(app)[0].values["drug_other"] == "咪达普利"


def test_dates_are_checked_against_each_other_and_today(nurse: FlaskClient, pid: int) -> None:
    backwards = nurse.post(new_url(pid), data={**STARTED, "end_date": "2026-01-01",
                                                "ongoing": "no"})
    assert backwards.status_code == 422 and "end_date" in page(backwards).errors
    future = nurse.post(new_url(pid), data={**STARTED, "start_date": "2027-01-01"})
    assert future.status_code == 422 and "start_date" in page(future).errors


def test_the_form_reads_chinese(nurse: FlaskClient, pid: int) -> None:
    text = page(nurse.get(new_url(pid), headers=ZH)).text
    for words in ("ACEI/ARB用药", "药物", "依那普利", "替米沙坦", "每次剂量", "mg/kg", "每日2次",
                  "剂量增加", "停止日期", "仍在使用"):
        assert words in text
    other = page(nurse.get(new_url(pid, "other_medications"), headers=ZH)).text
    assert "其他合并用药" in other and "用药原因" in other


def _raise_before(app: Flask, nurse: FlaskClient, pid: int, days: int) -> str:
    """Start enalapril, raise it `days` before W04's sample; return the day raised."""
    w04 = factories.targets(app, pid)["W04"]
    raised = w04 - timedelta(days=days)
    first = {**STARTED, "end_date": (raised - timedelta(days=1)).isoformat(), "ongoing": "no"}
    assert nurse.post(new_url(pid), data=first).status_code == 302
    second = {**STARTED, "dose": "5", "start_date": raised.isoformat(), "change": "INCREASED"}
    assert nurse.post(new_url(pid), data=second).status_code == 302
    return raised.isoformat()


def test_changes_are_lines_of_the_results_table_and_lines_on_the_chart(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    raised = _raise_before(app, nurse, pid, 10)
    html = html_of(nurse.get(f"/participants/{pid}", headers=ZH))
    text = page(nurse.get(f"/participants/{pid}", headers=ZH)).text
    assert "ACEI/ARB用药 开始用药：依那普利 2.5 mg 每日2次" in text
    assert "ACEI/ARB用药 剂量增加：依那普利 5 mg 每日2次" in text
    # The increase sits between W02 and W04.
    assert html.index('data-trend="W02"') < html.index('data-dose="medications-2"') < html.index(
        'data-trend="W04"')
    assert html.count('<g class="marker">') == 2
    assert f"{raised}" in html.split('<g class="marker">')[2].split("</title>")[0]


def test_a_change_10_days_before_a_sample_is_flagged_beside_its_proteinuria(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    raised = _raise_before(app, nurse, pid, 10)  # W02 was sampled before it
    html = html_of(nurse.get(f"/participants/{pid}", headers=ZH))
    w04 = html.split('data-trend="W04"')[1].split("</tr>")[0]
    assert f"ACEI/ARB用药 剂量增加 {raised}（采样前10天）" in w04
    w02 = html.split('data-trend="W02"')[1].split("</tr>")[0]
    assert "dose-flag" not in w02


def test_a_change_29_days_before_is_not_flagged(app: Flask, nurse: FlaskClient,
                                                 pid: int) -> None:
    _raise_before(app, nurse, pid, 29)
    html = html_of(nurse.get(f"/participants/{pid}", headers=ZH))
    assert "dose-flag" not in html.split('data-trend="W04"')[1].split("</tr>")[0]


def test_the_history_tells_the_dose_with_its_unit(nurse: FlaskClient, pid: int) -> None:
    nurse.post(new_url(pid), data={**STARTED, "drug": "LOSARTAN", "dose": "0.7",
                                   "dose_unit": "mg/kg"})
    history = nurse.get(f"/participants/{pid}/history", headers=ZH)
    assert history.status_code == 200
    assert "0.7 mg/kg" in page(history).text


def test_a_drugs_courses_do_not_overlap_and_an_other_change_says_what_it_was(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    assert nurse.post(new_url(pid), data=STARTED).status_code == 302  # ongoing since 2026-01-10
    raised = {**STARTED, "dose": "5", "start_date": "2026-03-25", "change": "INCREASED"}
    response = nurse.post(new_url(pid), data=raised)
    assert response.status_code == 422
    assert page(response).errors["start_date"] == [
        "Enalapril is already recorded from 2026-01-10 (entry 1): give that entry its stop "
        "date, the day before this one starts, first."]
    other = nurse.post(new_url(pid), data={**raised, "drug": "LOSARTAN", "change": "OTHER"})
    assert page(other).errors["change_note"] == [
        "Say what changed: Reason for the entry is Other."]
    assert nurse.post(new_url(pid), data={**raised, "drug": "LOSARTAN", "change": "OTHER",
                                          "change_note": "Added for proteinuria"}
                      ).status_code == 302
    assert [e.values["drug"] for e in entries(app)] == ["ENALAPRIL", "LOSARTAN"]


def test_a_dose_that_is_no_number_is_refused_naming_either_unit(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    refused = page(nurse.post(new_url(pid), data={**STARTED, "dose": "2.5片"}))
    assert refused.errors["dose"] == ["Got '2.5片'. Expected a number in mg or mg/kg."]
    chinese = page(nurse.post(new_url(pid), data={**STARTED, "dose": "两片"}, headers=ZH))
    assert chinese.errors["dose"] == ["输入的是 '两片'，应为以 mg 或 mg/kg 为单位的数字。"]
    assert entries(app) == []


def test_a_dose_and_its_unit_are_one_value_when_two_people_change_it_at_once(
        app: Flask, as_role: Any, pid: int) -> None:
    """The entry holds 10 mg; the investigator saves 0.4 mg/kg, then the nurse, from a page
    opened before, only the number: 5 (mg). Her page keeps 5 mg (not 5 mg/kg) and says the
    dose was changed by both."""
    nurse, investigator = as_role("nurse"), as_role("investigator")
    assert nurse.post(new_url(pid), data={**STARTED, "dose": "10"}).status_code == 302
    url = f"/participants/{pid}/log/medications/1"
    opened = page(nurse.get(url))
    keep = {"version": opened.value("version"), "opened": opened.value("opened")}
    assert investigator.post(url, data={**STARTED, **keep, "dose": "0.4", "dose_unit": "mg/kg",
                                        "reason": "Per kg"}).status_code == 302
    clash = nurse.post(url, data={**STARTED, **keep, "dose": "5", "reason": "Halved"})
    assert clash.status_code == 409
    shown = page(clash)
    assert (shown.value("dose"), shown.selected["dose_unit"]) == ("5", "mg")
    assert shown.errors["dose"] == ["Someone else changed Dose (each time) too; theirs is 0.4 "
                                    "mg/kg. Keep yours or type theirs, then save."]
    assert 'data-item="dose" class="differs"' in html_of(clash)
    assert entries(app)[0].values["dose"] == {"value": 0.4, "unit": "mg/kg"}
