"""A new analyte added in forms/results.toml reaches the form, the checks and the stored codes
with no change to Python code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from edc import db
from edc.models import Result
from tests.support.additions import ALBUMIN
from tests.support.apps import login, make_app
from tests.support.forms import enrolment_form, infusion_form, results_form
from tests.support.paths import FORMS
from tests.support.records import visit_id


@pytest.fixture
def albumin_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app on a copy of forms/ whose results.toml adds serum albumin."""
    forms = tmp_path / "forms"
    shutil.copytree(FORMS, forms)
    with (forms / "results.toml").open("a", encoding="utf-8") as results:
        results.write(ALBUMIN)
    app = make_app(database_url, None, monkeypatch, users=["nurse"], allocation=True,
                   FORMS_DIR=str(forms))
    yield app
    app.extensions["edc_engine"].dispose()


def test_an_analyte_added_in_results_toml_is_entered_checked_and_stored_with_its_codes(
    albumin_app: Flask,
) -> None:
    nurse = albumin_app.test_client()
    login(nurse, "nurse")
    pid = int(nurse.post("/participants/enrol", data=enrolment_form(albumin_app))
              .location.rsplit("/", 1)[1])
    for number, day in ((1, "2026-03-02"), (2, "2026-03-16")):
        nurse.post(f"/participants/{pid}/infusions/{number}", data=infusion_form(date=day))
    visit = visit_id(albumin_app, pid, "W06")

    page = nurse.get(f"/visits/{visit}").text
    assert '<label for="albumin-value">Serum albumin</label>' in page
    assert '<option value="g/dL">g/dL</option>' in page
    chinese = nurse.get(f"/visits/{visit}", headers={"Accept-Language": "zh-CN"}).text
    assert '<label for="albumin-value">血清白蛋白</label>' in chinese

    refused = nurse.post(f"/visits/{visit}",
                         data=results_form(nurse, visit, albumin=("40", "g/dL")))
    assert refused.status_code == 422
    assert ("Serum albumin 40 g/dL is above the possible range 0.5-7 g/dL. Did you mean g/L?"
            in refused.text)

    saved = nurse.post(f"/visits/{visit}", data=results_form(nurse, visit, albumin=("4", "g/dL")))
    assert saved.status_code == 302
    with albumin_app.app_context():
        albumin = db.session().scalars(select(Result).where(Result.field == "albumin")).one()
    assert (albumin.typed_value, albumin.typed_unit, albumin.value, albumin.unit) == (
        "4", "g/dL", 40.0, "g/L")
    assert (albumin.test_code, albumin.loinc) == ("ALB", "1751-7")
