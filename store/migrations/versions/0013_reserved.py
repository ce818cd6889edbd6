"""timeline.detail_key and timeline.detail_params: each timeline sentence as a message key
and its parameters (responders.wording), so the cockpit shows it in the reader's language
(issue 20)

Both nullable: rows written before keep only their English `detail`, which is shown as is.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('timeline') as batch:
        batch.add_column(sa.Column('detail_key', sa.Text(), nullable=True))
        batch.add_column(sa.Column('detail_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('timeline') as batch:
        batch.drop_column('detail_params')
        batch.drop_column('detail_key')
