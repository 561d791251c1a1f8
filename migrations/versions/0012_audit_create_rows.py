"""A created or deleted record as one audit row holding its values as JSON

The trail wrote one row per field of a created record (a result four, a planned visit seven) and
one per field of a deleted one: most of the database. Each such group (one save, one record, one
action) becomes one row, with `field` empty and the values as one compact JSON object (sorted
keys) in `new` for a create, in `old` for a delete; every field the rows held is kept, and the
row keeps the group's first id. Updates stay one row per field. The trail stays append-only: its
guard is lifted for the regrouping only. Downgrade writes the rows back one per field.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 15:30:00
"""

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

COLUMNS = ("id", "entry_id", "action", "entity", "entity_id", "participant_id", "field", "old",
           "new")
CHUNK = 20000


def _protect() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb}
            ON audit_event
            BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: {verb} refused'); END""")
        # INSERT OR REPLACE would delete the old row without firing the DELETE trigger.
        op.execute("""CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event
        WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: REPLACE refused'); END""")
    else:
        op.execute("""CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE
        ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""")
        op.execute("""CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
        FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""")


def _unprotect() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER audit_event_no_{verb}")
    else:
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")


def _sync_sequence() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('audit_event', 'id'), "
                   "coalesce((SELECT max(id) FROM audit_event), 0) + 1, false)")


def _compact(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _chunks(where: str) -> Iterator[list[dict[str, Any]]]:
    """The rows matching `where`, by id, a chunk at a time (memory stays flat)."""
    bind, last = op.get_bind(), None
    while True:
        after = "" if last is None else f" AND id > {int(last)}"
        rows = [dict(row._mapping) for row in bind.execute(sa.text(
            f"SELECT {', '.join(COLUMNS)} FROM audit_event WHERE {where}{after} "
            f"ORDER BY id LIMIT {CHUNK}"))]
        if not rows:
            return
        yield rows
        last = rows[-1]["id"]


def _write(table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        op.get_bind().execute(sa.text(
            f"INSERT INTO {table} ({', '.join(COLUMNS)}) "
            f"VALUES ({', '.join(':' + c for c in COLUMNS)})"), rows)


def _tmp_table() -> None:
    op.create_table('tmp_audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    )


PER_FIELD = "action IN ('create', 'delete') AND field IS NOT NULL"


def upgrade() -> None:
    _tmp_table()
    group: dict[str, Any] | None = None
    for chunk in _chunks(PER_FIELD):
        out = []
        for row in chunk:
            key = tuple(row[c] for c in ("entry_id", "action", "entity", "entity_id"))
            side = "new" if row["action"] == "create" else "old"
            if group is None or group["key"] != key:
                if group is not None:
                    out.append(group)
                group = {"key": key, **row, "field": None, "old": None, "new": None,
                         "values": {}}
            group["values"][row["field"]] = row[side]
        _write("tmp_audit_event", [_grouped(g) for g in out])
    if group is not None:
        _write("tmp_audit_event", [_grouped(group)])
    _unprotect()
    op.execute(f"DELETE FROM audit_event WHERE {PER_FIELD}")
    op.execute(f"INSERT INTO audit_event ({', '.join(COLUMNS)}) "
               f"SELECT {', '.join(COLUMNS)} FROM tmp_audit_event ORDER BY id")
    op.drop_table('tmp_audit_event')
    _sync_sequence()
    _protect()


def _grouped(group: dict[str, Any]) -> dict[str, Any]:
    side = "new" if group["action"] == "create" else "old"
    row = {c: group[c] for c in COLUMNS}
    row[side] = _compact(group["values"])
    return row


def downgrade() -> None:
    # Every row is numbered anew, so a record's fields stay where its one row stood.
    _tmp_table()
    number = 0
    for chunk in _chunks("1 = 1"):
        out = []
        for row in chunk:
            grouped = row["action"] in ("create", "delete") and row["field"] is None and any(
                (row[side] or "").startswith("{") for side in ("old", "new"))
            side = "new" if row["action"] == "create" else "old"
            values = json.loads(row[side]) if grouped else None
            if not isinstance(values, dict):
                number += 1
                out.append({**row, "id": number})
                continue
            for name in sorted(values):
                number += 1
                out.append({**row, "id": number, "field": name, "old": None, "new": None,
                            side: values[name]})
        _write("tmp_audit_event", out)
    _unprotect()
    op.execute("DELETE FROM audit_event")
    op.execute(f"INSERT INTO audit_event ({', '.join(COLUMNS)}) "
               f"SELECT {', '.join(COLUMNS)} FROM tmp_audit_event ORDER BY id")
    op.drop_table('tmp_audit_event')
    _sync_sequence()
    _protect()
