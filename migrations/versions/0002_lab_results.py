"""lab results per visit; visit kinds, deviations and missed reasons

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:50:36.636205
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('test_code', sa.String(length=16), nullable=False),
    sa.Column('loinc', sa.String(length=16), nullable=True),
    sa.Column('typed_value', sa.String(length=64), nullable=True),
    sa.Column('typed_unit', sa.String(length=16), nullable=True),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('unit', sa.String(length=16), nullable=True),
    sa.Column('qualifier', sa.String(length=32), nullable=True),
    sa.Column('not_done_reason', sa.Text(), nullable=True),
    sa.Column('warn_confirmed', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_result_participant_id_participant')),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_result_visit_id_visit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result')),
    sa.UniqueConstraint('visit_id', 'field', name=op.f('uq_result_visit_id_field'))
    )
    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_visit_id'), ['visit_id'], unique=False)

    with op.batch_alter_table('visit', schema=None) as batch_op:
        # Visits planned before this migration are scheduled ones, with no deviation recorded.
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False,
                                      server_default='scheduled'))
        batch_op.add_column(sa.Column('sample_deviation_days', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('missed_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('results_saved_at', sa.DateTime(), nullable=True))
        batch_op.alter_column('anchor_infusion', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('anchor_date', existing_type=sa.Date(), nullable=True)
        batch_op.create_check_constraint(
            op.f('ck_visit_kind'), "kind IN ('scheduled', 'screening', 'unscheduled')")



def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_visit_kind'), type_='check')
        batch_op.alter_column('anchor_date', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('anchor_infusion', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('results_saved_at')
        batch_op.drop_column('missed_reason')
        batch_op.drop_column('sample_deviation_days')
        batch_op.drop_column('kind')

    with op.batch_alter_table('result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_result_visit_id'))

    op.drop_table('result')
