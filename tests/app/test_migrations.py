"""The schema comes from the Alembic migrations, and what they build equals the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DatabaseError

from edc import cli, db
from edc.app import create_app
from edc.models import Base

TABLES = {table.name for table in Base.metadata.sorted_tables}


def _table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _audit_trail_refuses_delete(url: str) -> bool:
    """Write one audit row and try to delete it; True when the database refuses."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO audit_entry (id, at, username) "
                                    "VALUES (-1, CURRENT_TIMESTAMP, 'test')"))
            connection.execute(text("INSERT INTO audit_event (entry_id, action, entity) "
                                    "VALUES (-1, 'create', 'probe')"))
        with engine.connect() as connection:
            try:
                connection.execute(text("DELETE FROM audit_event WHERE entity = 'probe'"))
            except DatabaseError as refused:
                connection.rollback()
                return "append-only" in str(refused)
            connection.rollback()
            return False
    finally:
        engine.dispose()


def test_migrated_schema_equals_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == [], f"Got schema differences from the models: {differences}"


def test_database_is_at_the_single_head_of_the_migrations(database_url: str) -> None:
    heads = ScriptDirectory.from_config(db.alembic_config(database_url)).get_heads()
    assert len(heads) == 1, f"Got heads {heads}. Expected one line of migrations."
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    assert current == tuple(heads)


@pytest.fixture
def fresh_app(tmp_path: Path) -> Flask:
    """An app on a SQLite file that does not exist yet."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}"})
    yield app
    app.extensions["edc_engine"].dispose()


def test_edc_init_creates_every_table_and_can_run_again(
    fresh_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # set by the CLI; restored afterwards
    url = fresh_app.config["DATABASE_URL"]
    runner = fresh_app.test_cli_runner()
    first = runner.invoke(cli.main, args=["init"])
    assert first.exit_code == 0, first.output
    assert "Database ready" in first.output
    assert _table_names(url) == TABLES | {"alembic_version"}
    assert _audit_trail_refuses_delete(url)

    second = runner.invoke(cli.main, args=["init"])
    assert second.exit_code == 0, second.output
    assert _table_names(url) == TABLES | {"alembic_version"}


@pytest.fixture
def roundtrip_url(migrated_url: str, tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite file, or the shared PostgreSQL database (left empty at head afterwards)."""
    if migrated_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
        command.upgrade(db.alembic_config(url), "head")
        yield url
        return
    try:
        yield migrated_url
    finally:
        command.upgrade(db.alembic_config(migrated_url), "head")
        engine = create_engine(migrated_url)
        with engine.begin() as connection:
            # Leave the shared database empty again (a superuser's replica session skips the
            # trail's triggers, as in conftest).
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(text("TRUNCATE audit_event, audit_entry RESTART IDENTITY"))
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(roundtrip_url: str) -> None:
    config = db.alembic_config(roundtrip_url)
    assert _table_names(roundtrip_url) == TABLES | {"alembic_version"}
    command.downgrade(config, "base")
    assert _table_names(roundtrip_url) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert _table_names(roundtrip_url) == TABLES | {"alembic_version"}
    assert _audit_trail_refuses_delete(roundtrip_url)


def test_visits_planned_before_calendars_get_a_distinct_random_uid(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'before.sqlite3'}"
    config = db.alembic_config(url)
    command.upgrade(config, "0002")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO participant (id, code, date_of_birth, sex, weight_kg, height_cm, "
            "consent_date, screening_egfr, eligibility, status, created_at, version) VALUES "
            "(1, 'AS-001', '2018-05-10', 'F', 24.5, 125, '2026-02-20', 98, '{}', 'enrolled', "
            "'2026-02-20 01:00:00', 1)"))
        for n, code in enumerate(("W02", "W04"), start=1):
            connection.execute(text(
                "INSERT INTO visit (id, participant_id, code, label, target_date, window_start, "
                "window_end, suggested_date, suggested_is_clinic_day, status, anchor_infusion, "
                "anchor_date, kind, sample_deviation_days, version) VALUES "
                f"({n}, 1, '{code}', '{code}', '2026-03-30', '2026-03-27', '2026-04-02', "
                "'2026-03-30', 1, 'planned', 2, '2026-03-16', 'scheduled', 0, 1)"))
    command.upgrade(config, "head")
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT calendar_uid, calendar_sequence, calendar_stamp FROM visit")).all()
    engine.dispose()
    uids = [uid for uid, _, _ in rows]
    assert len(set(uids)) == 2 and all(uid.endswith("@alport-edc") for uid in uids)
    assert all("AS-001" not in uid for uid in uids)
    assert [(seq, stamp is not None) for _, seq, stamp in rows] == [(0, True), (0, True)]


OLD_TRAIL = [  # id, at, username, action, entity, entity_id, field, new, reason
    (1, "2026-02-20 01:00:00.000001", "nurse", "create", "participant", 1, "code", "AS-001", None),
    (2, "2026-02-20 01:00:00.000001", "nurse", "create", "participant", 1, "sex", "F", None),
    (3, "2026-02-21 02:00:00.000002", "nurse", "update", "participant", 1, "sex", "M", "Typo"),
    (4, "2026-02-21 02:00:00.000002", "nurse", "update", "participant", 1, "weight_kg", "25",
     "Typo"),
    (5, "2026-02-21 02:00:00.000002", "monitor", "export", "export", None, "csv", "a.csv", None),
]


