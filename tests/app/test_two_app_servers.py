"""Two app servers on one database, as behind a load balancer: two processes serving on
loopback, each with its own engine, sharing only the database and the configured secret key.
A browser's cookie is the same for both (cookies do not depend on the port). On SQLite by
default, on PostgreSQL when EDC_TEST_DATABASE_URL is set (tests/conftest.py)."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from html import unescape
from urllib.parse import urlencode

import pytest
from flask import Flask

from tests.support import factories
from tests.support.apps import PASSWORD, make_app

SERVER = """
import sys, waitress
from edc.app import create_app
from edc.cli import waitress_options
app = create_app()
server = waitress.create_server(app, host="127.0.0.1", port=0, threads=2, **waitress_options(app))
print(server.effective_port, flush=True)
server.run()
"""


@pytest.fixture
def servers(database_url: str, study, monkeypatch: pytest.MonkeyPatch
            ) -> Iterator[tuple[Flask, int, int]]:
    """Two server processes on the database; the accounts made here while they start."""
    env = {**os.environ, "EDC_DATABASE_URL": database_url, "EDC_SECRET_KEY": "shared-secret",
           "EDC_PROXY_HOPS": "1"}
    processes = [subprocess.Popen([sys.executable, "-c", SERVER], env=env, text=True,
                                  stdout=subprocess.PIPE) for _ in range(2)]
    app = None
    try:
        app = make_app(database_url, study, monkeypatch, allocation=True, site_language=True)
        ports = [int(p.stdout.readline()) for p in processes]
        yield app, ports[0], ports[1]
    finally:
        if app is not None:
            app.extensions["edc_engine"].dispose()
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
            process.stdout.close()


def link_version(page: str, participant: str) -> str:
    """The version the page's calendar link form carries (what the browser posts back)."""
    form = re.search(rf'<form[^>]*action="{participant}/calendar-link".*?</form>', page, re.S)
    return re.search(r'name="version"[^>]*value="([^"]*)"', form.group(0)).group(1)


class Browser:
    """One browser at one computer (its address reaches the app through the proxy header)."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        self.address = address
        self.cookie: str | None = None
        self.known: str | None = None  # the proof of the users who logged in on it

    def request(self, port: int, method: str, path: str,
                form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        headers = {"X-Forwarded-For": self.address}
        cookies = [f"{name}={value}" for name, value in (("session", self.cookie),
                                                         ("known_browser", self.known)) if value]
        if cookies:
            headers["Cookie"] = "; ".join(cookies)
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            if cookie.startswith("session="):
                self.cookie = cookie.split(";")[0].removeprefix("session=") or None
            if cookie.startswith("known_browser="):
                self.known = cookie.split(";")[0].removeprefix("known_browser=") or None
        connection.close()
        return response.status, dict(response.headers), text

    def get(self, port: int, path: str) -> tuple[int, str]:
        status, _headers, text = self.request(port, "GET", path)
        return status, text

    def post(self, port: int, path: str, form: dict[str, str],
             token_from: str = "/login") -> tuple[int, dict[str, str], str]:
        _status, page = self.get(port, token_from)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        return self.request(port, "POST", path, {**form, "csrf_token": token})

    def login(self, port: int, username: str, password: str = PASSWORD) -> int:
        return self.post(port, "/login", {"username": username, "password": password})[0]


def _alert(text: str) -> str:
    return unescape(re.search(r'role="alert">(.*?)</p>', text, re.S).group(1)).strip()


def test_two_app_servers_share_sessions_log_out_conflicts_and_throttling(servers) -> None:
    app, a, b = servers
    pid = factories.child(app, "scheduled")
    participants = f"/participants/{pid}"

    # A log-in on A works on B with the same cookie; a log-out on A ends it on B.
    nurse = Browser()
    assert nurse.login(a, "nurse") == 302
    assert nurse.get(b, participants)[0] == 200
    copied = Browser()
    copied.cookie = nurse.cookie
    assert copied.get(b, participants)[0] == 200
    assert nurse.post(a, "/logout", {}, token_from=participants)[0] == 302
    assert copied.get(b, participants)[0] == 302

    # An out-of-date page is refused on one server after a change on the other.
    assert nurse.login(a, "nurse") == 302
    opened = link_version(nurse.get(a, participants)[1], participants)
    investigator = Browser()
    assert investigator.login(b, "investigator") == 302
    theirs = link_version(investigator.get(b, participants)[1], participants)
    assert investigator.post(b, f"{participants}/calendar-link", {"version": theirs},
                             token_from=participants)[0] == 302
    status, _headers, text = nurse.post(a, f"{participants}/calendar-link",
                                        {"version": opened}, token_from=participants)
    assert status == 409
    assert "已被他人修改" in unescape(text)

    # Failures from another computer are counted across both servers: the fifth, wherever it
    # lands, makes the name wait on both; the nurse in the browser she logged in on before is
    # not held back, on either, while a new browser at her address is.
    stranger = Browser("127.0.0.77")
    statuses = [stranger.login(port, "nurse", "guess") for port in (a, b, a, b, a)]
    assert statuses == [401, 401, 401, 401, 429]
    status, headers, text = stranger.post(b, "/login", {"username": "nurse",
                                                        "password": PASSWORD})
    assert (status, headers["Retry-After"]) == (429, "300")
    assert _alert(text).startswith("此用户名在其他电脑上登录失败次数过多")
    assert Browser().login(b, "nurse") == 429
    assert nurse.login(b, "nurse") == 302


@pytest.mark.skipif(not os.environ.get("EDC_TEST_DATABASE_URL", "").startswith("postgresql"),
                    reason="the advisory lock is PostgreSQL's")
def test_two_servers_upgrading_the_schema_at_once_take_turns(database_url: str) -> None:
    from sqlalchemy import create_engine, text

    from edc import db

    engine = create_engine(database_url)
    upgrade = f"from edc import db; db.upgrade({database_url!r})"
    with engine.connect() as connection:
        # Held by someone else: an upgrade waits for it instead of running beside it.
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": db.UPGRADE_LOCK})
        # Two processes starting at once, as two app servers would.
        starting = [subprocess.Popen([sys.executable, "-c", upgrade]) for _ in range(2)]
        try:
            time.sleep(3)  # a current schema's upgrade takes a fraction of that
            assert [p.poll() for p in starting] == [None, None]
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                               {"key": db.UPGRADE_LOCK})
            connection.commit()
        assert [p.wait(timeout=60) for p in starting] == [0, 0]
    engine.dispose()
