"""Inserting many mentions at once, each stored once per (source, external_id).

``insert_mentions(session, rows)`` adds the rows (dicts of ``mentions`` columns, no id)
that are not stored yet and returns the ids of those it added, in the transaction of
``session``; rows already stored (or repeated inside ``rows``) are skipped, never updated.

- PostgreSQL: the rows are streamed with ``COPY`` into a temporary table of this connection
  (``mentions_incoming``, created once per connection) and moved in one statement,
  ``INSERT .. SELECT .. ON CONFLICT DO NOTHING RETURNING id``, in their given order (ids
  follow arrival, which the scorer's queue relies on). ``INSERT .. VALUES`` batches bind
  every value through SQLAlchemy and make the server parse a statement of thousands of
  parameters; ``COPY`` streams plain rows (``benchmarks/bench_ingest.py`` measures both).
- SQLite: ``INSERT .. ON CONFLICT DO NOTHING RETURNING id`` through executemany (one
  prepared statement, no network): already the fast path there.
"""

from __future__ import annotations

import json

from sqlalchemy import JSON
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from store.models import MentionRow

STAGING = "mentions_incoming"
COLUMNS = tuple(c.name for c in MentionRow.__table__.columns if c.name != "id")
JSON_COLUMNS = frozenset(c.name for c in MentionRow.__table__.columns
                         if isinstance(c.type, JSON))


def insert_mentions(session: Session, rows: list[dict]) -> list[int]:
    """Store the rows not stored yet; returns the new ids (see the module docstring)."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _copy_insert(session, rows)
    table = MentionRow.__table__  # Core, not the ORM's bulk path: a third of the time
    stmt = (sqlite_insert(table)
            .on_conflict_do_nothing(index_elements=["source", "external_id"])
            .returning(table.c.id))
    return list(session.execute(stmt, rows).scalars())


def _copy_insert(session: Session, rows: list[dict]) -> list[int]:
    columns = ", ".join(COLUMNS)
    conn = session.connection().connection.driver_connection  # psycopg, same transaction
    with conn.cursor() as cur:
        # A temporary table lives as long as the connection: created on its first batch.
        # It copies the column types of `mentions` (no defaults, no sequence).
        cur.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} AS "
                    f"SELECT 0 AS seq, {columns} FROM mentions WITH NO DATA")
        with cur.copy(f"COPY {STAGING} (seq, {columns}) FROM STDIN") as copy:
            for seq, row in enumerate(rows):
                copy.write_row((seq, *(
                    json.dumps(row.get(c)) if c in JSON_COLUMNS else row.get(c)
                    for c in COLUMNS)))
        # Moved and emptied in one statement: the table is empty again for the next batch
        # of this transaction (a failure rolls the copy back with everything else).
        cur.execute(
            f"WITH moved AS (DELETE FROM {STAGING} RETURNING *) "
            f"INSERT INTO mentions ({columns}) SELECT {columns} FROM moved ORDER BY seq "
            "ON CONFLICT (source, external_id) DO NOTHING RETURNING id")
        return [r[0] for r in cur.fetchall()]
