"""Fixtures: a migrated database per test (SQLite, or PostgreSQL via EDC_TEST_DATABASE_URL),
the app, a logged-in client per role, and a fixed 'today' at the site."""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from edc import create_app, db, services
from edc.app import context_for
from edc.models import Base
from edc.permissions import Role
from edc.services import Operator, accounts
from edc.services.accounts import create_user

TODAY = date(2026, 4, 27)
PASSWORD = "correct-horse-battery"
ROLES = tuple(Role)
SET_UP = Operator("test")  # who creates the test accounts and lists, as the trail names them


class Clock:
    """The app's clock in a test: today is a fixed day, which a test may move."""

    def __init__(self, day: date = TODAY) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day

    @contextmanager
    def on(self, day: date) -> Iterator[None]:
        """Make today another day inside the block."""
        before, self.day = self.day, day
        try:
            yield
        finally:
            self.day = before


@pytest.fixture(scope="session")
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated once per session through the Alembic migrations."""
    url = os.environ.get("EDC_TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'edc.sqlite3'}"
    db.upgrade(url)
    return url


@pytest.fixture
def database_url(migrated_url: str, tmp_path: Path) -> str:
    """An empty migrated database for one test."""
    if migrated_url.startswith("sqlite"):
        copy = tmp_path / "edc.sqlite3"
        shutil.copyfile(migrated_url.removeprefix("sqlite:///"), copy)
        return f"sqlite:///{copy}"
    engine = create_engine(migrated_url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        # The audit trail refuses TRUNCATE too; only a superuser's replica session skips the
        # triggers, which the test cluster's user is and the application's user is not.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return migrated_url


@pytest.fixture
def clock() -> Clock:
    """Today at the site for the app under test: TODAY unless the test moves it."""
    return Clock(TODAY)


@pytest.fixture
def app(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        clock: Clock) -> Iterator[Flask]:
    # Fast hashing in tests only; accounts keep the strong default otherwise.
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "CLOCK": clock,
    })
    with app.app_context():
        for role in ROLES:
            create_user(context_for(SET_UP), role, role, PASSWORD)
    yield app
    app.extensions["edc_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, username: str, password: str = PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def as_role(app: Flask):
    """A logged-in test client for a role: as_role('nurse')."""

    def make(role: str) -> FlaskClient:
        client = app.test_client()
        response = login(client, role)
        assert response.status_code == 302, response.text
        return client

    return make


@pytest.fixture
def nurse(as_role) -> FlaskClient:
    return as_role("nurse")


def allocation_csv(pairs: int = 4) -> str:
    rows = ["sequence,arm"] + [f"{i},{'MSC' if i % 2 else 'PBO'}" for i in range(1, 2 * pairs + 1)]
    return "\n".join(rows) + "\n"


@pytest.fixture
def allocation(app: Flask) -> None:
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv())


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


@pytest.fixture
def enrolled(app: Flask, nurse: FlaskClient, allocation: None) -> int:
    """AS-001 enrolled; returns the participant id."""
    response = nurse.post("/participants/enrol", data=enrolment_form(app))
    assert response.status_code == 302, response.text
    return int(re.search(r"/participants/(\d+)", response.location).group(1))


@pytest.fixture
def scheduled(nurse: FlaskClient, enrolled: int) -> int:
    """AS-001 with infusion 1 on 2026-03-02 and infusion 2 on 2026-03-16 (day 0)."""
    for number, day in ((1, "2026-03-02"), (2, "2026-03-16")):
        response = nurse.post(f"/participants/{enrolled}/infusions/{number}",
                              data=infusion_form(date=day))
        assert response.status_code == 302, response.text
    return enrolled


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


def visit_id(app: Flask, participant_id: int, code: str) -> int:
    from sqlalchemy import select

    from edc.models import Visit

    with app.app_context():
        return db.session().scalars(select(Visit.id).where(
            Visit.participant_id == participant_id, Visit.code == code)).one()


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