def test_a_trail_written_field_by_field_becomes_one_entry_per_save(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old-trail.sqlite3'}"
    config = db.alembic_config(url)
    command.upgrade(config, "0007")
    engine = create_engine(url)
    with engine.begin() as connection:
        for row in OLD_TRAIL:
            connection.execute(text(
                "INSERT INTO audit_event (id, at, username, action, entity, entity_id, "
                "participant_id, field, new, reason) VALUES (:id, :at, :who, :action, :entity, "
                ":entity_id, :entity_id, :field, :new, :reason)"), dict(zip(
                    ("id", "at", "who", "action", "entity", "entity_id", "field", "new",
                     "reason"), row, strict=True)))
    command.upgrade(config, "0010")
    with engine.connect() as connection:
        trail = connection.execute(text(
            "SELECT c.id, c.entry_id, e.username, e.reason, c.field, c.new FROM audit_event c "
            "JOIN audit_entry e ON e.id = c.entry_id ORDER BY c.id")).all()
    # The same time, person and reason were one save: three saves, rows and ids kept.
    assert [tuple(row) for row in trail] == [
        (1, 1, "nurse", None, "code", "AS-001"), (2, 1, "nurse", None, "sex", "F"),
        (3, 2, "nurse", "Typo", "sex", "M"), (4, 2, "nurse", "Typo", "weight_kg", "25"),
        (5, 3, "monitor", None, "csv", "a.csv")]
    assert _audit_trail_refuses_delete(url)
    command.downgrade(config, "0007")
    with engine.connect() as connection:
        back = connection.execute(text(
            "SELECT id, at, username, action, entity, entity_id, field, new, reason "
            "FROM audit_event ORDER BY id")).all()
    engine.dispose()
    # (the sixth row is the probe that found the trail append-only)
    assert [(*row[:1], str(row[1]), *row[2:]) for row in back[:5]] == [
        (i, at, *rest) for i, at, *rest in OLD_TRAIL]


# A trail as 0011 wrote it: a created result field by field (its identity, what was typed and
# what the app derived), a correction, a planned visit, the result's deletion, an export.
PER_FIELD_TRAIL = [
    # id, entry, action, entity, entity id, field, old, new
    (1, 1, "create", "visit", 7, "code", None, "W02"),
    (2, 1, "create", "visit", 7, "target_date", None, "2026-03-30"),
    (3, 1, "create", "visit", 7, "status", None, "planned"),
    (4, 2, "create", "result", 9, "visit_id", None, "7"),
    (5, 2, "create", "result", 9, "field", None, "creatinine"),
    (6, 2, "create", "result", 9, "typed_value", None, "0.48"),
    (7, 2, "create", "result", 9, "test_code", None, "CREAT"),
    (8, 2, "update", "visit", 7, "status", "planned", "done"),
    (9, 3, "update", "result", 9, "typed_value", "0.48", "0.5"),
    (10, 4, "delete", "result", 9, "visit_id", "7", None),
    (11, 4, "delete", "result", 9, "field", "creatinine", None),
    (12, 4, "delete", "result", 9, "typed_value", "0.5", None),
    (13, 4, "delete", "result", 9, "qualifier", None, None),
    (14, 5, "export", "export", None, "csv", None, "a.csv"),
]


def test_a_trail_of_one_row_per_created_field_becomes_one_row_per_record(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'per-field.sqlite3'}"
    config = db.alembic_config(url)
    command.upgrade(config, "0011")
    engine = create_engine(url)
    columns = ("id", "entry_id", "action", "entity", "entity_id", "field", "old", "new")
    with engine.begin() as connection:
        for entry in range(1, 6):
            connection.execute(text("INSERT INTO audit_entry (id, at, username) "
                                    "VALUES (:id, CURRENT_TIMESTAMP, 'nurse')"), {"id": entry})
        for row in PER_FIELD_TRAIL:
            connection.execute(text(
                "INSERT INTO audit_event (id, entry_id, action, entity, entity_id, "
                "participant_id, field, old, new) VALUES (:id, :entry_id, :action, :entity, "
                ":entity_id, 1, :field, :old, :new)"), dict(zip(columns, row, strict=True)))
    command.upgrade(config, "head")
    with engine.connect() as connection:
        trail = [tuple(row) for row in connection.execute(text(
            f"SELECT {', '.join(columns)} FROM audit_event ORDER BY id"))]
    # Each created or deleted record is one row, keeping every field it had (the derived test
    # code too), at the place of its first; updates and the export are as they were.
    assert trail == [
        (1, 1, "create", "visit", 7, None, None,
         '{"code":"W02","status":"planned","target_date":"2026-03-30"}'),
        (4, 2, "create", "result", 9, None, None,
         '{"field":"creatinine","test_code":"CREAT","typed_value":"0.48","visit_id":"7"}'),
        PER_FIELD_TRAIL[7], PER_FIELD_TRAIL[8],
        (10, 4, "delete", "result", 9, None,
         '{"field":"creatinine","qualifier":null,"typed_value":"0.5","visit_id":"7"}', None),
        PER_FIELD_TRAIL[13]]
    assert _audit_trail_refuses_delete(url)
    command.downgrade(config, "0011")
    with engine.connect() as connection:
        back = [tuple(row)[1:] for row in connection.execute(text(
            f"SELECT {', '.join(columns)} FROM audit_event WHERE entity != 'probe' "
            "ORDER BY id"))]
    engine.dispose()
    # Field by field again, in the order of the saves (a record's fields by name).
    assert back == [row[1:] for row in sorted(
        PER_FIELD_TRAIL, key=lambda r: (r[1], r[2] != "create", r[2], r[5]))]
    engine = create_engine(url)
    with engine.connect() as connection, pytest.raises(DatabaseError, match="append-only"):
        connection.execute(text("DELETE FROM audit_event"))
    engine.dispose()
