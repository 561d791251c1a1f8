"""A calendar app that asks again for a feed it holds gets 304 and no body, whether it sends the
tag back as it was given or marked weak (W/"..."), as a compressing proxy leaves it."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.support.forms import results_form, submit
from tests.support.records import visit_id


def _asked_again(client: FlaskClient, url: str, tag: str):
    return client.get(url, headers={"If-None-Match": tag})


def test_the_clinic_feed_answers_304_to_its_tag_weak_or_strong(
        nurse: FlaskClient, scheduled: int) -> None:
    first = nurse.get("/clinic/calendar.ics")
    tag = first.headers["ETag"]
    for held in (tag, f"W/{tag}", f'"other", W/{tag}'):
        again = _asked_again(nurse, "/clinic/calendar.ics", held)
        assert (again.status_code, again.data) == (304, b""), held
        assert again.headers["ETag"] == tag
    assert _asked_again(nurse, "/clinic/calendar.ics", 'W/"other"').status_code == 200


def test_the_clinic_feed_by_its_link_answers_304_to_a_weak_tag(
        nurse: FlaskClient, client: FlaskClient, scheduled: int) -> None:
    assert nurse.post("/clinic/calendar/subscription", data={"state": ""}).status_code == 302
    link = re.search(r'id="clinic-feed-link">https?://[^/]+(/clinic/calendar/[^<]+\.ics)<',
                     nurse.get("/clinic/calendar/subscription").text).group(1)
    tag = client.get(link).headers["ETag"]
    assert _asked_again(client, link, f"W/{tag}").status_code == 304


def test_the_familys_calendar_answers_304_until_a_visit_in_it_changes(
        app: Flask, nurse: FlaskClient, client: FlaskClient, scheduled: int) -> None:
    assert submit(nurse, f"/participants/{scheduled}/calendar-link").status_code == 302
    token = re.search(r"/calendar/([A-Za-z0-9_-]+)\.ics",
                      nurse.get(f"/participants/{scheduled}").text).group(1)
    url = f"/calendar/{token}.ics"
    first = client.get(url)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and b"BEGIN:VCALENDAR" in first.data
    for held in (tag, f"W/{tag}"):
        again = _asked_again(client, url, held)
        assert (again.status_code, again.data) == (304, b""), held
    # The sample of W02 was taken on another day: the family's calendar moves, and says so.
    w02 = visit_id(app, scheduled, "W02")
    assert nurse.post(f"/visits/{w02}", data=results_form(
        nurse, w02, sample_date="2026-04-01")).status_code == 302
    changed = _asked_again(client, url, f"W/{tag}")
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert b"20260401" in changed.data
