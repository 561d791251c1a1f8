"""Booking visits on clinic days, withdrawing a child, and the family's calendar link."""

from __future__ import annotations

import re
from datetime import date, time
from html import unescape

from sqlalchemy import select

from edc import db
from edc.models import AuditEvent, Participant
from tests.support import factories
from tests.support.forms import book, submit, withdrawal_form
from tests.support.pages import page
from tests.support.records import visit, visit_id


def test_a_clinic_day_in_the_window_is_booked_without_a_reason(app, nurse, scheduled) -> None:
    # W08: target 2026-05-11 (Mon), window 2026-05-08 to 2026-05-14.
    before = visit(app, scheduled, "W08")
    response = book(nurse, app, scheduled, "W08", date="2026-05-12", time="09:30")
    assert response.status_code == 302
    after = visit(app, scheduled, "W08")
    assert (after.booked_date, after.booked_time, after.booking_flags) == (
        date(2026, 5, 12), time(9, 30), None)
    assert after.calendar_sequence == before.calendar_sequence + 1
    assert after.calendar_stamp > before.calendar_stamp
    assert after.calendar_uid == before.calendar_uid
    row = re.search(r'data-visit="W08".*?</tr>', nurse.get(f"/participants/{scheduled}").text,
                    re.S).group(0)
    assert "2026-05-12 Tue 09:30" in row


def test_a_weekend_holiday_or_day_outside_the_window_needs_a_reason_and_is_flagged(
    app, nurse, scheduled
) -> None:
    # W08 window 2026-05-08 to 05-14; M03 06-09 to 06-23; M08 11-02 to 11-30.
    # (Sunday 10 May: Saturday 9 May 2026 is a make-up working day, a clinic day.)
    cases = [("W08", "2026-05-10", "weekend"), ("M03", "2026-06-24", "outside window"),
             ("M08", "2026-10-01", "outside window, National Day")]
    for code, day, why in cases:
        refused = book(nurse, app, scheduled, code, date=day)
        assert refused.status_code == 422
        assert f"To book {day} ({why}), give a reason." in refused.text
        assert visit(app, scheduled, code).booked_date is None
        saved = book(nurse, app, scheduled, code, date=day, reason="Family travels that day")
        assert saved.status_code == 302
        booked = visit(app, scheduled, code)
        assert (booked.booked_date.isoformat(), booked.booking_flags, booked.booking_reason) == (
            day, why, "Family travels that day")


def test_rebooking_on_a_plain_day_does_not_carry_the_old_days_reason(app, nurse, scheduled):
    book(nurse, app, scheduled, "W08", date="2026-05-10", reason="Family travels that day")
    page = nurse.get(f"/visits/{visit_id(app, scheduled, 'W08')}").text
    form = re.search(r'<form[^>]*action="[^"]*/book".*?</form>', page, re.S).group(0)
    assert 'value="Family travels that day"' not in form  # shown beside the booking, not re-sent
    assert "(Family travels that day)" in page
    # The form as the page offers it, with a plain clinic day in the window.
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    assert fields.get("reason", "") == ""
    response = book(nurse, app, scheduled, "W08", date="2026-05-11", time="",
                    reason=fields.get("reason", ""), version=fields["version"])
    assert response.status_code == 302
    rebooked = visit(app, scheduled, "W08")
    assert (rebooked.booked_date, rebooked.booking_flags, rebooked.booking_reason) == (
        date(2026, 5, 11), None, None)


def test_rebooking_is_audited_with_old_and_new_dates(app, nurse, scheduled) -> None:
    book(nurse, app, scheduled, "W08", date="2026-05-11")
    book(nurse, app, scheduled, "W08", date="2026-05-13")
    with app.app_context():
        rows = db.session().scalars(select(AuditEvent).where(
            AuditEvent.entity == "visit", AuditEvent.field == "booked_date")
            .order_by(AuditEvent.id)).all()
    assert [(r.old, r.new, r.username) for r in rows] == [
        (None, "2026-05-11", "nurse"), ("2026-05-11", "2026-05-13", "nurse")]


def test_a_bad_time_is_refused_at_the_field_and_nothing_is_booked(app, nurse, scheduled) -> None:
    response = book(nurse, app, scheduled, "W08", date="2026-05-11", time="9.30")
    assert response.status_code == 422
    assert ("Got &#39;9.30&#39;. Expected a time from 00:00 to 23:59, like 09:30."
            in response.text)
    assert visit(app, scheduled, "W08").booked_date is None


def test_only_a_planned_visit_can_be_booked_and_only_by_staff_who_write(
    app, nurse, as_role, scheduled
) -> None:
    submit(nurse, f"/visits/{visit_id(app, scheduled, 'W02')}/missed", {"reason": "Flu"})
    refused = book(nurse, app, scheduled, "W02", date="2026-03-30")
    assert refused.status_code == 422
    assert visit(app, scheduled, "W02").booked_date is None
    assert book(as_role("monitor"), app, scheduled, "W08", date="2026-05-11").status_code == 403


