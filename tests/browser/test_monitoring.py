"""Monitoring in Chromium, CSRF on: the monitor raises a query on a W02 creatinine; the nurse
corrects the value with a reason, which answers it; the monitor closes the query and marks the
visit verified; the investigator signs the casebook with the password; a later correction
voids the signature and says why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from edc.protocol.study import Study
from tests.support import factories
from tests.support.apps import PASSWORD, make_app
from tests.support.browser import log_in, log_out, shot
from tests.support.records import visit_id


@pytest.fixture
def served_app(database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = make_app(database_url, study, monkeypatch, users=["nurse", "investigator", "monitor"],
                   allocation=True, TESTING=False, SECRET_KEY="browser-test",
                   WTF_CSRF_ENABLED=True)
    factories.child(app, "with results")
    yield app
    app.extensions["edc_engine"].dispose()



def correct_creatinine(page: Page, base: str, visit: int, value: str, reason: str) -> None:
    page.goto(f"{base}/visits/{visit}")
    page.get_by_label("Serum creatinine", exact=True).fill(value)
    page.get_by_label("Reason for change").fill(reason)
    page.get_by_role("button", name="Save results").click()
    expect(page.locator(".flash.success")).to_be_visible()


def test_a_query_is_answered_by_a_correction_closed_verified_and_signed_and_a_later_change_voids(
        page: Page, live_server: str, served_app: Flask) -> None:
    w02 = visit_id(served_app, 1, "W02")
    row = "tr#result-creatinine"
    log_in(page, live_server, "monitor")
    page.goto(f"{live_server}/visits/{w02}")
    creatinine = page.locator(row)
    creatinine.locator("summary", has_text="Raise a query").click()
    creatinine.get_by_label("What is doubtful about the value?").fill(
        "40 µmol/L here, 42 in the lab report: please check.")
    creatinine.get_by_role("button", name="Raise a query").click()
    expect(page.locator(f"{row} .query-mark")).to_contain_text("open")
    shot(page, "query-raised")
    log_out(page)

    log_in(page, live_server, "nurse")
    expect(page.get_by_role("link", name="Queries (1)")).to_be_visible()
    correct_creatinine(page, live_server, w02, "42", "Transcription error, lab report checked")
    expect(page.locator(f"{row} .query-mark")).to_contain_text("answered")
    log_out(page)

    log_in(page, live_server, "monitor")
    page.goto(f"{live_server}/visits/{w02}")
    page.locator(f"{row} .query-mark").click()
    expect(page.get_by_text("Transcription error, lab report checked")).to_be_visible()
    page.get_by_role("button", name="Close the query").click()
    expect(page.get_by_text("closed").first).to_be_visible()
    page.goto(f"{live_server}/visits/{w02}")
    page.get_by_role("button", name="Mark as verified").click()
    expect(page.locator("[data-verification] .badge.ok")).to_contain_text("Verified by monitor")
    log_out(page)

    log_in(page, live_server, "investigator")
    page.goto(f"{live_server}/participants/1/sign")
    page.locator("#confirmed").check()
    expect(page.locator("#printed-name")).to_contain_text("Dr Li Ming (investigator)")
    page.get_by_label("Your password").fill("not the password")
    page.get_by_role("button", name="Sign the casebook").click()
    expect(page.locator(".error")).to_be_visible()
    expect(page.locator("#printed-name")).to_contain_text("Dr Li Ming (investigator)")
    page.locator("#confirmed").check()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign the casebook").click()
    expect(page.locator(".flash.success").first).to_have_text("The casebook of AS-001 is signed.")
    expect(page.get_by_text("Signed by Dr Li Ming (investigator)")).to_contain_text(" UTC.")
    shot(page, "casebook-signed")
    log_out(page)

    log_in(page, live_server, "nurse")
    correct_creatinine(page, live_server, w02, "41", "Second look at the lab report")
    page.goto(f"{live_server}/participants/1")
    voided = page.get_by_text("Signature voided")
    expect(voided).to_be_visible()
    expect(voided).to_contain_text("nurse")
