"""Reserved for the live count detector (issue 14); unused: its state stays in the JSON of
detector_state (migration 0011), so this revision changes nothing.
Kept in the chain so the migrations after it have a fixed parent.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
