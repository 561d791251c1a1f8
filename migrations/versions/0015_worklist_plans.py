"""The worklist at any size, with or without the database's statistics: visits still to book
read in target order, the booking-deviation count from its own index alone, and the children
still to be infused and a log's entries found without reading every child or entry

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 23:30:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

UNBOOKED = "booked_date IS NULL"
BOOKING_FLAGGED = "booking_flags IS NOT NULL"


def _partial(name: str, columns: list[str], where: str) -> None:
    op.create_index(name, 'visit', columns, sqlite_where=sa.text(where),
                    postgresql_where=sa.text(where))


def upgrade() -> None:
    _partial('ix_visit_unbooked',
             ['status', 'target_date', 'window_end', 'window_start', 'kind'], UNBOOKED)
    op.drop_index('ix_visit_booking_flags', table_name='visit')
    _partial('ix_visit_booking_flags', ['status', 'booking_flags'], BOOKING_FLAGGED)
    op.create_index('ix_participant_awaiting', 'participant', ['anchor_infusion', 'status'])
    op.create_index('ix_log_entry_form', 'log_entry', ['form', 'removed_reason', 'end_date'])


def downgrade() -> None:
    op.drop_index('ix_log_entry_form', table_name='log_entry')
    op.drop_index('ix_participant_awaiting', table_name='participant')
    op.drop_index('ix_visit_booking_flags', table_name='visit')
    _partial('ix_visit_booking_flags', ['status'], BOOKING_FLAGGED)
    op.drop_index('ix_visit_unbooked', table_name='visit')
