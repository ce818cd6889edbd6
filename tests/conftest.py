"""Shared fixtures: a migrated store on SQLite and, where a server is given, PostgreSQL.

CI starts a throwaway PostgreSQL cluster and sets CRISISWATCH_TEST_POSTGRES_URL; there,
CRISISWATCH_REQUIRE_POSTGRES=1 turns a missing server into a failure instead of a skip.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from store import Store

PG_URL = os.environ.get("CRISISWATCH_TEST_POSTGRES_URL")


def _postgres_store() -> Store:
    if not PG_URL:
        if os.environ.get("CRISISWATCH_REQUIRE_POSTGRES") == "1":
            pytest.fail("CRISISWATCH_REQUIRE_POSTGRES=1 but CRISISWATCH_TEST_POSTGRES_URL unset")
        pytest.skip("no PostgreSQL server (set CRISISWATCH_TEST_POSTGRES_URL)")
    name = "cw_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return Store(PG_URL.rsplit("/", 1)[0] + "/" + name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> Store:
    """A freshly migrated, empty store on each database engine."""
    if request.param == "sqlite":
        s = Store("sqlite:///" + str(tmp_path / "test.db"))
    else:
        s = _postgres_store()
    s.upgrade()
    yield s
    s.engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path) -> Store:
    """A second, SQLite-only store (a reference to compare the `store` fixture with)."""
    s = Store("sqlite:///" + str(tmp_path / "reference.db"))
    s.upgrade()
    return s