def test_withdrawing_cancels_the_visits_to_come_and_keeps_them(app, nurse, scheduled) -> None:
    submit(nurse, f"/visits/{visit_id(app, scheduled, 'W02')}/missed", {"reason": "Flu"})
    refused = submit(nurse, f"/participants/{scheduled}/withdraw",
                     withdrawal_form(reason=""))
    assert refused.status_code == 422
    response = submit(nurse, f"/participants/{scheduled}/withdraw", withdrawal_form())
    assert response.status_code == 302
    with app.app_context():
        child = db.session().get(Participant, scheduled)
        statuses = {v.code: v.status for v in child.visits}
        assert (child.status, child.withdrawn_reason) == ("withdrawn",
                                                          "Other: Family moved away")
    # Today 27 April: W02 was marked missed; W04 (window to 16 April) was never done, so it was
    # missed too; W06 (window open) and every later visit are cancelled.
    assert (statuses["W02"], statuses["W04"]) == ("missed", "missed")
    assert {s for c, s in statuses.items() if c not in ("W02", "W04")} == {"cancelled"}
    assert len(statuses) == 11
    assert visit(app, scheduled, "M12").cancelled_reason == "Other: Family moved away"
    assert visit(app, scheduled, "W04").missed_reason == (
        "Not done before the withdrawal: Other: Family moved away")


def test_a_withdrawal_entered_in_chinese_is_stored_as_written_and_read_in_each_language(
        app, nurse, scheduled) -> None:
    zh = {"Accept-Language": "zh-CN"}
    submit(nurse, f"/participants/{scheduled}/withdraw",
           withdrawal_form("搬家"), headers=zh)
    # The reason's category in the language of the nurse who withdrew the child.
    stored = visit(app, scheduled, "W04").missed_reason  # its window closed on 16 April
    assert stored == "Not done before the withdrawal: 其他：搬家"
    w04 = f"/visits/{visit_id(app, scheduled, 'W04')}"
    assert "退出研究前未完成：其他：搬家" in nurse.get(w04, headers=zh).text
    assert "Not done before the withdrawal: 其他：搬家" in nurse.get(w04).text
    assert "退出研究前未完成：其他：搬家" in nurse.get(f"/participants/{scheduled}/history",
                                                 headers=zh).text


def test_the_calendar_link_works_without_log_in_and_a_revoked_link_answers_404(
    app, nurse, client, scheduled
) -> None:
    assert submit(nurse, f"/participants/{scheduled}/calendar-link").status_code == 302
    page = nurse.get(f"/participants/{scheduled}").text
    first = re.search(r"/calendar/([A-Za-z0-9_-]+)\.ics", page).group(1)
    assert len(first) >= 22  # at least 128 random bits
    feed = client.get(f"/calendar/{first}.ics")  # a family's phone: no log-in
    assert feed.status_code == 200
    assert feed.mimetype == "text/calendar"
    assert feed.data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"AS-001" not in feed.data and b"2018-05-10" not in feed.data

    submit(nurse, f"/participants/{scheduled}/calendar-link")  # re-issue
    second = re.search(r"/calendar/([A-Za-z0-9_-]+)\.ics",
                       nurse.get(f"/participants/{scheduled}").text).group(1)
    assert second != first
    assert client.get(f"/calendar/{first}.ics").status_code == 404
    assert client.get(f"/calendar/{second}.ics").status_code == 200
    submit(nurse, f"/participants/{scheduled}/calendar-link/revoke")
    assert client.get(f"/calendar/{second}.ics").status_code == 404
    assert client.get("/calendar/guess.ics").status_code == 404
    with app.app_context():
        trail = " ".join(f"{e.old} {e.new}" for e in db.session().scalars(
            select(AuditEvent).where(AuditEvent.field == "calendar_token")))
    assert first not in trail and second not in trail


def test_staff_download_the_family_file_and_the_clinic_feed_by_code_only(
    app, nurse, client, scheduled
) -> None:
    from icalendar import Calendar

    book(nurse, app, scheduled, "W08", date="2026-05-12", time="09:30")
    family = nurse.get(f"/participants/{scheduled}/calendar.ics")
    assert family.headers["Content-Disposition"] == 'attachment; filename="visits-AS-001.ics"'
    events = {str(e["UID"]): e for e in Calendar.from_ical(family.data).walk("VEVENT")}
    w08 = visit(app, scheduled, "W08")
    assert events[w08.calendar_uid]["DTSTART"].dt.isoformat() == "2026-05-12T09:30:00+08:00"
    clinic = nurse.get("/clinic/calendar.ics")
    assert clinic.status_code == 200
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(clinic.data).walk("VEVENT")]
    # The planned visits up to 180 days ahead (forms/study.toml [calendar]): W02 to M04.
    assert len(summaries) == 8 and all(s.startswith("AS-001 ") for s in summaries)
    assert b"2018-05-10" not in clinic.data
    assert client.get("/clinic/calendar.ics").status_code == 302  # staff only


