"""Saving what collectors fetch: idempotent, with the cursor in the same transaction.

Because the cursor commits together with the mentions it covers, a process killed at any
moment restarts from a cursor that matches the store: nothing lost, nothing twice.

NUL characters are removed from everything saved: PostgreSQL refuses them in text and
JSON, and one such post would otherwise fail its whole batch, and the source, forever.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from collectors.base import Batch, Collector, CollectorError
from store.bulk import insert_mentions
from store.claims import try_lock
from store.models import CursorRow, QuarantineRow, TicketCountRow

log = logging.getLogger("crisiswatch")


def _insert(session: Session, table):
    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)


def _no_nul(value):
    """`value` with every NUL character removed from its strings, dict keys included."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, (dict, list, tuple)) and not _may_hold_nul(value):
        return value  # the common case, checked by the C encoder: no walk in Python
    if isinstance(value, dict):
        return {_no_nul(k): _no_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_no_nul(v) for v in value]
    return value


def _may_hold_nul(value) -> bool:
    """False when no string inside `value` (keys included) holds a NUL: its JSON has no
    ``\\u0000`` escape (a literal backslash-u0000 in a text only makes this say True)."""
    try:  # default=str: other values (datetimes) are left as they are below anyway
        return "\\u0000" in json.dumps(value, default=str)
    except (TypeError, ValueError, RecursionError):  # keys that JSON refuses, cycles
        return True


def save_batch(session: Session, source: str, query: str, batch: Batch, now: datetime) -> int:
    """Store one batch and advance the cursor; returns how many mentions were new."""
    new = 0
    if batch.mentions:
        rows = [
            _no_nul({
                "source": m.source, "external_id": m.external_id, "url": m.url,
                "author": m.author, "author_followers": m.author_followers, "text": m.text,
                "lang": m.lang, "created_at": m.created_at, "collected_at": now,
                "metrics": m.metrics, "in_reply_to": m.in_reply_to, "raw": m.raw,
            })
            for m in batch.mentions
        ]
        new = len(insert_mentions(session, rows))
    for t in batch.tickets:
        stmt = _insert(session, TicketCountRow).values(
            source=t.source, minute=t.minute, channel=_no_nul(t.channel), count=t.count,
            subjects=_no_nul(list(t.subjects)),
        )
        # A re-fetched minute replaces its count: the source is the authority on it.
        session.execute(stmt.on_conflict_do_update(
            index_elements=["source", "minute", "channel"],
            set_={"count": stmt.excluded.count, "subjects": stmt.excluded.subjects},
        ))
    for payload, error in batch.quarantined:
        session.add(QuarantineRow(source=source, payload=_no_nul(payload), error=_no_nul(error),
                                  created_at=now))
    if batch.cursor is not None:
        cursor = session.get(CursorRow, (source, query))
        if cursor is None:
            session.add(CursorRow(source=source, query=query, position=batch.cursor,
                                  updated_at=now))
        else:
            cursor.position, cursor.updated_at = batch.cursor, now
    return new


def collect_once(store, collector: Collector, query: str, now: datetime) -> int:
    """Fetch everything new for (collector, query) and store it batch by batch.

    Each batch commits on its own, so a failure midway keeps what was already saved.
    Raises CollectorError as the collector raised it; callers decide what a permanent
    error means for the other sources. One worker at a time collects a source: the claim
    is an advisory lock held by a transaction open for the whole fetch (released with its
    connection if the worker dies); a worker that finds it taken returns 0.
    """
    with store.session() as claim:
        if not try_lock(claim, f"collect:{collector.name}:{query}"):
            return 0
        with store.session() as session:
            row = session.execute(
                select(CursorRow).where(CursorRow.source == collector.name,
                                        CursorRow.query == query)
            ).scalar_one_or_none()
            cursor = row.position if row else None
        new = 0
        for batch in collector.fetch(query, cursor, now):
            with store.session() as session:
                new += save_batch(session, collector.name, query, batch, now)
        return new


def quarantine(payload: object, error: Exception | str) -> tuple[str, str]:
    """A (raw, error) pair for Batch.quarantined, whatever the payload's type; always
    storable (lone surrogates and undecodable bytes written as backslash escapes)."""
    if isinstance(payload, str):
        raw = payload
    else:
        try:
            raw = json.dumps(payload, default=str)  # ASCII: surrogates become \ud800
        except (RecursionError, ValueError, TypeError):
            raw = f"<unserialisable {type(payload).__name__}>"
    return _storable(raw), _storable(str(error))


def _storable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


MAX_DEPTH = 32  # no record a collector reads is nested deeper


def text_problem(value, _depth: int = 0) -> str | None:
    """Why `value` (a decoded record) cannot be stored as it is, or None: a lone surrogate
    (from a JSON "\ud800" escape, or an undecodable byte read with surrogateescape) in any
    string or key, or nesting deeper than MAX_DEPTH. Per-record validation, so one bad
    record is quarantined instead of failing the whole batch."""
    if _depth > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (f"invalid text at character {exc.start}: undecodable byte or lone "
                    f"surrogate {value[exc.start]!r}")
        return None
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    for item in items:
        if (problem := text_problem(item, _depth + 1)) is not None:
            return problem
    return None


__all__ = ["CollectorError", "collect_once", "no_nul", "quarantine", "save_batch",
           "text_problem"]

no_nul = _no_nul


@dataclass
class Collecting:
    """Stage: fetch every (collector, query) source in turn. A failing source is logged,
    kept in ``errors`` (source name -> message) and skipped, never fatal to the others."""

    sources: list[tuple[Collector, str]]
    errors: dict[str, str] = field(default_factory=dict)

    def run_once(self, store, now: datetime) -> int:
        new = 0
        for collector, query in self.sources:
            try:
                new += collect_once(store, collector, query, now)
                self.errors.pop(collector.name, None)
            except CollectorError as exc:
                self.errors[collector.name] = str(exc)
                log.warning("source %s failed (%s): %s", collector.name,
                            "permanent" if exc.permanent else "transient", exc)
            except Exception as exc:
                self.errors[collector.name] = f"unexpected error: {exc!r}"
                log.exception("source %s failed unexpectedly", collector.name)
        return new
