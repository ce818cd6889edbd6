"""crisis cell: roles, holders, handovers (issue 19)

The incident's commander, comms lead and tech lead move into the cell's shifts (one truth
for who holds every role): their current values become open shifts from the declaration,
then the three columns are dropped. Downgrade puts the open shifts' holders back.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MOVED = ('commander', 'comms_lead', 'tech_lead')


def upgrade() -> None:
    op.create_table(
        'cell_shifts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('holder', sa.String(length=128), nullable=False),
        sa.Column('via', sa.String(length=16), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('ended_at', sa.DateTime(), nullable=True),
        sa.Column('handed_to', sa.String(length=128), nullable=True),
        sa.Column('note', sa.Text(), server_default='', nullable=False),
        sa.Column('reminded', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_cell_shifts_incident_id', 'cell_shifts', ['incident_id'])
    op.create_index('uq_cell_shifts_open', 'cell_shifts', ['incident_id', 'role'], unique=True,
                    sqlite_where=sa.text('ended_at IS NULL'),
                    postgresql_where=sa.text('ended_at IS NULL'))
    op.create_table(
        'cell_pages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('roster', sa.JSON(), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('level_at', sa.DateTime(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('acknowledged_by', sa.String(length=128), nullable=True),
        sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
        sa.Column('via', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('incident_id', 'role', name='uq_cell_pages_role'),
    )
    op.create_index('ix_cell_pages_incident_id', 'cell_pages', ['incident_id'])
    op.create_table(
        'cell_page_sends',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('page_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('person', sa.String(length=128), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('address', sa.String(length=512), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.Column('at', sa.DateTime(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['page_id'], ['cell_pages.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('page_id', 'level', 'channel', name='uq_cell_page_sends_step'),
    )
    op.create_index('ix_cell_page_sends_page_id', 'cell_page_sends', ['page_id'])
    for role in MOVED:
        op.execute(
            "INSERT INTO cell_shifts (incident_id, role, holder, via, started_at, note, "
            f"reminded) SELECT id, '{role}', {role}, 'assigned', declared_at, '', 0 "
            f"FROM incidents WHERE {role} IS NOT NULL AND {role} <> ''")
    # A plain ALTER TABLE (SQLite >= 3.35 and PostgreSQL): no table rebuild, so the tables
    # pointing at incidents keep their rows whatever the foreign-key setting.
    for role in MOVED:
        op.execute(f"ALTER TABLE incidents DROP COLUMN {role}")


def downgrade() -> None:
    for role in MOVED:
        op.add_column('incidents', sa.Column(role, sa.String(length=64), nullable=True))
        op.execute(
            f"UPDATE incidents SET {role} = (SELECT substr(holder, 1, 64) FROM cell_shifts "
            f"WHERE cell_shifts.incident_id = incidents.id AND cell_shifts.role = '{role}' "
            "AND cell_shifts.ended_at IS NULL)")
    op.drop_index('ix_cell_page_sends_page_id', table_name='cell_page_sends')
    op.drop_table('cell_page_sends')
    op.drop_index('ix_cell_pages_incident_id', table_name='cell_pages')
    op.drop_table('cell_pages')
    op.drop_index('uq_cell_shifts_open', table_name='cell_shifts')
    op.drop_index('ix_cell_shifts_incident_id', table_name='cell_shifts')
    op.drop_table('cell_shifts')
