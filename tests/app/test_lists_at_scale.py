"""The pages a nurse opens do not grow with the number of children: the participant list a page
at a time with a search and filters, the worklist's lists bounded, and the clinic feed of a
window around today, also by a person's own link for a calendar app."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select, update

from edc import db, services
from edc.app import context_for
from edc.audit import audited
from edc.models import AuditEvent, DataQuery, User, Visit
from edc.services import accounts
from edc.services.base import Operator
from tests.support import factories
from tests.support.apps import SET_UP, TODAY, allocation_csv
from tests.support.forms import book, results_form
from tests.support.queries import counted, queries_for
from tests.support.records import visit_id


def _allocate(app: Flask, pairs: int) -> None:
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv(pairs))


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _codes(html: str) -> list[str]:
    return re.findall(r'participants/\d+">(AS-\d{3})</a>', html)


def _pages(app: Flask, nurse: FlaskClient, child: int, page_two: bool) -> dict[str, int]:
    w04 = visit_id(app, child, "W04")
    counts = {name: queries_for(app, nurse, url) for name, url in (
        ("worklist", "/"), ("list", "/participants/"), ("search", "/participants/?q=as-00"),
        # With 10 children there is one page: the second page's queries are the first's.
        ("next page", "/participants/?page=2" if page_two else "/participants/?page=1"),
        ("child", f"/participants/{child}"), ("visit", f"/visits/{w04}"),
        ("family calendar", f"/participants/{child}/calendar.ics"),
        ("clinic feed", "/clinic/calendar.ics"))}
    data = results_form(nurse, w04, sample_date="2026-04-13")
    with counted(app) as statements:
        assert nurse.post(f"/visits/{w04}", data=data).status_code == 302
    counts["results POST"] = len(statements)
    return counts


def test_every_page_a_nurse_opens_runs_the_same_queries_for_10_children_and_60(
    app: Flask, nurse: FlaskClient
) -> None:
    _allocate(app, 31)
    [first, *_] = factories.add_children(app, 1, 10)
    few = _pages(app, nurse, first, page_two=False)
    factories.add_children(app, 11, 60, state="enrolled")
    [second] = factories.add_children(app, 61, 61)
    many = _pages(app, nurse, second, page_two=True)
    assert many == few


def test_the_list_shows_50_children_a_page_with_previous_and_next(
    app: Flask, nurse: FlaskClient
) -> None:
    _allocate(app, 28)
    factories.add_children(app, 1, 55, state="enrolled")
    first = nurse.get("/participants/")
    assert "1–50 of 55" in _text(first.text)
    assert _codes(first.text)[0] == "AS-001" and len(_codes(first.text)) == 50
    assert "Next" in _text(first.text) and "Previous" not in _text(first.text)
    second = nurse.get("/participants/?page=2")
    assert "51–55 of 55" in _text(second.text)
    assert _codes(second.text) == ["AS-051", "AS-052", "AS-053", "AS-054", "AS-055"]
    assert 'href="/participants/?page=1"' in second.text


def test_the_search_finds_codes_typed_in_lower_case_or_full_width(
    app: Flask, nurse: FlaskClient
) -> None:
    _allocate(app, 8)
    factories.add_children(app, 1, 12, state="enrolled")
    assert _codes(nurse.get("/participants/?q=as-01").text) == ["AS-010", "AS-011", "AS-012"]
    # A Chinese keyboard in full-width mode: ＡＳ－００２ (and its long dash).
    assert _codes(nurse.get("/participants/?q=ＡＳ－００２").text) == ["AS-002"]
    assert _codes(nurse.get("/participants/?q=as—002").text) == ["AS-002"]
    assert _codes(nurse.get("/participants/?q=AS-\u3000002").text) == ["AS-002"]
    # A space typed for the dash, or no dash at all.
    assert _codes(nurse.get("/participants/?q=AS 002").text) == ["AS-002"]
    assert _codes(nurse.get("/participants/?q=as01").text) == ["AS-010", "AS-011", "AS-012"]
    none = nurse.get("/participants/?q=XYZ")
    assert none.status_code == 200 and "No child matches." in none.text


def test_the_list_filters_by_status_and_by_overdue_visits(
    app: Flask, nurse: FlaskClient
) -> None:
    _allocate(app, 4)
    scheduled = factories.child(app, "scheduled", "AS-001")  # W02 and W04 overdue on TODAY
    factories.child(app, "enrolled", "AS-002")
    factories.child(app, "withdrawn", "AS-003")
    assert _codes(nurse.get("/participants/?status=withdrawn").text) == ["AS-003"]
    overdue = nurse.get("/participants/?due=overdue").text
    assert _codes(overdue) == ["AS-001"]
    assert scheduled
    week = nurse.get("/participants/?due=week").text
    assert _codes(week) == ["AS-001"]  # W06, window 24-30 April
    assert 'value="overdue" selected' in overdue


def test_the_next_visit_is_the_day_shown_booked_late_or_not_and_the_list_sorts_by_it(
    app: Flask, nurse: FlaskClient
) -> None:
    """TODAY is Monday 27 April: W06 (24-30 April) is suggested for today for each child.
    AS-004's W04 closed on 16 April and is booked at last for 28 April: its next visit."""
    _allocate(app, 4)
    ids = [factories.child(app, "scheduled", f"AS-00{n}") for n in range(1, 5)]
    for pid, code, day, reason in ((ids[1], "W06", "2026-04-30", ""),
                                   (ids[2], "W06", "2026-04-28", ""),
                                   (ids[3], "W04", "2026-04-28", "Family was away"),
                                   (ids[3], "W06", "2026-04-30", "")):
        assert book(nurse, app, pid, code, date=day, reason=reason).status_code == 302
    html = nurse.get("/participants/?sort=next").text
    rows = {code: _text(cells) for code, cells in re.findall(
        r'participants/\d+">(AS-\d{3})</a></td>(.*?)</tr>', html, re.S)}
    assert list(rows) == ["AS-001", "AS-003", "AS-004", "AS-002"]
    assert "W06 · 2026-04-27 Mon" in rows["AS-001"]
    assert "W06 · booked 2026-04-28 Tue" in rows["AS-003"]
    assert "W04 · booked 2026-04-28 Tue outside window" in rows["AS-004"]
    assert "outside window" not in rows["AS-003"]
    assert "W06 · booked 2026-04-30 Thu" in rows["AS-002"]


