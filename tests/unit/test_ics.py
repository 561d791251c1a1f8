"""Calendars for families and the clinic, read back with two parsers (icalendar and vobject).

Every expected date and time below was worked out by hand and written out literally. After an
intended change, read the new golden files, then regenerate them: python -m tests.unit.test_ics
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar, Event

from edc.formats.ics import (
    CalendarVisit,
    CalendarWords,
    Clinic,
    Reminders,
    Words,
    clinic_feed,
    day_text,
    family_calendar,
    urine_start,
    window_text,
)

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
SHANGHAI = ZoneInfo("Asia/Shanghai")
CLINIC = Clinic(
    name="Guangzhou Women and Children's Medical Center, Paediatric Nephrology",
    name_zh="广州市妇女儿童医疗中心 儿童肾脏科",
    address="9 Jinsui Road, Tianhe District, Guangzhou",
    address_zh="广州市天河区金穗路9号",
    phone="+86 20 8133 0569",
)
STAMP = datetime(2026, 3, 16, 2, 0, tzinfo=UTC)
W02 = CalendarVisit(
    uid="6f1c2a9e-0b7d-4c1e-9a53-2f8e1d4b7a01", sequence=0, stamp=STAMP, code="W02",
    label="2 weeks", label_zh="2周", day=date(2026, 3, 30), time=None,
    window_start=date(2026, 3, 27), window_end=date(2026, 4, 2), cancelled=False,
    participant_code="AS-001",
)
M03 = CalendarVisit(
    uid="0d9b7c55-3e2a-4f61-8c0d-5a4b3c2d1e02", sequence=1,
    stamp=datetime(2026, 4, 20, 7, 15, tzinfo=UTC), code="M03", label="3 months",
    label_zh="3个月", day=date(2026, 6, 16), time=time(9, 30), window_start=date(2026, 6, 9),
    window_end=date(2026, 6, 23), cancelled=False, participant_code="AS-001", booked=True,
)
M04 = CalendarVisit(
    uid="a2e4c6f8-1b3d-4a5c-9e7f-0a1b2c3d4e03", sequence=2,
    stamp=datetime(2026, 5, 2, 3, 0, tzinfo=UTC), code="M04", label="4 months",
    label_zh="4个月", day=date(2026, 7, 16), time=None, window_start=date(2026, 7, 9),
    window_end=date(2026, 7, 23), cancelled=True, participant_code="AS-001",
)
VISITS = [W02, M03, M04]
NAME = "复诊日历 / Follow-up visits"
# As forms/study.toml [calendar] has them; the expectations below are worked out for these.
DEFAULTS = Reminders(urine_days_before=1, urine_time=time(7, 0), visit_alarm_minutes=120,
                     visit_duration_minutes=120)
STUDY_ID = "NCT06731192"
# As the zh_CN catalogue translates the app's messages; English is the messages themselves.
WORDS = CalendarWords(
    zh=Words(
        locale="zh_CN",
        follow_up="复诊 %(label)s",
        unscheduled="计划外随访",
        screening="筛选访视",
        cancelled="已取消：%(name)s",
        missed="未到访：%(name)s",
        day="%(date)s %(weekday)s",
        visit_day="%(visit)s：%(date)s %(weekday)s",
        only_on="只能在%(date)s就诊",
        any_day="可在%(start)s至%(end)s之间任意一个门诊日就诊",
        any_day_in_year="可在%(year)s年%(start)s至%(end)s之间任意一个门诊日就诊",
        window="%(window)s；如需改期，请致电门诊。",
        booked_day="此日已与门诊预约；如需改期，请致电门诊。",
        urine="请于%(day)s开始收集24小时尿液，就诊时带来。",
        is_cancelled="此次就诊已取消。",
        is_missed="此次复诊未到访。如需商量下次复诊，请致电门诊。",
        took_place="此次就诊已完成。",
        phone="电话：%(phone)s",
        alarm_at="%(time)s %(visit)s",
        alarm_tomorrow="明天%(visit)s",
        urine_title="开始收集24小时尿液",
        urine_reminder="开始收集24小时尿液，就诊时带来（%(visit)s，%(day)s）",
        reminder_visit="复诊 %(label)s",
        reminder_day="y年M月d日",
    ),
    en=Words(
        locale="en_GB",
        follow_up="Follow-up visit %(label)s",
        unscheduled="Unscheduled visit",
        screening="Screening visit",
        cancelled="Cancelled: %(name)s",
        missed="Missed: %(name)s",
        day="%(weekday)s %(date)s",
        visit_day="%(visit)s: %(weekday)s %(date)s",
        only_on="on %(date)s only",
        any_day="on any clinic day from %(start)s to %(end)s",
        any_day_in_year="on any clinic day from %(start)s to %(end)s %(year)s",
        window="The visit can take place %(window)s; to change the day, call the clinic.",
        booked_day="This day is booked with the clinic; to change it, call the clinic.",
        urine="Start collecting 24-hour urine on %(day)s and bring it with you.",
        is_cancelled="This visit is cancelled.",
        is_missed="This visit did not take place. To talk about the next one, call the clinic.",
        took_place="This visit took place on this day.",
        phone="Phone: %(phone)s",
        alarm_at="%(visit)s at %(time)s",
        alarm_tomorrow="%(visit)s tomorrow",
        urine_title="Start 24-hour urine collection",
        urine_reminder="Start collecting 24-hour urine and bring it to the visit "
                       "(%(visit)s, %(day)s)",
        reminder_visit="%(label)s",
        reminder_day="EEEE d MMMM y",
    ),
)


def family(visits: list[CalendarVisit] = VISITS, reminders: Reminders = DEFAULTS) -> bytes:
    """Render the family calendar of the example child."""
    return family_calendar(visits, clinic=CLINIC, tz=SHANGHAI, reminders=reminders, words=WORDS,
                           name=NAME, study_id=STUDY_ID)


def clinic(visits: list[CalendarVisit] = VISITS) -> bytes:
    """Render the clinic feed of the example visits."""
    return clinic_feed(
        visits, clinic=CLINIC, tz=SHANGHAI, reminders=DEFAULTS, words=WORDS,
        name="Alport clinic", study_id=STUDY_ID,
    )


def events(ics: bytes) -> dict[str, Event]:
    """Parse with icalendar and return the events by UID."""
    return {str(e["UID"]): e for e in Calendar.from_ical(ics).events}


def vevents(ics: bytes) -> dict[str, vobject.base.Component]:
    """Parse with vobject and return the events by UID."""
    calendar = vobject.readOne(ics.decode("utf-8"))
    return {e.uid.value: e for e in calendar.contents.get("vevent", [])}


@pytest.fixture(params=["family", "clinic"])
def feed(request: pytest.FixtureRequest) -> bytes:
    return family() if request.param == "family" else clinic()


def test_feed_declares_version_prodid_calscale_method_name_timezone_and_refresh(
    feed: bytes,
) -> None:
    calendar = Calendar.from_ical(feed)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == "-//Alport follow-up mini-EDC//NCT06731192//EN"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-TIMEZONE"] == "Asia/Shanghai"
    assert calendar.refresh_interval == timedelta(hours=4)
    assert calendar["X-PUBLISHED-TTL"] == "PT4H"
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT4H\r\n" in feed
    parsed = vobject.readOne(feed.decode("utf-8"))
    assert parsed.version.value == "2.0"
    assert parsed.prodid.value == "-//Alport follow-up mini-EDC//NCT06731192//EN"


def test_calendar_name_is_the_name_passed_in() -> None:
    assert Calendar.from_ical(family())["X-WR-CALNAME"] == NAME
    assert Calendar.from_ical(clinic())["X-WR-CALNAME"] == "Alport clinic"


def test_every_event_has_uid_dtstamp_and_sequence_in_both_parsers(feed: bytes) -> None:
    for event in Calendar.from_ical(feed).events:
        assert event["UID"] and event["DTSTAMP"] and "SEQUENCE" in event
    for uid, event in vevents(feed).items():
        assert uid and event.dtstamp.value.utcoffset() == timedelta(0)
        assert event.sequence.value is not None


def test_dtstamp_is_the_given_stamp_in_utc_whatever_its_timezone() -> None:
    in_guangzhou = replace(W02, stamp=datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI))
    assert b"\r\nDTSTAMP:20260316T020000Z\r\n" in family([in_guangzhou])
    assert events(family([in_guangzhou]))[W02.uid]["DTSTAMP"].dt == STAMP


def test_naive_stamp_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="naive stamp"):
        family([replace(W02, stamp=datetime(2026, 3, 16, 2, 0))])


def test_all_day_visit_is_on_its_date_and_ends_the_next_day_never_shifted(feed: bytes) -> None:
    assert b"\r\nDTSTART;VALUE=DATE:20260330\r\nDTEND;VALUE=DATE:20260331\r\n" in feed
    event = events(feed)[W02.uid]
    assert type(event.start) is date and event.start == date(2026, 3, 30)
    assert type(event.end) is date and event.end == date(2026, 3, 31)
    vevent = vevents(feed)[W02.uid]
    assert type(vevent.dtstart.value) is date and vevent.dtstart.value == date(2026, 3, 30)
    assert type(vevent.dtend.value) is date and vevent.dtend.value == date(2026, 3, 31)


def test_timed_visit_is_0930_in_shanghai_which_is_0130_utc(feed: bytes) -> None:
    assert b"\r\nDTSTART;TZID=Asia/Shanghai:20260616T093000\r\n" in feed
    event = events(feed)[M03.uid]
    assert event.start == datetime(2026, 6, 16, 1, 30, tzinfo=UTC)
    assert event.start.tzinfo is not None and event.start.utcoffset() == timedelta(hours=8)
    vevent = vevents(feed)[M03.uid]
    assert vevent.dtstart.value.astimezone(UTC) == datetime(2026, 6, 16, 1, 30, tzinfo=UTC)


def test_timed_visit_lasts_the_configured_duration() -> None:
    event = events(family(reminders=replace(DEFAULTS, visit_duration_minutes=45)))[M03.uid]
    assert event.end - event.start == timedelta(minutes=45)


def test_every_tzid_used_has_its_vtimezone(feed: bytes) -> None:
    calendar = Calendar.from_ical(feed)
    assert calendar.get_used_tzids() == {"Asia/Shanghai"}
    assert calendar.get_missing_tzids() == set()
    used = set(re.findall(rb";TZID=([^:;]+)", feed))
    declared = set(re.findall(rb"\r\nBEGIN:VTIMEZONE\r\nTZID:([^\r]+)", feed))
    assert used == declared == {b"Asia/Shanghai"}
    parsed = vobject.readOne(feed.decode("utf-8"))
    assert [tz.tzid.value for tz in parsed.contents["vtimezone"]] == ["Asia/Shanghai"]


def test_feed_without_a_timed_event_has_no_vtimezone() -> None:
    feed = clinic([W02, M04])
    assert b"TZID" not in feed and b"VTIMEZONE" not in feed


def test_timezone_comes_from_the_zoneinfo_passed_in() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    feed = family_calendar([M03], clinic=CLINIC, tz=berlin, reminders=DEFAULTS, words=WORDS,
                           name=NAME, study_id=STUDY_ID)
    assert b"\r\nDTSTART;TZID=Europe/Berlin:20260616T093000\r\n" in feed
    assert b"\r\nX-WR-TIMEZONE:Europe/Berlin\r\n" in feed
    assert Calendar.from_ical(feed).get_missing_tzids() == set()
    # 09:30 in Berlin in June is summer time, UTC+2.
    assert vevents(feed)[M03.uid].dtstart.value.astimezone(UTC) == datetime(
        2026, 6, 16, 7, 30, tzinfo=UTC
    )


def test_every_valarm_is_display_with_a_description() -> None:
    alarms = [a for e in Calendar.from_ical(family()).events for a in e.walk("VALARM")]
    assert len(alarms) == 2  # the booked visit and its urine reminder (W02 is still to book)
    for alarm in alarms:
        assert alarm["ACTION"] == "DISPLAY" and str(alarm["DESCRIPTION"]).strip()
    for event in vevents(family()).values():
        for alarm in event.contents.get("valarm", []):
            assert alarm.action.value == "DISPLAY" and alarm.description.value.strip()


def test_timed_visit_alarms_the_configured_minutes_before() -> None:
    event = events(family())[M03.uid]
    (alarm,) = event.walk("VALARM")
    assert alarm["TRIGGER"].dt == timedelta(minutes=-120)
    assert [t.trigger for t in event.alarms.times] == [
        datetime(2026, 6, 16, 7, 30, tzinfo=SHANGHAI)
    ]
    assert "09:30" in str(alarm["DESCRIPTION"])
    earlier = replace(DEFAULTS, visit_alarm_minutes=30)
    (alarm,) = events(family(reminders=earlier))[M03.uid].walk("VALARM")
    assert alarm["TRIGGER"].dt == timedelta(minutes=-30)


def test_all_day_visit_alarms_at_1800_the_evening_before() -> None:
    booked = replace(W02, booked=True)  # booked without a time
    event = events(family([booked]))[W02.uid]
    (alarm,) = event.walk("VALARM")
    assert alarm["TRIGGER"].dt == timedelta(hours=-6)  # local midnight of 30 March minus 6 h
    # icalendar's own reading: floating (local) 18:00 on 29 March, wherever the phone is.
    assert [t.trigger for t in event.alarms.times] == [datetime(2026, 3, 29, 18, 0)]
    assert "明天" in str(alarm["DESCRIPTION"]) and "tomorrow" in str(alarm["DESCRIPTION"])


def test_urine_reminder_is_an_event_the_day_before_at_the_configured_time() -> None:
    booked = [replace(W02, booked=True)]
    urine = events(family(booked))[W02.uid + "-urine"]
    assert urine.start == datetime(2026, 3, 29, 7, 0, tzinfo=SHANGHAI)
    assert b"\r\nDTSTART;TZID=Asia/Shanghai:20260329T070000\r\n" in family(booked)
    (alarm,) = urine.walk("VALARM")
    assert alarm["TRIGGER"].dt == timedelta(0)
    assert [t.trigger for t in urine.alarms.times] == [
        datetime(2026, 3, 29, 7, 0, tzinfo=SHANGHAI)
    ]
    assert "24小时尿液" in str(urine["SUMMARY"]) and "24-hour urine" in str(urine["SUMMARY"])
    early = replace(DEFAULTS, urine_days_before=2, urine_time=time(7, 30))
    assert events(family(reminders=early))[M03.uid + "-urine"].start == datetime(
        2026, 6, 14, 7, 30, tzinfo=SHANGHAI
    )


@pytest.mark.parametrize(("booked", "urine_time", "start"), [
    (time(9, 30), time(7, 0), datetime(2026, 6, 15, 7, 0)),  # ends 07:00, before the visit
    (time(6, 30), time(7, 0), datetime(2026, 6, 15, 6, 30)),  # would end after it: 24 h before
    (time(9, 30), time(18, 0), datetime(2026, 6, 15, 9, 30)),
    (None, time(18, 0), datetime(2026, 6, 15, 18, 0)),  # no time booked: as configured
])
def test_the_24_hour_urine_collection_ends_by_the_booked_time(
    booked: time | None, urine_time: time, start: datetime
) -> None:
    """M03 on 16 June: a collection started at its start time lasts 24 hours."""
    visit = replace(M03, time=booked)
    reminders = replace(DEFAULTS, urine_time=urine_time)
    assert urine_start(visit, reminders) == start
    assert events(family([visit], reminders=reminders))[M03.uid + "-urine"].start == (
        start.replace(tzinfo=SHANGHAI))


def test_urine_reminder_follows_its_visit_uid_sequence_and_status() -> None:
    parsed = events(family())
    assert set(parsed) == {v.uid for v in VISITS} | {v.uid + "-urine" for v in VISITS}
    for visit in VISITS:
        urine = parsed[visit.uid + "-urine"]
        assert urine["SEQUENCE"] == visit.sequence
        assert urine["STATUS"] == ("CANCELLED" if visit.cancelled else
                                   "CONFIRMED" if visit.booked else "TENTATIVE")


def test_cancelled_visit_stays_in_the_feed_as_cancelled_and_never_rings(feed: bytes) -> None:
    assert b"\r\nSTATUS:CANCELLED\r\n" in feed
    event = events(feed)[M04.uid]
    assert event["STATUS"] == "CANCELLED" and event.walk("VALARM") == []
    cancelled = "已取消：复诊 4个月 / Cancelled: Follow-up visit 4 months"
    assert str(event["SUMMARY"]).endswith(cancelled)
    assert vevents(feed)[M04.uid].status.value == "CANCELLED"
    assert events(feed)[W02.uid]["STATUS"] == "TENTATIVE"  # suggested, not booked
    assert events(feed)[M03.uid]["STATUS"] == "CONFIRMED"


def test_a_day_still_to_book_is_tentative_and_never_rings() -> None:
    """A suggested day the clinic has not booked yet, and a visit done: no alarm, no urine
    alarm; the first tentative, the second confirmed."""
    suggested, done = W02, replace(M03, booked=False, done=True)
    parsed = events(family([suggested, done]))
    assert parsed[W02.uid]["STATUS"] == parsed[W02.uid + "-urine"]["STATUS"] == "TENTATIVE"
    assert parsed[M03.uid]["STATUS"] == "CONFIRMED"
    for uid in (W02.uid, W02.uid + "-urine", M03.uid):
        assert parsed[uid].walk("VALARM") == [], uid
    assert "此日已与门诊预约" not in str(parsed[W02.uid]["DESCRIPTION"])
    assert "任意一个门诊日" in str(parsed[W02.uid]["DESCRIPTION"])


def test_a_missed_visit_leaves_the_calendar_as_missed_not_as_called_off_by_the_clinic() -> None:
    missed = replace(M04, cancelled=True, missed=True)
    event = events(family([W02, M03, missed]))[M04.uid]
    assert event["STATUS"] == "CANCELLED" and event.walk("VALARM") == []
    assert str(event["SUMMARY"]) == "未到访：复诊 4个月 / Missed: Follow-up visit 4 months"
    description = str(event["DESCRIPTION"])
    assert "此次复诊未到访。如需商量下次复诊，请致电门诊。" in description
    assert "This visit did not take place. To talk about the next one, call the clinic." in (
        description)
    assert "已取消" not in description and "cancelled" not in description


def test_lines_end_with_crlf_and_are_folded_at_75_octets(feed: bytes) -> None:
    assert feed.endswith(b"\r\n")
    lines = feed.split(b"\r\n")[:-1]
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the long descriptions were folded
    feed.decode("utf-8")  # folding never splits a multi-byte character


def test_chinese_text_round_trips_in_utf8_through_both_parsers() -> None:
    summary = "复诊 2周 / Follow-up visit 2 weeks"
    assert str(events(family())[W02.uid]["SUMMARY"]) == summary
    assert vevents(family())[W02.uid].summary.value == summary
    location = "广州市天河区金穗路9号 / 9 Jinsui Road, Tianhe District, Guangzhou"
    assert str(events(family())[W02.uid]["LOCATION"]) == location
    assert vevents(family())[W02.uid].location.value == location


def test_description_is_chinese_first_then_english_with_window_clinic_and_urine() -> None:
    text = vevents(family())[W02.uid].description.value
    chinese = [
        "复诊 2周：2026年3月30日 星期一",
        "可在2026年3月27日至4月2日之间任意一个门诊日就诊",
        "请于2026年3月29日开始收集24小时尿液",
        CLINIC.name_zh, CLINIC.address_zh, f"电话：{CLINIC.phone}",
    ]
    english = [
        "Follow-up visit 2 weeks: Monday 30 March 2026",
        "The visit can take place on any clinic day from 27 March to 2 April 2026",
        "Start collecting 24-hour urine on Sunday 29 March 2026",
        CLINIC.name, CLINIC.address, f"Phone: {CLINIC.phone}",
    ]
    for zh in chinese:
        for en in english:
            assert text.index(zh) < text.index(en)
    assert "2026年6月16日 星期二 09:30" in vevents(family())[M03.uid].description.value


def test_window_says_any_clinic_day_in_both_languages() -> None:
    assert window_text(date(2026, 4, 24), date(2026, 5, 7), WORDS) == (
        "可在2026年4月24日至5月7日之间任意一个门诊日就诊",
        "on any clinic day from 24 April to 7 May 2026",
    )
    assert window_text(date(2026, 12, 24), date(2027, 1, 7), WORDS) == (
        "可在2026年12月24日至2027年1月7日之间任意一个门诊日就诊",
        "on any clinic day from 24 December 2026 to 7 January 2027",
    )
    assert window_text(date(2026, 4, 24), date(2026, 4, 24), WORDS) == (
        "只能在2026年4月24日就诊",
        "on 24 April 2026 only",
    )


def test_a_day_is_written_with_its_weekday_chinese_then_english() -> None:
    assert day_text(date(2026, 3, 30), WORDS) == ("2026年3月30日 星期一", "Monday 30 March 2026")


def test_texts_and_date_forms_are_the_ones_of_the_words_passed_in() -> None:
    american = replace(WORDS, en=replace(WORDS.en, locale="en_US", follow_up="Check-up %(label)s"))
    assert window_text(date(2026, 4, 24), date(2026, 5, 7), american)[1] == (
        "on any clinic day from April 24 to May 7 2026")
    feed = family_calendar([W02], clinic=CLINIC, tz=SHANGHAI, reminders=DEFAULTS,
                           words=american, name=NAME, study_id=STUDY_ID)
    event = vevents(feed)[W02.uid]
    assert event.summary.value == "复诊 2周 / Check-up 2 weeks"
    assert "Check-up 2 weeks: Monday March 30, 2026" in event.description.value


def test_an_unscheduled_visit_is_named_unscheduled_chinese_first() -> None:
    extra = replace(W02, uid="u01", code="U01", label="Unscheduled", label_zh="Unscheduled",
                    kind="unscheduled", day=date(2026, 4, 20), window_start=date(2026, 4, 20),
                    window_end=date(2026, 4, 20), booked=True)
    event = vevents(family([extra]))["u01"]
    assert event.summary.value == "计划外随访 / Unscheduled visit"
    text = event.description.value
    assert text.startswith("计划外随访：2026年4月20日 星期一\n此日已与门诊预约")
    assert "\nUnscheduled visit: Monday 20 April 2026\nThis day is booked" in text
    window = vevents(family([replace(extra, booked=False)]))["u01"].description.value
    assert "只能在2026年4月20日就诊" in window
    assert "The visit can take place on 20 April 2026 only;" in window
    assert "Follow-up visit" not in text and "复诊" not in text
    (alarm,) = event.contents["valarm"]
    assert alarm.description.value == "明天计划外随访 / Unscheduled visit tomorrow"
    urine = vevents(family([extra]))["u01-urine"].description.value
    assert "（计划外随访，2026年4月20日）" in urine
    assert "(Unscheduled visit, Monday 20 April 2026)" in urine
    assert str(events(clinic([extra]))["u01"]["SUMMARY"]) == (
        "AS-001 U01 计划外随访 / Unscheduled visit")


def test_a_screening_visit_is_named_screening_chinese_first() -> None:
    screening = replace(W02, uid="scr", code="SCR", label="Screening (baseline)",
                        label_zh="Screening (baseline)", kind="screening")
    assert vevents(family([screening]))["scr"].summary.value == "筛选访视 / Screening visit"


def test_a_done_visit_says_it_took_place_instead_of_its_window_and_urine() -> None:
    done = replace(W02, day=date(2026, 4, 1), done=True)
    event = vevents(family([done]))[W02.uid]
    assert event.dtstart.value == date(2026, 4, 1)
    text = event.description.value
    assert "复诊 2周：2026年4月1日 星期三\n此次就诊已完成。\n" in text
    assert ("Follow-up visit 2 weeks: Wednesday 1 April 2026\n"
            "This visit took place on this day.\n") in text
    assert "24小时尿液" not in text and "any clinic day" not in text


def test_reimport_after_a_move_keeps_the_uids_with_new_dates_and_raised_sequence() -> None:
    later = datetime(2026, 5, 10, 8, 0, tzinfo=UTC)
    moved = [
        replace(W02, day=date(2026, 4, 1), sequence=W02.sequence + 1, stamp=later),
        replace(M03, day=date(2026, 6, 18), time=time(14, 0), sequence=M03.sequence + 1,
                stamp=later),
        M04,
    ]
    before, after = events(family()), events(family(moved))
    assert set(after) == set(before)
    assert set(vevents(family(moved))) == set(vevents(family()))
    assert after[W02.uid].start == date(2026, 4, 1)
    assert after[W02.uid + "-urine"].start == datetime(2026, 3, 31, 7, 0, tzinfo=SHANGHAI)
    assert after[M03.uid].start == datetime(2026, 6, 18, 14, 0, tzinfo=SHANGHAI)
    for uid in (W02.uid, W02.uid + "-urine", M03.uid, M03.uid + "-urine"):
        assert after[uid]["SEQUENCE"] == before[uid]["SEQUENCE"] + 1
        assert after[uid]["DTSTAMP"].dt > before[uid]["DTSTAMP"].dt
    assert after[M04.uid].to_ical() == before[M04.uid].to_ical()  # untouched stays identical


def test_uids_are_the_given_ones_never_derived_from_personal_data() -> None:
    assert {str(e["UID"]) for e in Calendar.from_ical(clinic()).events} == {
        v.uid for v in VISITS
    }


def test_family_calendar_holds_no_participant_code_arm_name_or_birth_date() -> None:
    ics = family()
    assert b"AS-001" not in ics
    for word in ("MSC", "PBO", "placebo", "安慰剂", "arm", "出生", "birth"):
        assert word.encode() not in ics
    # By construction: a visit carries nothing that could name the child or reveal the arm.
    assert not {f.name for f in fields(CalendarVisit)} & {
        "name", "date_of_birth", "dob", "birth_date", "arm", "allocation", "sex",
    }


def test_family_calendar_refuses_a_name_with_the_participant_code() -> None:
    with pytest.raises(ValueError, match="participant code"):
        family_calendar(VISITS, clinic=CLINIC, tz=SHANGHAI, reminders=DEFAULTS, words=WORDS,
                        name="AS-001",
                        study_id=STUDY_ID)


def test_clinic_feed_summary_starts_with_participant_code_then_visit_code() -> None:
    parsed = events(clinic())
    assert str(parsed[W02.uid]["SUMMARY"]) == "AS-001 W02 复诊 2周 / Follow-up visit 2 weeks"
    assert str(parsed[M03.uid]["SUMMARY"]).startswith("AS-001 M03 ")
    assert vevents(clinic())[W02.uid].summary.value.startswith("AS-001 W02 ")


def test_clinic_feed_has_no_alarms_and_no_urine_events() -> None:
    parsed = events(clinic())
    assert set(parsed) == {v.uid for v in VISITS}
    assert all(event.walk("VALARM") == [] for event in parsed.values())


def test_clinic_feed_refuses_a_visit_without_participant_code() -> None:
    with pytest.raises(ValueError, match="without a participant code"):
        clinic([replace(W02, participant_code=None)])


def test_output_is_deterministic_and_sorted_by_day_then_code() -> None:
    assert family(VISITS[::-1]) == family(VISITS)
    assert clinic(VISITS[::-1]) == clinic(VISITS)
    same_day = replace(M03, uid="same-day", code="M02", label="x", label_zh="x")
    parsed = Calendar.from_ical(clinic([M03, same_day])).events
    codes = [str(e["SUMMARY"]).split()[1] for e in parsed]
    assert codes == ["M02", "M03"]


def test_family_calendar_matches_the_golden_file() -> None:
    assert family() == (GOLDEN / "ics_family.ics").read_bytes()


def test_clinic_feed_matches_the_golden_file() -> None:
    assert clinic() == (GOLDEN / "ics_clinic.ics").read_bytes()


if __name__ == "__main__":
    (GOLDEN / "ics_family.ics").write_bytes(family())
    (GOLDEN / "ics_clinic.ics").write_bytes(clinic())


def test_prodid_names_the_study_it_is_given() -> None:
    feed = family_calendar([M03], clinic=CLINIC, tz=SHANGHAI, reminders=DEFAULTS, words=WORDS,
                           name=NAME, study_id="NCT00000001")
    assert Calendar.from_ical(feed)["PRODID"] == "-//Alport follow-up mini-EDC//NCT00000001//EN"


def test_urine_reminder_carries_the_steps_under_each_language() -> None:
    steps = replace(DEFAULTS, urine_steps_zh=("先排空膀胱。", "收集24小时尿液。"),
                    urine_steps=("Empty the bladder first.", "Collect 24 hours of urine."))
    urine = events(family(reminders=steps))[M03.uid + "-urine"]
    zh, en = str(urine["DESCRIPTION"]).split("\n\n")
    assert zh.splitlines()[1:] == ["先排空膀胱。", "收集24小时尿液。"]
    assert en.splitlines()[1:] == ["Empty the bladder first.", "Collect 24 hours of urine."]
