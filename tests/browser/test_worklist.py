"""A nurse starts her day on the worklist, books a visit from it and sees it booked, in Chromium."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests.support.browser import log_in_as_nurse, scheduled_child


def test_nurse_books_a_due_visit_from_the_worklist(
    page: Page, served_app: Flask, live_server: str
) -> None:
    scheduled_child(served_app)  # today 2026-04-27: W06 (24-30 April) is open, W08 opens 8 May
    log_in_as_nurse(page, live_server, "/")
    expect(page.locator("h1")).to_have_text("Worklist")
    w06 = page.locator('#due tr[data-visit="AS-001 W06"]')
    expect(w06.locator(".day")).to_have_text("suggested 2026-04-27 Mon")

    w06.get_by_role("link", name="Book").click()
    page.get_by_label("Appointment date").fill("2026-04-28")
    page.get_by_label("Time (optional)").fill("9:30")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.locator(".flash.success")).to_have_text("W06 is booked for 2026-04-28 09:30.")

    page.get_by_role("link", name="Worklist").click()
    booked = page.locator('#booked tr[data-visit="AS-001 W06"]')
    expect(booked.locator(".day")).to_have_text("booked 2026-04-28 Tue 09:30")
    expect(page.locator('#due tr[data-visit="AS-001 W06"] .day')).to_have_text(
        "booked 2026-04-28 Tue 09:30")
