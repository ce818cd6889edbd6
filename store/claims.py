"""Claiming work so that many workers on PostgreSQL never do the same thing twice.

- ``try_lock(session, name)``: a transaction-scoped advisory lock on PostgreSQL
  (``pg_try_advisory_xact_lock``), released at commit or rollback, so a crashed worker's
  claim is gone with its connection. Used where one worker at a time must run a stage
  (detection walks minutes in order; drafting upserts one set of drafts; a source's cursor
  moves forward once). SQLite has one writer at a time anyway, so there it is always True.
  ``wait_for_lock`` is the same lock, waited for.
- ``skip_locked(query, *tables)``: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers
  claim disjoint rows of a queue (mentions waiting for a score); unchanged on SQLite.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def _key(name: str) -> int:
    """A stable signed 64-bit key for the lock's name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def try_lock(session: Session, name: str) -> bool:
    """True when this transaction now holds the lock ``name`` (or the engine has no need)."""
    if not is_postgres(session):
        return True
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                {"k": _key(name)}).scalar())


def wait_for_lock(session: Session, name: str) -> None:
    """Wait until this transaction holds the lock ``name`` (PostgreSQL; SQLite serialises
    writers already): for work that must queue rather than be skipped."""
    if is_postgres(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key(name)})


def skip_locked(session: Session, query, *of):
    """``query`` claiming its rows (of the tables ``of``) for this transaction."""
    if not is_postgres(session):
        return query
    return query.with_for_update(skip_locked=True, of=of or None)