def test_the_printable_card_has_bilingual_dates_the_clinic_phone_and_the_qr_code(
    app, nurse, scheduled
) -> None:
    book(nurse, app, scheduled, "W08", date="2026-05-12", time="09:30")
    without_link = nurse.get(f"/participants/{scheduled}/card").text
    assert "<svg" not in without_link
    submit(nurse, f"/participants/{scheduled}/calendar-link")
    card = nurse.get(f"/participants/{scheduled}/card").text
    w02 = re.search(r'data-visit="W02".*?</tr>', card, re.S).group(0)
    assert "2026年3月30日 星期一" in w02 and "Monday 30 March 2026" in w02
    w08 = re.search(r'data-visit="W08".*?</tr>', card, re.S).group(0)
    assert "2026年5月12日 星期二 09:30" in w08 and "Tuesday 12 May 2026 09:30" in w08
    assert '<strong class="phone">+86 20 8133 0569</strong>' in card
    assert card.count("<svg") == 1 and "<script" not in card
    assert "2018-05-10" not in card and "Normal saline" not in card


def test_a_moved_schedule_updates_the_same_events_and_cancelled_visits_stay(
    app, nurse, client, scheduled
) -> None:
    from icalendar import Calendar

    submit(nurse, f"/participants/{scheduled}/calendar-link")
    token = re.search(r"/calendar/([A-Za-z0-9_-]+)\.ics",
                      nurse.get(f"/participants/{scheduled}").text).group(1)

    def events() -> dict[str, tuple]:
        feed = Calendar.from_ical(client.get(f"/calendar/{token}.ics").data)
        return {str(e["UID"]): (e["DTSTART"].dt, int(e["SEQUENCE"]), e["DTSTAMP"].dt,
                                str(e["STATUS"])) for e in feed.walk("VEVENT")}

    before = events()
    stamped = visit(app, scheduled, "W02").calendar_stamp
    # Infusion 2 was on 18 March, not 16: every planned visit moves two days.
    assert submit(nurse, f"/participants/{scheduled}/infusions/2", {
        "date": "2026-03-18", "weight_kg": "24.5", "product_lot": "UC-2026-017",
        "volume_ml": "50", "reason": "Date mistyped", "confirmed": "2026-03-18"},
    ).status_code == 302
    after = events()
    assert set(after) == set(before)  # re-imported: the same events, no duplicates
    w02 = visit(app, scheduled, "W02")
    assert before[w02.calendar_uid][0] == date(2026, 3, 30)
    assert after[w02.calendar_uid][0] == date(2026, 4, 1)
    assert after[w02.calendar_uid][1] > before[w02.calendar_uid][1]
    assert after[w02.calendar_uid][2] >= before[w02.calendar_uid][2]  # DTSTAMP: whole seconds
    assert w02.calendar_stamp > stamped

    submit(nurse, f"/participants/{scheduled}/withdraw", withdrawal_form())
    withdrawn = events()
    assert set(withdrawn) == set(before)
    assert {status for _day, _seq, _stamp, status in withdrawn.values()} == {"CANCELLED"}


def test_a_visit_still_to_come_cannot_be_marked_missed(app, nurse, scheduled) -> None:
    """Today 27 April; W08's window opens on 8 May: it can be rebooked, not missed."""
    w08 = visit_id(app, scheduled, "W08")
    assert 'id="missed"' not in nurse.get(f"/visits/{w08}").text
    response = submit(nurse, f"/visits/{w08}/missed", {"reason": "Family abroad"})
    assert response.status_code == 422
    assert ("W08's window opens on 2026-05-08: a visit can be marked missed once its window "
            "has opened. To move it, book another day.") in unescape(response.text)
    assert visit(app, scheduled, "W08").status == "planned"


