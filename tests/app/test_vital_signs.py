"""The vital signs of an infusion as a nurse enters them: a row per time point saved as one log
entry; a value outside its usual range saved, marked and offered as an adverse event with the
infusion, the day and a suggested term; outside its possible range refused with what was typed
kept; a second row for the same time point refused; a correction with its reason; who may write;
Chinese labels; full-width digits."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db
from edc.models import LogEntry
from tests.support import factories
from tests.support.audit import audit_rows
from tests.support.pages import GENERAL, page

TIME_POINTS = ("PRE", "15MIN", "1H", "END")
MEASURES = ("temperature", "heart_rate", "resp_rate", "systolic", "diastolic", "spo2")
CALM = {"time": "09:00", "temperature": "36.6", "heart_rate": "88", "resp_rate": "20",
        "systolic": "104", "diastolic": "64", "spo2": "98"}
FEVER = {**CALM, "time": "09:35", "temperature": "38.6", "heart_rate": "112"}


@pytest.fixture
def pid(app: Flask, allocation: None) -> int:
    return factories.child(app, "scheduled")  # infusion 1 on 2026-03-02, 2 on 2026-03-16


def url(pid: int, number: int = 1) -> str:
    return f"/participants/{pid}/infusions/{number}/vitals"


def row(point: str, values: dict[str, str], day: str = "2026-03-02") -> dict[str, str]:
    """What the browser posts for one time point's inputs."""
    return {f"vs-{point}-date": day, **{f"vs-{point}-{k}": v for k, v in values.items()}}


def entries(app: Flask) -> list[LogEntry]:
    with app.app_context():
        return list(db.session().scalars(
            select(LogEntry).where(LogEntry.form == "vital_signs").order_by(LogEntry.id)))


def cell(html: str, point: str, item: str) -> str:
    """The text of a saved row's cell (the value and its badge)."""
    found = re.search(rf'<tr id="tp-{point}".*?<td data-item="{item}">(.*?)</td>', html, re.S)
    assert found, f"no cell {item} in row {point}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def time_points(html: str) -> list[str]:
    """The heading of each time point's row, in order."""
    return [" ".join(unescape(t).split()) for t in re.findall(
        r'<tr id="tp-[^"]+"[^>]*>\s*<th scope="row">(.*?)</th>', html, re.S)]


def adverse_event_link(html: str, point: str) -> tuple[str, dict[str, list[str]]]:
    found = re.search(rf'id="record-ae-{point}"[^>]*href="([^"]+)"', html)
    assert found, f"no adverse event link at {point}"
    parts = urlsplit(unescape(found.group(1)))
    return parts.path, parse_qs(parts.query)


def test_the_page_has_a_row_per_time_point_of_the_file_with_the_infusion_date_filled_in(
        nurse: FlaskClient, pid: int) -> None:
    response = nurse.get(url(pid))
    shown = page(response)
    assert time_points(response.text) == [
        "Before the infusion", "15 minutes after the start", "1 hour after the start",
        "End of the infusion"]
    for point in TIME_POINTS:
        assert shown.value(f"vs-{point}-date") == "2026-03-02"
        assert all(shown.value(f"vs-{point}-{m}") == "" for m in MEASURES)
    assert page(nurse.get(url(pid, 2))).value("vs-PRE-date") == "2026-03-16"


