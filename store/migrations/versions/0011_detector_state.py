"""live detector state (issue 14)

Reserved in the chain so parallel work can land in any order; empty until its tables land.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
