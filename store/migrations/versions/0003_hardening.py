"""hardening: paging retries (alert_paging.version/pending/retry_at/failures), the database
rate-limit counters (rate_counts), session revocation (users.session_generation)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert_paging') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('pending', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('retry_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('failures', sa.Integer(), nullable=False,
                                   server_default='0'))
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('session_generation', sa.Integer(), nullable=False,
                                   server_default='0'))
    op.create_table(
        'rate_counts',
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index('ix_rate_counts_window_start', 'rate_counts', ['window_start'])


def downgrade() -> None:
    op.drop_table('rate_counts')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('session_generation')
    with op.batch_alter_table('alert_paging') as batch:
        for col in ('failures', 'retry_at', 'pending', 'version'):
            batch.drop_column(col)
