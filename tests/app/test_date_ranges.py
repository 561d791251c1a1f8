"""Every date the app stores lies in a range, and a refusal names the bound.

"Today" is 2026-04-27. AS-001 consented on 2026-02-20; infusion 2 on 2026-03-16 is day 0, so W08
has the window 2026-05-08 to 2026-05-14. The bounds: an unscheduled visit from the consent date
to a year after today; a booking from today to a year after the visit's window ends; a consent
at most a year before today. Further dates are a slip of the year, and the family calendar, the
clinic feed and the download must keep working for everyone whatever was typed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
from flask import Flask
from sqlalchemy import func, select

from edc import db
from edc.models import Participant, Visit
from tests.support.audit import audit_count
from tests.support.forms import enrolment_form, submit
from tests.support.records import visit_id


def visits(app: Flask, pid: int) -> dict[str, Visit]:
    with app.app_context():
        return {v.code: v for v in db.session().scalars(
            select(Visit).where(Visit.participant_id == pid))}


def flashes(client, location: str) -> str:
    return client.get(location).text


def add_unscheduled(client, pid: int, day: str):
    return submit(client, f"/participants/{pid}/visits",
                  {"kind": "unscheduled", "date": day, "reason": "fever"})


def assert_calendars_work(nurse, client, pid: int) -> None:
    assert submit(nurse, f"/participants/{pid}/calendar-link").status_code == 302
    token = re.search(r"/calendar/([A-Za-z0-9_-]+)\.ics",
                      nurse.get(f"/participants/{pid}").text).group(1)
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    assert nurse.get("/clinic/calendar.ics").status_code == 200
    assert nurse.get(f"/participants/{pid}/calendar.ics").status_code == 200
    assert nurse.get(f"/participants/{pid}/card").status_code == 200


@pytest.mark.parametrize("day, message", [
    ("9999-12-31", "Got &#39;9999-12-31&#39;. Expected a date like 2026-01-31."),
    ("2200-12-31", "The visit date 2200-12-31 is more than a year after today. Enter a day up "
                   "to 2027-04-27."),
    ("2027-04-28", "The visit date 2027-04-28 is more than a year after today. Enter a day up "
                   "to 2027-04-27."),
    ("2026-02-19", "The visit date 2026-02-19 is before the consent date (2026-02-20). Enter a "
                   "day from the consent date on."),
    ("1900-01-01", "The visit date 1900-01-01 is before the consent date (2026-02-20). Enter a "
                   "day from the consent date on."),
    ("\u3000", "Enter the visit date."),
])
def test_an_unscheduled_visit_date_outside_consent_to_a_year_ahead_is_refused(
        app, nurse, client, scheduled, day, message) -> None:
    before = audit_count(app)
    response = add_unscheduled(nurse, scheduled, day)
    assert response.status_code == 422
    panel = response.text[response.text.index('id="add-visit"'):]
    assert message in panel  # at the field, with the panel open and what was typed kept
    assert panel.startswith('id="add-visit" open')
    if day.strip():
        assert f'value="{day}"' in panel
    assert 'value="fever"' in panel or ">fever<" in panel
    assert "U01" not in visits(app, scheduled)
    assert audit_count(app) == before
    assert_calendars_work(nurse, client, scheduled)


@pytest.mark.parametrize("day", ["2026-02-20", "2027-04-27"])
def test_an_unscheduled_visit_on_its_bounds_is_added(app, nurse, client, scheduled, day) -> None:
    response = add_unscheduled(nurse, scheduled, day)
    assert response.status_code == 302
    assert visits(app, scheduled)["U01"].target_date == date.fromisoformat(day)
    assert_calendars_work(nurse, client, scheduled)


@pytest.mark.parametrize("day, message", [
    ("2026-04-26", "The appointment date 2026-04-26 is in the past (today is 2026-04-27). Book "
                   "today or a later day; a visit that took place is recorded by entering its "
                   "results."),
    ("2027-05-15", "The appointment date 2027-05-15 is more than a year after the window of W08 "
                   "ends (2026-05-14). Choose a day up to 2027-05-14."),
    ("2200-01-01", "The appointment date 2200-01-01 is more than a year after the window of W08 "
                   "ends (2026-05-14). Choose a day up to 2027-05-14."),
])
def test_a_booking_in_the_past_or_over_a_year_after_the_window_is_refused_at_the_date(
        app, nurse, client, scheduled, day, message) -> None:
    w08 = visit_id(app, scheduled, "W08")
    before = audit_count(app)
    response = submit(nurse, f"/visits/{w08}/book", {"date": day, "time": "09:30",
                                                   "reason": "Family asks"})
    assert response.status_code == 422
    assert message in response.text
    assert 'value="Family asks"' in response.text
    assert visits(app, scheduled)["W08"].booked_date is None
    assert audit_count(app) == before
    assert_calendars_work(nurse, client, scheduled)


@pytest.mark.parametrize("day", ["2026-04-27", "2027-05-14"])
def test_a_booking_today_or_a_year_after_the_window_ends_is_saved(
        app, nurse, client, scheduled, day) -> None:
    w08 = visit_id(app, scheduled, "W08")
    response = submit(nurse, f"/visits/{w08}/book", {"date": day, "reason": "Family asks"})
    assert response.status_code == 302, response.text[:300]
    assert visits(app, scheduled)["W08"].booked_date == date.fromisoformat(day)
    assert_calendars_work(nurse, client, scheduled)


@pytest.mark.parametrize("at, message", [
    ("09:30", "09:30 today has passed (it is 14:30). Book a later time or another day."),
    ("14:29", "14:29 today has passed (it is 14:30). Book a later time or another day."),
    ("14:30", None), ("17:00", None), ("", None),
])
def test_a_booking_today_at_a_time_gone_by_is_refused_at_the_time(
        app, nurse, client, scheduled, monkeypatch, at, message) -> None:
    # 06:30 UTC is 14:30 in Guangzhou on the app's day.
    monkeypatch.setattr("edc.services.base.utcnow",
                        lambda: datetime(2026, 4, 27, 6, 30, tzinfo=UTC))
    w08 = visit_id(app, scheduled, "W08")
    before = audit_count(app)
    response = submit(nurse, f"/visits/{w08}/book", {"date": "2026-04-27", "time": at,
                                                   "reason": "Family asks"})
    if message is None:
        assert response.status_code == 302, response.text[:300]
        assert visits(app, scheduled)["W08"].booked_date == date(2026, 4, 27)
        assert audit_count(app) > before
    else:
        assert response.status_code == 422
        assert message in unescape(response.text)
        assert 'value="Family asks"' in response.text and f'value="{at}"' in response.text
        assert visits(app, scheduled)["W08"].booked_date is None
        assert audit_count(app) == before
    assert_calendars_work(nurse, client, scheduled)


def test_a_consent_more_than_a_year_ago_is_refused_with_the_earliest_day(
        app, nurse, allocation) -> None:
    response = nurse.post("/participants/enrol",
                          data=enrolment_form(app, consent_date="2025-04-26"))
    assert response.status_code == 422
    assert ("The consent date 2025-04-26 is more than a year ago. Check the year: the earliest "
            "is 2025-04-27.") in response.text
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Participant)) == 0
    response = nurse.post("/participants/enrol",
                          data=enrolment_form(app, consent_date="2025-04-27"))
    assert response.status_code == 302, response.text[:300]


def test_an_unscheduled_visit_to_come_on_a_closed_day_is_refused_but_one_gone_by_is_kept(
        app, nurse, scheduled) -> None:
    """Today Monday 27 April 2026: Sunday 3 May is a weekend, 1 May Labour Day; Sunday 26 April
    has passed (a visit that happened, e.g. on the ward, is recorded as it was)."""
    response = add_unscheduled(nurse, scheduled, "2026-05-03")
    assert response.status_code == 422
    assert ("The clinic is closed on 2026-05-03 (weekend). Choose a clinic day for the family "
            "to come.") in unescape(response.text)
    assert "U01" not in visits(app, scheduled)
    assert add_unscheduled(nurse, scheduled, "2026-04-26").status_code == 302
    assert "U01" in visits(app, scheduled)
