"""The worklist (the home page) and the deviations page, as a nurse and as a monitor see them.

"Today" at the site is Monday 2026-04-27 (support.apps.TODAY), so this week is 27 April to 3 May and
next week 4 to 10 May. 1-5 May 2026 are closed for Labour Day. The clinic, worked out by hand from
the schedule (W02 = day 14 +/- 3, W04 = day 28 +/- 3, W06 = day 42 +/- 3, W08 = day 56 +/- 3):

AS-001  infusions 2 and 16 March: W02 window 27 Mar-2 Apr (25 days overdue), W04 10-16 Apr
        (11 days overdue), W06 24-30 Apr booked today 09:30, W08 8-14 May booked Sun 10 May.
AS-002  infusions 4 and 18 April: W02 window 29 Apr-5 May booked tomorrow (outside the window);
        an unscheduled visit on 20 April (past, no results) and one on Wed 29 April.
AS-003  infusions 7 and 21 April: W02 target Tue 5 May (holiday), window Sat 2 May-Fri 8 May,
        so suggested Wed 6 May; a screening visit still planned, its window long past.
AS-004  infusions 24 March and 10 April (day 17: 1 day after day 14 +/- 2): W02 target Fri
        24 April, window 21-27 April: the suggested day is past, suggested today instead.
AS-005  infusions 2 and 16 March: W02 missed, W04 sampled 19 April (3 days after its window
        16 April), then withdrawn: every later visit cancelled.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from edc import db, services
from edc.app import context_for
from edc.models import Visit
from edc.read import worklist as reads
from edc.rules import worklist as rules
from edc.rules.schedule import clinic_calendar
from tests.support import factories
from tests.support.apps import SET_UP, TODAY, allocation_csv
from tests.support.factories import add_children
from tests.support.forms import enrolment_form, infusion_form, results_form, submit, withdrawal_form
from tests.support.pages import giveaways
from tests.support.queries import counted
from tests.support.records import visit_id

INFUSIONS = {
    "AS-001": ("2026-03-02", "2026-03-16"),
    "AS-002": ("2026-04-04", "2026-04-18"),
    "AS-003": ("2026-04-07", "2026-04-21"),
    "AS-004": ("2026-03-24", "2026-04-10"),
    "AS-005": ("2026-03-02", "2026-03-16"),
}


def ok(response) -> None:
    assert response.status_code == 302, response.text


def enrol(app: Flask, code: str) -> int:
    pid = factories.enrol(app, code)
    for number, day in enumerate(INFUSIONS[code], start=1):
        factories.infuse(app, pid, number, date.fromisoformat(day))
    return pid


@pytest.fixture
def clinic(app: Flask, nurse: FlaskClient, allocation: None) -> dict[str, int]:
    ids = {code: enrol(app, code) for code in INFUSIONS}

    def visit(code: str, visit_code: str) -> int:
        return visit_id(app, ids[code], visit_code)

    ok(submit(nurse, f"/visits/{visit('AS-001', 'W06')}/book",
              {"date": "2026-04-27", "time": "09:30"}))
    ok(submit(nurse, f"/visits/{visit('AS-001', 'W08')}/book",
              {"date": "2026-05-10", "reason": "Parents work on weekdays"}))
    ok(submit(nurse, f"/visits/{visit('AS-002', 'W02')}/book",
              {"date": "2026-04-28", "reason": "Only day the family can come"}))
    for day, reason in (("2026-04-20", "Fever"), ("2026-04-29", "Rash check")):
        ok(submit(nurse, f"/participants/{ids['AS-002']}/visits",
                  {"kind": "unscheduled", "date": day, "reason": reason}))
    ok(submit(nurse, f"/participants/{ids['AS-003']}/visits", {"kind": "screening"}))
    ok(submit(nurse, f"/visits/{visit('AS-005', 'W02')}/missed", {"reason": "Family abroad"}))
    w04 = visit("AS-005", "W04")
    ok(nurse.post(f"/visits/{w04}", data=results_form(nurse, w04, sample_date="2026-04-19")))
    ok(submit(nurse, f"/participants/{ids['AS-005']}/withdraw",
              withdrawal_form("Moved away")))
    return ids


def section(html: str, name: str) -> str:
    return re.search(rf'<section id="{name}">(.*?)</section>', html, re.S).group(1)


def count(html: str, name: str) -> int:
    return int(re.search(r'<span class="badge count">(\d+)</span>', section(html, name)).group(1))


def text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def rows(html: str, name: str) -> dict[str, str]:
    """'AS-001 W02' -> the row's text, in the order shown."""
    return {key: text(row) for key, row in re.findall(
        r'<tr data-visit="([^"]+)"[^>]*>(.*?)</tr>', section(html, name), re.S)}


