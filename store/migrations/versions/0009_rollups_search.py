"""per-minute roll-ups and text search (issue 17)

Reserved in the chain so parallel work can land in any order; empty until its tables land.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
