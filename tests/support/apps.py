"""The one app set-up of the tests: the app's clock on a fixed 'today' at the site, fast password
hashing, the session's study, the test accounts and, when asked, the allocation list."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import event

from edc import create_app, services
from edc.app import context_for
from edc.permissions import Role
from edc.protocol.study import Study, load_study
from edc.services import Operator, accounts
from edc.services.accounts import create_user
from tests.support.paths import FORMS

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


class _SharedBytecode(BytecodeCache):
    """Compiled templates kept for the whole session: every test's app would otherwise compile
    each template it renders again (about 80 ms a test)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = _SharedBytecode()


def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
    # A test's database is thrown away: waiting for the disk on every commit buys nothing.
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def allocation_csv(pairs: int = 4) -> str:
    """An allocation list of `pairs` x (MSC, PBO), as the statistician's CSV."""
    rows = ["sequence,arm"] + [f"{i},{'MSC' if i % 2 else 'PBO'}" for i in range(1, 2 * pairs + 1)]
    return "\n".join(rows) + "\n"


def make_app(database_url: str, study: Study | None, monkeypatch: pytest.MonkeyPatch, *,
             clock: Clock | None = None, users: Iterable[str] = ROLES, allocation: bool = False,
             site_language: bool = False, **config: Any) -> Flask:
    """Build the app on `database_url` with one account per role in `users` (password
    PASSWORD), today told by `clock` (TODAY when None); `study` None reads the forms from
    config FORMS_DIR instead. The tests' site follows the browser's language (English unless a
    test sends Accept-Language) unless site_language keeps the study's own (zh_CN)."""
    # Fast hashing in tests only; accounts keep the strong default otherwise.
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", "pbkdf2:sha256:1000")
    settings: dict[str, Any] = {"TESTING": True, "SECRET_KEY": "test-secret",
                                "DATABASE_URL": database_url, "WTF_CSRF_ENABLED": False,
                                "CLOCK": clock or Clock(TODAY)}
    if study is None:
        study = load_study(config.get("FORMS_DIR") or FORMS)
    if not site_language:
        study = replace(study, site=replace(study.site, language=""))
    settings["STUDY"] = study
    app = create_app({**settings, **config})
    app.jinja_env.bytecode_cache = TEMPLATE_CODE
    if database_url.startswith("sqlite"):
        event.listen(app.extensions["edc_engine"], "connect", _no_fsync)
    with app.app_context():
        for role in users:
            create_user(context_for(SET_UP), role, role, PASSWORD, PEOPLE.get(role, ""))
        if allocation:
            services.load_allocation(context_for(SET_UP), allocation_csv())
    return app


# The person behind each test account, as a signature prints the name.
PEOPLE = {"nurse": "Chen Jing", "investigator": "Dr Li Ming", "monitor": "Wang Fang",
          "unblinded": "Zhang Wei", "admin": "Liu Yang"}


def login(client: FlaskClient, username: str, password: str = PASSWORD):
    """Post the login form."""
    return client.post("/login", data={"username": username, "password": password})