# The worklist --------------------------------------------------------------------------------


def test_the_home_page_is_the_worklist_with_todays_date_at_the_site(nurse, clinic) -> None:
    page = nurse.get("/")
    assert page.status_code == 200
    assert "<h1>Worklist</h1>" in page.text
    assert "Today 2026-04-27 Mon (Asia/Shanghai)" in text(page.text)
    nav = re.search(r"<nav>(.*?)</nav>", page.text, re.S).group(1)
    assert re.findall(r">([^<]+)</a>", nav)[:3] == ["Worklist", "Participants", "Deviations"]


def test_due_this_week_lists_open_and_opening_windows_unbooked_first_then_by_day(
    nurse, clinic
) -> None:
    page = nurse.get("/").text
    due = rows(page, "due")
    assert list(due) == ["AS-004 W02", "AS-002 U02", "AS-003 W02", "AS-001 W06", "AS-002 W02"]
    assert count(page, "due") == 5
    assert due["AS-004 W02"].startswith(
        "AS-004 W02 · 2 weeks 2026-04-21 Tue – 2026-04-27 Mon suggested 2026-04-27 Mon")
    assert "AS-002 U02 · Unscheduled 2026-04-29 Wed – 2026-04-29 Wed suggested 2026-04-29 Wed" in (
        due["AS-002 U02"])
    assert "booked 2026-04-27 Mon 09:30" in due["AS-001 W06"]
    assert "booked 2026-04-28 Tue" in due["AS-002 W02"]


def test_the_book_by_day_is_always_a_clinic_day(app, nurse, clinic) -> None:
    # AS-003 W02: window opens on Saturday 2 May, target Tuesday 5 May is Labour Day.
    due = rows(nurse.get("/").text, "due")
    assert "2026-05-02 Sat – 2026-05-08 Fri suggested 2026-05-06 Wed" in due["AS-003 W02"]
    with app.app_context():
        open_on = clinic_calendar(app.extensions["edc_study"].site).is_open
    for row in due.values():
        match = re.search(r"suggested (\d{4}-\d\d-\d\d)", row)
        if match:
            assert open_on(date.fromisoformat(match.group(1))), row


def test_booked_today_and_tomorrow_shows_the_booked_time(nurse, clinic) -> None:
    page = nurse.get("/").text
    booked = rows(page, "booked")
    assert list(booked) == ["AS-001 W06", "AS-002 W02"]
    assert count(page, "booked") == 2
    assert "booked 2026-04-27 Mon 09:30" in booked["AS-001 W06"]
    assert "booked 2026-04-28 Tue" in booked["AS-002 W02"]
    # A booking off the window (or on a closed day) says so where the nurse reads it.
    assert "booked 2026-04-28 Tue outside window" in booked["AS-002 W02"]
    assert "outside window" in rows(page, "due")["AS-002 W02"]
    assert "window" not in booked["AS-001 W06"].split("09:30")[1]
    assert "booked 2026-05-10 Sun weekend" in rows(nurse.get("/?week=%2B1").text, "due")[
        "AS-001 W08"]


