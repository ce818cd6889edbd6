"""Migration 0006 (issue 19): the plan's tables and columns arrive on a store holding
contacts and post-mortem actions without touching them, and go away on downgrade. Both
engines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, text

from store.db import downgrade, upgrade

T0 = datetime(2026, 3, 10, 10, 0)


def columns(engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_plan_tables_arrive_and_leave_with_existing_rows_kept(empty_store):
    engine = empty_store.engine
    upgrade(engine, "0005")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO contacts (name, organisation, email, lang, tz, owner, segments, "
            "created_at, updated_at) VALUES ('Ana', 'Nimbus', 'ana@x.example', 'fr', "
            "'Europe/Paris', '', '[\"staff\"]', :t, :t)"), {"t": T0})
        conn.execute(text(
            "INSERT INTO incidents (title, crisis_type, severity, phase, declared_at, "
            "declared_by, impact, known, unknown, actions, translations, version) VALUES "
            "('Login outage', 'outage', 'major', 'resolved', :t, 'lead', '', '', '', '', "
            "'{}', 1)"), {"t": T0})
        conn.execute(text(
            "INSERT INTO postmortem_actions (incident_id, text, owner, created_by, created_at)"
            " VALUES (1, 'Add a standby', 'tech_lead', 'lead', :t)"), {"t": T0})
    upgrade(engine, "0006")
    assert {"plan_risks", "plan_updates"} <= set(inspect(engine).get_table_names())
    assert {"done_by", "reminded"} <= columns(engine, "postmortem_actions")
    assert "confirmed_at" in columns(engine, "contacts")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name, confirmed_at FROM contacts")).one() == \
            ("Ana", None)
        assert conn.execute(text("SELECT text, reminded, done_by FROM postmortem_actions")
                            ).one() == ("Add a standby", None, None)

    downgrade(engine, "0005")
    assert not {"plan_risks", "plan_updates"} & set(inspect(engine).get_table_names())
    assert not {"done_by", "reminded"} & columns(engine, "postmortem_actions")
    assert "confirmed_at" not in columns(engine, "contacts")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM postmortem_actions")).scalar_one() == 1
        assert conn.execute(text("SELECT name FROM contacts")).scalar_one() == "Ana"