def test_a_visit_booked_for_a_day_to_come_cannot_be_marked_missed_before_it(
    app, nurse, scheduled
) -> None:
    """W02's window closed on 2 April; booked late for Wednesday 29 April, it is not missed
    today (27 April): the family is expected then. On the day, it can be."""
    w02 = visit_id(app, scheduled, "W02")
    booked = submit(nurse, f"/visits/{w02}/book", {"date": "2026-04-29", "time": "10:30",
                                                 "reason": "Family was abroad"})
    assert booked.status_code == 302
    assert 'id="missed"' not in nurse.get(f"/visits/{w02}").text
    overdue = nurse.get("/").text.split('id="overdue"')[1].split("</section>")[0]
    row = re.search(r'<tr data-visit="AS-001 W02"[^>]*>(.*?)</tr>', overdue, re.S).group(1)
    words = " ".join(re.sub(r"<[^>]+>", " ", row).split())
    assert "booked 2026-04-29 Wed 10:30 outside window" in words  # the time, and why it is odd
    assert "missed" not in words.split("booked")[1].lower()
    response = submit(nurse, f"/visits/{w02}/missed", {"reason": "Test"})
    assert response.status_code == 422
    assert ("W02 is booked for 2026-04-29: it can be marked missed from that day. If the family "
            "will not come, book another day.") in unescape(response.text)
    assert visit(app, scheduled, "W02").status == "planned"
    app.extensions["edc_clock"].day = date(2026, 4, 29)
    assert submit(nurse, f"/visits/{w02}/missed", {"reason": "Did not come"}).status_code == 302


def test_a_visit_whose_suggested_day_has_passed_is_offered_a_clinic_day_still_to_come(
    app, nurse, scheduled, clock
) -> None:
    """W06: window 24-30 April, suggested Monday 27 April. On the 28th the booking form offers
    the 28th (the clinic day nearest the target still to come), never the day gone by."""
    w06 = visit_id(app, scheduled, "W06")
    assert "suggested 2026-04-27 Mon" in nurse.get(f"/visits/{w06}").text
    clock.day = date(2026, 4, 28)
    page = nurse.get(f"/visits/{w06}").text
    assert "suggested 2026-04-28 Tue" in page
    booking = page[page.index('id="booking"'):page.index("</details>", page.index('id="booking"'))]
    assert re.search(r'<input[^>]*name="date"[^>]*value="2026-04-28"', booking), booking


def test_the_participant_list_shows_the_booked_day_of_the_next_visit(
    app, nurse, scheduled
) -> None:
    w06 = visit_id(app, scheduled, "W06")
    assert submit(nurse, f"/visits/{w06}/book",
                  {"date": "2026-04-29", "time": "10:00"}).status_code == 302
    assert "W06 · booked 2026-04-29 Wed 10:00" in nurse.get("/participants/").text


def test_a_holiday_is_named_in_the_readers_language_in_the_refusal_the_badge_and_the_history(
        app, nurse, scheduled) -> None:
    # 2026-10-01 is National Day (国庆节), outside the window of M06 (target 2026-09-16).
    zh = {"Accept-Language": "zh-CN"}
    refused = submit(nurse, f"/visits/{visit_id(app, scheduled, 'M06')}/book",
                     {"date": "2026-10-01", "time": "09:00"}, headers=zh)
    assert refused.status_code == 422
    assert "国庆节" in unescape(refused.text) and "National Day" not in refused.text
    response = book(nurse, app, scheduled, "M06", date="2026-10-01", time="09:00",
                    reason="The family is in Guangzhou that week")
    assert response.status_code == 302
    assert visit(app, scheduled, "M06").booking_flags == "outside window, National Day"  # stored
    badge = r'<span class="badge warn">([^<]*)</span>'
    page = f"/participants/{scheduled}"
    assert re.findall(badge, nurse.get(page).text) == ["outside window, National Day"]
    chinese = re.findall(badge, nurse.get(page, headers=zh).text)
    assert len(chinese) == 1 and "国庆节" in chinese[0] and "National" not in chinese[0]
    history = nurse.get(f"{page}/history", headers=zh).text
    assert "国庆节" in history and "National Day" not in history


def test_a_screening_visit_booked_after_consent_before_infusion_1_is_no_deviation(
        app, nurse, enrolled) -> None:
    """Consent 2026-02-20, no infusion yet: screening's window is the 28 days before infusion
    1, still unknown, so a day after consent is a plain booking (no reason, no flag)."""
    factories.add_screening(app, enrolled)
    response = book(nurse, app, enrolled, "SCR", date="2026-04-28", time="09:00")
    assert response.status_code == 302, response.text
    assert visit(app, enrolled, "SCR").booking_flags is None
    assert "No deviation is recorded." in page(nurse.get("/deviations")).text


def test_a_booking_off_the_window_is_a_deviation_only_while_its_visit_is_to_come(
        app, nurse, scheduled) -> None:
    """W08 (window 2026-05-08..05-14) booked on Sunday 05-10 with a reason; then sampled on
    05-11, inside the window: what happened deviates from nothing."""
    assert book(nurse, app, scheduled, "W08", date="2026-05-10",
                reason="Parents work on weekdays").status_code == 302
    assert "Booked: weekend" in page(nurse.get("/deviations")).text
    factories.enter_results(app, scheduled, "W08", date(2026, 5, 11))
    assert "No deviation is recorded." in page(nurse.get("/deviations")).text
    assert "Booked: weekend" not in page(nurse.get("/deviations")).text
