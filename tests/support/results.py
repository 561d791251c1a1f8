"""A visit's results posted as the nurse posts them, and what the refusal or the save left."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.support.audit import audit_count
from tests.support.forms import results_form, submit
from tests.support.pages import Page, page
from tests.support.records import stored_results, stored_visit

NOTHING_SAVED = "Nothing was saved. Correct the fields marked below."
CONFIRM = "Check it against the lab report and tick “confirmed” to save it."


def assert_nothing_stored(app: Flask, visit: int, audit_before: int) -> None:
    """No results, the visit still planned, and no audit row added since `audit_before`."""
    assert stored_results(app, visit) == {}
    v = stored_visit(app, visit)
    assert (v.status, v.actual_date, v.results_saved_at) == ("planned", None, None)
    assert audit_count(app) == audit_before


def refused(app: Flask, client: FlaskClient, visit: int, **changes: Any) -> Page:
    """Post the results with changes; check the refusal page and that nothing is kept."""
    before = audit_count(app)
    response = client.post(f"/visits/{visit}", data=results_form(client, visit, **changes))
    assert response.status_code == 422, response.text
    p = page(response)
    assert ("error", NOTHING_SAVED) in p.flashes
    assert_nothing_stored(app, visit, before)
    return p


def saved(client: FlaskClient, visit: int, sample_date: str = "2026-04-27",
          **changes: Any) -> None:
    """Post the results with changes; check they were saved."""
    data = results_form(client, visit, sample_date=sample_date, **changes)
    response = client.post(f"/visits/{visit}", data=data)
    assert response.status_code == 302, response.text
    assert response.location == f"/visits/{visit}"


def add_visit(client: FlaskClient, participant: int, **form: str) -> Any:
    """Post the form that adds a screening or unscheduled visit, from the participant page
    opened now."""
    return submit(client, f"/participants/{participant}/visits", form)
