"""An infusion reaction in Chromium: the nurse records the vital signs of infusion 1, sees the
fever marked, records it as a grade 2 adverse event from the same page, then a serious event;
another nurse sees the banner; the investigator acknowledges it and the banner goes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from edc.app import context_for
from edc.permissions import Role
from edc.protocol.study import Study
from edc.services.accounts import create_user
from tests.support import factories
from tests.support.apps import PASSWORD, SET_UP, make_app
from tests.support.browser import log_in, log_out, shot

BANNER = "Serious adverse events waiting for an investigator"


@pytest.fixture
def served_app(database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """Two nurses and an investigator, CSRF on, a child with both infusions given."""
    app = make_app(database_url, study, monkeypatch, users=["nurse", "investigator"],
                   allocation=True, TESTING=False, SECRET_KEY="browser-test",
                   WTF_CSRF_ENABLED=True)
    with app.app_context():
        create_user(context_for(SET_UP), "nurse2", Role.NURSE, PASSWORD)
    factories.child(app, "scheduled")
    yield app
    app.extensions["edc_engine"].dispose()



def test_an_infusion_reaction_becomes_an_adverse_event_and_a_serious_one_is_acknowledged(
        page: Page, live_server: str) -> None:
    log_in(page, live_server, "nurse")
    page.get_by_role("link", name="AS-001").first.click()
    page.locator("a[data-action=vital-signs]").first.click()
    expect(page.get_by_role("heading", name="AS-001 · Infusion 1 · Vital signs")).to_be_visible()
    before = {"time": "08:45", "temperature": "36.7", "heart_rate": "90", "resp_rate": "20",
              "systolic": "104", "diastolic": "64", "spo2": "98"}
    fifteen = {**before, "time": "09:15", "temperature": "38.6", "heart_rate": "118"}
    for point, values in (("PRE", before), ("15MIN", fifteen)):
        for item, value in values.items():
            page.locator(f"#vs-{point}-{item}").fill(value)
    page.locator("#save-vital-signs").click()
    expect(page.locator("tr#tp-15MIN td[data-item=temperature]")).to_contain_text("38.6")
    expect(page.locator("span.badge.warn[data-warn=temperature]")).to_be_visible()
    expect(page.locator("p.warning[data-warn=temperature]")).to_contain_text("38.6 °C")
    shot(page, "vital-signs")

    page.locator("#record-ae-15MIN").click()
    expect(page.locator("#term")).to_have_value("Fever")
    expect(page.locator("#onset_date")).to_have_value("2026-03-02")
    expect(page.locator("#infusion")).to_have_value("1")
    page.locator("#end_date").fill("2026-03-03")
    page.locator("input[name=ongoing][value=no]").check()
    page.locator("#grade").select_option("2")
    page.locator("input[name=serious][value=no]").check()
    page.locator("#relation").select_option("PROBABLE")
    page.locator("input[name=action][value=MEDICATION]").check()
    page.locator("#outcome").select_option("RECOVERED")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash.success")).to_have_text("Adverse events, entry 1 is saved.")
    expect(page.get_by_text(BANNER)).to_have_count(0)

    page.get_by_role("link", name="← AS-001 · Adverse events").click()
    page.get_by_role("link", name="Add an entry").click()
    page.locator("#term").fill("Allergic reaction")
    page.locator("#onset_date").fill("2026-03-16")
    page.locator("input[name=ongoing][value=yes]").check()
    page.locator("#grade").select_option("3")
    page.locator("input[name=serious][value=yes]").check()
    page.get_by_role("button", name="Save", exact=True).click()
    # Refused at the field, with what was typed kept.
    expect(page.locator("#serious_criteria-group")).to_contain_text(
        "Tick what makes the event serious.")
    expect(page.locator(".has-error")).to_have_count(4)  # and relation, infusion, outcome
    expect(page.locator("#term")).to_have_value("Allergic reaction")
    page.locator("input[name=serious_criteria][value=AESHOSP]").check()
    page.locator("#relation").select_option("POSSIBLE")
    page.locator("#infusion").select_option("2")
    page.locator("input[name=action][value=HOSPITALISED]").check()
    page.locator("#outcome").select_option("RECOVERING")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".flash.warning")).to_contain_text("This is a serious adverse event")
    expect(page.locator(".sae-banner")).to_contain_text("AS-001 · Allergic reaction")
    log_out(page)

    log_in(page, live_server, "nurse2")
    banner = page.locator(".sae-banner")
    expect(banner).to_contain_text(BANNER)
    expect(banner).to_contain_text("AS-001 · Allergic reaction")
    expect(banner).to_contain_text("23 hours left to report")
    expect(page.locator("#safety tr[data-alert='AS-001 2']")).to_be_visible()
    acknowledge = page.get_by_role("button", name="Acknowledge the serious adverse event")
    expect(acknowledge).to_have_count(0)
    shot(page, "sae-banner")
    log_out(page)

    log_in(page, live_server, "investigator")
    page.locator(".sae-banner a").click()
    expect(page.locator("#sae-status")).to_contain_text("not acknowledged")
    page.get_by_role("button", name="Acknowledge the serious adverse event").click()
    expect(page.locator(".flash.success")).to_have_text(
        "The serious adverse event of AS-001 is acknowledged.")
    expect(page.locator("#sae-status")).to_contain_text("by Dr Li Ming (investigator)")
    expect(page.locator(".sae-banner")).to_have_count(0)
    page.get_by_role("link", name="Printable report").click()
    expect(page.locator("#sae-report")).to_contain_text("严重不良事件报告")
    expect(page.locator("#sae-report")).to_contain_text("investigator")
    page.goto(f"{live_server}/")
    expect(page.locator(".sae-banner")).to_have_count(0)
    expect(page.locator("#safety tr[data-alert]")).to_have_count(0)
