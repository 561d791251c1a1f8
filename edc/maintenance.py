"""Keep the trial's database safe: a consistent copy while the server runs, a restore into an
empty instance, and a check of what the app relies on (integrity, schema, the audit trail's
protection).

SQLite copies with its online backup API: one step under a read transaction, so the copy is the
database as it stood at one moment, whatever is being written meanwhile. PostgreSQL copies with
`pg_dump -Fc` and restores with `pg_restore`, which must be installed beside the server.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.engine import make_url

from edc.db import alembic_config
from edc.models import Base

# The triggers that keep the audit trail append-only (migrations/versions/0008).
AUDIT_TRIGGERS = {
    "sqlite": {f"{table}_no_{verb}" for table in ("audit_entry", "audit_event")
               for verb in ("update", "delete", "replace")},
    "postgresql": {f"{table}_{name}" for table in ("audit_entry", "audit_event")
                   for name in ("append_only", "no_truncate")},
}


class MaintenanceError(Exception):
    """A backup, restore or check could not be done; the message says why and what to do."""


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise MaintenanceError(f"Got database {url!r}. Expected a database file.")
    return Path(database)


@contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(path, timeout=30)) as connection:
        connection.execute("PRAGMA busy_timeout=30000")
        yield connection


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise MaintenanceError(f"{name} is not installed. Install the PostgreSQL client tools "
                               f"(Debian: apt install postgresql-client), or run {name} by hand "
                               "as the README's section on backups shows.")
    return found


def _libpq_url(url: str) -> str:
    """The URL as libpq's tools read it (without SQLAlchemy's driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(url: str, target: Path) -> None:
    """Copy the database at url to the file target (which must not exist yet)."""
    if target.exists():
        raise MaintenanceError(f"{target} exists already. Expected a new file name: a backup "
                               "never overwrites another.")
    if make_url(url).get_backend_name() == "sqlite":
        source = _sqlite_path(url)
        if not source.exists():
            raise MaintenanceError(f"There is no database at {source}.")
        with _sqlite(source) as live, _sqlite(target) as copy:
            live.backup(copy)  # all pages in one step: the database as at one moment
        return
    subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}",
                    _libpq_url(url)], check=True)


def _rows(engine: Engine) -> dict[str, int]:
    """How many rows each of the app's tables holds (only those that exist)."""
    present = set(inspect(engine).get_table_names())
    counts = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in present:
                counts[table.name] = connection.scalar(
                    select(text("count(*)")).select_from(table)) or 0
    return counts


def restore(engine: Engine, url: str, source: Path) -> None:
    """Restore the backup source into the empty database at url; refuse one holding data."""
    if not source.is_file():
        raise MaintenanceError(f"There is no backup file at {source}.")
    held = {name: n for name, n in _rows(engine).items() if n}
    if held:
        raise MaintenanceError(
            "The database is not empty (" + ", ".join(f"{n} {name}" for name, n in held.items())
            + "). Restore only into a new, empty database: nothing was changed.")
    engine.dispose()  # no connection of ours may hold the file or the schema while it is replaced
    if make_url(url).get_backend_name() == "sqlite":
        with _sqlite(source) as copy:
            problems = copy.execute("PRAGMA integrity_check").fetchall()
            if problems != [("ok",)]:
                raise MaintenanceError(f"{source} is not a sound SQLite backup: {problems[:3]}")
            with _sqlite(_sqlite_path(url)) as target:
                copy.backup(target)
        return
    subprocess.run([_pg_tool("pg_restore"), "--no-owner", "--clean", "--if-exists",
                    f"--dbname={_libpq_url(url)}", str(source)], check=True)


def check(engine: Engine) -> list[str]:
    """What is wrong with the database the app relies on; [] when all is well."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    problems = []
    dialect = engine.dialect.name
    with engine.connect() as connection:
        if dialect == "sqlite":
            found = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
            if found != ["ok"]:
                problems.append("SQLite integrity check: " + "; ".join(found[:5]))
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                problems.append(f"{len(broken)} rows point at rows that do not exist "
                                f"(first: table {broken[0][0]}, row {broken[0][1]})")
            triggers = {row[0] for row in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        else:
            triggers = {row[0] for row in connection.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
        current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    if current != head:
        problems.append(f"The schema is at {current or 'none'}; the code needs {head}: run "
                        "`edc init`.")
    missing = sorted(AUDIT_TRIGGERS.get(dialect, set()) - triggers)
    if missing:
        problems.append("The audit trail is not protected: triggers missing: "
                        + ", ".join(missing))
    return problems
