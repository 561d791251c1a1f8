"""Session fixtures shared by every kind of test: the study read once from forms/*.toml and a
migrated database per test (SQLite, or PostgreSQL via EDC_TEST_DATABASE_URL).

Unit tests run under this file too, so it imports neither Flask nor SQLAlchemy at the top: the
database fixtures import what they need when an app test asks for them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from edc.protocol.study import Study, load_study
from tests.support.paths import FORMS


@pytest.fixture(scope="session")
def study() -> Study:
    """The study definition, loaded once: every app of the session shares it."""
    return load_study(FORMS)


@pytest.fixture(scope="session")
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated once per session through the Alembic migrations."""
    from edc import db

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
    from sqlalchemy import create_engine, text

    from edc.models import Base

    engine = create_engine(migrated_url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        # The audit trail refuses TRUNCATE too; only a superuser's replica session skips the
        # triggers, which the test cluster's user is and the application's user is not.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return migrated_url


