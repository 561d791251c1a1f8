"""A nurse enrols a child, records both infusions and sees the eleven visits, in Chromium."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, Route, expect

from tests.support import factories
from tests.support.apps import PASSWORD
from tests.support.browser import log_in_as_nurse, shot

# Day 0 = 2026-03-16 (a Monday): hand-checked targets, windows and suggested clinic days.
EXPECTED = [
    ("W02", "2026-03-30 Mon", "2026-03-27 Fri – 2026-04-02 Thu", "2026-03-30 Mon"),
    ("W04", "2026-04-13 Mon", "2026-04-10 Fri – 2026-04-16 Thu", "2026-04-13 Mon"),
    ("W06", "2026-04-27 Mon", "2026-04-24 Fri – 2026-04-30 Thu", "2026-04-27 Mon"),
    ("W08", "2026-05-11 Mon", "2026-05-08 Fri – 2026-05-14 Thu", "2026-05-11 Mon"),
    ("M03", "2026-06-16 Tue", "2026-06-09 Tue – 2026-06-23 Tue", "2026-06-16 Tue"),
    ("M04", "2026-07-16 Thu", "2026-07-09 Thu – 2026-07-23 Thu", "2026-07-16 Thu"),
    ("M05", "2026-08-16 Sun", "2026-08-09 Sun – 2026-08-23 Sun", "2026-08-17 Mon"),
    ("M06", "2026-09-16 Wed", "2026-09-09 Wed – 2026-09-23 Wed", "2026-09-16 Wed"),
    ("M08", "2026-11-16 Mon", "2026-11-02 Mon – 2026-11-30 Mon", "2026-11-16 Mon"),
    ("M10", "2027-01-16 Sat", "2027-01-02 Sat – 2027-01-30 Sat", "2027-01-15 Fri"),
    ("M12", "2027-03-16 Tue", "2027-03-02 Tue – 2027-03-30 Tue", "2027-03-16 Tue"),
]


def record_infusion(page: Page, number: int, day: str) -> None:
    page.get_by_role("link", name=f"Record infusion {number}").click()
    page.get_by_label("Infusion date").fill(day)
    # The planned dose follows the weight as it is typed: 2 x 10^6 cells/kg x weight.
    page.get_by_label("Weight (kg)").fill("31")
    expect(page.locator(".dose")).to_contain_text("× 31 kg = 6.2 × 107 cells")
    # Typed on a Chinese keyboard, full-width: the dose follows, and 24.5 kg is saved.
    page.get_by_label("Weight (kg)").fill("２４．５")
    expect(page.locator(".dose")).to_contain_text("× 24.5 kg = 4.9 × 107 cells")
    page.get_by_label("Product lot").fill(f"UC-2026-01{number}")
    page.get_by_label("Volume (mL)").fill("50")
    page.get_by_role("button", name=f"Save infusion {number}").click()
    expect(page.locator(".flash.success")).to_have_text(f"Infusion {number} is saved.")


def test_nurse_enrols_records_both_infusions_and_sees_eleven_visits(
    page: Page, live_server: str
) -> None:
    page.goto(f"{live_server}/participants/")
    expect(page).to_have_url(f"{live_server}/login?next=/participants/?")
    page.get_by_label("User name").fill("nurse")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Enrol a child").first.click()
    page.get_by_label("Participant code").fill("AS-001")
    page.get_by_label("Date of birth").fill("2018-05-10")
    page.get_by_label("Sex").select_option("F")
    page.get_by_label("Weight (kg)").fill("24.5")
    page.get_by_label("Height (cm)").fill("125")
    page.get_by_label("Consent date").fill("2026-02-20")
    for criterion in page.locator(".criterion").all():
        answer = "Yes" if criterion.get_attribute("id").startswith("crit-IN") else "No"
        criterion.get_by_label(answer, exact=True).check()
    page.get_by_label("Screening eGFR (mL/min/1.73m²)").fill("58")
    page.get_by_role("button", name="Enrol").click()

    # eGFR 58 is refused at the field, and everything typed is still there.
    expect(page.locator(".field.has-error .error")).to_have_text(
        "Not eligible: eGFR 58 mL/min/1.73m² is not above 60.")
    expect(page.get_by_label("Participant code")).to_have_value("AS-001")
    expect(page.get_by_label("Weight (kg)")).to_have_value("24.5")
    shot(page, "enrol")
    page.get_by_label("Screening eGFR (mL/min/1.73m²)").fill("98")
    page.get_by_role("button", name="Enrol").click()
    expect(page.locator("h1")).to_have_text("AS-001")

    record_infusion(page, 1, "2026-03-02")
    expect(page.locator("#infusion-2")).to_contain_text(
        "Due 2026-03-16 Mon (window 2026-03-14 Sat to 2026-03-18 Wed)")
    record_infusion(page, 2, "2026-03-16")

    expect(page.locator("#infusion-1")).to_contain_text("4.9 × 107")
    expect(page.locator(".anchor")).to_have_text("Anchored on infusion 2 (2026-03-16 Mon).")
    rows = page.locator("table.schedule tbody tr")
    expect(rows).to_have_count(11)
    for row, (code, target, window, suggested) in zip(rows.all(), EXPECTED, strict=True):
        expect(row.locator("td").first).to_have_text(code)
        expect(row.locator(".target")).to_have_text(target)
        expect(row.locator(".window")).to_have_text(window)
        expect(row.locator(".suggested")).to_have_text(suggested)
    expect(page.locator("tr[data-visit=W02]")).to_contain_text("day 14 after infusion 2")
    expect(page.locator("tr[data-visit=W04] .badge")).to_have_text("overdue")
    expect(page.locator("tr[data-visit=W06] .badge")).to_have_text("window open")
    shot(page, "participant")


def test_a_weight_typed_before_the_page_script_ran_shows_its_dose(
    page: Page, served_app: Flask, live_server: str
) -> None:
    """A quick nurse (or the browser restoring a form) types before dose.js has run."""
    pid = factories.enrol(served_app, weight_kg=24.5)
    log_in_as_nurse(page, live_server, f"/participants/{pid}")
    held: list[Route] = []
    page.route("**/dose.js", lambda route: held.append(route))
    page.goto(f"{live_server}/participants/{pid}/infusions/1", wait_until="commit")
    page.get_by_label("Weight (kg)").fill("31")
    while not held:
        page.wait_for_timeout(20)
    expect(page.locator(".dose")).to_contain_text("× 24.5 kg")  # the server's, script held
    held[0].continue_()
    expect(page.locator(".dose")).to_contain_text("× 31 kg = 6.2 × 107 cells")
