"""Migration 0011 (issue 14): `detector_state` gets the format `version` of its saved state
(rows saved before it are format 1, the earlier detector's, so the detection stage rebuilds
them instead of misreading them) and `updated_at`, without losing the saved state; downgrade
takes both columns away. Both engines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, text

from store.db import downgrade, upgrade

T0 = datetime(2026, 3, 10, 10, 0)


def columns(engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("detector_state")}


def test_detector_state_gets_its_version_and_keeps_what_was_saved(empty_store):
    engine = empty_store.engine
    upgrade(engine, "0010")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO detector_state (name, last_minute, state) "
                          "VALUES ('brand', :t, '{\"seen\": 42}')"), {"t": T0})
    upgrade(engine, "0011")
    assert {"version", "updated_at"} <= columns(engine)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT last_minute, state, version, updated_at "
                                "FROM detector_state")).one()
    assert row.version == 1 and row.updated_at is None
    assert "42" in str(row.state)

    downgrade(engine, "0010")
    assert not {"version", "updated_at"} & columns(engine)
    with engine.connect() as conn:
        assert "42" in str(conn.execute(text("SELECT state FROM detector_state")).scalar_one())
