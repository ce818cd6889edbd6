"""Storing inbound support tickets, shared by the signed webhook and the CSV import.

`accept(store, items, now, source)` validates each ticket on its own (a lone surrogate,
nesting, no id, an implausible time: quarantined, the good tickets beside it stored; NULs
stripped as for mentions), stores each once per (source, id) and recounts the minutes it
touched, in one transaction.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from collectors.backoff import naive_utc
from collectors.base import Batch, TicketCount
from collectors.ingest import _insert, no_nul, quarantine, save_batch, text_problem
from store.claims import is_postgres, wait_for_lock
from store.models import InboundTicketRow


def accept(store, items: list, now: datetime, source: str) -> dict:
    """Store tickets once each and recount the minutes they touch; one transaction.
    Also the path of a CSV import (`source="csv-import"`): re-importing is harmless."""
    bad, fresh = [], 0
    buckets: set[tuple[datetime, str]] = set()
    with store.session() as session:
        for item in items:
            # Validated one by one: a bad ticket is quarantined, the good ones beside it
            # are stored (a batch is never refused, and retried forever, for one record).
            try:
                if (problem := text_problem(item)) is not None:
                    raise ValueError(problem)
                row = no_nul(_ticket(item, source))
            except Exception as exc:  # noqa: BLE001 - any unreadable ticket is quarantined
                bad.append(quarantine(item, f"webhook: {exc!r}"))
                continue
            stmt = _insert(session, InboundTicketRow).values(**row, received_at=now)
            try:
                with savepoint(session):
                    inserted = session.execute(stmt.on_conflict_do_nothing(
                        index_elements=["source", "external_id"])
                        .returning(InboundTicketRow.id)).all()
            except DBAPIError as exc:  # what the database refuses, it refuses for this one
                bad.append(quarantine(item, f"webhook: refused by the database: "
                                            f"{type(exc.orig).__name__}"))
                continue
            fresh += len(inserted)
            if inserted:
                buckets.add((row["minute"], row["channel"]))
        counts = [recount(session, source, minute, channel)
                  for minute, channel in sorted(buckets)]
        save_batch(session, source, source, Batch(tickets=counts, quarantined=bad), now)
    return {"accepted": fresh, "duplicates": len(items) - fresh - len(bad),
            "quarantined": len(bad)}


def savepoint(session: Session):
    """A savepoint on PostgreSQL, where a refused row aborts the whole transaction. Not on
    SQLite: pysqlite's SAVEPOINT would start and commit a transaction of its own, breaking
    the batch's atomicity (and the recount's lock); SQLite refuses nothing the per-record
    validation lets through."""
    if is_postgres(session):
        return session.begin_nested()
    return nullcontext()


def recount(session: Session, source: str, minute: datetime, channel: str) -> TicketCount:
    # Two posts for the same minute: the second waits, then sees the first's ticket.
    wait_for_lock(session, f"tickets:{source}|{minute.isoformat()}|{channel}")
    where = (InboundTicketRow.source == source, InboundTicketRow.minute == minute,
             InboundTicketRow.channel == channel)
    n = session.execute(select(func.count()).select_from(InboundTicketRow).where(*where)).scalar()
    subjects = session.execute(select(InboundTicketRow.subject).where(*where)
                               .order_by(InboundTicketRow.id).limit(20)).scalars()
    return TicketCount(source, minute, int(n), channel, tuple(s for s in subjects if s))


def _ticket(item: dict, source: str) -> dict:
    ident = str(item["id"]).strip()
    if not ident or len(ident) > 128:
        raise ValueError("ticket id empty or longer than 128 characters")
    created = naive_utc(item["created_at"])
    if not 2000 <= created.year <= 2100:
        raise ValueError(f"created_at {created.isoformat()} is not a plausible ticket time")
    via = item.get("via")
    channel = item.get("channel") or (via.get("channel") if isinstance(via, dict) else via)
    return {"source": source, "external_id": ident,
            "minute": created.replace(second=0, microsecond=0),
            "channel": str(channel or "unknown")[:32],
            "subject": str(item.get("subject") or "")[:500]}
