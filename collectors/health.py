"""Per-source health, recorded around a collector without changing how batches are saved.

`Tracked(collector, store)` has the collector's name and `fetch`; it passes batches
through untouched (collect_once still commits each with its cursor) and, when the fetch
finishes or fails, writes one `source_health` row: last success, newest item seen (lag),
totals, last error and whether it was permanent. A success clears the permanent flag.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import select

from collectors.base import Batch, CollectorError
from collectors.ingest import _insert
from store.models import SourceHealthRow


def record(store, source: str, now: datetime, *, collected: int = 0, quarantined: int = 0,
           newest: datetime | None = None, error: str | None = None,
           permanent: bool = False) -> None:
    """One attempt's outcome, in its own transaction."""
    with store.session() as session:
        # Insert-if-missing then lock the row: concurrent webhook posts add up.
        session.execute(_insert(session, SourceHealthRow).values(
            source=source, collected_total=0, quarantined_total=0, permanent=False,
        ).on_conflict_do_nothing(index_elements=["source"]))
        row = session.execute(select(SourceHealthRow).where(SourceHealthRow.source == source)
                              .with_for_update()).scalar_one()
        row.last_attempt_at = now
        row.collected_total = (row.collected_total or 0) + collected
        row.quarantined_total = (row.quarantined_total or 0) + quarantined
        if newest is not None and (row.newest_item_at is None or newest > row.newest_item_at):
            row.newest_item_at = newest
        if error is None:
            row.last_success_at, row.permanent = now, False
        else:
            row.last_error, row.last_error_at, row.permanent = error[:2000], now, permanent


class Tracked:
    """A collector whose every fetch is recorded in `source_health`.

    After a permanent error the source is stopped: fetches raise at once, without calling
    the API, until `cooldown` has passed (someone fixes the credentials meanwhile; a
    refused token is not retried every cycle)."""

    def __init__(self, collector, store, cooldown: timedelta = timedelta(minutes=15)):
        self.inner, self.store, self.cooldown = collector, store, cooldown
        self.name = collector.name

    def __getattr__(self, attr):  # since, check, backoff...: the inner collector's
        return getattr(self.inner, attr)

    def __setattr__(self, attr, value):
        if attr in ("inner", "store", "name", "cooldown"):
            object.__setattr__(self, attr, value)
        else:  # e.g. `since` for a backfill
            setattr(self.inner, attr, value)

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]:
        with self.store.session() as session:
            row = session.get(SourceHealthRow, self.name)
            if row is not None and row.permanent and row.last_error_at \
                    and now < row.last_error_at + self.cooldown:
                retry = row.last_error_at + self.cooldown
                raise CollectorError(f"stopped until {retry:%H:%M} UTC after: {row.last_error}",
                                     permanent=True)
        collected = quarantined = 0
        newest: datetime | None = None
        try:
            for batch in self.inner.fetch(query, cursor, now):
                collected += len(batch.mentions) + sum(t.count for t in batch.tickets)
                quarantined += len(batch.quarantined)
                times = [m.created_at for m in batch.mentions] + [t.minute for t in batch.tickets]
                if times:
                    newest = max([*times, *([newest] if newest else [])])
                yield batch  # collect_once saves it before asking for the next one
        except CollectorError as exc:
            record(self.store, self.name, now, collected=collected, quarantined=quarantined,
                   newest=newest, error=str(exc), permanent=exc.permanent)
            raise
        except Exception as exc:  # a bug or an unclassified fault: visible, then raised
            record(self.store, self.name, now, collected=collected, quarantined=quarantined,
                   newest=newest, error=f"{type(exc).__name__}: {exc}")
            raise
        record(self.store, self.name, now, collected=collected, quarantined=quarantined,
               newest=newest)
