"""send_attempts: every channel call made by responders.delivery.deliver

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'send_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=32), nullable=False),
        sa.Column('ref', sa.String(length=128), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('idempotency_key', sa.String(length=128), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('ok', sa.Boolean(), nullable=True),
        sa.Column('permanent', sa.Boolean(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('external_id', sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    for col in ('purpose', 'ref', 'started_at'):
        op.create_index(f'ix_send_attempts_{col}', 'send_attempts', [col], unique=False)


def downgrade() -> None:
    op.drop_table('send_attempts')