def test_overdue_names_the_visit_and_its_days_the_longest_first(nurse, clinic) -> None:
    page = nurse.get("/").text
    overdue = rows(page, "overdue")
    # Not AS-005 (missed, then cancelled on withdrawal), not AS-003's screening visit, not
    # AS-002's unscheduled visit of 20 April.
    assert list(overdue) == ["AS-001 W02", "AS-001 W04"]
    assert count(page, "overdue") == 2
    assert "AS-001 W02 · 2 weeks 2026-03-27 Fri – 2026-04-02 Thu 25 days overdue" in (
        overdue["AS-001 W02"])
    assert "11 days overdue" in overdue["AS-001 W04"]


def test_the_queries_pick_exactly_the_visits_the_date_rules_pick(app, clinic) -> None:
    with app.app_context():
        session = db.session()
        every = session.scalars(select(Visit)).all()
        calendar, schedule = app.extensions["edc_calendar"], app.extensions["edc_study"].schedule
        for weeks in (0, 1, -1, 3):
            week = rules.Week(TODAY).shifted(weeks)
            due = {r.visit_id for r in reads.due(session, calendar, week, TODAY,
                                                 rules.longest_window_days(schedule))}
            assert due == {v.id for v in every if rules.is_due(
                v.status, v.kind, v.window_start, v.window_end, week, TODAY)}
            assert due or weeks == -1, weeks
        assert {r.visit_id for r in reads.overdue(session, TODAY)} == {
            v.id for v in every if rules.is_overdue(v.status, v.kind, v.window_end, TODAY)}


def test_a_nurse_gets_the_actions_that_fit_each_row(nurse, clinic) -> None:
    page = nurse.get("/").text
    due = rows(page, "due")
    assert due["AS-004 W02"].endswith("Book Enter results")  # open today, unbooked
    assert due["AS-003 W02"].endswith("Book")  # opens on Saturday
    assert due["AS-001 W06"].endswith("Enter results")  # booked, open
    assert rows(page, "overdue")["AS-001 W02"].endswith("Enter results Mark missed")
    w02 = visit_id(nurse.application, clinic["AS-004"], "W02")
    assert f'href="/visits/{w02}?book=1#booking"' in section(page, "due")
    assert f'href="/participants/{clinic["AS-004"]}"' in section(page, "due")
    # Book and Mark missed open the visit page with their form already open.
    assert '<details class="panel" id="booking" open>' in nurse.get(f"/visits/{w02}?book=1").text
    w02_late = visit_id(nurse.application, clinic["AS-001"], "W02")
    assert f'href="/visits/{w02_late}?missed=1#missed"' in section(page, "overdue")
    assert '<details class="panel" id="missed" open>' in nurse.get(
        f"/visits/{w02_late}?missed=1").text
    assert '<details class="panel" id="missed" >' in nurse.get(f"/visits/{w02_late}").text


def test_a_visit_booked_for_a_day_gone_by_is_offered_for_booking_again(
    app, nurse, scheduled, clock
) -> None:
    w06 = visit_id(app, scheduled, "W06")  # window 24-30 April, booked on 20 April for the 24th
    with clock.on(date(2026, 4, 20)):
        ok(submit(nurse, f"/visits/{w06}/book", {"date": "2026-04-24"}))
    due = rows(nurse.get("/").text, "due")
    assert due["AS-001 W06"].endswith("booked 2026-04-24 Fri Book Enter results")


def test_a_monitor_sees_the_same_rows_without_any_action(as_role, nurse, clinic) -> None:
    monitor = as_role("monitor").get("/").text
    staff = nurse.get("/").text
    for name in ("due", "booked", "overdue", "incomplete"):
        assert list(rows(monitor, name)) == list(rows(staff, name))
    for word in ("Book", "Enter results", "Mark missed", "Action"):
        assert f">{word}<" not in monitor
    assert rows(monitor, "due")["AS-004 W02"].endswith("suggested 2026-04-27 Mon")


