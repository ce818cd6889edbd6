"""Migration 0007: the incident's commander, comms lead and tech lead move into the crisis
cell's shifts (one truth), and come back on downgrade. Both engines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, text

from store.db import downgrade, upgrade

T0 = datetime(2026, 3, 10, 10, 0)


def test_roles_move_into_the_cell_and_back(empty_store):
    engine = empty_store.engine
    upgrade(engine, "0006")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO incidents (title, crisis_type, severity, phase, declared_at, "
            "declared_by, commander, comms_lead, tech_lead, impact, known, unknown, actions, "
            "translations, version) VALUES ('Login outage', 'outage', 'major', 'fixing', "
            ":t, 'lead', 'Ana', 'lead', NULL, '', '', '', '', '{}', 3)"), {"t": T0})
        conn.execute(text("INSERT INTO timeline (incident_id, at, actor, kind, detail) "
                          "VALUES (1, :t, 'lead', 'declared', 'Declared')"), {"t": T0})
    upgrade(engine, "0007")
    columns = {c["name"] for c in inspect(engine).get_columns("incidents")}
    assert not {"commander", "comms_lead", "tech_lead"} & columns
    with engine.connect() as conn:
        shifts = conn.execute(text(
            "SELECT role, holder, via, started_at, ended_at FROM cell_shifts "
            "ORDER BY role")).all()
        kept = conn.execute(text("SELECT count(*) FROM timeline")).scalar_one()
    assert [(r, h, v, e) for r, h, v, _, e in shifts] == [
        ("commander", "Ana", "assigned", None), ("comms_lead", "lead", "assigned", None)]
    assert {str(s[3])[:16] for s in shifts} == {"2026-03-10 10:00"}
    assert kept == 1  # the incident's other rows are untouched

    downgrade(engine, "0006")
    with engine.connect() as conn:
        back = conn.execute(text(
            "SELECT commander, comms_lead, tech_lead FROM incidents")).one()
    assert tuple(back) == ("Ana", "lead", None)
    assert "cell_shifts" not in inspect(engine).get_table_names()
