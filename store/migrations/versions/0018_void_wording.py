"""drafts.void_key and drafts.void_params: why crisiswatch withdrew a draft, as a message key
and its parameters (responders.wording), so the cockpit shows it in the reader's language
(issue 20, as timeline.detail_key in 0013)

Both nullable: drafts withdrawn before keep only their English `void_reason`, shown as is.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('drafts') as batch:
        batch.add_column(sa.Column('void_key', sa.Text(), nullable=True))
        batch.add_column(sa.Column('void_params', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('drafts') as batch:
        batch.drop_column('void_params')
        batch.drop_column('void_key')