def test_bad_list_arguments_show_the_first_page_with_a_message(
    app: Flask, nurse: FlaskClient
) -> None:
    _allocate(app, 4)
    factories.add_children(app, 1, 2, state="enrolled")
    for query, words in (("page=abc", "Got page 'abc'"), ("status=bogus", "Got status 'bogus'"),
                         ("page=9", "Got page 9"), ("due=soon", "Got 'soon'"),
                         ("sort=x", "Got sort 'x'")):
        response = nurse.get(f"/participants/?{query}")
        assert response.status_code == 400, query
        assert words in _text(response.text), query
        assert _codes(response.text) == ["AS-001", "AS-002"], query


def test_a_worklist_list_shows_20_and_counts_the_rest(app: Flask, nurse: FlaskClient) -> None:
    _allocate(app, 13)
    factories.add_children(app, 1, 25, state="enrolled")
    page = nurse.get("/")
    section = page.text.split('id="infusions"')[1].split("</section>")[0]
    assert section.count("data-infusion=") == 20
    assert '<span class="badge count">25</span>' in section
    assert "and 5 more" in section
    more = nurse.get("/?section=infusions&page=2").text.split('id="infusions"')[1]
    more = more.split("</section>")[0]
    assert more.count("data-infusion=") == 5 and "21–25 of 25" in _text(more)


def _feed(client: FlaskClient, url: str) -> dict[str, date]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return {str(e["SUMMARY"]).split(" / ")[0]: e["DTSTART"].dt
            for e in Calendar.from_ical(response.data).walk("VEVENT")}


def _move(app: Flask, pid: int, code: str, day: date) -> None:
    """Put a planned visit's suggested day (and window) on day, as a long schedule would."""
    with app.app_context():
        session = db.session()
        session.execute(update(Visit).where(Visit.participant_id == pid, Visit.code == code)
                        .values(suggested_date=day, target_date=day, window_start=day,
                                window_end=day))
        session.commit()


