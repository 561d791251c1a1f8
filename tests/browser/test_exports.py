"""The statistician's download in Chromium, CSRF on: the monitor opens Exports from the header,
downloads the SDTM zip and the wide table, and gets files named with the study and the UTC time
that hold the small trial's data and no arm."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from edc.protocol.study import Study
from tests.support.apps import PASSWORD, make_app
from tests.support.browser import shot
from tests.support.exports import small_trial


@pytest.fixture
def served_app(database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = make_app(database_url, study, monkeypatch, users=["nurse", "investigator", "monitor"],
                   allocation=True, TESTING=False, SECRET_KEY="browser-test",
                   WTF_CSRF_ENABLED=True)
    small_trial(app)
    yield app
    app.extensions["edc_engine"].dispose()


def test_the_monitor_downloads_the_datasets_from_the_exports_page(
        page: Page, live_server: str, tmp_path: Path, study: Study) -> None:
    page.goto(f"{live_server}/login")
    page.locator("#username").fill("monitor")
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.get_by_role("link", name="Exports").click()
    expect(page.get_by_role("heading", name="Exports")).to_be_visible()
    expect(page.get_by_text("These files hold no arm")).to_be_visible()
    shot(page, "exports")
    with page.expect_download() as waiting:
        page.locator("tr[data-format=csv] button").click()
    download = waiting.value
    assert re.fullmatch(r"NCT06731192-csv-\d{8}T\d{6}Z\.zip", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        lb = list(csv.DictReader(io.StringIO(archive.read("lb.csv").decode("utf-8-sig"))))
        dm = archive.read("dm.csv").decode("utf-8-sig")
    assert len(lb) == 36 and {r["USUBJID"][-6:] for r in lb} == {"AS-001", "AS-002"}
    assert "ARM" not in dm.splitlines()[0].split(",")
    assert not {arm.label for arm in study.arms} & set(re.split(r"[,\r\n]", dm))

    with page.expect_download() as waiting:
        page.locator("tr[data-format=wide] button").click()
    wide = tmp_path / waiting.value.suggested_filename
    waiting.value.save_as(wide)
    rows = list(csv.DictReader(io.StringIO(wide.read_text(encoding="utf-8-sig"))))
    assert [r["VISITCD"] for r in rows if r["SUBJID"] == "AS-002"][:2] == ["W02", "W04"]
