"""Helpers of the browser tests: logging in, a child ready for results, README screenshots."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from flask import Flask
from playwright.sync_api import Page, expect

from tests.support import factories
from tests.support.apps import PASSWORD
from tests.support.records import visit_id

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def log_in_as_nurse(page: Page, base: str, then: str) -> None:
    """Log in as the nurse and open the page at `then`."""
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill("nurse")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}{then}")


def log_in(page: Page, base: str, username: str) -> None:
    """Log in as `username` and wait for the worklist."""
    page.goto(f"{base}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


def shot(page: Page, name: str, *, full_page: bool = True, top: float | None = None) -> None:
    """Refresh the README's screenshots when asked to (EDC_SCREENSHOTS=1): the whole page, what
    the screen shows, or one screen's height of the page from `top` (CSS pixels)."""
    if os.environ.get("EDC_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        size = page.viewport_size
        clip = None if top is None or size is None else {
            "x": 0, "y": top, "width": size["width"], "height": size["height"]}
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page or bool(clip),
                        clip=clip)


def scheduled_child(app: Flask) -> int:
    """AS-001, a boy of 8, infusions on 2026-03-02 and 2026-03-16; returns the W06 visit id."""
    pid = factories.enrol(app, date_of_birth=date(2018, 4, 27), sex="M", weight_kg=25.0,
                          height_cm=128.0)
    for number, day in ((1, factories.INFUSION_1), (2, factories.INFUSION_2)):
        factories.infuse(app, pid, number, day, weight_kg=25.0)
    return visit_id(app, pid, "W06")
