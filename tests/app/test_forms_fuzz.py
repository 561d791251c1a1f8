"""No input gives a 500, on any form that writes: generated posts to enrolment, both infusions,
booking, missed, add visit (screening and unscheduled), results and the calendar link, with
blank-looking characters, full-width digits, huge and odd dates and times, control characters
and very long strings. A refused post (422, 409) stores nothing; a saved one stores dates inside
the bounds a person would expect (worked out here from "today", 2026-04-27, not from the app).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import select

from edc import db
from edc.models import Infusion, Participant, Visit
from tests.support.apps import TODAY
from tests.support.audit import audit_count
from tests.support.forms import RESULTS, enrolment_form, infusion_form, version_on
from tests.support.records import visit_id

EXAMPLES = 40
ALLOWED = {200, 302, 409, 422}
A_YEAR_AGO, A_YEAR_AHEAD = date(2025, 4, 27), date(2027, 4, 27)
CONSENT = date(2026, 2, 20)  # conftest's enrolment

BLANKS = [" ", "\t", "\u00a0", "\u3000", "\u2007", "\u202f"]
CONTROLS = ["\x00", "\x01", "\x1b", "\x7f", "\u200b", "\ufeff", "\r\n", "\x85"]


def wide(text: str) -> str:
    """As a Chinese keyboard in full-width mode types it: U+FF01-U+FF5E for ASCII, U+3000 for
    a space."""
    return "".join("\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch
                   for ch in text)


settings.register_profile("forms-fuzz", max_examples=EXAMPLES, deadline=None, derandomize=True,
                          database=None, suppress_health_check=[
                              HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                              HealthCheck.data_too_large])
FUZZ = settings.get_profile("forms-fuzz")

blank = st.lists(st.sampled_from(BLANKS), min_size=1, max_size=4).map("".join)
control = st.lists(st.sampled_from(CONTROLS), min_size=1, max_size=3).map("".join)
long_text = st.sampled_from(["x" * 501, "护" * 2000, "9" * 5000, "<b>" * 800])
odd_text = st.text(max_size=30) | long_text | control | blank


def looks_like(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Values as typed: plain, full-width, padded with blanks, or with a control character."""
    return st.one_of(
        values, values.map(wide), st.tuples(blank, values, blank).map("".join),
        st.tuples(values, control).map("".join))


iso = st.dates(date(1, 1, 1), date(9999, 12, 31)).map(date.isoformat)
near = st.dates(date(2024, 1, 1), date(2028, 12, 31)).map(date.isoformat)
dates = blank | looks_like(iso | near | st.sampled_from(
    ["2026-02-30", "2026-13-01", "0000-01-01", "9999-12-31", "2200-12-31", "2201-01-01",
     "20260427", "27/04/2026", "2026-4-27", "2026-04-27T10:00"])) | odd_text
numbers = blank | looks_like(st.floats(allow_nan=True, allow_infinity=True).map(str)
                     | st.integers(-10**6, 10**6).map(str)
                     | st.sampled_from(["24.5", "24,5", "1e999", "nan", "½", "2⁴", "①", "0x10"])
                     ) | odd_text
times = blank | looks_like(st.tuples(st.integers(-1, 30), st.integers(-1, 99)).map(
    lambda hm: f"{hm[0]}:{hm[1]:02d}") | st.sampled_from(["9:30", "09:30", "930", "9.30", "9:3"])
                   ) | odd_text
reasons = st.sampled_from(["", "Family asks", "Fever"]) | looks_like(st.just("Fever")) | odd_text
checkboxes = st.sampled_from(["y", "", "false", "on", "\x00"]) | blank
versions = (st.integers(-3, 12).map(str) | st.sampled_from(["", "abc", "9" * 40, "１", " 2 "])
            | odd_text)
# A base post's version: the one the form's page shows when the post is made, as a browser
# posts it (the fuzzed ones replace it or leave it out).
OPENED = "<the version the page shows>"
ABSENT = st.none()