def test_the_clinic_feed_holds_planned_visits_from_30_days_back_to_180_ahead(
    app: Flask, nurse: FlaskClient
) -> None:
    _allocate(app, 4)
    pid = factories.child(app, "with results", "AS-001")  # W02 and W04 done
    _move(app, pid, "W06", TODAY - timedelta(days=31))
    _move(app, pid, "W08", TODAY - timedelta(days=30))
    _move(app, pid, "M03", TODAY + timedelta(days=180))
    _move(app, pid, "M06", TODAY + timedelta(days=181))
    codes = {summary.split()[1] for summary in _feed(nurse, "/clinic/calendar.ics")}
    assert "W08" in codes and "M03" in codes
    assert not codes & {"W06", "M06", "W02", "W04"}  # outside, or done


def test_the_clinic_feed_holds_a_visit_booked_late_off_its_window(
    app: Flask, nurse: FlaskClient
) -> None:
    """W02, its window closed 100 days ago, is booked at last for Wednesday 29 April at 10:00:
    the clinic must see that appointment. W04, also overdue and not booked, is suggested for a
    day before the feed's 30 days and stays out."""
    _allocate(app, 4)
    pid = factories.child(app, "scheduled", "AS-001")
    _move(app, pid, "W02", TODAY - timedelta(days=100))
    _move(app, pid, "W04", TODAY - timedelta(days=31))
    assert book(nurse, app, pid, "W02", date="2026-04-29", time="10:00",
                reason="Family was abroad").status_code == 302
    feed = _feed(nurse, "/clinic/calendar.ics")
    assert [(summary, start.isoformat()) for summary, start in feed.items()
            if summary.split()[1] in ("W02", "W04")] == [
        ("AS-001 W02 复诊 2周", "2026-04-29T10:00:00+08:00")]


def test_the_clinic_feed_answers_304_until_a_visit_in_it_changes(
    app: Flask, nurse: FlaskClient
) -> None:
    _allocate(app, 4)
    pid = factories.child(app, "scheduled", "AS-001")
    first = nurse.get("/clinic/calendar.ics")
    tag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert nurse.get("/clinic/calendar.ics", headers={"If-None-Match": tag}).status_code == 304
    booked = book(nurse, app, pid, "W08", date="2026-05-12", time="09:30")
    assert booked.status_code == 302, booked.text
    again = nurse.get("/clinic/calendar.ics", headers={"If-None-Match": tag})
    assert again.status_code == 200 and again.headers["ETag"] != tag


def _link(response_text: str) -> str:
    found = re.search(r'id="clinic-feed-link">https?://[^/]+(/clinic/calendar/[^<]+\.ics)<',
                      response_text)
    assert found, response_text
    return found.group(1)


def test_a_person_subscribes_with_their_own_link_and_revokes_it(
    app: Flask, nurse: FlaskClient, client: FlaskClient
) -> None:
    _allocate(app, 4)
    factories.child(app, "scheduled", "AS-001")
    assert 'href="/clinic/calendar/subscription"' in nurse.get("/").text
    page = nurse.get("/clinic/calendar/subscription")
    assert "No clinic calendar link is issued." in page.text
    issued = nurse.post("/clinic/calendar/subscription", data={"state": ""},
                        follow_redirects=True)
    link = _link(issued.text)
    feed = _feed(client, link)  # no log-in
    assert feed and all(summary.startswith("AS-001 ") for summary in feed)
    body = client.get(link).data
    assert b"2018-05-10" not in body and b"hUC-MSC" not in body and b"placebo" not in body
    state = re.search(r'name="state" value="([0-9a-f]+)"', issued.text).group(1)
    renewed = nurse.post("/clinic/calendar/subscription", data={"state": state},
                         follow_redirects=True)
    assert client.get(link).status_code == 404  # the old link stops working
    newer = _link(renewed.text)
    assert client.get(newer).status_code == 200
    state = re.search(r'name="state" value="([0-9a-f]+)"', renewed.text).group(1)
    nurse.post("/clinic/calendar/subscription", data={"state": state, "revoke": "y"})
    assert client.get(newer).status_code == 404
    assert client.get("/clinic/calendar/nonsense.ics").status_code == 404
    with app.app_context():
        trail = db.session().scalars(select(AuditEvent.new).where(
            AuditEvent.field == "clinic_feed_token")).all()
    assert trail and all(link.split("/")[-1][:-4] not in (t or "") for t in trail)