def test_the_week_filter_shows_next_week_or_the_week_from_a_date(nurse, clinic) -> None:
    page = nurse.get("/?week=%2B1").text
    assert "Due in the week 2026-05-04 Mon to 2026-05-10 Sun" in text(section(page, "due"))
    due = rows(page, "due")
    assert list(due) == ["AS-003 W02", "AS-004 W04", "AS-002 W02", "AS-001 W08"]
    assert "suggested 2026-05-08 Fri" in due["AS-004 W04"]
    # Booked and overdue stay as of today.
    assert list(rows(page, "booked")) == ["AS-001 W06", "AS-002 W02"]
    assert list(rows(page, "overdue")) == ["AS-001 W02", "AS-001 W04"]
    assert list(rows(nurse.get("/?week=2026-05-04").text, "due")) == list(due)


def test_last_and_next_week_step_from_the_week_shown(nurse, clinic) -> None:
    """A nurse steps week by week; a week typed as a Chinese keyboard types it is read too."""
    def steps(query: str) -> tuple[str, str]:
        html = section(nurse.get(f"/?{query}").text, "due")
        back = re.search(r'<a href="([^"]*)" rel="prev">', html).group(1)
        on = re.search(r'<a href="([^"]*)" rel="next">', html).group(1)
        return unescape(back), unescape(on)

    assert steps("") == ("/?week=-1", "/?week=%2B1")
    assert steps("week=%2B1") == ("/", "/?week=%2B2")
    assert steps("week=-1") == ("/?week=-2", "/")
    assert steps("week=2026-05-06") == ("/?week=2026-04-29", "/?week=2026-05-13")
    furthest = section(nurse.get("/?week=-520").text, "due")  # ten years back: no further
    assert 'rel="prev"' not in furthest and 'href="/?week=-519" rel="next"' in furthest
    for typed in ("%EF%BC%8B1", "%EF%BC%8B%EF%BC%91"):  # ＋1 and ＋１
        page = nurse.get(f"/?week={typed}")
        assert page.status_code == 200
        assert "Due in the week 2026-05-04 Mon to 2026-05-10 Sun" in text(page.text)
    assert nurse.get("/?section=overdue&page=%EF%BC%91").status_code == 200  # page １


@pytest.mark.parametrize("typed", [
    "soon", "2026-02-30", "%2B99999", "%00soon", "2026-05-04x", "%FF"])
def test_a_week_that_is_no_week_is_refused_with_a_message_and_this_week_shown(
    nurse, clinic, typed
) -> None:
    response = nurse.get(f"/?week={typed}")
    assert response.status_code == 400
    assert "Expected a date like 2026-04-27, or +1 for next week and -1 for last week." in (
        unescape(response.text))
    assert list(rows(response.text, "due"))[0] == "AS-004 W02"


@pytest.mark.parametrize("typed", ["%2B521", "-521", "2036-12-04", "1999-01-01"])
def test_a_week_too_far_away_is_refused_as_too_far(nurse, clinic, typed) -> None:
    response = nurse.get(f"/?week={typed}")
    assert response.status_code == 400
    assert "Expected a week at most 10 years from today. This week is shown." in unescape(
        response.text)


def test_a_done_visit_without_a_required_result_is_listed_as_incomplete(
    app, nurse, scheduled, monkeypatch
) -> None:
    w02, w04 = visit_id(app, scheduled, "W02"), visit_id(app, scheduled, "W04")
    without_volume = results_form(nurse, w02, sample_date="2026-03-30")
    del without_volume["urine_volume-value"]
    ok(nurse.post(f"/visits/{w02}", data=without_volume))
    ok(nurse.post(f"/visits/{w04}", data=results_form(
        nurse, w04, sample_date="2026-04-13",
        urine_volume={"value": "", "not_done": "y", "not_done_reason": "Bottle leaked"})))
    page = nurse.get("/").text
    assert count(page, "incomplete") == 0  # height and weight, the required ones, are there
    # An amendment makes urine volume required: W02 has no row for it; W04 is marked not done.
    # Its forms are deployed with `edc init`, which works out again what each visit lacks.
    study = app.extensions["edc_study"]
    form = replace(study.results, fields=tuple(
        replace(f, required=True) if f.key == "urine_volume" else f
        for f in study.results.fields))
    monkeypatch.setitem(app.extensions, "edc_results_form", form)
    monkeypatch.setitem(app.extensions, "edc_study", replace(study, results=form))
    assert count(nurse.get("/").text, "incomplete") == 0  # not until the forms are deployed
    with app.app_context():
        services.refresh_results_missing(db.session(), app.extensions["edc_study"])
    page = nurse.get("/").text
    incomplete = rows(page, "incomplete")
    assert list(incomplete) == ["AS-001 W02"]
    assert count(page, "incomplete") == 1
    assert "Missing" in section(page, "incomplete")
    assert incomplete["AS-001 W02"].endswith("Urine volume (mL) Enter results")