def fuzzed(base: dict[str, str], slots: dict[str, st.SearchStrategy[str | None]]
           ) -> st.SearchStrategy[dict[str, str]]:
    """A valid post with some of its fields (or all, now and then) replaced or left out."""
    @st.composite
    def post(draw: st.DrawFn) -> dict[str, str]:
        names = sorted(draw(st.sets(st.sampled_from(sorted(slots)), min_size=1)))
        data = dict(base)
        for name in names:
            value = draw(slots[name] | ABSENT, label=name)
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        return data
    return post()


def run(app: Flask, client: FlaskClient, url: Callable[[], str], posts: st.SearchStrategy,
        stored_ok: Callable[[], None]) -> Counter[int]:
    """Post each generated form; never a 500, a refusal stores nothing, a save is sane."""
    statuses: Counter[int] = Counter()

    @FUZZ
    @given(data=posts)
    def post_anything(data: dict[str, str]) -> None:
        before = audit_count(app)
        action = url()
        if data.get("version") == OPENED:
            data = {**data, "version": version_on(client, action)}
        response = client.post(action, data=data)
        note(f"status {response.status_code}")
        statuses[response.status_code] += 1
        assert response.status_code in ALLOWED, (
            f"Got {response.status_code}. Expected one of {sorted(ALLOWED)}.")
        if response.status_code in (409, 422):
            assert audit_count(app) == before
        elif audit_count(app) != before:
            stored_ok()

    post_anything()
    return statuses


def calendars_still_work(client: FlaskClient, pid: int) -> None:
    for path in ("/clinic/calendar.ics", f"/participants/{pid}/calendar.ics",
                 f"/participants/{pid}/card", f"/participants/{pid}",
                 f"/participants/{pid}/history", "/participants/"):
        assert client.get(path).status_code == 200, path


# The forms ------------------------------------------------------------------------------------


def test_random_enrolments_never_break_and_store_only_sane_dates(app, nurse, allocation):
    base = enrolment_form(app)
    slots = {"code": looks_like(st.sampled_from(["AS-002", "as-003", "AS-1"])) | odd_text,
             "date_of_birth": dates, "sex": st.sampled_from(["M", "F", "X", ""]) | odd_text,
             "weight_kg": numbers, "height_cm": numbers, "consent_date": dates,
             "screening_egfr": numbers, "confirm_measures": checkboxes}

    def stored_ok() -> None:
        with app.app_context():
            for child in db.session().scalars(select(Participant)):
                assert A_YEAR_AGO <= child.consent_date <= TODAY, child.consent_date
                assert child.date_of_birth < child.consent_date

    # A code not fuzzed is a new one, so that valid posts are saved, not refused as taken.
    posts = st.tuples(fuzzed(base, slots), st.integers(100, 999)).map(
        lambda pair: {**pair[0], "code": f"AS-{pair[1]:03d}"}
        if pair[0].get("code") == base["code"] else pair[0])
    statuses = run(app, nurse, lambda: "/participants/enrol", posts, stored_ok)
    assert statuses[422] >= 5, statuses


@pytest.mark.parametrize("number", [1, 2])
def test_random_infusions_never_break_and_store_only_dates_from_consent_to_today(
        app, nurse, scheduled, number):
    base = {**infusion_form(date="2026-03-02" if number == 1 else "2026-03-16"),
            "reason": "Typing error", "version": OPENED}
    slots = {"date": dates, "weight_kg": numbers, "volume_ml": numbers,
             "product_lot": looks_like(st.just("UC-1")) | odd_text, "reason": reasons,
             "confirm_weight": checkboxes, "confirmed": dates, "version": versions}

    def stored_ok() -> None:
        with app.app_context():
            for infusion in db.session().scalars(select(Infusion)):
                assert CONSENT <= infusion.date <= TODAY, infusion.date

    statuses = run(app, nurse, lambda: f"/participants/{scheduled}/infusions/{number}",
                   fuzzed(base, slots), stored_ok)
    assert statuses[422] >= 5, statuses
    calendars_still_work(nurse, scheduled)


