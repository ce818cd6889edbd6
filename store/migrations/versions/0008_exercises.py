"""team exercises, injects and scorecards (issue 19)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'exercises',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('scenario', sa.String(length=32), nullable=True),
        sa.Column('seed', sa.Integer(), nullable=True),
        sa.Column('recording_name', sa.String(length=256), nullable=True),
        sa.Column('recording', sa.JSON(), nullable=True),
        sa.Column('speed', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('started_by', sa.String(length=64), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('finished_by', sa.String(length=64), nullable=True),
        sa.Column('scorecard', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_exercises_started_at', 'exercises', ['started_at'])
    op.create_table(
        'exercise_injects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('exercise_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_exercise_injects_exercise_id', 'exercise_injects', ['exercise_id'])


def downgrade() -> None:
    op.drop_index('ix_exercise_injects_exercise_id', table_name='exercise_injects')
    op.drop_table('exercise_injects')
    op.drop_index('ix_exercises_started_at', table_name='exercises')
    op.drop_table('exercises')
