"""A new analyte added in forms/results.toml reaches the form, the checks and the stored codes
with no change to Python code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from edc import create_app, db, services
from edc.app import context_for
from edc.models import Result
from edc.services import accounts
from edc.services.accounts import create_user
from tests.conftest import (
    PASSWORD,
    SET_UP,
    TODAY,
    allocation_csv,
    enrolment_form,
    infusion_form,
    login,
    results_form,
    visit_id,
)
from tests.test_labs import ALBUMIN


@pytest.fixture
def albumin_app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    forms = tmp_path / "forms"
    shutil.copytree(Path(__file__).resolve().parents[1] / "forms", forms)
    with (forms / "results.toml").open("a", encoding="utf-8") as results:
        results.write(ALBUMIN)
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": database_url,
                      "WTF_CSRF_ENABLED": False, "FORMS_DIR": str(forms),
                      "CLOCK": lambda: TODAY})
    with app.app_context():
        create_user(context_for(SET_UP), "nurse", "nurse", PASSWORD)
        services.load_allocation(context_for(SET_UP), allocation_csv())
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
