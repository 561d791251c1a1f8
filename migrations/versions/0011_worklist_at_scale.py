"""The worklist at scale: each done visit's missing required results kept with its results
(visit.results_missing), and partial indexes under the worklist's counts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

MISSING = "results_missing IS NOT NULL"
SAMPLE_DEVIATION = "sample_deviation_days != 0"
BOOKING_FLAGGED = "booking_flags IS NOT NULL"
WINDOW_DEVIATION = "window_deviation_days != 0"


def _partial(name: str, table: str, column: str, where: str) -> None:
    op.create_index(name, table, [column], sqlite_where=sa.text(where),
                    postgresql_where=sa.text(where))


def upgrade() -> None:
    # Filled for the visits already done by `edc init`, which knows the required analytes
    # (forms/results.toml): edc.services.results.refresh_results_missing.
    with op.batch_alter_table('visit') as batch:
        batch.add_column(sa.Column('results_missing', sa.String(length=255), nullable=True))
    _partial('ix_visit_results_missing', 'visit', 'status', MISSING)
    _partial('ix_visit_sample_deviation', 'visit', 'status', SAMPLE_DEVIATION)
    _partial('ix_visit_booking_flags', 'visit', 'status', BOOKING_FLAGGED)
    _partial('ix_infusion_window_deviation', 'infusion', 'number', WINDOW_DEVIATION)


def downgrade() -> None:
    op.drop_index('ix_infusion_window_deviation', table_name='infusion')
    op.drop_index('ix_visit_booking_flags', table_name='visit')
    op.drop_index('ix_visit_sample_deviation', table_name='visit')
    op.drop_index('ix_visit_results_missing', table_name='visit')
    with op.batch_alter_table('visit') as batch:
        batch.drop_column('results_missing')
