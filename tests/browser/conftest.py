"""Browser tests: the app served from a thread on 127.0.0.1, driven in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page
from werkzeug.serving import make_server

from edc import create_app, services
from edc.app import context_for
from edc.services import accounts
from edc.services.accounts import create_user
from tests.conftest import PASSWORD, SET_UP, TODAY, allocation_csv

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def log_in_as_nurse(page: Page, base: str, then: str) -> None:
    """Log in as the nurse and open the page at `then`."""
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill("nurse")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}{then}")


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """Debian's Chromium, never a downloaded browser; no traffic beyond this machine."""
    return {
        "executable_path": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture
def served_app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with CSRF on, a nurse account and an allocation list."""
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    app = create_app({"SECRET_KEY": "browser-test", "DATABASE_URL": database_url,
                      "CLOCK": lambda: TODAY})
    with app.app_context():
        create_user(context_for(SET_UP), "nurse", "nurse", PASSWORD)
        services.load_allocation(context_for(SET_UP), allocation_csv())
    yield app
    app.extensions["edc_engine"].dispose()


@pytest.fixture
def live_server(served_app: Flask) -> Iterator[str]:
    """The served app's base URL on 127.0.0.1, from a thread."""
    app = served_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