def test_random_bookings_never_break_and_book_only_from_today_to_a_year_after_the_window(
        app, nurse, scheduled):
    w08 = visit_id(app, scheduled, "W08")
    base = {"date": "2026-05-12", "time": "09:30", "reason": "Family asks", "version": OPENED}
    slots = {"date": st.sampled_from(["9999-12-31", "2027-05-15", "2026-04-26"]) | dates,
             "time": times, "reason": reasons, "version": versions}

    def stored_ok() -> None:
        with app.app_context():
            booked = db.session().get(Visit, w08)
            # W08's window ends 2026-05-14.
            assert TODAY <= booked.booked_date <= date(2027, 5, 14), booked.booked_date

    statuses = run(app, nurse, lambda: f"/visits/{w08}/book", fuzzed(base, slots), stored_ok)
    assert statuses[302] >= 3 and statuses[422] >= 5, statuses
    calendars_still_work(nurse, scheduled)


def test_random_missed_and_added_visits_never_break_and_add_only_sane_dates(
        app, nurse, scheduled):
    codes = iter(["W02", "W04", "W06", "W08", "M03", "M04", "M05", "M06", "M08", "M10", "M12"])
    current = {"visit": visit_id(app, scheduled, next(codes))}

    def missed_url() -> str:
        with app.app_context():
            if db.session().get(Visit, current["visit"]).status != "planned":
                current["visit"] = visit_id(app, scheduled, next(codes, "M12"))
        return f"/visits/{current['visit']}/missed"

    statuses = run(app, nurse, missed_url, fuzzed({"reason": "No show", "version": OPENED},
                                                  {"reason": reasons, "version": versions}),
                   lambda: None)
    # Only the visits whose window has opened by 27 April (W02, W04, W06) can be missed.
    assert statuses[302] == 3, statuses
    with app.app_context():
        assert db.session().get(Visit, visit_id(app, scheduled, "W08")).status == "planned"

    def added_ok() -> None:
        with app.app_context():
            for visit in db.session().scalars(select(Visit).where(Visit.kind == "unscheduled")):
                assert CONSENT <= visit.target_date <= A_YEAR_AHEAD, visit.target_date

    base = {"kind": "unscheduled", "date": "2026-04-20", "reason": "Fever", "version": OPENED}
    slots = {"kind": st.sampled_from(["unscheduled", "screening", "scheduled", ""]) | odd_text,
             "date": st.sampled_from(["9999-12-31", "2027-04-28", "2026-02-19"]) | dates,
             "reason": reasons, "version": versions}
    statuses = run(app, nurse, lambda: f"/participants/{scheduled}/visits",
                   fuzzed(base, slots), added_ok)
    # Some posts are saved, and refusals come back as the page with the message (422).
    assert statuses[302] >= 1 and statuses[422] >= 5, statuses
    calendars_still_work(nurse, scheduled)


def test_random_results_sample_dates_never_break_and_store_none_after_today(
        app, nurse, scheduled):
    w06 = visit_id(app, scheduled, "W06")
    base = {"sample_date": "2026-04-27", "reason": "Lab report re-read"}
    for key, (value, unit) in RESULTS.items():
        base[f"{key}-value"] = value
        if unit:
            base[f"{key}-unit"] = unit
    slots = {"sample_date": dates, "creatinine-value": numbers, "upcr-value": numbers,
             "weight-value": numbers, "reason": reasons, "version": versions}

    def version() -> dict[str, str]:
        with app.app_context():
            return {"version": str(db.session().get(Visit, w06).version), "watermark": "0"}

    def stored_ok() -> None:
        with app.app_context():
            assert db.session().get(Visit, w06).actual_date <= TODAY

    posts = fuzzed(base, slots).map(lambda d: {**version(), **d})
    statuses = run(app, nurse, lambda: f"/visits/{w06}", posts, stored_ok)
    assert statuses[302] >= 3 and statuses[422] >= 5, statuses
    calendars_still_work(nurse, scheduled)


@pytest.mark.parametrize("path", ["calendar-link", "calendar-link/revoke"])
def test_random_calendar_link_posts_never_break(app, nurse, client, scheduled, path):
    statuses = run(app, nurse, lambda: f"/participants/{scheduled}/{path}",
                   fuzzed({"version": OPENED}, {"version": versions}), lambda: None)
    assert statuses[409] >= 3, statuses
    calendars_still_work(nurse, scheduled)


def test_full_width_text_is_what_a_full_width_keyboard_types() -> None:
    assert wide("24.5") == "２４．５"
    assert wide("2026-03-01") == "２０２６－０３－０１"
    assert wide("9:30 ") == "９：３０\u3000"

