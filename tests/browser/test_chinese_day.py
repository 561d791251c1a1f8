"""A nurse's day in Chinese, in Chromium: log in, the worklist, enrolment with a refused eGFR,
both infusions, a visit's results with a refused creatinine, the family's calendar link. Every
page reads in Chinese: no English words but codes, units, names and the language switch."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from edc.protocol.study import Study, load_study
from tests.support.apps import PASSWORD, make_app
from tests.support.browser import shot
from tests.support.paths import FORMS

# Latin text a Chinese page may hold: codes, units, the study's and people's names, equations.
CODE = re.compile(r"^(AS-\d{3}|SCR|U\d\d|[WM]\d\d|G[1-5]a?b?|UC-\d{4}-\d+|IN\d\d|EX\d\d"
                  r"|[IVX]+(-[IVX]+)?)$")  # ... and Roman numerals (grades, stages)
STUDY = load_study(FORMS)
UNITS = {word for form in (STUDY.results, STUDY.enrolment_form) for item in form.fields
         for unit in item.units for word in re.findall(r"[A-Za-zµ][A-Za-z0-9/²µ.-]*",
                                                        unit.label)}
ALLOWED = {
    # units and their parts
    "kg", "cm", "mL", "min", "mg", "dL", "µmol", "umol", "mmol", "L", "HPF", "uL", "µL", "h",
    "m²", "m", "g", "cells", "mg/mg", "mg/mmol",
    # the study, the site's time zone, the analytes' and equations' names clinicians use
    "HUCMSC", "NCT06731192", "Asia/Shanghai", "eGFR", "UPCR", "CKiD", "U25", "CKD", "BSA",
    "Schwartz", "Alport", "RBC", "BUN", "hUC-MSC", "IgA", "HIV", "HBV", "HCV", "C",  # 胱抑素C
    "ACEI/ARB",  # the drug classes, as Chinese nephrologists write them
    # the account
    "nurse",
}


# The page's text without what it marks as English on purpose (a study label beneath its
# Chinese, for matching an English lab report; the switch's "English") and without code (the
# calendar link).
CHINESE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('[lang="en"], code').forEach(e => e.remove());
  document.documentElement.appendChild(body);
  const text = body.innerText;
  body.remove();
  return text;
}"""


def english_words(page: Page) -> list[str]:
    """Latin words on the page, outside what it marks as English, that are not codes, units or
    names."""
    words = re.findall(r"[A-Za-zµ][A-Za-z0-9/²µ.-]*", page.evaluate(CHINESE_TEXT))
    return sorted({w.rstrip(".") for w in words
                   if not CODE.match(w.rstrip(".")) and w.rstrip(".") not in ALLOWED | UNITS
                   and not w.startswith("http")})


def reads_chinese(page: Page) -> None:
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    found = english_words(page)
    assert found == [], f"{page.url}: {found}"


@pytest.fixture
def served_app(database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app as the site runs it: in its own language (zh_CN), CSRF on."""
    app = make_app(database_url, study, monkeypatch, users=["nurse"], allocation=True,
                   site_language=True, TESTING=False, SECRET_KEY="browser-test",
                   WTF_CSRF_ENABLED=True)
    yield app
    app.extensions["edc_engine"].dispose()


def test_a_nurses_day_reads_in_chinese(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/")
    reads_chinese(page)
    page.locator("#username").fill("nurse")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("待办事项")
    reads_chinese(page)
    shot(page, "zh-worklist")

    page.locator("header nav a[href='/participants/enrol']").click()
    reads_chinese(page)
    page.locator("#code").fill("AS-001")
    page.locator("#date_of_birth").fill("2018-05-10")
    page.locator("#sex").select_option("F")
    page.locator("#weight_kg").fill("２４.５")  # a Chinese keyboard's full-width digits
    page.locator("#height_cm").fill("125")
    page.locator("#consent_date").fill("2026-02-20")
    for criterion in page.locator(".criterion").all():
        answer = "yes" if criterion.get_attribute("id").startswith("crit-IN") else "no"
        criterion.locator(f"input[value={answer}]").check()
    page.locator("#screening_egfr").fill("58")
    page.locator("main form button[type=submit]").last.click()
    error = page.locator(".field.has-error .error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("58")
    expect(page.locator("#weight_kg")).to_have_value("２４.５")  # as typed
    reads_chinese(page)
    shot(page, "zh-enrol")
    page.locator("#screening_egfr").fill("98")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator("h1")).to_have_text("AS-001")
    reads_chinese(page)

    for number, day in ((1, "2026-03-02"), (2, "2026-03-16")):
        page.locator(f"a[href$='/infusions/{number}']").first.click()
        reads_chinese(page)
        page.locator("#date").fill(day)
        page.locator("#product_lot").fill(f"UC-2026-01{number}")
        page.locator("#volume_ml").fill("50")
        # A full-width comma reaches the server as typed and is refused at the field (a number
        # input would have dropped it: 255 kg).
        page.locator("#weight_kg").fill("２４，５")
        page.locator("main form button[type=submit]").first.click()
        expect(page.locator(".field.has-error .error")).to_contain_text("24,5")
        expect(page.locator("#weight_kg")).to_have_value("２４，５")
        reads_chinese(page)
        page.locator("#weight_kg").fill("24.5")
        page.locator("main form button[type=submit]").first.click()
        expect(page.locator(".flash.success")).to_have_count(1)
        reads_chinese(page)
    expect(page.locator("table.schedule tbody tr")).to_have_count(11)
    shot(page, "zh-participant")

    page.locator("tr[data-visit=W06] a").first.click()
    reads_chinese(page)
    page.locator("#sample_date").fill("2026-04-27")
    page.locator("#height-value").fill("128")
    page.locator("#weight-value").fill("25")
    page.locator("#creatinine-value").fill("0.45")  # mg/dL, typed as µmol/L
    page.locator("#upcr-value").fill("0.45")
    page.locator("#urine_rbc-value").fill("12")
    page.locator("main form button[type=submit]").filter(has_text="保存").first.click()
    error = page.locator("#result-creatinine .error")
    expect(error).to_have_text("血肌酐 0.45 µmol/L 低于可能范围 8.8-884 µmol/L。是否应为 mg/dL？")
    expect(page.locator("#creatinine-value")).to_have_value("0.45")
    reads_chinese(page)
    shot(page, "zh-results-error")
    page.locator("#creatinine-unit").select_option("mg/dL")
    page.locator("main form button[type=submit]").filter(has_text="保存").first.click()
    expect(page.locator(".flash.success")).to_have_count(1)
    # A girl of 7.97 years (born 2018-05-10, sampled 2026-04-27), 128 cm, creatinine 0.45 mg/dL:
    # CKiD U25 K = 36.1 x 1.008^(7.97 - 12) = 34.96; 34.96 x 1.28 / 0.45 = 99.4.
    expect(page.locator("#egfr-u25-cr")).to_have_text("99.4")
    reads_chinese(page)

    page.locator("a[href$='/participants/1']").first.click()
    page.locator("form[action$='/calendar-link'] button").click()
    expect(page.locator("#calendar-link")).to_contain_text("/calendar/")
    reads_chinese(page)
