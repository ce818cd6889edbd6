"""users.lang and users.timezone: each user's cockpit language and time zone (issue 20)

Both nullable: empty means the brand's defaults (`dashboard.i18n`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('lang', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('timezone')
        batch.drop_column('lang')
