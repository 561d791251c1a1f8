"""The worklist's counts read an index alone: planned visits by the day their window closes,
with the day it opens and the kind (it replaces the index of the first two columns)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 17:10:00
"""

from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_visit_status_window', 'visit',
                    ['status', 'window_end', 'window_start', 'kind'])
    op.drop_index('ix_visit_status_window_end', table_name='visit')


def downgrade() -> None:
    op.create_index('ix_visit_status_window_end', 'visit', ['status', 'window_end'])
    op.drop_index('ix_visit_status_window', table_name='visit')
