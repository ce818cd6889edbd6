"""live detector state (issue 14): detector_state.version (the format of the saved state,
so code that cannot resume it rebuilds it from the stored history instead of misreading
it) and detector_state.updated_at (when the detection stage last saved it)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows saved before this revision hold the seasonal-Poisson state: format 1.
    with op.batch_alter_table('detector_state') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                   server_default='1'))
        batch.add_column(sa.Column('updated_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('detector_state') as batch:
        batch.drop_column('updated_at')
        batch.drop_column('version')
