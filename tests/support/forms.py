"""The forms as the browser posts them: enrolment, infusion and results, valid unless told;
submit posts any form with the version its page shows when opened, as a browser does."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from tests.support.apps import TODAY
from tests.support.pages import Page
from tests.support.records import stored_version, visit_id


def enrolment_form(app: Flask, **overrides: str) -> dict[str, str]:
    """A valid enrolment as the browser posts it; overrides replace single fields."""
    data = {
        "code": "AS-001",
        "date_of_birth": "2018-05-10",
        "sex": "F",
        "weight_kg": "24.5",
        "height_cm": "125",
        "consent_date": "2026-02-20",
        "screening_egfr": "98",
    }
    for criterion in app.extensions["edc_study"].criteria:
        data[f"criterion_{criterion.code}"] = "yes" if criterion.required_answer else "no"
    data.update(overrides)
    return data


def infusion_form(**overrides: str) -> dict[str, str]:
    data = {"date": "2026-03-02", "weight_kg": "24.5", "product_lot": "UC-2026-017",
            "volume_ml": "50"}
    data.update(overrides)
    return data


# A complete, plausible results entry: (typed value, unit code) per analyte of forms/results.toml.
RESULTS = {
    "protein_24h": ("420", "mg/24h"),
    "urine_volume": ("900", ""),
    "upcr": ("0.45", "mg/mg"),
    "urine_rbc": ("12", "/HPF"),
    "dysmorphic_rbc": ("60", ""),
    "creatinine": ("40", "umol/L"),
    "urea": ("4.2", "mmol/L"),
    "cystatin_c": ("0.9", ""),
    "egfr_lab": ("105", ""),
    "height": ("126", ""),
    "weight": ("25", ""),
}


def opened(client: FlaskClient, visit: int) -> dict[str, str]:
    """The hidden fields of the results form as the page hands them out: version, watermark and
    what each analyte held when the form was opened."""
    page = client.get(f"/visits/{visit}").text
    hidden = dict(re.findall(r'<input id="[^"]*" name="([^"]*)" type="hidden" value="([^"]*)"',
                             page))
    return {name: html.unescape(value) for name, value in hidden.items()
            if name in ("version", "watermark") or name.endswith("-opened")}


def results_form(client: FlaskClient, visit: int, sample_date: str = "2026-04-27",
                 **changes: str | tuple[str, str] | dict[str, str]) -> dict[str, str]:
    """A results form as the browser posts it, opened now; changes replace or extend analytes."""
    data = {"sample_date": sample_date, **opened(client, visit)}
    for key, (value, unit) in RESULTS.items():
        data[f"{key}-value"] = value
        if unit:
            data[f"{key}-unit"] = unit
    for key, change in changes.items():
        if isinstance(change, str):  # a field of the form itself, e.g. reason
            data[key] = change
        elif isinstance(change, tuple):
            data[f"{key}-value"], unit = change
            if unit:
                data[f"{key}-unit"] = unit
        else:
            data.update({f"{key}-{name}": value for name, value in change.items()})
    return data


# Forms that post elsewhere than the page they are on: the action's end, and the page's.
_ON_ANOTHER_PAGE = (
    (re.compile(r"(/visits/\d+)/(?:book|missed)"), r"\1"),
    (re.compile(r"(/participants/\d+)/(?:withdraw|visits|calendar-link(?:/revoke)?|"
                r"anchor-on-first|freeze|unfreeze)"), r"\1"),
    (re.compile(r"(/participants/\d+/log/[^/]+/\d+)/(?:remove|acknowledge)"), r"\1"),
    (re.compile(r"(/queries/\d+)/(?:answer|close|reopen)"), r"\1"),
    (re.compile(r"/admin/unlock"), "/admin/lock"),
)
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
_ACTION = re.compile(r'\baction="([^"]*)"')


def page_of(action: str) -> str:
    """The page the form that posts to `action` is on (most forms post to their own page)."""
    path = urlsplit(action).path
    for pattern, page in _ON_ANOTHER_PAGE:
        if pattern.fullmatch(path):
            return pattern.sub(page, path)
    return path


def version_on(client: FlaskClient, action: str) -> str | None:
    """The hidden version of the form that posts to `action`, as its page (page_of) shows it
    when opened now: what a browser posts back with what was typed (None: the form carries no
    version). Where the page does not offer that form (the record's state or the reader's role
    hides it, and the test posts it anyway), the version stored now, as a page opened a moment
    ago carried it."""
    url = page_of(action)
    response = client.get(url)
    wanted = urlsplit(action).path
    if response.status_code == 200:
        for attributes, inside in _FORM.findall(response.text):
            target = _ACTION.search(attributes)
            if urlsplit(html.unescape(target.group(1) if target else url)).path == wanted:
                return Page(inside).value("version")
    return stored_version(client.application, action)


def submit(client: FlaskClient, action: str, data: dict[str, Any] | None = None,
           **options: Any) -> Any:
    """Post a form as the browser does after opening its page now: with the version the page
    shows (version_on), unless `data` carries its own (a page opened before another change).
    Options go to the client's post (follow_redirects=True)."""
    data = dict(data or {})
    if "version" not in data and (version := version_on(client, action)) is not None:
        data["version"] = version
    return client.post(action, data=data, **options)


def post_infusion(client: FlaskClient, participant_id: int, number: int, **fields: str) -> Any:
    """Post infusion `number` (infusion_form with fields) as the browser does, from its page
    opened now."""
    return submit(client, f"/participants/{participant_id}/infusions/{number}",
                  infusion_form(**fields))


def book(client: FlaskClient, app: Flask, participant_id: int, code: str, **form: str) -> Any:
    """Post the booking form of the participant's visit `code`, from the visit page opened
    now."""
    return submit(client, f"/visits/{visit_id(app, participant_id, code)}/book", form)


def withdrawal_form(detail: str = "Family moved away", **overrides: str) -> dict[str, str]:
    """A withdrawal as the browser posts it: for another reason, in words, ended and last seen
    on the test's today; overrides replace single items."""
    data = {"reason": "OTHER", "detail": detail, "adverse_event": "",
            "termination_date": TODAY.isoformat(), "last_contact": TODAY.isoformat()}
    data.update(overrides)
    return data


def termination(detail: str = "Family moved away", on: date = TODAY,
                **overrides: Any) -> dict[str, Any]:
    """The early termination's items as the withdrawal service takes them (typed)."""
    values: dict[str, Any] = {"reason": "OTHER", "detail": detail, "adverse_event": None,
                              "termination_date": on, "last_contact": on}
    values.update(overrides)
    return values
