"""What a family sees in its calendar and on its card once visits are done, booked or added."""

from __future__ import annotations

import re
from datetime import UTC, date

import vobject
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from edc import db
from edc.models import Visit
from tests.support.apps import Clock
from tests.support.forms import results_form, submit
from tests.support.records import visit_id


def stored(app: Flask, pid: int, code: str) -> Visit:
    with app.app_context():
        return db.session().scalars(select(Visit).where(
            Visit.participant_id == pid, Visit.code == code)).one()


def family_feed(nurse: FlaskClient, client: FlaskClient, pid: int) -> bytes:
    """The calendar as the family's phone reads it through its link (no log-in)."""
    assert submit(nurse, f"/participants/{pid}/calendar-link").status_code == 302
    token = re.search(r"/calendar/([A-Za-z0-9_-]+)\.ics",
                      nurse.get(f"/participants/{pid}").text).group(1)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    return response.data


def by_uid(feed: bytes) -> dict[str, dict[str, object]]:
    """Each event's start, stamp, summary and description, read by icalendar and by vobject
    (which must agree)."""
    parsed = {str(e["UID"]): {"start": e["DTSTART"].dt, "stamp": e["DTSTAMP"].dt,
                              "sequence": int(e["SEQUENCE"]),
                              "summary": str(e["SUMMARY"]), "description": str(e["DESCRIPTION"])}
              for e in Calendar.from_ical(feed).walk("VEVENT")}
    for event in vobject.readOne(feed.decode("utf-8")).contents["vevent"]:
        seen = parsed[event.uid.value]
        assert (event.dtstart.value, event.summary.value, event.description.value) == (
            seen["start"], seen["summary"], seen["description"])
    return parsed


