"""user_account.full_name: the person's name, as a signature prints it

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 21:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL on the accounts made before: an administrator adds each name on the Users page.
    op.add_column('user_account', sa.Column('full_name', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('full_name')
