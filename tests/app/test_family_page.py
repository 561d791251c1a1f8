"""The family's page: what a parent sees on the phone after scanning the card's QR code."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db
from edc.models import Allocation, Participant
from tests.support import factories
from tests.support.apps import Clock
from tests.support.forms import book, results_form, submit
from tests.support.queries import queries_for
from tests.support.records import visit_id


def issue(nurse: FlaskClient, pid: int) -> str:
    """Issue the family's link as a nurse does; return its token."""
    assert submit(nurse, f"/participants/{pid}/calendar-link").status_code == 302
    return re.search(r'id="family-page-link" href="/calendar/([A-Za-z0-9_-]+)"',
                     nurse.get(f"/participants/{pid}").text).group(1)


def section(html: str, name: str) -> str:
    """The text of one section of the page, tags removed and spaces joined."""
    part = re.search(rf'<section[^>]*id="{name}".*?</section>', html, re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", part).split())


def visit_rows(html: str) -> dict[str, str]:
    """Each visit of the year by its English name: its text."""
    rows = re.findall(r"<li class=\"[a-z_]+\" data-state=\"[a-z_]+\">.*?</li>", html, re.S)
    found = {}
    for row in rows:
        text = " ".join(re.sub(r"<[^>]+>", " ", row).split())
        name = re.search(r"Follow-up visit [0-9]+ (weeks|months)|Unscheduled visit", text)
        found[name.group(0)] = text
    return found


def test_the_page_shows_the_next_visit_in_chinese_then_english_with_days_away(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int, clock: Clock
) -> None:
    token = issue(nurse, scheduled)
    # W08 (window 2026-05-08 to 2026-05-14) booked for Tuesday 12 May at 09:30.
    assert book(nurse, app, scheduled, "W08", date="2026-05-12", time="09:30").status_code == 302
    for w in ("W02", "W04", "W06"):
        submit(nurse, f"/visits/{visit_id(app, scheduled, w)}/missed", {"reason": "Flu"})
    with clock.on(date(2026, 5, 9)):
        page = client.get(f"/calendar/{token}")
    assert page.status_code == 200
    next_visit = section(page.text, "next")
    assert "复诊 8周 Follow-up visit 8 weeks" in next_visit
    assert "2026年5月12日 星期二 09:30" in next_visit
    assert "Tuesday 12 May 2026 09:30" in next_visit
    assert "3 天后 in 3 days" in next_visit
    assert "已预约 Booked" in next_visit
    # Booked: the day itself, not "any clinic day of the window".
    assert "此日已与门诊预约；如需改期，请致电门诊。" in next_visit
    assert "This day is booked with the clinic; to change it, call the clinic." in next_visit
    assert "任意一个门诊日" not in next_visit
    with clock.on(date(2026, 5, 11)):
        assert "明天 Tomorrow" in section(client.get(f"/calendar/{token}").text, "next")
    with clock.on(date(2026, 5, 12)):
        assert "今天 Today" in section(client.get(f"/calendar/{token}").text, "next")


def test_the_urine_reminder_says_when_to_start_and_what_to_do_from_study_toml(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    token = issue(nurse, scheduled)
    assert book(nurse, app, scheduled, "W08", date="2026-05-12", time="09:30").status_code == 302
    for w in ("W02", "W04", "W06"):
        submit(nurse, f"/visits/{visit_id(app, scheduled, w)}/missed", {"reason": "Flu"})
    urine = section(client.get(f"/calendar/{token}").text, "urine")
    # The morning before the visit, at 07:00 (forms/study.toml [calendar]): the 24 hours end
    # before the 09:30 appointment.
    assert "开始时间：2026年5月11日 星期一 07:00" in urine
    assert "Start: Monday 11 May 2026 07:00" in urine
    steps = app.extensions["edc_study"].calendar
    assert steps.urine_instructions_zh[0] in urine and steps.urine_instructions[0] in urine
    assert "开始后满24小时时，最后排尿一次并收入容器：留尿结束。" in urine


def test_every_visit_of_the_year_is_listed_with_its_status_and_window_in_words(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    token = issue(nurse, scheduled)
    w02 = visit_id(app, scheduled, "W02")
    assert nurse.post(f"/visits/{w02}", data=results_form(
        nurse, w02, sample_date="2026-04-01")).status_code == 302
    submit(nurse, f"/visits/{visit_id(app, scheduled, 'W04')}/missed", {"reason": "Flu"})
    book(nurse, app, scheduled, "W06", date="2026-04-28", time="10:00")
    rows = visit_rows(client.get(f"/calendar/{token}").text)
    assert len(rows) == 11
    assert "已完成 Done" in rows["Follow-up visit 2 weeks"]
    assert "2026年4月1日 星期三" in rows["Follow-up visit 2 weeks"]
    assert "未到访 Missed" in rows["Follow-up visit 4 weeks"]
    assert "已预约 Booked" in rows["Follow-up visit 6 weeks"]
    assert "Tuesday 28 April 2026 10:00" in rows["Follow-up visit 6 weeks"]
    assert "Window:" not in rows["Follow-up visit 6 weeks"]  # booked: the day, not a window
    assert "待预约 To book" in rows["Follow-up visit 8 weeks"]
    assert "Window: on any clinic day from 8 May to 14 May 2026" in rows["Follow-up visit 8 weeks"]
    with app.extensions["edc_clock"].on(date(2026, 5, 15)):  # W08's window closed, unmarked
        late = visit_rows(client.get(f"/calendar/{token}").text)
    assert "已过就诊窗口，请致电门诊 Window passed: please call the clinic" in late[
        "Follow-up visit 8 weeks"]
    with app.extensions["edc_clock"].on(date(2026, 5, 15)):  # then booked late, on the phone
        assert book(nurse, app, scheduled, "W08", date="2026-05-19", time="10:00",
                    reason="Family was away").status_code == 302
        late = client.get(f"/calendar/{token}").text
    assert "已预约 Booked" in visit_rows(late)["Follow-up visit 8 weeks"]
    assert "Tuesday 19 May 2026 10:00" in section(late, "next")
    assert "此日已与门诊预约" in section(late, "next")
    factories.withdraw(app, scheduled)
    rows = visit_rows(client.get(f"/calendar/{token}").text)
    assert "已取消 Cancelled" in rows["Follow-up visit 8 weeks"]
    assert "已完成 Done" in rows["Follow-up visit 2 weeks"]


def test_the_clinic_can_be_called_with_one_tap_and_the_calendar_added(
    nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    token = issue(nurse, scheduled)
    page = client.get(f"/calendar/{token}").text
    clinic = section(page, "clinic")
    assert "广州市天河区金穗路9号" in clinic and "9 Jinsui Road, Tianhe District" in clinic
    assert '<a class="button call" href="tel:+862081330569">' in page
    assert f'href="/calendar/{token}.ics"' in page
    assert f'href="webcal://localhost/calendar/{token}.ics"' in page
    assert client.get(f"/calendar/{token}.ics").mimetype == "text/calendar"


class Links(HTMLParser):
    """Every src, href and action of a page, and its robots meta."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.robots: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href", "action", "srcset") and v]
        if tag == "meta" and values.get("name") == "robots":
            self.robots.append(values.get("content") or "")


def arm_of(pid: int) -> str:
    """The child's arm, read from the allocation list (inside an app context)."""
    return db.session().scalars(
        select(Allocation.arm).where(Allocation.participant_id == pid)).one()


def test_the_page_keeps_nothing_private_and_loads_nothing_from_elsewhere(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    token = issue(nurse, scheduled)
    response = client.get(f"/calendar/{token}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    page = response.text
    links = Links()
    links.feed(page)
    assert any("noindex" in robots for robots in links.robots)
    # Only this site, the phone's dialler and its calendar: no other host, no asset at all.
    for url in links.urls:
        parts = urlsplit(url)
        assert parts.scheme in ("", "tel", "webcal"), url
        assert parts.netloc in ("", "localhost"), url
    assert not links.tags & {"script", "link", "img", "iframe", "object", "form", "nav"}
    assert "@import" not in page and "url(" not in page
    with app.app_context():
        child = db.session().get(Participant, scheduled)
        code = arm_of(scheduled)
        arm = next(a for a in app.extensions["edc_study"].arms if a.code == code)
        private = [child.code, child.date_of_birth.isoformat(), f"{child.date_of_birth:%Y年}",
                   code, arm.label, arm.label_zh]
    for text in private:
        assert text not in page
    assert "Log out" not in page and "退出登录" not in page  # no staff header


def test_the_page_of_a_child_in_either_arm_is_the_same_but_for_the_dates(
    app: Flask, nurse: FlaskClient, client: FlaskClient, allocation: None
) -> None:
    first = factories.child(app, "scheduled", "AS-001")
    second = factories.child(app, "scheduled", "AS-002")
    with app.app_context():
        arms = {arm_of(pid) for pid in (first, second)}
    assert len(arms) == 2  # one child in each arm
    pages = []
    for pid in (first, second):
        token = issue(nurse, pid)
        html = client.get(f"/calendar/{token}").text.replace(token, "TOKEN")
        pages.append(html)
    assert pages[0] == pages[1]


def test_an_unknown_or_revoked_link_says_call_the_clinic_with_404(
    nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    first = issue(nurse, scheduled)
    second = issue(nurse, scheduled)  # reissued: the first link stops working
    assert client.get(f"/calendar/{second}").status_code == 200
    for token in (first, "guess", "x" * 200):
        gone = client.get(f"/calendar/{token}")
        assert gone.status_code == 404
        assert "此链接已失效，请致电门诊。" in gone.text
        assert "This link is no longer valid. Please call the clinic." in gone.text
        assert 'href="tel:+862081330569"' in gone.text
        assert gone.headers["Cache-Control"] == "no-store"
        assert gone.headers["Referrer-Policy"] == "no-referrer"
        assert "noindex" in gone.headers["X-Robots-Tag"]
    assert client.get(f"/calendar/{first}.ics").status_code == 404
    submit(nurse, f"/participants/{scheduled}/calendar-link/revoke")
    assert client.get(f"/calendar/{second}").status_code == 404


def test_the_qr_codes_open_the_page_and_the_ics_link_stays_shown(
    app: Flask, nurse: FlaskClient, scheduled: int
) -> None:
    token = issue(nurse, scheduled)
    detail = nurse.get(f"/participants/{scheduled}").text
    assert f"/calendar/{token}.ics</code>" in detail  # for phones that subscribe
    with app.test_request_context():
        from edc.formats.qr import qr_svg

        page_qr = qr_svg(f"http://localhost/calendar/{token}", "QR code of the calendar link")
    svg = re.search(r"<svg.*?</svg>", page_qr, re.S).group(0)
    assert svg in detail
    assert svg in nurse.get(f"/participants/{scheduled}/card").text


def test_the_page_reads_the_same_whatever_the_readers_language(
    nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    token = issue(nurse, scheduled)
    english = client.get(f"/calendar/{token}", headers={"Accept-Language": "en"}).text
    chinese = client.get(f"/calendar/{token}", headers={"Accept-Language": "zh-CN"}).text
    assert english == chinese
    assert english.index("孩子的下次复诊") < english.index("Your child’s next visit")


def test_the_page_runs_the_same_two_queries_however_many_visits_are_done(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    token = issue(nurse, scheduled)
    before = queries_for(app, client, f"/calendar/{token}")
    for code, day in (("W02", date(2026, 3, 31)), ("W04", date(2026, 4, 14))):
        factories.enter_results(app, scheduled, code, day)
    assert queries_for(app, client, f"/calendar/{token}") == before == 2  # the child, its visits


def test_a_suggested_day_gone_by_in_an_open_window_is_still_the_next_visit_to_book(
    nurse: FlaskClient, client: FlaskClient, scheduled: int, clock: Clock
) -> None:
    # W02: suggested Monday 30 March, window 27 March to 2 April; today 1 April, not booked:
    # shown on the day the clinic offers now (today, as the worklist suggests), not on a day
    # gone by.
    token = issue(nurse, scheduled)
    with clock.on(date(2026, 4, 1)):
        shown = client.get(f"/calendar/{token}").text
    next_visit = section(shown, "next")
    assert "复诊 2周" in next_visit and "Wednesday 1 April 2026" in next_visit
    assert "Monday 30 March 2026" not in shown
    assert "待预约 To book" in next_visit
    assert "门诊会联系您预约" in next_visit and "天后" not in next_visit
    with clock.on(date(2026, 4, 3)):  # the window has closed: the next one is W04
        assert "复诊 4周" in section(client.get(f"/calendar/{token}").text, "next")


def test_the_card_and_the_calendar_file_carry_the_urine_steps_of_study_toml(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    from icalendar import Calendar

    settings = app.extensions["edc_study"].calendar
    token = issue(nurse, scheduled)
    card = nurse.get(f"/participants/{scheduled}/card").text
    assert settings.urine_instructions_zh[1] in card and settings.urine_instructions[1] in card
    feed = Calendar.from_ical(client.get(f"/calendar/{token}.ics").data)
    urine = next(str(e["DESCRIPTION"]) for e in feed.walk("VEVENT")
                 if str(e["UID"]).endswith("-urine"))
    assert settings.urine_instructions_zh[0] in urine and settings.urine_instructions[3] in urine


def test_a_dead_calendar_file_link_and_a_trailing_slash_reach_the_familys_pages(
        app: Flask, client: FlaskClient) -> None:
    gone = client.get("/calendar/not-a-live-token.ics")
    assert gone.status_code == 404 and gone.mimetype == "text/html"
    assert gone.headers["X-Robots-Tag"] == "noindex"
    assert "请致电门诊" in gone.text or "call the clinic" in gone.text
    assert "/participants/" not in gone.text  # not the staff's page
    slash = client.get("/calendar/not-a-live-token/")
    assert slash.status_code == 404 and slash.headers["Cache-Control"] == "no-store"


def test_an_unscheduled_visit_recorded_after_it_took_place_asks_the_family_for_nothing(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    """Today is 2026-04-27: an emergency visit on Sunday 2026-04-19, entered afterwards."""
    token = issue(nurse, scheduled)
    assert submit(nurse, f"/participants/{scheduled}/visits", {
        "kind": "unscheduled", "date": "2026-04-19", "reason": "Fever, seen in emergency"},
    ).status_code == 302
    rows = visit_rows(client.get(f"/calendar/{token}").text)
    [extra] = [text for name, text in rows.items() if "Unscheduled" in name]
    assert "已完成 Done" in extra
    assert "请致电门诊" not in extra and "call the clinic" not in extra


def test_dates_in_a_year_whose_official_calendar_is_not_out_are_said_to_be_estimates(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int
) -> None:
    """Follow-up from 2026-03-16 runs into 2027 (M12 on 2027-03-16)."""
    token = issue(nurse, scheduled)
    known = app.extensions["edc_calendar"]

    def pages(estimated: int | None) -> tuple[str, str]:
        app.extensions["edc_calendar"] = replace(
            known, estimated_year=lambda year: year == estimated)
        try:
            return tuple(" ".join(re.sub(r"<[^>]+>", " ", text).split()) for text in (
                client.get(f"/calendar/{token}").text,
                nurse.get(f"/participants/{scheduled}").text))
        finally:
            app.extensions["edc_calendar"] = known

    assert all("is not published yet" not in text for text in pages(None))
    assert all("is not published yet" not in text for text in pages(2028))  # no visit in 2028
    family, staff = pages(2027)
    assert ("2027年的官方节假日安排尚未公布：该年的复诊日期仍可能调整，门诊会通知您。 The official "
            "holiday calendar for 2027 is not published yet: the dates in it may still move. The "
            "clinic will tell you.") in family
    assert ("The official working calendar for 2027 is not published yet: clinic days and "
            "suggested dates in it are estimates, and a holiday may still move them.") in staff


def test_the_next_visit_is_the_booked_one_and_its_urine_start_is_said_as_begun_once_gone_by(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int, clock: Clock
) -> None:
    """W06 is suggested for today (27 April) and still to book; W08 is booked for Tuesday
    12 May at 09:30: the family's next visit is W08, with its urine collection. On 12 May the
    collection began the day before at 07:00: said so, with what to do if it did not."""
    token = issue(nurse, scheduled)
    for w in ("W02", "W04"):
        submit(nurse, f"/visits/{visit_id(app, scheduled, w)}/missed", {"reason": "Flu"})
    # Nothing booked: the next visit is W06 to book, and no urine start is set yet.
    unbooked = client.get(f"/calendar/{token}").text
    assert "Follow-up visit 6 weeks" in section(unbooked, "next")
    assert 'id="urine"' not in unbooked
    assert book(nurse, app, scheduled, "W08", date="2026-05-12", time="09:30").status_code == 302
    page = client.get(f"/calendar/{token}").text
    assert "Follow-up visit 8 weeks" in section(page, "next")
    assert "Start: Monday 11 May 2026 07:00" in section(page, "urine")
    with clock.on(date(2026, 5, 12)):
        urine = section(client.get(f"/calendar/{token}").text, "urine")
    assert ("Started: Monday 11 May 2026 07:00. If you did not start then, call the clinic "
            "before the visit.") in urine


def test_a_missed_or_cancelled_visit_does_not_invite_the_family_to_come_in_its_window(
    app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int, clock: Clock
) -> None:
    """Withdrawn on 10 April: W02 (window closed 2 April) is missed, the rest cancelled; none
    says "the visit can take place on any clinic day from ..." any more."""
    token = issue(nurse, scheduled)
    factories.withdraw(app, scheduled, day=date(2026, 4, 10), last_contact=date(2026, 4, 10),
                       on=date(2026, 4, 27))
    shown = client.get(f"/calendar/{token}").text
    items = re.findall(r'<li class="(\w+)" data-state="\w+">(.*?)</li>', shown, re.S)
    assert {state for state, _text in items} == {"missed", "cancelled"}
    assert not [state for state, text in items if 'class="window' in text]
    assert "any clinic day" not in section(shown, "visits")
