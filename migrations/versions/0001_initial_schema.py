"""participants, infusions, visits, allocation, users, audit trail

Revision ID: 0001
Revises:
Create Date: 2026-11-25 15:25:50.674065
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


# The audit trail is append-only: the database itself refuses to change or remove a row.
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: {verb} refused'); END"""
    for verb in ("UPDATE", "DELETE")
] + [
    # INSERT OR REPLACE would delete the old row without firing the DELETE trigger.
    """CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event
    WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: REPLACE refused'); END"""
]
POSTGRESQL_TRIGGER = [
    """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP;
    END $$""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
]


def upgrade() -> None:
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
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_participant_id'), ['participant_id'], unique=False)

    op.create_table('participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('weight_kg', sa.Float(), nullable=False),
    sa.Column('height_cm', sa.Float(), nullable=False),
    sa.Column('consent_date', sa.Date(), nullable=False),
    sa.Column('screening_egfr', sa.Float(), nullable=False),
    sa.Column('eligibility', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('anchor_infusion', sa.Integer(), nullable=True),
    sa.Column('anchor_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("sex IN ('M', 'F')", name=op.f('ck_participant_sex')),
    sa.CheckConstraint("status IN ('enrolled', 'withdrawn', 'completed')", name=op.f('ck_participant_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant')),
    sa.UniqueConstraint('code', name=op.f('uq_participant_code'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'investigator', 'nurse', 'monitor', 'unblinded')", name=op.f('ck_user_account_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('arm', sa.String(length=16), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_allocation_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_allocation_participant_id')),
    sa.UniqueConstraint('sequence', name=op.f('uq_allocation_sequence'))
    )
    op.create_table('infusion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('weight_kg', sa.Float(), nullable=False),
    sa.Column('product_lot', sa.String(length=64), nullable=False),
    sa.Column('volume_ml', sa.Float(), nullable=False),
    sa.Column('dose_cells_per_kg', sa.Float(), nullable=False),
    sa.Column('planned_cells', sa.Float(), nullable=False),
    sa.Column('window_deviation_days', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('number IN (1, 2)', name=op.f('ck_infusion_number')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_infusion_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_infusion')),
    sa.UniqueConstraint('participant_id', 'number', name=op.f('uq_infusion_participant_id_number'))
    )
    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=False),
    sa.Column('window_end', sa.Date(), nullable=False),
    sa.Column('suggested_date', sa.Date(), nullable=False),
    sa.Column('suggested_is_clinic_day', sa.Boolean(), nullable=False),
    sa.Column('actual_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('anchor_infusion', sa.Integer(), nullable=False),
    sa.Column('anchor_date', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'done', 'missed', 'cancelled')", name=op.f('ck_visit_status')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_visit_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit')),
    sa.UniqueConstraint('participant_id', 'code', name=op.f('uq_visit_participant_id_code'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_participant_id'), ['participant_id'], unique=False)

    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRESQL_TRIGGER:
        op.execute(statement)



def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
        op.execute("DROP TRIGGER audit_event_no_replace")
    else:
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_participant_id'))

    op.drop_table('visit')
    op.drop_table('infusion')
    op.drop_table('allocation')
    op.drop_table('user_account')
    op.drop_table('participant')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_participant_id'))

    op.drop_table('audit_event')
