"""mention_minutes.reach: the roll-up carries the detector's reach, so detection reads the
roll-up instead of grouping raw mentions (issue 17, part 4)

- ``reach``: the summed reach weight of the mentions counted in the row, each mention
  weighing ``1 + log2(1 + followers / 10000)`` (``signals.detectors.reach_weight``, which
  the store may not import; a test holds the two equal). The detector's reach series is
  this sum over the negative rows.
- ``ix_mention_minutes_minute_label``: (minute, label, rumour, mentions, reach), so the
  dashboard's and the detector's sums by minute read the index alone (SQLite: 4.3 -> 1.5 ms
  of CPU for three hours of a crisis day at 300,000 mentions).
- The roll-up triggers of 0009 are replaced by the same triggers adding the reach; the
  roll-up is rebuilt from the stored scores (its counts do not change, the reach is filled).

SQLite computes ``log2`` with its math functions; a SQLite build without them gets
``log2`` from Python on every connection the product opens (``store.db.make_engine``).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

RUMOUR = 0.5
KEY = "minute, source, label, lang, crisis_type, rumour"
SQLITE_MINUTE = "strftime('%Y-%m-%d %H:%M:00.000000', m.created_at)"
SQLITE_WEIGHT = "1 + log2(1 + max(coalesce(m.author_followers, 0), 0) / 10000.0)"
PG_WEIGHT = ("1 + ln(1 + greatest(coalesce(m.author_followers, 0), 0) / 10000.0::float8)"
             " / ln(2.0::float8)")


def _sqlite_change(row: str, sign: str, reach: bool) -> str:
    weight = SQLITE_WEIGHT if reach else "0"
    return (
        f"INSERT INTO mention_minutes ({KEY}, mentions{', reach' if reach else ''}) "
        f"SELECT {SQLITE_MINUTE}, m.source, {row}.label, coalesce({row}.lang, ''), "
        f"coalesce({row}.crisis_type, ''), {row}.rumour >= {RUMOUR}, {sign}1"
        f"{f', {sign}({weight})' if reach else ''} "
        f"FROM mentions m WHERE m.id = {row}.mention_id "
        f"ON CONFLICT ({KEY}) DO UPDATE SET mentions = mentions + excluded.mentions"
        f"{', reach = reach + excluded.reach' if reach else ''};"
    )


def _sqlite_triggers(reach: bool) -> tuple[str, ...]:
    return (
        "CREATE TRIGGER scores_rollup_insert AFTER INSERT ON scores BEGIN "
        + _sqlite_change("new", "", reach) + " END",
        "CREATE TRIGGER scores_rollup_delete AFTER DELETE ON scores BEGIN "
        + _sqlite_change("old", "-", reach) + " END",
        "CREATE TRIGGER scores_rollup_update AFTER UPDATE ON scores BEGIN "
        + _sqlite_change("old", "-", reach) + " " + _sqlite_change("new", "", reach) + " END",
    )


def _pg_change(table: str, sign: str, reach: bool) -> str:
    return (
        f"INSERT INTO mention_minutes AS mm ({KEY}, mentions{', reach' if reach else ''}) "
        f"SELECT date_trunc('minute', m.created_at), m.source, s.label, "
        f"coalesce(s.lang, ''), coalesce(s.crisis_type, ''), s.rumour >= {RUMOUR}, "
        f"{sign}count(*){f', {sign}sum({PG_WEIGHT})' if reach else ''} "
        f"FROM {table} s JOIN mentions m ON m.id = s.mention_id "
        f"GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6 "
        f"ON CONFLICT ({KEY}) DO UPDATE SET mentions = mm.mentions + excluded.mentions"
        f"{', reach = mm.reach + excluded.reach' if reach else ''};"
    )


def _pg_functions(reach: bool) -> dict[str, str]:
    return {
        "mention_minutes_insert": _pg_change("new_scores", "", reach),
        "mention_minutes_delete": _pg_change("old_scores", "-", reach),
        "mention_minutes_update": (_pg_change("old_scores", "-", reach)
                                   + _pg_change("new_scores", "", reach)),
    }


def _sql(statement: str) -> None:
    # Straight to the driver: the DDL holds colons (strftime, $$, ::) that text() would
    # read as bind parameters.
    op.get_bind().exec_driver_sql(statement)


def _replace_triggers(reach: bool) -> None:
    if op.get_bind().dialect.name == 'postgresql':
        # The triggers call these functions by name: replacing the bodies is enough.
        for name, body in _pg_functions(reach).items():
            _sql(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                 f"$$ BEGIN {body} RETURN NULL; END $$")
        return
    for name in ('insert', 'delete', 'update'):
        _sql(f"DROP TRIGGER IF EXISTS scores_rollup_{name}")
    for ddl in _sqlite_triggers(reach):
        _sql(ddl)


def _rebuild(reach: bool) -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    minute = "date_trunc('minute', m.created_at)" if postgres else SQLITE_MINUTE
    weight = PG_WEIGHT if postgres else SQLITE_WEIGHT
    _sql("DELETE FROM mention_minutes")
    _sql(
        f"INSERT INTO mention_minutes ({KEY}, mentions{', reach' if reach else ''}) "
        f"SELECT {minute}, m.source, s.label, coalesce(s.lang, ''), "
        f"coalesce(s.crisis_type, ''), s.rumour >= {RUMOUR}, count(*)"
        f"{f', sum({weight})' if reach else ''} "
        "FROM mentions m JOIN scores s ON s.mention_id = m.id "
        "GROUP BY 1, 2, 3, 4, 5, 6"
    )


def upgrade() -> None:
    op.add_column('mention_minutes', sa.Column('reach', sa.Float(), nullable=False,
                                               server_default='0'))
    op.create_index('ix_mention_minutes_minute_label', 'mention_minutes',
                    ['minute', 'label', 'rumour', 'mentions', 'reach'])
    _replace_triggers(reach=True)
    _rebuild(reach=True)


def downgrade() -> None:
    op.drop_index('ix_mention_minutes_minute_label', table_name='mention_minutes')
    if op.get_bind().dialect.name == 'postgresql':
        _replace_triggers(reach=False)  # the functions no longer name the column
        op.drop_column('mention_minutes', 'reach')
        return
    # SQLite copies the table to drop a column, and refuses the copy's rename while
    # triggers name the table: they go first and come back without the reach.
    for name in ('insert', 'delete', 'update'):
        _sql(f"DROP TRIGGER IF EXISTS scores_rollup_{name}")
    with op.batch_alter_table('mention_minutes') as batch:
        batch.drop_column('reach')
    _replace_triggers(reach=False)