def test_a_time_point_is_saved_as_one_entry_of_the_log_with_its_infusion(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    response = nurse.post(url(pid), data=row("PRE", CALM))
    assert response.status_code == 302, page(response).errors
    assert response.headers["Location"] == url(pid)
    [entry] = entries(app)
    assert entry.values == {"infusion": "1", "timepoint": "PRE", "date": "2026-03-02",
                            "time": "09:00", "temperature": 36.6, "heart_rate": 88,
                            "resp_rate": 20, "systolic": 104, "diastolic": 64, "spo2": 98}
    shown = nurse.get(url(pid))
    assert ("success", "Before the infusion is saved.") in page(shown).flashes
    html = shown.text
    assert cell(html, "PRE", "temperature") == "36.6"
    assert 'name="vs-PRE-temperature"' not in html  # saved: no more inputs for it
    assert 'name="vs-15MIN-temperature"' in html
    assert "record-ae-PRE" not in html  # nothing outside its usual range


def test_a_fever_is_saved_marked_and_offered_as_an_adverse_event_of_the_infusion(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    response = nurse.post(url(pid), data=row("15MIN", FEVER), follow_redirects=True)
    assert response.status_code == 200
    assert entries(app)[0].values["temperature"] == 38.6
    html = response.text
    assert cell(html, "15MIN", "temperature") == "38.6 high"
    assert cell(html, "15MIN", "heart_rate") == "112"  # inside 60-120/min: no badge
    warnings = [m for m in page(response).field_errors.get("", [])]
    assert "Temperature 38.6 °C is outside the usual range, 35.5 to under 37.5 °C." in warnings
    path, arguments = adverse_event_link(html, "15MIN")
    assert path == f"/participants/{pid}/log/adverse_events/new"
    assert arguments == {"infusion": ["1"], "onset_date": ["2026-03-02"], "term": ["Fever"]}
    opened = page(nurse.get(path, query_string={k: v[0] for k, v in arguments.items()}))
    assert (opened.value("term"), opened.value("onset_date"), opened.value("infusion")) == (
        "Fever", "2026-03-02", "1")


def test_a_low_saturation_warns_below_its_range_and_suggests_hypoxia(
        nurse: FlaskClient, pid: int) -> None:
    html = nurse.post(url(pid), data=row("1H", {**CALM, "spo2": "91"}),
                      follow_redirects=True).text
    assert cell(html, "1H", "spo2") == "91 low"
    assert "SpO2 91 % is below the usual range 94-100 %." in unescape(html)
    assert adverse_event_link(html, "1H")[1]["term"] == ["Hypoxia"]


def test_a_value_outside_the_possible_range_is_refused_at_its_field_and_nothing_typed_is_lost(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    typed = {**row("PRE", CALM), **row("15MIN", {**FEVER, "temperature": "386"})}
    response = nurse.post(url(pid), data=typed)
    assert response.status_code == 422
    shown = page(response)
    assert shown.errors["vs-15MIN-temperature"] == [
        "Temperature 386 °C is outside the possible range 32-43 °C."]
    assert [shown.value(f"vs-15MIN-{k}") for k in FEVER] == [
        "09:35", "386", "112", "20", "104", "64", "98"]
    # The row that could be saved is saved, and says so.
    assert [e.values["timepoint"] for e in entries(app)] == ["PRE"]
    assert ("success", "Before the infusion is saved.") in shown.flashes
    assert ("error", "The rows marked below are not saved: correct them and save again.") in (
        shown.flashes)
    assert "vs-PRE-temperature" not in shown.inputs


def test_a_number_that_is_not_one_is_refused_with_what_was_typed(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    response = nurse.post(url(pid), data=row("PRE", {**CALM, "heart_rate": "88.5"}))
    assert response.status_code == 422
    shown = page(response)
    assert shown.errors["vs-PRE-heart_rate"] == [
        "Got '88.5'. Expected a whole number in /min."]
    assert shown.value("vs-PRE-heart_rate") == "88.5"
    assert entries(app) == []


def test_full_width_digits_from_a_chinese_keyboard_are_read(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    response = nurse.post(url(pid), data=row("15MIN", {**FEVER, "temperature": "３８．６",
                                                       "time": "０９：３５"}))
    assert response.status_code == 302, page(response).errors
    assert (entries(app)[0].values["temperature"], entries(app)[0].values["time"]) == (
        38.6, "09:35")


def test_a_row_with_a_time_and_no_measure_is_refused(app: Flask, nurse: FlaskClient,
                                                     pid: int) -> None:
    response = nurse.post(url(pid), data=row("END", {"time": "10:30"}))
    assert response.status_code == 422
    assert "Enter at least one measure, or leave the row empty." in response.text
    assert page(response).value("vs-END-time") == "10:30"
    assert entries(app) == []


def test_nothing_typed_saves_nothing(app: Flask, nurse: FlaskClient, pid: int) -> None:
    response = nurse.post(url(pid), data={f"vs-{p}-date": "2026-03-02" for p in TIME_POINTS},
                          follow_redirects=True)
    assert ("warning", "Nothing was typed: nothing is saved.") in page(response).flashes
    assert entries(app) == []


def test_measures_dated_before_the_infusion_are_refused(app: Flask, nurse: FlaskClient,
                                                       pid: int) -> None:
    response = nurse.post(url(pid), data=row("PRE", CALM, day="2026-03-01"))
    assert response.status_code == 422
    assert page(response).errors["vs-PRE-date"] == [
        "Date 2026-03-01 is before infusion 1 (2026-03-02) that it is linked to."]


def test_a_second_row_for_the_same_infusion_and_time_point_is_refused(
        app: Flask, nurse: FlaskClient, as_role, pid: int) -> None:
    # Two nurses open the page; the first saves 15 minutes, then the second does too.
    other = as_role("investigator")
    assert other.get(url(pid)).status_code == 200
    assert nurse.post(url(pid), data=row("15MIN", FEVER)).status_code == 302
    response = other.post(url(pid), data=row("15MIN", {**FEVER, "temperature": "38.4"}))
    assert response.status_code == 422
    assert ("15 minutes after the start of infusion 1 is recorded already (entry 1): correct "
            "that entry instead.") in page(response).errors[GENERAL]
    assert page(response).value("vs-15MIN-temperature") == "38.4"  # kept, not dropped
    assert [e.values["temperature"] for e in entries(app)] == [38.6]
    # Opened again, the page shows the saved row; the generic log refuses the same pair too.
    assert cell(other.get(url(pid)).text, "15MIN", "temperature") == "38.6 high"
    again = nurse.post(f"/participants/{pid}/log/vital_signs/new", data={
        "infusion": "1", "timepoint": "15MIN", "date": "2026-03-02", **FEVER})
    assert again.status_code == 422
    assert ("15 minutes after the start of infusion 1 is recorded already (entry 1): correct "
            "that entry instead.") in page(again).errors.get("timepoint", [])
    assert [e.values["temperature"] for e in entries(app)] == [38.6]
    # The same time point of the other infusion is another row.
    assert nurse.post(url(pid, 2), data=row("15MIN", CALM, "2026-03-16")).status_code == 302
    assert len(entries(app)) == 2


def test_a_saved_row_is_corrected_with_its_reason_and_the_trail_keeps_both(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    nurse.post(url(pid), data=row("15MIN", FEVER))
    html = nurse.get(url(pid)).text
    correct = re.search(r'<a href="([^"]+)" data-action="correct">', html).group(1)
    assert correct == f"/participants/{pid}/log/vital_signs/1"
    opened = page(nurse.get(correct))
    data = {**opened.form_data(), "temperature": "37.6", "reason": "Transcription error"}
    assert nurse.post(correct, data=data).status_code == 302
    assert entries(app)[0].values["temperature"] == 37.6
    assert entries(app)[0].version == 2
    trail = [(r.field, r.old, r.new, r.reason)
             for r in audit_rows(app, entity="log_entry", field="temperature")]
    assert trail == [("temperature", None, "38.6", None),
                     ("temperature", "38.6", "37.6", "Transcription error")]
    stale = nurse.post(correct, data={**data, "temperature": "37.0", "reason": "again",
                                      "version": "1"})
    assert stale.status_code == 409
    history = nurse.get(f"/participants/{pid}/history")
    assert history.status_code == 200 and "Transcription error" in history.text
    # Still warned at 37.6 (37.5 or more), with the new value.
    assert cell(nurse.get(url(pid)).text, "15MIN", "temperature") == "37.6 high"


@pytest.mark.parametrize("role", ["monitor", "unblinded"])
def test_roles_that_do_not_record_safety_read_the_page_but_may_not_post(
        as_role, nurse: FlaskClient, pid: int, role: str) -> None:
    nurse.post(url(pid), data=row("15MIN", FEVER))
    reader = as_role(role)
    response = reader.get(url(pid))
    assert response.status_code == 200
    assert cell(response.text, "15MIN", "temperature") == "38.6 high"
    assert "vs-PRE-temperature" not in page(response).inputs
    assert "record-ae-15MIN" not in response.text
    assert reader.post(url(pid), data=row("PRE", CALM)).status_code == 403


def test_the_investigator_records_and_the_page_shows_no_arm(as_role, pid: int) -> None:
    investigator = as_role("investigator")
    assert investigator.post(url(pid), data=row("PRE", CALM)).status_code == 302
    html = investigator.get(url(pid)).text
    assert "hUC-MSC" not in html and "placebo" not in html.lower()


def test_an_infusion_not_recorded_has_no_inputs_and_an_unknown_one_is_not_found(
        app: Flask, nurse: FlaskClient, allocation: None) -> None:
    pid = factories.child(app, "infusion 1")
    response = nurse.get(url(pid, 2))
    assert response.status_code == 200
    assert "Infusion 2 is not recorded" in response.text
    assert "vs-PRE-temperature" not in page(response).inputs
    assert nurse.get(url(pid, 3)).status_code == 404
    assert nurse.get(url(pid + 99, 1)).status_code == 404


def test_the_participant_and_infusion_pages_link_to_the_vital_signs(
        nurse: FlaskClient, pid: int) -> None:
    detail = nurse.get(f"/participants/{pid}").text
    assert f'href="{url(pid, 1)}"' in detail and f'href="{url(pid, 2)}"' in detail
    assert f'href="{url(pid, 1)}"' in nurse.get(f"/participants/{pid}/infusions/1").text


def test_a_chinese_reader_reads_the_time_points_measures_and_warning_in_chinese(
        nurse: FlaskClient, pid: int) -> None:
    nurse.post("/language", data={"language": "zh_CN", "next": url(pid)})
    response = nurse.post(url(pid), data=row("15MIN", FEVER), follow_redirects=True)
    shown = page(response)
    assert time_points(response.text) == [
        "输注前", "输注开始后15分钟", "输注开始后1小时", "输注结束"]
    assert ("success", "输注开始后15分钟已保存。") in shown.flashes
    html = unescape(response.text)
    for label in ("体温", "心率", "呼吸频率", "收缩压", "舒张压", "血氧饱和度", "次/分"):
        assert label in html
    assert "体温 38.6 °C 超出常见范围（35.5 至低于 37.5 °C）。" in html
    assert cell(response.text, "15MIN", "temperature") == "38.6 偏高"
    assert "记录不良事件" in html
    assert adverse_event_link(response.text, "15MIN")[1]["term"] == ["发热"]


def test_full_width_letters_are_refused_clearly_in_chinese(nurse: FlaskClient, pid: int) -> None:
    nurse.post("/language", data={"language": "zh_CN", "next": url(pid)})
    response = nurse.post(url(pid), data=row("PRE", {**CALM, "temperature": "３８．６度"}))
    assert response.status_code == 422
    errors: Any = page(response).errors["vs-PRE-temperature"]
    assert len(errors) == 1 and "３８．６度" in errors[0] and "°C" in errors[0]
    assert page(response).value("vs-PRE-temperature") == "３８．６度"


@pytest.mark.parametrize(("typed", "field", "message"), [
    ({"diastolic": "110", "systolic": "100"}, "vs-1H-diastolic",
     "Diastolic blood pressure 110 is not below Systolic blood pressure 100."),
    ({"date": "2026-03-16"}, "vs-1H-date",
     "Date 2026-03-16 is not the day of infusion 1 (2026-03-02) nor the day after."),
])
def test_a_row_that_cannot_be_right_is_refused_at_its_field(
        app: Flask, nurse: FlaskClient, pid: int, typed: dict[str, str], field: str,
        message: str) -> None:
    values = {**CALM, **typed}
    day = values.pop("date", "2026-03-02")
    response = nurse.post(url(pid), data=row("1H", values, day))
    assert response.status_code == 422
    assert page(response).errors[field] == [message]
    assert entries(app) == []


def test_an_infusion_running_past_midnight_ends_the_next_day(
        app: Flask, nurse: FlaskClient, pid: int) -> None:
    response = nurse.post(url(pid), data=row("END", {**CALM, "time": "00:20"}, "2026-03-03"))
    assert response.status_code == 302
