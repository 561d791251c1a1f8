"""log_entry: the rows of the repeating forms (adverse events, medications, vital signs,
deviations, early termination), with a serious event's alert and acknowledgement

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('log_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('removed_reason', sa.Text(), nullable=True),
    sa.Column('alert_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_log_entry_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_entry')),
    sa.UniqueConstraint('participant_id', 'form', 'number', name=op.f('uq_log_entry_participant_id_form_number'))
    )
    op.create_index(op.f('ix_log_entry_participant_id'), 'log_entry', ['participant_id'])
    # The banner on every staff page: serious events not yet acknowledged.
    op.create_index('ix_log_entry_alert', 'log_entry', ['alert_at', 'acknowledged_at'])


def downgrade() -> None:
    op.drop_index('ix_log_entry_alert', table_name='log_entry')
    op.drop_index(op.f('ix_log_entry_participant_id'), table_name='log_entry')
    op.drop_table('log_entry')
