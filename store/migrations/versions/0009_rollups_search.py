"""per-minute roll-ups and text search (issue 17)

- ``mention_minutes``: scored mentions counted per minute of ``created_at`` and per source,
  sentiment label, language, crisis type and rumour flag (rumour score >= 0.5, the threshold
  of ``sentiment.rumour``; ``store.rollups.RUMOUR_THRESHOLD`` is tested against it). Kept by
  triggers on ``scores``, so every writer (the scoring stage, a repair script, a test) moves
  it in the transaction that writes the scores: a score rolled back is never counted, one
  that commits is counted once. On PostgreSQL the triggers run once per statement over the
  transition table and upsert the keys in sorted order, so concurrent scorers queue on a
  row instead of deadlocking. Missing language or crisis type is stored as '' (the primary
  key holds no NULL). Backfilled here from the scores already stored.
- ``ix_mentions_source_created_at``: the newest mentions of one source read in index order
  instead of sorting every mention of that source.
- Text search on ``mentions.text``: on SQLite an FTS5 index (external content, kept in step
  by triggers on insert, delete and update of the text; skipped when the SQLite build has no
  FTS5, the dashboard then falls back to LIKE); on PostgreSQL a GIN index over
  ``to_tsvector('simple', text)``, which PostgreSQL maintains itself.

A later migration that rebuilds ``mentions`` or ``scores`` on SQLite (``batch_alter_table``
copies the table) drops their triggers with it: it must create them again (the DDL below).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

RUMOUR = 0.5
KEY = "minute, source, label, lang, crisis_type, rumour"

# --- SQLite: row triggers (one writer at a time, no lock order to keep) -------------------

SQLITE_MINUTE = "strftime('%Y-%m-%d %H:%M:00.000000', m.created_at)"


def _sqlite_change(row: str, sign: str) -> str:
    """The upsert adding (sign '+') or removing (sign '-') the score `row` (new or old)."""
    return (
        f"INSERT INTO mention_minutes ({KEY}, mentions) "
        f"SELECT {SQLITE_MINUTE}, m.source, {row}.label, coalesce({row}.lang, ''), "
        f"coalesce({row}.crisis_type, ''), {row}.rumour >= {RUMOUR}, {sign}1 "
        f"FROM mentions m WHERE m.id = {row}.mention_id "
        f"ON CONFLICT ({KEY}) DO UPDATE SET mentions = mentions + excluded.mentions;"
    )


SQLITE_TRIGGERS = (
    "CREATE TRIGGER scores_rollup_insert AFTER INSERT ON scores BEGIN "
    + _sqlite_change("new", "") + " END",
    "CREATE TRIGGER scores_rollup_delete AFTER DELETE ON scores BEGIN "
    + _sqlite_change("old", "-") + " END",
    "CREATE TRIGGER scores_rollup_update AFTER UPDATE ON scores BEGIN "
    + _sqlite_change("old", "-") + " " + _sqlite_change("new", "") + " END",
)

FTS_TABLE = (
    "CREATE VIRTUAL TABLE mentions_fts USING fts5("
    "text, content='mentions', content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
)
FTS_TRIGGERS = (
    ("CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions BEGIN "
     "INSERT INTO mentions_fts(rowid, text) VALUES (new.id, new.text); END"),
    ("CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions BEGIN "
     "INSERT INTO mentions_fts(mentions_fts, rowid, text) "
     "VALUES ('delete', old.id, old.text); END"),
    ("CREATE TRIGGER mentions_fts_update AFTER UPDATE OF text ON mentions BEGIN "
     "INSERT INTO mentions_fts(mentions_fts, rowid, text) "
     "VALUES ('delete', old.id, old.text); "
     "INSERT INTO mentions_fts(rowid, text) VALUES (new.id, new.text); END"),
)

# --- PostgreSQL: statement triggers over the transition tables -----------------------------


def _pg_change(table: str, sign: str) -> str:
    return (
        f"INSERT INTO mention_minutes AS mm ({KEY}, mentions) "
        f"SELECT date_trunc('minute', m.created_at), m.source, s.label, "
        f"coalesce(s.lang, ''), coalesce(s.crisis_type, ''), s.rumour >= {RUMOUR}, "
        f"{sign}count(*) FROM {table} s JOIN mentions m ON m.id = s.mention_id "
        f"GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6 "
        f"ON CONFLICT ({KEY}) DO UPDATE SET mentions = mm.mentions + excluded.mentions;"
    )


PG_FUNCTIONS = {
    "mention_minutes_insert": _pg_change("new_scores", ""),
    "mention_minutes_delete": _pg_change("old_scores", "-"),
    "mention_minutes_update": _pg_change("old_scores", "-") + _pg_change("new_scores", ""),
}
PG_TRIGGERS = {
    "mention_minutes_insert": "AFTER INSERT ON scores REFERENCING NEW TABLE AS new_scores",
    "mention_minutes_delete": "AFTER DELETE ON scores REFERENCING OLD TABLE AS old_scores",
    "mention_minutes_update": "AFTER UPDATE ON scores "
                              "REFERENCING OLD TABLE AS old_scores NEW TABLE AS new_scores",
}


def _sql(statement: str) -> None:
    # Straight to the driver: the DDL holds colons (strftime, $$) that text() would read
    # as bind parameters.
    op.get_bind().exec_driver_sql(statement)


def upgrade() -> None:
    op.create_table(
        'mention_minutes',
        sa.Column('minute', sa.DateTime(), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('label', sa.String(length=16), nullable=False),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('crisis_type', sa.String(length=32), nullable=False),
        sa.Column('rumour', sa.Boolean(), nullable=False),
        sa.Column('mentions', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('minute', 'source', 'label', 'lang', 'crisis_type', 'rumour'),
    )
    op.create_index('ix_mention_minutes_lang', 'mention_minutes', ['lang'])
    op.create_index('ix_mentions_source_created_at', 'mentions', ['source', 'created_at'])
    postgres = op.get_bind().dialect.name == 'postgresql'
    minute = "date_trunc('minute', m.created_at)" if postgres else SQLITE_MINUTE
    _sql(
        f"INSERT INTO mention_minutes ({KEY}, mentions) "
        f"SELECT {minute}, m.source, s.label, coalesce(s.lang, ''), "
        f"coalesce(s.crisis_type, ''), s.rumour >= {RUMOUR}, count(*) "
        "FROM mentions m JOIN scores s ON s.mention_id = m.id "
        "GROUP BY 1, 2, 3, 4, 5, 6"
    )
    if postgres:
        for name, body in PG_FUNCTIONS.items():
            # OR REPLACE: Store.reset drops the tables (and their triggers), not functions
            _sql(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                       f"$$ BEGIN {body} RETURN NULL; END $$")
            _sql(f"CREATE TRIGGER {name} {PG_TRIGGERS[name]} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
        _sql("CREATE INDEX ix_mentions_text_search ON mentions "
                   "USING gin (to_tsvector('simple', text))")
        return
    for ddl in SQLITE_TRIGGERS:
        _sql(ddl)
    try:
        _sql(FTS_TABLE)
    except sa.exc.OperationalError as exc:  # a SQLite build without FTS5: LIKE it is
        if 'no such module' not in str(exc):
            raise
        return
    for ddl in FTS_TRIGGERS:
        _sql(ddl)
    _sql("INSERT INTO mentions_fts(mentions_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _sql("DROP INDEX IF EXISTS ix_mentions_text_search")
        for name in PG_FUNCTIONS:
            _sql(f"DROP TRIGGER IF EXISTS {name} ON scores")
            _sql(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in ('insert', 'delete', 'update'):
            _sql(f"DROP TRIGGER IF EXISTS mentions_fts_{name}")
            _sql(f"DROP TRIGGER IF EXISTS scores_rollup_{name}")
        _sql("DROP TABLE IF EXISTS mentions_fts")
    op.drop_index('ix_mentions_source_created_at', table_name='mentions')
    op.drop_table('mention_minutes')
