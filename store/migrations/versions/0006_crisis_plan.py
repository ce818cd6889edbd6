"""crisis plan: risk register, playbooks, post-mortem actions (issue 19)

Reserved in the chain so parallel work can land in any order; empty until its tables land.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
