"""one source of truth at send time (issue 15): incidents.version/next_update_at,
drafts.incident_version/promised_next_update/void_reason/claim_id, reminders (one per due state)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('next_update_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('drafts') as batch:
        batch.add_column(sa.Column('incident_version', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('promised_next_update', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('void_reason', sa.Text(), nullable=True))
        batch.add_column(sa.Column('claim_id', sa.Integer(), nullable=True))
    op.create_table(
        'reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('audience', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('basis', sa.DateTime(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('incident_id', 'audience', 'state', 'basis',
                            name='uq_reminders_due_state'),
    )


def downgrade() -> None:
    op.drop_table('reminders')
    with op.batch_alter_table('drafts') as batch:
        for col in ('claim_id', 'void_reason', 'promised_next_update', 'incident_version'):
            batch.drop_column(col)
    with op.batch_alter_table('incidents') as batch:
        batch.drop_column('next_update_at')
        batch.drop_column('version')
