"""Backup, restore and check: a copy taken while nurses write is the database as at one moment
(every saved form whole, with its audit rows), restores into an empty instance and only there,
and `edc check` finds what the app relies on, or says what is missing.

These run on their own SQLite files, whichever database the suite runs on: SQLite's online
backup is what they test.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from edc import db, services
from edc.app import context_for
from edc.cli import main
from edc.maintenance import MaintenanceError, backup, check, restore
from edc.protocol.study import Study
from edc.read.participants import load_participant
from edc.services import Operator
from tests.support import factories
from tests.support.apps import make_app

FEVER = {"term": "Fever", "onset_date": date(2026, 3, 2), "end_date": date(2026, 3, 3),
         "ongoing": "no", "grade": "1", "serious": "no", "relation": "POSSIBLE",
         "infusion": "1", "outcome": "RECOVERED"}


def tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of a SQLite file, in order."""
    with closing(sqlite3.connect(path)) as connection:
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {name: connection.execute(f'SELECT * FROM "{name}" ORDER BY 1').fetchall()
                for name in names}


@pytest.fixture
def live(tmp_path: Path, study: Study, monkeypatch: pytest.MonkeyPatch) -> Any:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    db.upgrade(url)
    app = make_app(url, study, monkeypatch, allocation=True)
    yield app, url, tmp_path / "live.sqlite3"
    app.extensions["edc_engine"].dispose()


def test_a_backup_taken_during_writes_restores_whole_and_equal(live: Any, tmp_path: Path,
                                                               study: Study,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    app, url, path = live
    pid = factories.child(app, "scheduled")
    started, copied = threading.Event(), threading.Event()
    saved: list[int] = []

    def nurse_writes() -> None:
        with app.app_context():
            ctx = context_for(Operator("nurse"))
            log = study.log("adverse_events")
            for n in range(60):
                child = load_participant(ctx.session, pid)
                services.save_log_entry(ctx, child, log, {**FEVER, "term": f"Fever {n}"})
                saved.append(n)
                if n == 5:
                    started.set()
                if copied.is_set() and n > 40:
                    break

    writer = threading.Thread(target=nurse_writes)
    writer.start()
    assert started.wait(30)
    target = tmp_path / "backup.sqlite3"
    backup(url, target)
    copied.set()
    writer.join(60)
    assert not writer.is_alive()

    copy = tables(target)
    entries = copy["log_entry"]
    assert 6 <= len(entries) < len(saved)  # taken while the writes went on
    # Every entry in the copy is whole, with the audit rows of its save, and no audit row is
    # there without its entry: each save is in the copy entirely or not at all.
    columns = [c[1] for c in sqlite3.connect(target).execute("PRAGMA table_info(audit_event)")]
    audited = {row[columns.index("entity_id")] for row in copy["audit_event"]
               if row[columns.index("entity")] == "log_entry"}
    assert audited == {row[0] for row in entries}
    # What the copy holds is what the live database held: the same rows, unchanged.
    now = tables(path)
    for name, rows in copy.items():
        assert set(rows) <= set(now[name]), name

    fresh = tmp_path / "fresh.sqlite3"
    fresh_url = f"sqlite:///{fresh}"
    db.upgrade(fresh_url)  # an instance set up with `edc init`, still empty
    other = make_app(fresh_url, study, monkeypatch, users=())
    try:
        restore(other.extensions["edc_engine"], fresh_url, target)
        assert check(other.extensions["edc_engine"]) == []
    finally:
        other.extensions["edc_engine"].dispose()
    assert tables(fresh) == copy


def test_restore_refuses_a_database_holding_data_and_changes_nothing(
        live: Any, tmp_path: Path) -> None:
    app, url, path = live
    target = tmp_path / "backup.sqlite3"
    backup(url, target)
    before = tables(path)
    with pytest.raises(MaintenanceError, match=r"The database is not empty \(.*5 user_account"):
        restore(app.extensions["edc_engine"], url, target)
    assert tables(path) == before
    with pytest.raises(MaintenanceError, match="exists already"):
        backup(url, target)


def test_the_commands_back_up_check_and_restore(live: Any, tmp_path: Path) -> None:
    _app, url, _path = live
    target = tmp_path / "copy.sqlite3"
    env = {"EDC_DATABASE_URL": url, "EDC_SECRET_KEY": "cli-test"}
    made = CliRunner().invoke(main, ["backup", str(target)], env=env)
    assert made.exit_code == 0, made.output
    assert made.output.startswith(f"Backed up {url} to {target} (")
    checked = CliRunner().invoke(main, ["check"], env=env)
    assert checked.exit_code == 0, checked.output
    assert "integrity ok, schema at the newest migration, audit trail protected." in checked.output
    refused = CliRunner().invoke(main, ["restore", str(target)], env=env)
    assert refused.exit_code == 2
    assert "The database is not empty" in refused.output
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    put_back = CliRunner().invoke(main, ["restore", str(target)],
                                  env={**env, "EDC_DATABASE_URL": empty})
    assert put_back.exit_code == 0, put_back.output
    assert tables(tmp_path / "empty.sqlite3") == tables(target)


def test_check_says_what_the_app_relies_on_and_is_missing(live: Any) -> None:
    from alembic.script import ScriptDirectory

    from edc.db import alembic_config

    app, _url, path = live
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("DROP TRIGGER audit_event_no_delete")
        connection.execute("UPDATE alembic_version SET version_num = '0005'")
        connection.commit()
    assert check(app.extensions["edc_engine"]) == [
        f"The schema is at 0005; the code needs {head}: run `edc init`.",
        "The audit trail is not protected: triggers missing: audit_event_no_delete"]
