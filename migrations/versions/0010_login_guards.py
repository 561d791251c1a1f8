"""Log-in guards: each attempt kept, failure counters per address and user name, sessions held
on the server

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.CheckConstraint("outcome IN ('success', 'failed', 'throttled')",
                       name=op.f('ck_login_attempt_outcome')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempt'))
    )
    op.create_index('ix_login_attempt_at', 'login_attempt', ['at'], unique=False)
    op.create_index('ix_login_attempt_username_address', 'login_attempt',
                    ['username', 'address', 'outcome'], unique=False)
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    op.create_index(op.f('ix_login_throttle_last_at'), 'login_throttle', ['last_at'],
                    unique=False)
    op.create_table('user_session',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                            name=op.f('fk_user_session_user_id_user_account'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_user_session'))
    )
    op.create_index(op.f('ix_user_session_user_id'), 'user_session', ['user_id'], unique=False)
    op.create_index(op.f('ix_user_session_created_at'), 'user_session', ['created_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_table('user_session')
    op.drop_table('login_throttle')
    op.drop_table('login_attempt')