def test_the_deviation_count_links_to_the_deviations_page(nurse, clinic) -> None:
    page = nurse.get("/").text
    assert count(page, "deviations") == 5
    assert 'href="/deviations"' in section(page, "deviations")


def test_the_worklist_runs_the_same_queries_for_3_and_30_children(
    app, nurse, as_role
) -> None:
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv(pairs=15))

    def busy_child(pid: int) -> None:
        ok(submit(nurse, f"/visits/{visit_id(app, pid, 'W06')}/book",
                  {"date": "2026-04-27", "time": "10:00"}))
        ok(submit(nurse, f"/visits/{visit_id(app, pid, 'W08')}/book",
                  {"date": "2026-05-10", "reason": "Weekend only"}))
        ok(submit(nurse, f"/visits/{visit_id(app, pid, 'W02')}/missed", {"reason": "Flu"}))
        w04 = visit_id(app, pid, "W04")
        ok(nurse.post(f"/visits/{w04}", data=results_form(nurse, w04, sample_date="2026-04-19")))

    monitor = as_role("monitor")
    first = add_children(app, 1, 3)
    busy_child(first[0])

    def queries(client: FlaskClient, url: str) -> int:
        with counted(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    urls = ("/", "/?week=%2B1", "/deviations", "/deviations?participant=AS-001&kind=sample")
    few = {url: queries(nurse, url) for url in urls}
    more = add_children(app, 4, 30)
    for pid in more[::5]:
        busy_child(pid)
    # W02 and W04 of the 23 children with nothing done: 46 rows, the first 20 shown.
    page = nurse.get("/").text
    assert len(rows(page, "overdue")) == 20 and count(page, "overdue") == 2 * (30 - 7)
    assert {url: queries(nurse, url) for url in urls} == few
    assert queries(monitor, "/") == few["/"]


def test_due_visits_page_by_page_unbooked_then_booked_each_once(app, nurse) -> None:
    """25 children infused on the same days: W06 (day 42, 24-30 April) is due for each. A
    third of them are booked, so page 1 ends with the first booked and page 2 holds the rest."""
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv(pairs=13))
    ids = add_children(app, 1, 25)
    booked = {f"AS-{n:03d}": f"{9 + n % 3:02d}:00" for n in range(1, 26, 3)}
    for pid, code in zip(ids, (f"AS-{n:03d}" for n in range(1, 26)), strict=True):
        if code in booked:
            ok(submit(nurse, f"/visits/{visit_id(app, pid, 'W06')}/book",
                      {"date": "2026-04-28", "time": booked[code]}))
    first, second = nurse.get("/").text, nurse.get("/?section=due&page=2").text
    shown = [*rows(first, "due"), *rows(second, "due")]
    unbooked = [f"AS-{n:03d} W06" for n in range(1, 26) if f"AS-{n:03d}" not in booked]
    by_time = sorted(booked, key=lambda code: (booked[code], code))
    assert shown == [*unbooked, *(f"{code} W06" for code in by_time)]
    assert count(first, "due") == count(second, "due") == 25
    assert len(rows(first, "due")) == 20
    assert "21–25 of 25" in text(section(second, "due"))


# The deviations page ---------------------------------------------------------------------------


def deviation_rows(html: str) -> list[str]:
    return [text(row) for row in re.findall(r"<tr data-deviation=[^>]*>(.*?)</tr>", html, re.S)]


