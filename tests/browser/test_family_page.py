"""The family's page on a phone: 360 px wide, in Chinese, no log-in, no script."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from edc import db, services
from edc.app import context_for
from edc.models import User, Visit
from edc.read.participants import load_participant
from tests.support import factories
from tests.support.browser import scheduled_child, shot

PHONE = {"width": 360, "height": 740}


def family_link(app: Flask) -> str:
    """AS-001 with W02 done, W04 missed, W06 booked in two days at 10:00, the rest to book;
    return the path of the family's page."""
    scheduled_child(app)
    factories.enter_results(app, 1, "W02", date(2026, 3, 31))
    with app.app_context():
        session = db.session()
        ctx = context_for(session.scalars(select(User).where(User.username == "nurse")).one())

        def visit(code: str) -> Visit:
            return session.scalars(select(Visit).where(Visit.code == code)).one()

        services.mark_missed(ctx, visit("W04"), "孩子发热，未能来院")
        services.book_visit(ctx, visit("W06"), date(2026, 4, 29), time(10, 0), "")
        token = services.issue_calendar_link(ctx, load_participant(session, 1))
    return f"/calendar/{token}"


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone in Chinese, script off: the page must read without it."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=2,
                                  is_mobile=True, has_touch=True, java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_the_family_page_fits_a_phone_and_shows_the_next_visit_and_the_urine(
    served_app: Flask, live_server: str, phone: Page, browser: Browser
) -> None:
    path = family_link(served_app)
    phone.goto(f"{live_server}{path}")
    next_visit = phone.locator("#next")
    expect(next_visit).to_be_visible()
    expect(next_visit).to_contain_text("2026年4月29日 星期三 10:00")
    expect(next_visit).to_contain_text("2 天后")
    urine = phone.locator("#urine")
    expect(urine).to_be_visible()
    expect(urine).to_contain_text("开始时间：2026年4月28日 星期二 07:00")
    expect(phone.locator("a[href^='tel:']")).to_be_visible()
    for state in ("done", "missed", "booked", "to_book"):
        expect(phone.locator(f"li[data-state={state}]").first).to_be_visible()
    # Measured with script on in a second tab: the family's own phone needs none.
    probe = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True)
    measured = probe.new_page()
    measured.goto(f"{live_server}{path}")
    width = measured.evaluate("document.documentElement.scrollWidth")
    font = measured.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#next .big')).fontSize)")
    fold = measured.evaluate("document.querySelector('#next').getBoundingClientRect().bottom")
    probe.close()
    assert width <= PHONE["width"], f"scrolls sideways: {width} px"
    assert font >= 22, font  # large type for the date a parent looks for
    assert fold <= PHONE["height"]  # the next visit is on the first screen
    shot(phone, "family-page", full_page=False)  # the first screen, as the phone shows it
    box = phone.locator("#visits").bounding_box()
    assert box is not None
    shot(phone, "family-page-visits", full_page=False, top=box["y"])
