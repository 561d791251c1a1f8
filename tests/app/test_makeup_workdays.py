"""China's make-up working days (调休) are clinic days for booking, unless the site closes them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from edc.protocol.study import load_study
from edc.rules.schedule import clinic_calendar
from tests.support.forms import book
from tests.support.records import visit

FORMS = Path(__file__).resolve().parents[2] / "forms"


def test_the_site_setting_is_read_from_study_toml_and_open_by_default():
    assert load_study(FORMS).site.makeup_workdays_open is True


def test_a_make_up_saturday_in_the_window_is_booked_without_a_reason(app, nurse, scheduled):
    # W08: window 2026-05-08 to 05-14; Saturday 9 May 2026 is a working day (Labour Day 调休).
    response = book(nurse, app, scheduled, "W08", date="2026-05-09", time="09:30")
    assert response.status_code == 302
    booked = visit(app, scheduled, "W08")
    assert (booked.booked_date, booked.booking_flags) == (date(2026, 5, 9), None)


def test_with_make_up_days_closed_that_saturday_needs_a_reason_and_is_flagged_weekend(
        app, nurse, scheduled):
    site = app.extensions["edc_study"].site
    app.extensions["edc_calendar"] = clinic_calendar(replace(site, makeup_workdays_open=False))
    refused = book(nurse, app, scheduled, "W08", date="2026-05-09")
    assert refused.status_code == 422
    assert "To book 2026-05-09 (weekend), give a reason." in refused.text
    assert visit(app, scheduled, "W08").booked_date is None
