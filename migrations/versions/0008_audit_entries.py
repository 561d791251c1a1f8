"""The audit trail as one entry per save (who, when, why) with its field changes

The old trail repeated who, when and why on every changed field. Rows that shared them were one
save (one flush), so each such group becomes one audit_entry and its rows its changes, with the
same ids. Both tables stay append-only.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 13:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"""
        for verb in ("UPDATE", "DELETE")
    ] + [
        # INSERT OR REPLACE would delete the old row without firing the DELETE trigger.
        f"""CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}
        WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END"""
    ]


def _postgresql_triggers(table: str, function_exists: bool) -> list[str]:
    function = [] if function_exists else [
        f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{table} is append-only: % refused', TG_OP;
        END $$"""]
    return function + [
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()""",
    ]


def _protect(table: str, function_exists: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in (_sqlite_triggers(table) if sqlite
                      else _postgresql_triggers(table, function_exists)):
        op.execute(statement)


def _unprotect(table: str, drop_function: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER {table}_no_{verb}")
    else:
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        if drop_function:
            op.execute(f"DROP FUNCTION {table}_append_only()")


def _sync_sequence(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)")


SAME_SAVE = ("n.at = e.at AND n.username = e.username "
             "AND (n.reason = e.reason OR (n.reason IS NULL AND e.reason IS NULL))")


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entry'))
    )
    op.execute("INSERT INTO audit_entry (at, username, reason) SELECT at, username, reason "
               "FROM audit_event GROUP BY at, username, reason ORDER BY min(id)")
    op.execute("CREATE INDEX tmp_audit_entry_at ON audit_entry (at, username)")
    op.execute("CREATE TABLE tmp_audit_change AS SELECT e.id AS id, "
               f"(SELECT min(n.id) FROM audit_entry n WHERE {SAME_SAVE}) AS entry_id, "
               "e.action AS action, e.entity AS entity, e.entity_id AS entity_id, "
               "e.participant_id AS participant_id, e.field AS field, e.old AS old, "
               "e.new AS new FROM audit_event e")
    op.execute("DROP INDEX tmp_audit_entry_at")
    _unprotect('audit_event', drop_function=False)
    op.drop_table('audit_event')
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['audit_entry.id'],
                            name=op.f('fk_audit_event_entry_id_audit_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    op.execute("INSERT INTO audit_event (id, entry_id, action, entity, entity_id, "
               "participant_id, field, old, new) SELECT id, entry_id, action, entity, "
               "entity_id, participant_id, field, old, new FROM tmp_audit_change ORDER BY id")
    op.execute("DROP TABLE tmp_audit_change")
    _sync_sequence('audit_event')
    op.create_index('ix_audit_event_participant_id', 'audit_event', ['participant_id'],
                    unique=False)
    _protect('audit_event', function_exists=True)
    _protect('audit_entry', function_exists=False)


def downgrade() -> None:
    _unprotect('audit_entry', drop_function=True)
    _unprotect('audit_event', drop_function=False)
    op.execute("CREATE TABLE tmp_audit_change AS SELECT e.id AS id, n.at AS at, "
               "n.username AS username, e.action AS action, e.entity AS entity, "
               "e.entity_id AS entity_id, e.participant_id AS participant_id, e.field AS field, "
               "e.old AS old, e.new AS new, n.reason AS reason "
               "FROM audit_event e JOIN audit_entry n ON n.id = e.entry_id")
    op.drop_table('audit_event')
    op.drop_table('audit_entry')
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    op.execute("INSERT INTO audit_event (id, at, username, action, entity, entity_id, "
               "participant_id, field, old, new, reason) SELECT id, at, username, action, "
               "entity, entity_id, participant_id, field, old, new, reason "
               "FROM tmp_audit_change ORDER BY id")
    op.execute("DROP TABLE tmp_audit_change")
    _sync_sequence('audit_event')
    op.create_index('ix_audit_event_participant_id', 'audit_event', ['participant_id'],
                    unique=False)
    _protect('audit_event', function_exists=True)
