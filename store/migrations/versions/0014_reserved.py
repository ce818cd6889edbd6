"""reserved for scale-out reads and ingest (issue 17): no schema change yet

Kept in the chain so the migrations after it have a fixed parent.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
