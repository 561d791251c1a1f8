"""worklist indexes on visit: (status, window_end) and (status, booked_date)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:00:00
"""

from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Due and overdue visits: planned, by the day their window closes.
    op.create_index('ix_visit_status_window_end', 'visit', ['status', 'window_end'])
    # Booked today and tomorrow: planned, by the booked day.
    op.create_index('ix_visit_status_booked_date', 'visit', ['status', 'booked_date'])


def downgrade() -> None:
    op.drop_index('ix_visit_status_booked_date', table_name='visit')
    op.drop_index('ix_visit_status_window_end', table_name='visit')
