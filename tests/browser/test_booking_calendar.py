"""A nurse books a visit and finds the booked date and time in the family calendar, in Chromium."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from icalendar import Calendar
from playwright.sync_api import Page, expect

from tests.support.browser import log_in_as_nurse, scheduled_child


def test_nurse_books_a_visit_and_downloads_the_family_calendar_with_it(
    page: Page, served_app: Flask, live_server: str
) -> None:
    w06 = scheduled_child(served_app)
    log_in_as_nurse(page, live_server, f"/visits/{w06}")

    page.get_by_text("Book the appointment").click()
    expect(page.get_by_label("Appointment date")).to_have_value("2026-04-27")  # suggested first
    page.get_by_label("Appointment date").fill("2026-04-29")
    page.get_by_label("Time (optional)").fill("09:30")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".flash.success")).to_have_text("W06 is booked for 2026-04-29 09:30.")

    page.get_by_role("link", name="← AS-001").click()
    expect(page.locator("tr[data-visit=W06] .booked")).to_have_text("2026-04-29 Wed 09:30")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the calendar file").click()
    data = Path(download.value.path()).read_bytes()
    [visit] = [e for e in Calendar.from_ical(data).walk("VEVENT")
               if str(e["SUMMARY"]).endswith("Follow-up visit 6 weeks")]
    assert visit["DTSTART"].dt.isoformat() == "2026-04-29T09:30:00+08:00"
    assert visit["DTSTART"].params["TZID"] == "Asia/Shanghai"
