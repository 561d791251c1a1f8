"""Browser tests: the app served from a thread on 127.0.0.1, driven in Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from edc.protocol.study import Study
from tests.support.apps import make_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


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
def served_app(database_url: str, study: Study, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with CSRF on, a nurse account and an allocation list."""
    app = make_app(database_url, study, monkeypatch, users=["nurse"], allocation=True,
                   TESTING=False, SECRET_KEY="browser-test", WTF_CSRF_ENABLED=True)
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
