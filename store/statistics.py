"""Planner statistics kept fresh (``ANALYZE``), so the engine picks the right index.

Without them SQLite answers "the newest mentions of one source" by sorting every mention of
that source (757 ms at a million mentions) instead of walking the ``created_at`` index
backwards (7 ms); PostgreSQL's autovacuum analyses on its own, but only some time after a
bulk load. ``analyze(store)`` refreshes them now: on SQLite ``ANALYZE`` with
``analysis_limit`` (a sample of each index, milliseconds even at millions of rows) then
``PRAGMA optimize``; on PostgreSQL ``ANALYZE`` of every table.

``Statistics.run_once(store, now)`` is the periodic form the pipeline loop calls every
cycle: it analyses when ``every`` has passed since its last run or the mentions table grew
by ``growth`` (a share, read from the highest id, which costs one index probe) since then;
on PostgreSQL one worker at a time (an advisory lock; the others skip, and count that
refresh as theirs).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text

from store.claims import try_lock
from store.models import MentionRow

log = logging.getLogger("crisiswatch")

SQLITE_ANALYSIS_LIMIT = 1000  # rows sampled per index: enough for the planner's choices


def analyze(store) -> None:
    """Refresh the planner statistics of every table, now."""
    if store.engine.dialect.name == "postgresql":
        # Autocommit: each table's statistics land as soon as they are computed, and no
        # transaction stays open over the whole database.
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        return
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        conn.exec_driver_sql("ANALYZE")
        conn.exec_driver_sql("PRAGMA optimize")


@dataclass
class Statistics:
    """Stage: ``analyze`` when due (see the module docstring); returns 1 when it ran."""

    every: timedelta = timedelta(hours=1)
    growth: float = 0.2
    last_at: datetime | None = None
    last_size: int = 0

    def run_once(self, store, now: datetime) -> int:
        with store.session() as session:
            size = session.execute(select(func.max(MentionRow.id))).scalar() or 0
            due = (self.last_at is None or now - self.last_at >= self.every
                   or size > self.last_size * (1 + self.growth))
            if not due:
                return 0
            if not try_lock(session, "statistics"):
                # Another worker is analysing right now: that is this period's refresh too
                # (else every worker runs its own just after, N times an hour for N workers).
                self.last_at, self.last_size = now, size
                return 0
            analyze(store)
        self.last_at, self.last_size = now, size
        log.debug("planner statistics refreshed (%d mentions)", size)
        return 1