def test_a_done_visit_is_on_the_day_it_took_place_not_the_suggested_day(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    # W02: suggested Monday 2026-03-30, window 2026-03-27 to 2026-04-02; the sample was 1 April.
    w02 = visit_id(app, scheduled, "W02")
    assert nurse.post(f"/visits/{w02}", data=results_form(
        nurse, w02, sample_date="2026-04-01")).status_code == 302
    uid = stored(app, scheduled, "W02").calendar_uid
    event = by_uid(family_feed(nurse, client, scheduled))[uid]
    assert event["start"] == date(2026, 4, 1)
    assert event["summary"] == "复诊 2周 / Follow-up visit 2 weeks"
    assert "复诊 2周：2026年4月1日 星期三\n此次就诊已完成。" in event["description"]
    assert "Follow-up visit 2 weeks: Wednesday 1 April 2026\nThis visit took place on this day." \
        in event["description"]
    # The download a nurse sends is the same calendar.
    download = by_uid(nurse.get(f"/participants/{scheduled}/calendar.ics").data)
    assert download[uid]["start"] == date(2026, 4, 1)


def test_a_missed_visit_is_told_as_missed_not_as_cancelled_by_the_clinic(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    w02 = visit_id(app, scheduled, "W02")
    assert nurse.post(f"/visits/{w02}/missed", data={
        "reason": "Flu", "version": str(stored(app, scheduled, "W02").version)}
    ).status_code == 302
    uid = stored(app, scheduled, "W02").calendar_uid
    event = by_uid(family_feed(nurse, client, scheduled))[uid]
    assert event["summary"] == "未到访：复诊 2周 / Missed: Follow-up visit 2 weeks"
    assert "此次复诊未到访。如需商量下次复诊，请致电门诊。" in event["description"]
    assert "已取消" not in event["description"]


def test_a_visit_done_on_another_day_than_booked_leaves_the_booked_time_behind(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int, clock: Clock
) -> None:
    # W04: window 2026-04-10 to 2026-04-16; booked on 8 April for Tuesday 14 April 09:30,
    # done on the 15th.
    w04 = visit_id(app, scheduled, "W04")
    with clock.on(date(2026, 4, 8)):
        assert submit(nurse, f"/visits/{w04}/book",
                      {"date": "2026-04-14", "time": "09:30"}).status_code == 302
    assert nurse.post(f"/visits/{w04}", data=results_form(
        nurse, w04, sample_date="2026-04-15")).status_code == 302
    event = by_uid(family_feed(nurse, client, scheduled))[stored(app, scheduled, "W04")
                                                         .calendar_uid]
    assert event["start"] == date(2026, 4, 15)  # an all-day event on the day it took place


def test_a_corrected_sample_date_moves_the_event_with_a_new_sequence_and_stamp(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    w02 = visit_id(app, scheduled, "W02")
    assert nurse.post(f"/visits/{w02}", data=results_form(
        nurse, w02, sample_date="2026-04-01")).status_code == 302
    first = by_uid(family_feed(nurse, client, scheduled))[stored(app, scheduled, "W02")
                                                         .calendar_uid]
    assert nurse.post(f"/visits/{w02}", data=results_form(
        nurse, w02, sample_date="2026-04-02", reason="Date of the report")).status_code == 302
    visit = stored(app, scheduled, "W02")
    event = by_uid(family_feed(nurse, client, scheduled))[visit.calendar_uid]
    assert (first["start"], event["start"]) == (date(2026, 4, 1), date(2026, 4, 2))
    assert event["sequence"] == first["sequence"] + 1
    assert event["stamp"] == visit.calendar_stamp.astimezone(UTC).replace(microsecond=0)


def test_an_unscheduled_visit_is_named_so_chinese_first_on_its_only_day(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    response = submit(nurse, f"/participants/{scheduled}/visits",
                      {"kind": "unscheduled", "date": "2026-04-20", "reason": "Fever"})
    assert response.status_code == 302, response.text
    event = by_uid(family_feed(nurse, client, scheduled))[stored(app, scheduled, "U01")
                                                         .calendar_uid]
    assert event["summary"] == "计划外随访 / Unscheduled visit"
    assert event["start"] == date(2026, 4, 20)
    assert event["description"].startswith(
        "计划外随访：2026年4月20日 星期一\n只能在2026年4月20日就诊；")
    assert ("Unscheduled visit: Monday 20 April 2026\n"
            "The visit can take place on 20 April 2026 only;") in event["description"]
    assert "Unscheduled visit" in nurse.get(f"/participants/{scheduled}/card").text


def test_the_window_says_any_clinic_day_in_chinese_then_english(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    # W08: suggested Monday 2026-05-11, window 2026-05-08 to 2026-05-14.
    event = by_uid(family_feed(nurse, client, scheduled))[stored(app, scheduled, "W08")
                                                         .calendar_uid]
    text = event["description"]
    chinese = "可在2026年5月8日至5月14日之间任意一个门诊日就诊；如需改期，请致电门诊。"
    english = ("The visit can take place on any clinic day from 8 May to 14 May 2026; "
               "to change the day, call the clinic.")
    assert chinese in text and english in text
    assert text.index(chinese) < text.index(english)
    card = nurse.get(f"/participants/{scheduled}/card").text
    w08 = re.search(r'data-visit="W08".*?</tr>', card, re.S).group(0)
    assert "可在2026年5月8日至5月14日之间任意一个门诊日就诊" in w08
    assert "on any clinic day from 8 May to 14 May 2026" in w08


def test_the_clinic_feed_names_the_unscheduled_visit_and_leaves_out_a_done_one(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    submit(nurse, f"/participants/{scheduled}/visits",
           {"kind": "unscheduled", "date": "2026-04-20", "reason": "Fever"})
    w02 = visit_id(app, scheduled, "W02")
    assert nurse.post(f"/visits/{w02}", data=results_form(
        nurse, w02, sample_date="2026-04-01")).status_code == 302
    events = {str(e["SUMMARY"]): e["DTSTART"].dt for e in Calendar.from_ical(
        nurse.get("/clinic/calendar.ics").data).walk("VEVENT")}
    assert events["AS-001 U01 计划外随访 / Unscheduled visit"] == date(2026, 4, 20)
    # A done visit is in the child's record, not in the clinic's plan.
    assert "AS-001 W02 复诊 2周 / Follow-up visit 2 weeks" not in events


def test_the_card_says_when_to_start_the_urine_as_study_toml_sets_it(app: Flask) -> None:
    from edc.views.calendars.routes import _card_en, _card_zh

    with app.test_request_context():  # the words come from the message catalogue
        assert _card_zh(1)["urine"] == "请在每次就诊前一天开始收集24小时尿液，就诊时带来。"
        assert _card_zh(2)["urine"] == "请在每次就诊前2天开始收集24小时尿液，就诊时带来。"
        assert _card_en(2)["urine"] == ("Start collecting 24-hour urine 2 days before each "
                                        "visit, and bring it to the visit.")


def test_the_card_says_the_day_before_in_english_for_one_day(nurse, scheduled) -> None:
    card = nurse.get(f"/participants/{scheduled}/card").text
    assert ("Start collecting 24-hour urine the day before each visit, and bring it to the "
            "visit.") in card
    assert "请在每次就诊前一天开始收集24小时尿液" in card


def test_the_card_prints_chinese_then_english_whatever_the_readers_language(
    nurse: FlaskClient, scheduled: int
) -> None:
    card = nurse.get(f"/participants/{scheduled}/card",
                     headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    assert '<html lang="zh-CN">' in card  # the reader's language is Chinese
    assert "复诊时间表" in card and "· Follow-up visits</p>" in card
    assert '<th><span lang="zh-CN">访视</span><br>Visit</th>' in card and "<th>Date</th>" in card
    assert '<th><span lang="zh-CN">窗口期</span><br>Window</th>' in card
    assert ("请在每次就诊前一天开始收集24小时尿液，就诊时带来。</span><br>Start collecting 24-hour "
            "urine the day before each visit") in card
    assert "<span lang=\"zh-CN\">门诊电话</span> / Clinic phone:" in card
