"""Engine and a session per app and request; SQLite pragmas; Alembic upgrade."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, scoped_session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine; on SQLite with WAL, foreign keys on and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Any:
    """Return the Alembic configuration of the migrations in migrations/ for url."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Create or upgrade the database schema to the newest migration."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Make the app's sessions: each flush writes its audit rows and counts calendar moves.

    The rules are bound to this factory, not to every SQLAlchemy Session in the process.
    """
    from edc.audit import write_audit_rows
    from edc.models import raise_calendar_sequence

    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "before_flush", raise_calendar_sequence)
    event.listen(factory, "after_flush", write_audit_rows)
    return factory


def init_app(app: Flask) -> None:
    """Give the app an engine and a request-scoped session, removed after each request."""
    engine = make_engine(app.config["DATABASE_URL"])
    factory = session_factory(engine)
    app.extensions["edc_engine"] = engine
    app.extensions["edc_session"] = scoped_session(factory)

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        app.extensions["edc_session"].remove()


def session() -> Session:
    """The session of the current request (or CLI command)."""
    return current_app.extensions["edc_session"]()


def engine() -> Engine:
    """The engine of the current app."""
    return current_app.extensions["edc_engine"]
