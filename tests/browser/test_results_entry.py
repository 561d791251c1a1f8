"""A nurse enters a visit's results, with creatinine first in the wrong unit, in Chromium."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from tests.support.browser import log_in_as_nurse, scheduled_child, shot


def test_nurse_corrects_a_creatinine_in_the_wrong_unit_and_sees_the_computed_egfr(
    page: Page, served_app: Flask, live_server: str
) -> None:
    visit = scheduled_child(served_app)
    log_in_as_nurse(page, live_server, f"/visits/{visit}")
    expect(page.locator("h1")).to_have_text("AS-001 · W06 6 weeks")

    page.get_by_label("Sample date").fill("2026-04-27")
    page.get_by_label("Height (cm)", exact=True).fill("128")
    page.get_by_label("Weight (kg)", exact=True).fill("25")
    page.get_by_label("Serum creatinine", exact=True).fill("0.45")  # mg/dL, typed as µmol/L
    page.get_by_label("Cystatin C", exact=True).fill("0.95")
    page.get_by_label("eGFR (lab)", exact=True).fill("100")
    page.get_by_label("UPCR", exact=True).fill("0.45")
    page.get_by_label("Urine RBC", exact=True).fill("12")
    page.get_by_role("button", name="Save results").click()

    error = page.locator("#result-creatinine .error")
    expect(error).to_have_text("Serum creatinine 0.45 µmol/L is below the possible range "
                               "8.8-884 µmol/L. Did you mean mg/dL?")
    expect(page.get_by_label("Serum creatinine", exact=True)).to_have_value("0.45")
    expect(page.get_by_label("Cystatin C", exact=True)).to_have_value("0.95")
    shot(page, "results-error")

    page.get_by_label("Unit of Serum creatinine").select_option("mg/dL")
    page.get_by_role("button", name="Save results").click()
    expect(page.locator(".flash.success")).to_have_text(
        "The results of W06 are saved; the visit is done.")
    expect(page.locator(".status")).to_have_text("done (2026-04-27 Mon)")
    # Boy aged 8.0 years, 128 cm, creatinine 0.45 mg/dL, cystatin C 0.95 mg/L (PROTOCOL.md):
    # U25 creatinine 107.45, cystatin 85.02, combined 96.24; bedside 41.3 x 1.28 / 0.45 = 117.48.
    expect(page.locator("#egfr-u25-cr")).to_have_text("107")
    expect(page.locator("#egfr-u25-cys")).to_have_text("85")
    expect(page.locator("#egfr-u25-combined")).to_have_text("96.2")
    expect(page.locator("#egfr-bedside")).to_have_text("117")
    expect(page.locator("#ckd-stage")).to_have_text("G1")

    page.get_by_role("link", name="← AS-001").click()
    expect(page.locator("tr[data-visit=W06]")).to_contain_text("done (2026-04-27 Mon)")
    expect(page.locator("tr[data-trend=W06] .egfr")).to_contain_text("96.2 (G1)")
