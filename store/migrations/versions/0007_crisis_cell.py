"""crisis cell: roles, holders, handovers (issue 19)

Reserved in the chain so parallel work can land in any order; empty until its tables land.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
