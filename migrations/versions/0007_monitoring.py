"""Monitoring: queries on stored values, source data verification, the investigator's
signature of a casebook, a child's record frozen, the whole database locked

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participant') as batch:
        batch.add_column(sa.Column('frozen_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('frozen_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('frozen_reason', sa.Text(), nullable=True))
    op.create_table('data_query',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=True),
    sa.Column('raised_by', sa.String(length=64), nullable=False),
    sa.Column('raised_at', sa.DateTime(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.String(length=64), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'answered', 'closed')", name=op.f('ck_data_query_status')),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_data_query_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_query'))
    )
    op.create_index(op.f('ix_data_query_participant_id'), 'data_query', ['participant_id'])
    op.create_index('ix_data_query_target', 'data_query', ['entity', 'entity_id', 'field'])
    op.create_index('ix_data_query_status', 'data_query', ['status'])
    op.create_table('verification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('verified_by', sa.String(length=64), nullable=False),
    sa.Column('verified_at', sa.DateTime(), nullable=False),
    sa.Column('cleared_at', sa.DateTime(), nullable=True),
    sa.Column('cleared_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_verification_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification')),
    sa.UniqueConstraint('entity', 'entity_id', name=op.f('uq_verification_entity_entity_id'))
    )
    op.create_index(op.f('ix_verification_participant_id'), 'verification', ['participant_id'])
    op.create_table('signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('signed_by', sa.String(length=64), nullable=False),
    sa.Column('printed_name', sa.String(length=128), nullable=False),
    sa.Column('meaning', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('voided_at', sa.DateTime(), nullable=True),
    sa.Column('voided_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_signature_participant_id_participant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature'))
    )
    op.create_index(op.f('ix_signature_participant_id'), 'signature', ['participant_id'])
    op.create_table('study_lock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('locked_by', sa.String(length=64), nullable=False),
    sa.Column('locked_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('unlocked_by', sa.String(length=64), nullable=True),
    sa.Column('unlocked_at', sa.DateTime(), nullable=True),
    sa.Column('unlock_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_study_lock'))
    )


def downgrade() -> None:
    op.drop_table('study_lock')
    op.drop_index(op.f('ix_signature_participant_id'), table_name='signature')
    op.drop_table('signature')
    op.drop_index(op.f('ix_verification_participant_id'), table_name='verification')
    op.drop_table('verification')
    op.drop_index('ix_data_query_status', table_name='data_query')
    op.drop_index('ix_data_query_target', table_name='data_query')
    op.drop_index(op.f('ix_data_query_participant_id'), table_name='data_query')
    op.drop_table('data_query')
    with op.batch_alter_table('participant') as batch:
        batch.drop_column('frozen_reason')
        batch.drop_column('frozen_by')
        batch.drop_column('frozen_at')
