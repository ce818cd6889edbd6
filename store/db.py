"""Engine, sessions and schema upgrades.

The URL is handed in by the caller (crisiswatch.settings reads the environment), so every
stage and test chooses its own database: SQLite by default, PostgreSQL in production.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so the dashboard can read
    while the pipeline writes."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            try:  # the roll-up triggers' reach weight (migration 0014) needs log2
                cur.execute("SELECT log2(1)")
            except sqlite3.OperationalError:  # a SQLite built without its math functions
                dbapi_conn.create_function("log2", 1, _log2, deterministic=True)
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _log2(x: float | None) -> float | None:
    return None if x is None or x <= 0 else math.log2(x)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` with Alembic (the only way tables are created)."""
    _alembic(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to `revision` with Alembic (each migration's `downgrade`)."""
    _alembic(engine, "downgrade", revision)


def _alembic(engine: Engine, verb: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, revision)


class Store:
    """The handle stages share: an engine plus a session factory."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def upgrade(self) -> None:
        upgrade(self.engine)

    def reset(self) -> None:
        """Drop everything and migrate again: drills and demos start from an empty store."""
        from store.models import Base

        Base.metadata.drop_all(self.engine)
        with self.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            # The FTS5 index (SQLite) is no model table; its triggers went with `mentions`.
            conn.execute(text("DROP TABLE IF EXISTS mentions_fts"))
        self.upgrade()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
