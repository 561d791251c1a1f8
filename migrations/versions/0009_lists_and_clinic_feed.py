"""The pages at scale: indexes behind the participant list and the clinic feed, and each
person's own clinic calendar link (user_account.clinic_feed_token)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The participant list: a page of children's next and overdue visits.
    op.create_index('ix_visit_participant_status_window_end', 'visit',
                    ['participant_id', 'status', 'window_end'])
    # The clinic feed: planned visits by suggested day, in a bounded window.
    op.create_index('ix_visit_status_suggested_date', 'visit', ['status', 'suggested_date'])
    # NULL: no link issued; a calendar app cannot send the log-in cookie, so the token is the key.
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('clinic_feed_token', sa.String(length=64), nullable=True))
        batch.create_unique_constraint(batch.f('uq_user_account_clinic_feed_token'),
                                       ['clinic_feed_token'])


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_constraint(batch.f('uq_user_account_clinic_feed_token'), type_='unique')
        batch.drop_column('clinic_feed_token')
    op.drop_index('ix_visit_status_suggested_date', table_name='visit')
    op.drop_index('ix_visit_participant_status_window_end', table_name='visit')
