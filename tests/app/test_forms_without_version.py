"""A form that changes a record posted without its version (left out, or blank), as a crafted
request or a form kept from an old page would be: it is refused like a form opened on an older
version (the page's stale-form message), nothing of it is stored and no audit row is written.
The same form posted with the version its page shows is saved.

"Today" is 2026-04-27. The `scheduled` child AS-001 has infusion 2 on 2026-03-16, W06 with its
window open (24-30 April) and W08 with the window 2026-05-08..05-14.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edc import db
from edc.models import LogEntry
from tests.support import factories
from tests.support.audit import watermark
from tests.support.forms import infusion_form, post_infusion, submit, withdrawal_form
from tests.support.records import infusions, participant, stored_visit, visit_id, visits_of

CHANGED = "was changed by someone else after you opened this page"
NOTHING = "Nothing was saved; what you typed is still in the form"
# An infusion's correction says it in its own words.
INFUSION_CHANGED = ("Infusion 2 was changed by someone else after you opened this form. Nothing "
                    "was saved: open the infusion again to see what is stored now.")

# The version as a crafted or an old form posts it: left out, empty, or blanks only.
WITHOUT = [pytest.param(None, id="left-out"), pytest.param("", id="empty"),
           pytest.param(" \u3000", id="blanks")]


def without_version(typed: dict[str, Any], version: str | None) -> dict[str, Any]:
    """The form as typed, its version left out (None) or posted as `version`."""
    return dict(typed) if version is None else {**typed, "version": version}


def messages(response: Any) -> str:
    """The page's text as read, tags left out."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def stored_entry(app: Flask, pid: int, form: str, number: int) -> LogEntry:
    with app.app_context():
        return db.session().scalars(select(LogEntry).where(
            LogEntry.participant_id == pid, LogEntry.form == form,
            LogEntry.number == number)).one()


@pytest.mark.parametrize("version", WITHOUT)
def test_a_booking_without_its_version_is_refused_and_books_nothing(
        app: Flask, nurse: FlaskClient, scheduled: int, version: str | None) -> None:
    w08 = visit_id(app, scheduled, "W08")
    url = f"/visits/{w08}/book"
    typed = {"date": "2026-05-12", "time": "09:30"}
    before = watermark(app)
    response = nurse.post(url, data=without_version(typed, version))
    assert response.status_code == 409
    text = messages(response)
    assert f"W08 {CHANGED}" in text and NOTHING in text
    assert 'value="2026-05-12"' in response.text and 'value="09:30"' in response.text
    booked = stored_visit(app, w08)
    assert (booked.booked_date, booked.booked_time) == (None, None)
    assert watermark(app) == before
    # From the visit page as opened now, the same booking is saved.
    assert submit(nurse, url, typed).status_code == 302
    assert str(stored_visit(app, w08).booked_date) == "2026-05-12"


@pytest.mark.parametrize("version", WITHOUT)
def test_an_other_medication_corrected_without_its_version_is_refused_and_kept_as_stored(
        app: Flask, nurse: FlaskClient, scheduled: int, version: str | None) -> None:
    number = factories.log_entry(app, scheduled, "other_medications", {
        "name": "Amoxicillin", "dose": "250 mg three times a day", "indication": "Otitis",
        "start_date": factories.INFUSION_2, "ongoing": "yes"})
    url = f"/participants/{scheduled}/log/other_medications/{number}"
    typed = {"name": "Amoxicillin", "dose": "500 mg three times a day", "indication": "Otitis",
             "start_date": "2026-03-16", "end_date": "", "ongoing": "yes",
             "reason": "Dose misread on the prescription"}
    stored = stored_entry(app, scheduled, "other_medications", number)
    before = watermark(app)
    response = nurse.post(url, data=without_version(typed, version))
    assert response.status_code == 409
    text = messages(response)
    assert f"Other medications, entry {number} of AS-001 {CHANGED}" in text and NOTHING in text
    assert 'value="500 mg three times a day"' in response.text
    now = stored_entry(app, scheduled, "other_medications", number)
    assert (now.values, now.version) == (stored.values, stored.version)
    assert now.values["dose"] == "250 mg three times a day"
    assert watermark(app) == before
    # From the entry's page as opened now, the same correction is saved.
    assert submit(nurse, url, typed).status_code == 302
    assert stored_entry(app, scheduled, "other_medications", number).values["dose"] == (
        "500 mg three times a day")


