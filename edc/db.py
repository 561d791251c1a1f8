"""Engine and a session per app and request; SQLite pragmas; Alembic upgrade."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, scoped_session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


# SQLite's settings for every connection, chosen under load (`python -m tests.load.sweep`: 50
# nurses, 200 children, 80 % reads / 20 % writes, 8 waitress threads, 2 CPUs shared with other
# work; requests per second, 0 errors and 0 lost writes in every run):
#   as below 72.5/s; synchronous=NORMAL 72.1/s; cache_size=-65536 71.8/s; both 70.0/s.
# The differences are within the noise of the machine: the pages' own Python work is what limits,
# not the disk or the cache, so the safer settings stay.
SQLITE_PRAGMAS = {
    "foreign_keys": "ON",
    # Readers never wait for the writer, and the writer never waits for readers.
    "journal_mode": "WAL",
    # Wait this long (ms) for another connection's write instead of failing at once: no save of
    # the 50 nurses waited in vain.
    "busy_timeout": "15000",
    # FULL: a save the nurse was told about survives a power cut, not only a crash; NORMAL was
    # no faster under load.
    "synchronous": "FULL",
    # Pages kept per connection (negative: KiB): SQLite's default of 2 MB; 64 MB was no faster
    # under load on a trial of 200 children, and would be kept by every connection.
    "cache_size": "-2000",
    # No memory map (mmap_size): it took the worklist's queries at 10,000 children from 21 to
    # 16 ms, but every page of the file a process reads counts in its resident memory, and the
    # export reads them all (peak 400 MB instead of 96 MB).
}


def make_engine(url: str) -> Engine:
    """An engine; on SQLite with SQLITE_PRAGMAS on every connection."""
    if url.startswith("sqlite"):
        timeout = int(SQLITE_PRAGMAS["busy_timeout"]) / 1000
        engine = create_engine(url, connect_args={"timeout": timeout})
        pragmas = dict(SQLITE_PRAGMAS)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            for name, value in pragmas.items():
                cursor.execute(f"PRAGMA {name}={value}")
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


# The PostgreSQL advisory lock held around a schema upgrade (any number both processes agree on).
UPGRADE_LOCK = 7_306_311_920


def upgrade(url: str) -> None:
    """Create or upgrade the database schema to the newest migration. On PostgreSQL two
    processes starting at once take turns: the second waits, then finds the schema current."""
    from alembic import command

    config = alembic_config(url)
    if not url.startswith("postgresql"):
        command.upgrade(config, "head")
        return
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": UPGRADE_LOCK})
            connection.commit()
            try:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                   {"key": UPGRADE_LOCK})
                connection.commit()
    finally:
        engine.dispose()


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
