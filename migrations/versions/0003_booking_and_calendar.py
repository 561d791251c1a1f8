"""booking, withdrawal, calendar uid and token

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:32:05.520484
"""

import uuid
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('calendar_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_participant_calendar_token'), ['calendar_token'])

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booked_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('booked_time', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('booking_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('booking_flags', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cancelled_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('calendar_uid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('calendar_sequence', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('calendar_stamp', sa.DateTime(), nullable=True))

    # Visits planned before this migration get their random calendar identity now.
    connection = op.get_bind()
    now = datetime.now(UTC).replace(tzinfo=None)
    for (visit_id,) in connection.execute(sa.text("SELECT id FROM visit")).all():
        connection.execute(
            sa.text("UPDATE visit SET calendar_uid = :uid, calendar_stamp = :now WHERE id = :id"),
            {"uid": f"{uuid.uuid4()}@alport-edc", "now": now, "id": visit_id})

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.alter_column('calendar_uid', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('calendar_stamp', existing_type=sa.DateTime(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_visit_calendar_uid'), ['calendar_uid'])


def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_visit_calendar_uid'), type_='unique')
        batch_op.drop_column('calendar_stamp')
        batch_op.drop_column('calendar_sequence')
        batch_op.drop_column('calendar_uid')
        batch_op.drop_column('cancelled_reason')
        batch_op.drop_column('booking_flags')
        batch_op.drop_column('booking_reason')
        batch_op.drop_column('booked_time')
        batch_op.drop_column('booked_date')

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_participant_calendar_token'), type_='unique')
        batch_op.drop_column('calendar_token')
        batch_op.drop_column('withdrawn_reason')

