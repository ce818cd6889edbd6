"""contacts, broadcasts, broadcast_recipients, broadcast_sends, regulator_clocks,
key_account_tasks (issue 18)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'contacts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('organisation', sa.String(length=128), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('slack', sa.String(length=512), nullable=True),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('tz', sa.String(length=64), nullable=False),
        sa.Column('owner', sa.String(length=128), nullable=False),
        sa.Column('segments', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('opted_out_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email', name='uq_contacts_email'),
        sa.UniqueConstraint('phone', name='uq_contacts_phone'),
    )
    op.create_table(
        'broadcasts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=True),
        sa.Column('segments', sa.JSON(), nullable=False),
        sa.Column('channels', sa.JSON(), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('subject', sa.String(length=256), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('approved_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('promised_next_update', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_broadcasts_incident_id', 'broadcasts', ['incident_id'])
    op.create_table(
        'broadcast_recipients',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('broadcast_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('segment', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('alt_channel', sa.String(length=16), nullable=True),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('next_at', sa.DateTime(), nullable=True),
        sa.Column('last_sent_at', sa.DateTime(), nullable=True),
        sa.Column('delivered', sa.Boolean(), nullable=False),
        sa.Column('held', sa.Boolean(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('confirmed_via', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id']),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('broadcast_id', 'contact_id',
                            name='uq_broadcast_recipients_contact'),
        sa.UniqueConstraint('token', name='uq_broadcast_recipients_token'),
    )
    for col in ('broadcast_id', 'contact_id', 'next_at'):
        op.create_index(f'ix_broadcast_recipients_{col}', 'broadcast_recipients', [col])
    op.create_table(
        'broadcast_sends',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('address', sa.String(length=512), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('segments', sa.Integer(), nullable=True),
        sa.Column('ok', sa.Boolean(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('external_id', sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(['recipient_id'], ['broadcast_recipients.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('recipient_id', 'step', name='uq_broadcast_sends_step'),
    )
    op.create_index('ix_broadcast_sends_recipient_id', 'broadcast_sends', ['recipient_id'])
    op.create_index('ix_broadcast_sends_at', 'broadcast_sends', ['at'])
    op.create_table(
        'regulator_clocks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('jurisdiction', sa.String(length=32), nullable=False),
        sa.Column('aware_at', sa.DateTime(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('checklist', sa.JSON(), nullable=False),
        sa.Column('notified_at', sa.DateTime(), nullable=True),
        sa.Column('notified_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('incident_id', 'jurisdiction',
                            name='uq_regulator_clocks_jurisdiction'),
    )
    op.create_index('ix_regulator_clocks_incident_id', 'regulator_clocks', ['incident_id'])
    op.create_table(
        'key_account_tasks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('task', sa.String(length=16), nullable=False),
        sa.Column('done_at', sa.DateTime(), nullable=False),
        sa.Column('done_by', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id']),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    for col in ('incident_id', 'contact_id'):
        op.create_index(f'ix_key_account_tasks_{col}', 'key_account_tasks', [col])


def downgrade() -> None:
    op.drop_table('key_account_tasks')
    op.drop_table('regulator_clocks')
    op.drop_table('broadcast_sends')
    op.drop_table('broadcast_recipients')
    op.drop_table('broadcasts')
    op.drop_table('contacts')
