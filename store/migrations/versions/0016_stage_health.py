"""stage_health: each pipeline stage's last success and failure episode (issue 17)

Written by every worker (`responders.stage_health`), read by the Sources page of any web
process, and used to page the admins once per failure episode.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'stage_health',
        sa.Column('stage', sa.String(length=32), nullable=False),
        sa.Column('last_ok_at', sa.DateTime(), nullable=True),
        sa.Column('failing_since', sa.DateTime(), nullable=True),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_error_at', sa.DateTime(), nullable=True),
        sa.Column('worker', sa.String(length=128), nullable=True),
        sa.Column('paged_at', sa.DateTime(), nullable=True),
        sa.Column('recovered_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('stage'),
    )


def downgrade() -> None:
    op.drop_table('stage_health')