def test_a_deactivated_persons_link_stops_working(app: Flask, nurse: FlaskClient,
                                                  client: FlaskClient) -> None:
    issued = nurse.post("/clinic/calendar/subscription", data={"state": ""},
                        follow_redirects=True)
    link = _link(issued.text)
    assert client.get(link).status_code == 200
    with app.app_context():
        session = db.session()
        session.execute(update(User).where(User.username == "nurse").values(active=False))
        session.commit()
    assert client.get(link).status_code == 404


def test_deactivating_an_account_ends_its_link_for_good(app: Flask, nurse: FlaskClient,
                                                        client: FlaskClient) -> None:

    issued = nurse.post("/clinic/calendar/subscription", data={"state": ""},
                        follow_redirects=True)
    link = _link(issued.text)
    with app.app_context():
        session = db.session()
        user = session.scalars(select(User).where(User.username == "nurse")).one()
        ctx = context_for(Operator("admin"))
        accounts.set_active(ctx, user, False, "Left the ward")
        accounts.set_active(ctx, user, True, "Back on the ward")
    # Reactivated, the person issues a new link: the old one (copied anywhere) stays dead.
    assert client.get(link).status_code == 404


def test_the_link_keeps_the_scheme_the_app_is_reached_by(nurse: FlaskClient) -> None:
    issued = nurse.post("/clinic/calendar/subscription", data={"state": ""},
                        follow_redirects=True).text
    assert 'id="clinic-feed-link">http://localhost/clinic/calendar/' in issued
    secure = nurse.get("/clinic/calendar/subscription", base_url="https://localhost").text
    assert 'id="clinic-feed-link">https://localhost/clinic/calendar/' in secure


def _queried(app: Flask, texts: list[str]) -> None:
    """AS-001, scheduled, with an open query on W02's target day for each text, oldest first."""
    _allocate(app, 1)
    pid = factories.add_children(app, 1, 1, state="scheduled")[0]
    w02 = visit_id(app, pid, "W02")
    with app.app_context():
        session = db.session()
        with audited(session, "monitor"):
            session.add_all(DataQuery(participant_id=pid, entity="visit", entity_id=w02,
                                      field="target_date", text=text, raised_by="monitor")
                            for text in texts)
            session.commit()


def test_the_worklist_shows_the_oldest_20_queries_and_counts_them_all(
    app: Flask, nurse: FlaskClient
) -> None:
    _queried(app, [f"Question {n}" for n in range(1, 26)])
    section = nurse.get("/").text.split('id="queries"')[1].split("</section>")[0]
    assert section.count("data-query=") == 20
    assert "Question 20" in section and "Question 21" not in section  # the oldest first
    assert '<span class="badge count">25</span>' in section
    # The queries page filtered to what waits for a nurse (open), newest first: the 5 more.
    assert '<a href="/queries?status=open">and 5 more</a>' in section
    listed = nurse.get("/queries?status=open").text
    assert [f"Question {n}" in listed for n in (25, 21, 20)] == [True, True, True]


def test_the_queries_list_reads_codes_as_typed_and_says_what_it_did_not_understand(
    app: Flask, nurse: FlaskClient
) -> None:
    _queried(app, ["Why this day?"])
    # Full width, lower case, an IME space, a space for the dash, no dash.
    for typed in ("ＡＳ－００１", "as-001", "%E3%80%80AS-001", "AS%20001", "as001"):
        response = nurse.get(f"/queries?code={typed}")
        assert response.status_code == 200, typed
        assert "Why this day?" in response.text, typed
    for query, said in (
            ("status=bogus", "Got status 'bogus'. Expected one of: waiting (open or answered), "
                             "all, open, answered, closed. The waiting queries are shown."),
            ("page=0", "Got page '0'. Expected a page number such as 2. The first page is shown."),
            ("page=abc", "Got page 'abc'. Expected a page number such as 2."),
            ("page=9", "Got page 9. Expected a page from 1 to 1. The first page is shown.")):
        response = nurse.get(f"/queries?{query}")
        assert response.status_code == 400, query
        assert said in _text(response.text), query
        assert "Why this day?" in response.text, query
    assert nurse.get("/queries?page=%EF%BC%91").status_code == 200  # page １
    chinese = _text(nurse.get("/queries?status=bogus", headers={"Accept-Language": "zh-CN"}).text)
    assert "待处理（待回复或已回复）、全部、" in chinese  # the filter's own words, not codes
