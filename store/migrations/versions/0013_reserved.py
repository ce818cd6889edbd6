"""reserved for the cockpit's stored texts in the reader's language (issue 20): no schema change yet

Kept in the chain so the migrations after it have a fixed parent.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