@pytest.mark.parametrize("version", WITHOUT)
def test_a_withdrawal_without_its_version_is_refused_and_cancels_nothing(
        app: Flask, nurse: FlaskClient, scheduled: int, version: str | None) -> None:
    url = f"/participants/{scheduled}/withdraw"
    typed = withdrawal_form("Family moved abroad")
    statuses = {code: v.status for code, v in visits_of(app, scheduled).items()}
    before = watermark(app)
    response = nurse.post(url, data=without_version(typed, version))
    assert response.status_code == 409
    text = messages(response)
    assert f"AS-001 {CHANGED}" in text and NOTHING in text
    child = participant(app, scheduled)
    assert (child.status, child.withdrawn_reason) == ("enrolled", None)
    assert {code: v.status for code, v in visits_of(app, scheduled).items()} == statuses
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(LogEntry).where(
            LogEntry.form == "termination")) == 0
    assert watermark(app) == before
    # From the participant page as opened now, the same withdrawal is saved.
    assert submit(nurse, url, typed).status_code == 302
    assert participant(app, scheduled).status == "withdrawn"


@pytest.mark.parametrize("version", WITHOUT)
def test_an_infusion_corrected_without_its_version_is_refused_and_kept_as_stored(
        app: Flask, nurse: FlaskClient, scheduled: int, version: str | None) -> None:
    url = f"/participants/{scheduled}/infusions/2"
    typed = infusion_form(date="2026-03-16", product_lot="UC-2026-018",
                          reason="Lot misread on the label")
    stored = infusions(app, scheduled)[2]
    targets = {code: v.target_date for code, v in visits_of(app, scheduled).items()}
    before = watermark(app)
    response = nurse.post(url, data=without_version(typed, version))
    assert response.status_code == 422
    assert INFUSION_CHANGED in messages(response)
    assert 'value="UC-2026-018"' in response.text
    now = infusions(app, scheduled)[2]
    assert (now.product_lot, now.date, now.version) == ("UC-2026-017", stored.date,
                                                         stored.version)
    assert {code: v.target_date for code, v in visits_of(app, scheduled).items()} == targets
    assert watermark(app) == before
    # From the infusion's page as opened now, the same correction is saved.
    assert submit(nurse, url, typed).status_code == 302
    assert infusions(app, scheduled)[2].product_lot == "UC-2026-018"


def test_a_first_infusion_is_recorded_from_its_page_which_carries_not_recorded(
        app: Flask, nurse: FlaskClient, enrolled: int) -> None:
    """The page of an infusion not recorded yet carries version 0 (not recorded): a save from
    it records the infusion."""
    response = post_infusion(nurse, enrolled, 1, date="2026-03-02")
    assert response.status_code == 302, response.text
    assert str(infusions(app, enrolled)[1].date) == "2026-03-02"


@pytest.mark.parametrize("action, data", [
    ("missed", {"reason": "No show"}),
    ("add visit", {"kind": "unscheduled", "date": "2026-04-20", "reason": "Fever"}),
    ("calendar link", {}),
    ("remove entry", {"reason": "Entered for the wrong child"}),
])
def test_other_forms_without_their_version_save_nothing(
        app: Flask, nurse: FlaskClient, scheduled: int, action: str,
        data: dict[str, str]) -> None:
    number = factories.log_entry(app, scheduled, "other_medications", {
        "name": "Paracetamol", "start_date": factories.INFUSION_2, "ongoing": "no",
        "end_date": factories.INFUSION_2})
    url = {"missed": f"/visits/{visit_id(app, scheduled, 'W06')}/missed",
           "add visit": f"/participants/{scheduled}/visits",
           "calendar link": f"/participants/{scheduled}/calendar-link",
           "remove entry": f"/participants/{scheduled}/log/other_medications/{number}/remove",
           }[action]
    child = participant(app, scheduled)
    visits = {code: (v.status, v.version) for code, v in visits_of(app, scheduled).items()}
    before = watermark(app)
    response = nurse.post(url, data=data)
    assert response.status_code == 409
    assert CHANGED in messages(response)
    now = participant(app, scheduled)
    assert (now.version, now.calendar_token) == (child.version, child.calendar_token)
    assert {code: (v.status, v.version)
            for code, v in visits_of(app, scheduled).items()} == visits
    assert stored_entry(app, scheduled, "other_medications", number).removed_reason is None
    assert watermark(app) == before
    # From its page as opened now, the same form is saved.
    assert submit(nurse, url, data).status_code == 302
    assert watermark(app) > before
