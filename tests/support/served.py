"""The app served for real: waitress in its own process (through `edc serve`'s serve_app) on a
database the test filled, and nurses talking to it over HTTP with the standard library.

    with served(url, threads=8) as base:     # http://127.0.0.1:PORT
        nurse = Nurse(base); nurse.log_in("nurse07")
        nurse.get("/participants/")

Run as a module, this file is the server process: `python -m tests.support.served URL PORT
THREADS` builds the app on URL with the test's today, adds BARE_ROUTE (base.html, logged in,
nothing else: the pages read as multiples of it) and serves it with edc.cli.serve_app.
"""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
BARE_ROUTE = "/served-bare"
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
_HIDDEN = re.compile(r'<input id="[^"]*" name="([^"]*)" type="hidden" value="([^"]*)"')


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(database_url: str, threads: int = 8, timeout: float = 20.0,
           pragmas: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the app on database_url in a child process; yield its base URL; stop it after."""
    server = start(database_url, threads, timeout, pragmas)
    try:
        yield server.base
    finally:
        stop(server)


class Server:
    """A running server process and its base URL."""

    def __init__(self, process: subprocess.Popen[bytes], base: str, log: IO[bytes]) -> None:
        self.process, self.base, self.log = process, base, log


def start(database_url: str, threads: int = 8, timeout: float = 20.0,
          pragmas: dict[str, str] | None = None) -> Server:
    """Start the server process and wait until it answers; pragmas replace some of the app's
    SQLite settings (edc.db.SQLITE_PRAGMAS), to measure them."""
    env = {**os.environ, "EDC_SQLITE_PRAGMAS": json.dumps(pragmas or {})}
    port = free_port()
    # Waitress warns of its queue on stderr: a pipe nobody reads would fill and stop the server.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.served", database_url, str(port), str(threads)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"The server stopped: {log.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return Server(process, f"http://127.0.0.1:{port}", log)
        except OSError:
            time.sleep(0.05)
    process.kill()
    log.close()
    raise RuntimeError(f"Got no answer on port {port} in {timeout} s. Expected the server up.")


def stop(server: Server) -> None:
    """Stop the server process (it may be dead already)."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    server.log.close()


class Answer:
    """One response: status, location, body text and how long it took (seconds)."""

    def __init__(self, status: int, location: str, text: str, seconds: float) -> None:
        self.status, self.location, self.text, self.seconds = status, location, text, seconds

    def hidden(self) -> dict[str, str]:
        """The hidden inputs of the page's forms (the last of each name)."""
        return {name: html.unescape(value) for name, value in _HIDDEN.findall(self.text)}


class Nurse:
    """One browser: its own kept-alive connection and session cookie."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname or "", parts.port or 80, timeout
        self.connection: http.client.HTTPConnection | None = None
        self.cookie = ""
        self.csrf = ""

    def _connection(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port,
                                                         timeout=self.timeout)
        return self.connection

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def request(self, method: str, path: str, form: dict[str, Any] | None = None) -> Answer:
        """Send one request; a dropped connection raises (OSError or http.client's errors)."""
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urlencode({**form, "csrf_token": self.csrf})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        began = time.perf_counter()
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        except BaseException:
            self.close()
            raise
        seconds = time.perf_counter() - began
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        if found := _CSRF.search(text):
            self.csrf = found.group(1)
        if response.will_close:
            self.close()
        return Answer(response.status, response.getheader("Location") or "", text, seconds)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, Any]) -> Answer:
        return self.request("POST", path, form)

    def log_in(self, username: str, password: str) -> None:
        """Open the log-in page and log in; raise unless the app lets the nurse in."""
        self.get("/login")
        answer = self.post("/login", {"username": username, "password": password})
        if answer.status != 302:
            raise RuntimeError(f"Got {answer.status} logging in {username}. Expected 302.")
        self.get("/")  # the token of the logged-in session


def _serve(database_url: str, port: int, threads: int) -> None:
    from flask import render_template
    from flask_login import login_required

    from edc import db
    from edc.app import create_app
    from edc.cli import serve_app
    from tests.support.apps import TODAY

    # A measurement of other SQLite settings than the app's: EDC_SQLITE_PRAGMAS='{"x": "y"}'.
    db.SQLITE_PRAGMAS.update(json.loads(os.environ.get("EDC_SQLITE_PRAGMAS", "{}")))

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "served-test",
                      "CLOCK": lambda: TODAY})

    @app.route(BARE_ROUTE)
    @login_required
    def bare() -> str:
        return render_template("base.html")

    serve_app(app, "127.0.0.1", port, threads)


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
