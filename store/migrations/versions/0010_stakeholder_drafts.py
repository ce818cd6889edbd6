"""stakeholder drafts and broadcast approvals (issue 18)

Broadcasts go through the approvals queue: a broadcast is the approved text of a draft
(`draft_id`), waits in state `awaiting` until then, may be informational (`ask_confirm`
false: customers' updates ask nobody to reply) and may be for the contacts of some
languages only (`only_langs`: the French customer e-mail to French-speaking customers).
`key_account_reminders`: one reminder to a key account's owner per task, due state and due
time (the unique key makes a second worker or cycle skip instead of nagging twice).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('broadcasts') as batch:
        batch.add_column(sa.Column('draft_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('ask_confirm', sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column('only_langs', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('created_by', sa.String(length=64), nullable=False,
                                   server_default=''))
        batch.create_foreign_key('fk_broadcasts_draft_id', 'drafts', ['draft_id'], ['id'])
        batch.create_unique_constraint('uq_broadcasts_draft', ['draft_id'])
    op.create_table(
        'key_account_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('task', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('basis', sa.DateTime(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id']),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('incident_id', 'contact_id', 'task', 'state', 'basis',
                            name='uq_key_account_reminders_due_state'),
    )


def downgrade() -> None:
    op.drop_table('key_account_reminders')
    with op.batch_alter_table('broadcasts') as batch:
        batch.drop_constraint('uq_broadcasts_draft', type_='unique')
        batch.drop_constraint('fk_broadcasts_draft_id', type_='foreignkey')
        batch.drop_column('created_by')
        batch.drop_column('only_langs')
        batch.drop_column('ask_confirm')
        batch.drop_column('draft_id')
