"""crisis plan: risk register, playbooks, post-mortem actions (issue 19)

plan_risks (the register, with prepared messages, segments, playbook and exercise schedule),
plan_updates (register or template changes a post-mortem asks for, to review);
postmortem_actions gains who closed an action and which reminder was last claimed;
contacts gain the date their details were last confirmed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'plan_risks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('crisis_type', sa.String(length=32), nullable=False),
        sa.Column('scenario', sa.Text(), nullable=False),
        sa.Column('probability', sa.Integer(), nullable=False),
        sa.Column('impact', sa.Integer(), nullable=False),
        sa.Column('owner', sa.String(length=64), nullable=False),
        sa.Column('last_reviewed_at', sa.DateTime(), nullable=True),
        sa.Column('langs', sa.JSON(), nullable=False),
        sa.Column('messages', sa.JSON(), nullable=False),
        sa.Column('segments', sa.JSON(), nullable=False),
        sa.Column('playbook', sa.JSON(), nullable=False),
        sa.Column('exercise_every_days', sa.Integer(), nullable=True),
        sa.Column('last_exercised_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key', name='uq_plan_risks_key'),
    )
    op.create_table(
        'plan_updates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=True),
        sa.Column('risk_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('template', sa.String(length=256), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.Column('origin', sa.String(length=64), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('reviewed_by', sa.String(length=64), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id']),
        sa.ForeignKeyConstraint(['risk_id'], ['plan_risks.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('incident_id', 'origin', name='uq_plan_updates_origin'),
    )
    op.create_index('ix_plan_updates_incident_id', 'plan_updates', ['incident_id'])
    op.create_index('ix_plan_updates_state', 'plan_updates', ['state'])
    op.add_column('postmortem_actions', sa.Column('done_by', sa.String(length=64),
                                                  nullable=True))
    op.add_column('postmortem_actions', sa.Column('reminded', sa.String(length=16),
                                                  nullable=True))
    op.add_column('contacts', sa.Column('confirmed_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contacts') as batch:
        batch.drop_column('confirmed_at')
    with op.batch_alter_table('postmortem_actions') as batch:
        batch.drop_column('reminded')
        batch.drop_column('done_by')
    op.drop_table('plan_updates')
    op.drop_table('plan_risks')
