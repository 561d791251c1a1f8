"""user_account.password_temporary: a password an administrator set, to be replaced at log-in

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 03:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # False on the accounts made before: their passwords were chosen before the rule.
    op.add_column('user_account', sa.Column('password_temporary', sa.Boolean(), nullable=False,
                                            server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('password_temporary')
