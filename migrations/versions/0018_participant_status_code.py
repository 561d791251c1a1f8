"""ix_participant_status_code: the children whose follow-up ended, by code (casebooks to sign)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 03:40:00
"""

from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_participant_status_code', 'participant', ['status', 'code'])


def downgrade() -> None:
    op.drop_index('ix_participant_status_code', table_name='participant')
