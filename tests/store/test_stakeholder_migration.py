"""Migration 0010 (issue 18): broadcasts get their approval draft, `ask_confirm`,
`only_langs` and `created_by` without losing a broadcast already sent (it still asks for
confirmations, in every language), `key_account_reminders` arrives, and downgrade takes all
of it away. Both engines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import inspect, text

from store.db import downgrade, upgrade

T0 = datetime(2026, 3, 10, 10, 0)
NEW = {"draft_id", "ask_confirm", "only_langs", "created_by"}


def columns(engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_broadcast_columns_and_reminders_arrive_and_leave(empty_store):
    engine = empty_store.engine
    upgrade(engine, "0009")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO broadcasts (segments, channels, severity, lang, subject, body, "
            "approved_by, created_at, state) VALUES ('[\"staff\"]', '[\"sms\"]', 'major', "
            "'en', '', 'We are restoring the API.', 'lead', :t, 'active')"), {"t": T0})
    upgrade(engine, "0010")
    assert NEW <= columns(engine, "broadcasts")
    assert "key_account_reminders" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        row = conn.execute(text("SELECT body, state, draft_id, ask_confirm, only_langs, "
                                "created_by FROM broadcasts")).one()
    assert (row.body, row.state, row.draft_id, bool(row.ask_confirm), row.only_langs,
            row.created_by) == ("We are restoring the API.", "active", None, True, None, "")

    downgrade(engine, "0009")
    assert not NEW & columns(engine, "broadcasts")
    assert "key_account_reminders" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM broadcasts")).scalar_one() == (
            "We are restoring the API.")
