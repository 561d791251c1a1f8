"""The audit rows of no child (accounts, the allocation list, the lock) found by what they are,
without reading the whole trail: a partial index of those rows alone

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 23:40:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

NO_CHILD = "participant_id IS NULL"


def upgrade() -> None:
    op.create_index('ix_audit_event_no_child', 'audit_event', ['entity', 'entity_id'],
                    sqlite_where=sa.text(NO_CHILD), postgresql_where=sa.text(NO_CHILD))


def downgrade() -> None:
    op.drop_index('ix_audit_event_no_child', table_name='audit_event')
