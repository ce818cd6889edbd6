"""status_notifications.tries and retry_at: a failed subscriber update is tried again (issue 16)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('status_notifications') as batch:
        batch.add_column(sa.Column('tries', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(sa.Column('retry_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('status_notifications') as batch:
        batch.drop_column('retry_at')
        batch.drop_column('tries')