def test_the_deviations_page_lists_every_deviation_the_record_holds(nurse, clinic) -> None:
    page = nurse.get("/deviations")
    assert page.status_code == 200
    assert deviation_rows(page.text) == [
        "AS-001 W08 · 8 weeks Booked: weekend (reason: Parents work on weekdays) "
        "2026-05-10 Sun inside the window Open the visit",
        "AS-002 W02 · 2 weeks Booked: outside window (reason: Only day the family can come) "
        "2026-04-28 Tue 1 day before Open the visit",
        "AS-004 Infusion 2 Infusion 2 outside day 14 ± 2 2026-04-10 Fri 1 day after "
        "Open the infusions",
        "AS-005 W02 · 2 weeks Missed: Family abroad 2026-04-02 Thu — Open the visit",
        "AS-005 W04 · 4 weeks Sample outside the visit window 2026-04-19 Sun 3 days after "
        "Open the visit",
    ]
    assert f'href="/participants/{clinic["AS-004"]}#infusion-2"' in page.text


def test_deviations_filter_by_participant_and_kind(nurse, clinic) -> None:
    def shown(query: str) -> list[str]:
        response = nurse.get(f"/deviations?{query}")
        assert response.status_code == 200
        return [row.split(" Open")[0] for row in deviation_rows(response.text)]

    assert [r[:10] for r in shown("participant=AS-005")] == ["AS-005 W02", "AS-005 W04"]
    assert [r[:10] for r in shown("participant=as-005&kind=missed")] == ["AS-005 W02"]
    assert [r[:10] for r in shown("kind=booking")] == ["AS-001 W08", "AS-002 W02"]
    assert [r[:6] for r in shown("kind=infusion")] == ["AS-004"]
    assert shown("participant=AS-003") == []


def test_deviations_come_a_page_of_50_at_a_time_in_code_and_day_order(app, nurse) -> None:
    """26 children whose W02 and W04 were missed: 52 deviations, 50 on the first page."""
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv(pairs=13))
    for pid in add_children(app, 1, 26):
        for code in ("W04", "W02"):
            ok(submit(nurse, f"/visits/{visit_id(app, pid, code)}/missed", {"reason": "Flu"}))
    ok(nurse.post("/deviations", data={
        "child": "AS-001", "category": "MISSED", "deviation_date": "2026-03-30",
        "description": "W02 urine sample not collected", "corrective_action": "Reminded"}))
    first = nurse.get("/deviations").text
    second = nurse.get("/deviations?page=2").text
    every = [f"AS-{n:03d} {code}" for n in range(1, 27) for code in ("W02", "W04")]
    assert [row[:10] for row in deviation_rows(first) + deviation_rows(second)] == every
    assert len(deviation_rows(first)) == 50
    assert "1–50 of 52" in text(first) and "51–52 of 52" in text(second)
    assert 'href="/deviations?page=2"' in first and 'href="/deviations?page=1"' in second
    assert '<span class="badge count">53</span>' in first  # and the one recorded by hand
    # The one recorded by hand is listed once, under the first page.
    assert "recorded-deviations" in first and "recorded-deviations" not in second
    kept = nurse.get("/deviations?kind=missed&page=2").text
    assert 'href="/deviations?kind=missed&amp;page=1"' in kept
    for typed in ("9", "abc", "0"):
        response = nurse.get(f"/deviations?page={typed}")
        assert response.status_code == 400
        assert "The first page is shown." in text(response.text)
        assert [row[:10] for row in deviation_rows(response.text)] == every[:50]


