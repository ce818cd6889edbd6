"""Helpers shared by the collector tests: an interrupted fetch, and what the store holds."""

from __future__ import annotations

from sqlalchemy import func, select

from store.models import CursorRow, MentionRow, QuarantineRow, TicketCountRow


class Killed(Exception):
    """Stands for the process dying between two batches."""


class Dying:
    """Wraps a collector so its fetch dies after `after` batches were handed out (and so
    saved by collect_once): what a kill -9 between two commits leaves behind."""

    def __init__(self, collector, after: int = 1):
        self.inner, self.after, self.name = collector, after, collector.name

    def fetch(self, query, cursor, now):
        for i, batch in enumerate(self.inner.fetch(query, cursor, now)):
            if i == self.after:
                raise Killed
            yield batch


def external_ids(store, source: str) -> list[str]:
    with store.session() as s:
        return list(s.execute(select(MentionRow.external_id)
                              .where(MentionRow.source == source)).scalars())


def cursor(store, source: str, query: str) -> str | None:
    with store.session() as s:
        row = s.get(CursorRow, (source, query))
        return row.position if row else None


def quarantined(store, source: str) -> list[QuarantineRow]:
    with store.session() as s:
        return list(s.execute(select(QuarantineRow).where(QuarantineRow.source == source))
                    .scalars())


def ticket_counts(store, source: str) -> dict:
    with store.session() as s:
        rows = s.execute(select(TicketCountRow.minute, TicketCountRow.channel,
                                TicketCountRow.count, TicketCountRow.subjects)
                         .where(TicketCountRow.source == source)).all()
    return {(r.minute, r.channel): (r.count, r.subjects) for r in rows}


def count(store, model) -> int:
    with store.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()
