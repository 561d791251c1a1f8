"""The app fixtures, imported by the conftest of each folder of app tests: the app on a fresh
database, a logged-in client per role, the allocation list, children made through the services,
and a runner for the command line.

"Today" at the site is 2026-04-27 (support.apps.TODAY).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from edc import services
from edc.app import context_for
from edc.cli import main
from edc.protocol.study import Study
from edc.services import accounts
from tests.support import factories
from tests.support.apps import SET_UP, TODAY, Clock, allocation_csv, login, make_app


@pytest.fixture
def clock() -> Clock:
    """Today at the site for the app under test: TODAY unless the test moves it."""
    return Clock(TODAY)


@pytest.fixture
def app(database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch,
        clock: Clock) -> Iterator[Flask]:
    app = make_app(database_url, study, monkeypatch, clock=clock)
    yield app
    app.extensions["edc_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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


@pytest.fixture
def allocation(app: Flask) -> None:
    with app.app_context():
        services.load_allocation(context_for(SET_UP), allocation_csv())


@pytest.fixture
def enrolled(app: Flask, allocation: None) -> int:
    """AS-001 enrolled by the nurse; returns the participant id."""
    return factories.child(app, "enrolled")


@pytest.fixture
def scheduled(app: Flask, enrolled: int) -> int:
    """AS-001 with infusion 1 on 2026-03-02 and infusion 2 on 2026-03-16 (day 0)."""
    factories.infuse(app, enrolled, 1, factories.INFUSION_1)
    factories.infuse(app, enrolled, 2, factories.INFUSION_2)
    return enrolled


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run `edc ARGS` against the test database: runner("schedule", "2026-03-16")."""
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    env = {"EDC_DATABASE_URL": database_url, "EDC_SECRET_KEY": "cli-test"}

    def invoke(*args: str, input: str | None = None, extra_env: dict | None = None) -> Result:
        return CliRunner().invoke(main, list(args), input=input, env={**env, **(extra_env or {})})

    return invoke