@pytest.mark.parametrize(("query", "message"), [
    ("participant=AS-999", "Got participant 'AS-999'. Expected the code of an enrolled child, "
                           "e.g. AS-001. All children are shown."),
    ("kind=late", "Got kind 'late'. Expected one of: Infusion 2 outside its window, Sample "
                  "outside the visit window, Booking outside the window or on a closed day, "
                  "Missed visit, Recorded by the study team. All kinds are shown."),
    ("participant=%00%FF&kind=" + "x" * 500, "All kinds are shown."),
])
def test_a_filter_that_matches_no_child_or_kind_is_refused_with_a_message(
    nurse, clinic, query, message
) -> None:
    response = nurse.get(f"/deviations?{query}")
    assert response.status_code == 400
    assert message in unescape(response.text)
    assert len(deviation_rows(response.text)) >= 1


def test_the_participant_page_shows_a_sample_taken_outside_its_window(nurse, clinic) -> None:
    page = nurse.get(f"/participants/{clinic['AS-005']}").text
    w04 = re.search(r'data-visit="W04".*?</tr>', page, re.S).group(0)
    assert "sampled 3 days after its window" in w04
    w02 = re.search(r'data-visit="W02".*?</tr>', page, re.S).group(0)
    assert "sampled" not in w02


@pytest.mark.parametrize("role", ["admin", "investigator", "nurse", "monitor"])
def test_blinded_roles_never_see_the_arm_on_the_worklist_or_deviations(
    as_role, clinic, role
) -> None:
    client = as_role(role)
    pages = {url: client.get(url).text for url in ("/", "/?week=%2B1", "/deviations")}
    assert giveaways(pages) == []
    assert all("AS-001" in html for html in pages.values())


def test_children_still_to_be_infused_are_listed_with_infusion_2_by_its_window(
    app, nurse, as_role, allocation
) -> None:
    """AS-001 awaits infusion 1; AS-002 got infusion 1 on 2 April (infusion 2 due 16 April,
    window 14-18 April: 9 days closed on 27 April); AS-003 on 20 April (due 4 May, window
    2-6 May); AS-004 is anchored on infusion 1 and AS-005 has both: neither is listed."""
    ids = []
    for n in range(1, 6):
        response = nurse.post("/participants/enrol", data=enrolment_form(app, code=f"AS-00{n}"))
        ok(response)
        ids.append(int(response.location.rsplit("/", 1)[1]))
    for code, day in (("AS-002", "2026-04-02"), ("AS-003", "2026-04-20"),
                      ("AS-004", "2026-03-02"), ("AS-005", "2026-03-02")):
        ok(nurse.post(f"/participants/{ids[int(code[-1]) - 1]}/infusions/1",
                      data=infusion_form(date=day)))
    ok(submit(nurse, f"/participants/{ids[3]}/anchor-on-first", {"reason": "Fever"}))
    ok(nurse.post(f"/participants/{ids[4]}/infusions/2", data=infusion_form(date="2026-03-16")))
    page = nurse.get("/").text
    found = [text(row) for row in re.findall(r"<tr data-infusion=[^>]*>(.*?)</tr>",
                                             section(page, "infusions"), re.S)]
    assert found == [
        "AS-002 Infusion 2 2026-04-14 Tue – 2026-04-18 Sat 2026-04-16 Thu "
        "window closed 9 days ago Record infusion 2",
        "AS-003 Infusion 2 2026-05-02 Sat – 2026-05-06 Wed 2026-05-04 Mon Record infusion 2",
        "AS-001 Infusion 1 consented 2026-02-20 Fri Record infusion 1",
    ]
    assert count(page, "infusions") == 3
    # Those awaiting infusion 1 come longest consented first, whatever their codes.
    ok(nurse.post("/participants/enrol", data=enrolment_form(
        app, code="AS-000", consent_date="2026-04-20")))
    ok(nurse.post("/participants/enrol", data=enrolment_form(
        app, code="AS-009", consent_date="2026-01-20")))
    waiting = [text(row).split(" Infusion 1")[0] for row in re.findall(
        r"<tr data-infusion=[^>]*>(.*?)</tr>", section(nurse.get("/").text, "infusions"), re.S)
        if "Infusion 1" in text(row)]
    assert waiting == ["AS-009", "AS-001", "AS-000"]
    monitor = as_role("monitor").get("/").text
    assert "Record infusion" not in section(monitor, "infusions")
