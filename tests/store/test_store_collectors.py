"""Store migrations and the drill collector: reproducible, idempotent, loss-free."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from collectors.base import Batch
from collectors.drill import DrillCollector, DrillPlan, crisis_intensity
from collectors.ingest import collect_once, quarantine, save_batch
from store.models import CursorRow, MentionRow, QuarantineRow, TicketCountRow

PLAN = DrillPlan("outage", seed=3)
START = PLAN.onset - timedelta(hours=1)


def count(store, model) -> int:
    with store.session() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_migrations_create_every_table(store):
    tables = set(inspect(store.engine).get_table_names())
    assert {"mentions", "scores", "cursors", "quarantine", "ticket_counts", "signals", "alerts",
            "incidents", "timeline", "drafts", "approvals", "deliveries", "status_posts",
            "users", "audit_log", "alembic_version"} <= tables
    store.upgrade()  # a second upgrade is a no-op, not an error


def test_drill_is_reproducible_and_has_a_crisis():
    a = DrillCollector(PLAN, START).minute(PLAN.onset + timedelta(minutes=20))
    b = DrillCollector(PLAN, START).minute(PLAN.onset + timedelta(minutes=20))
    assert a == b
    calm = DrillCollector(PLAN, START).minute(PLAN.onset - timedelta(minutes=20))[0]
    crisis = a[0]
    assert len(crisis) > 3 * max(1, len(calm))
    assert any(m.text.startswith("RT @") for m in crisis), "viral posts get retweeted"
    assert {m.lang for m in crisis} == {"en", "fr"}
    assert crisis_intensity(PLAN, PLAN.onset - timedelta(minutes=1)) == 0


def test_unknown_scenario_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown drill scenario 'flood'"):
        DrillPlan("flood")


def test_collect_is_idempotent_and_resumes_from_cursor(store):
    collector = DrillCollector(PLAN, START)
    now = PLAN.onset + timedelta(minutes=30)
    first = collect_once(store, collector, "q", now)
    assert first == count(store, MentionRow) > 0
    assert collect_once(store, collector, "q", now) == 0  # nothing new
    more = collect_once(store, collector, "q", now + timedelta(minutes=10))
    assert more > 0 and count(store, MentionRow) == first + more
    with store.session() as s:
        cursor = s.get(CursorRow, ("drill", "q"))
        assert cursor.position == (now + timedelta(minutes=9)).isoformat(timespec="minutes")


class Killed(Exception):
    pass


def test_kill_midway_then_restart_loses_and_duplicates_nothing(store, sqlite_store):
    """A process dying between batches restarts from the last committed cursor."""
    now = PLAN.onset + timedelta(minutes=45)
    reference = DrillCollector(PLAN, START)
    collect_once(sqlite_store, reference, "ref", now)
    expected = count(sqlite_store, MentionRow)

    class Dying(DrillCollector):
        def fetch(self, query, cursor, now):
            for i, batch in enumerate(super().fetch(query, cursor, now)):
                if i == 1:
                    raise Killed
                yield batch

    with pytest.raises(Killed):
        collect_once(store, Dying(PLAN, START), "q", now)
    partial = count(store, MentionRow)
    assert 0 < partial < expected
    collect_once(store, DrillCollector(PLAN, START), "q", now)
    assert count(store, MentionRow) == expected
    with store.session() as s:
        ids = s.execute(select(MentionRow.source, MentionRow.external_id)).all()
    assert len(set(ids)) == expected


def test_ticket_counts_are_replaced_not_added_and_bad_payloads_quarantined(store):
    minute = PLAN.onset
    from collectors.base import TicketCount

    with store.session() as s:
        save_batch(s, "desk", "q", Batch(tickets=[TicketCount("desk", minute, 4)]), minute)
    with store.session() as s:
        save_batch(s, "desk", "q", Batch(tickets=[TicketCount("desk", minute, 6)],
                                         quarantined=[quarantine({"id": None}, "no id")]),
                   minute)
    with store.session() as s:
        assert s.execute(select(TicketCountRow.count)).scalar_one() == 6
        q = s.execute(select(QuarantineRow)).scalar_one()
        assert q.error == "no id" and '"id": null' in q.payload


def test_models_and_migrations_agree(store):
    """Every table and column in store.models is created by the migrations, and nothing
    else: a model change without its migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from store.models import Base
    from store.search import include_object

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_nul_characters_are_stripped_not_fatal(store):
    """PostgreSQL refuses NUL in text and JSON: one such post must not stop its whole batch
    (and the source) forever. The invisible character goes; everything else is kept."""
    from collectors.base import Mention, TicketCount

    minute = PLAN.onset
    nul = Mention(source="x", external_id="1\x00", author="a\x00b", text="down\x00 again",
                  created_at=minute, url="https://x.example/1\x00", lang="en\x00",
                  metrics={"k\x00": ["v\x00", 1]}, raw={"text": "down\x00 again", "n": None})
    fine = Mention(source="x", external_id="2", author="c", text="fine", created_at=minute)
    with store.session() as s:
        new = save_batch(s, "x", "q", Batch(
            mentions=[nul, fine], tickets=[TicketCount("desk", minute, 1, subjects=("a\x00",))],
            quarantined=[("{\"t\": \"\x00\"}", "bad\x00")], cursor="c"), minute)
    assert new == 2
    with store.session() as s:
        row = s.execute(select(MentionRow).where(MentionRow.external_id == "1")).scalar_one()
        assert (row.text, row.author, row.url, row.lang) == (
            "down again", "ab", "https://x.example/1", "en")
        assert row.metrics == {"k": ["v", 1]} and row.raw == {"text": "down again", "n": None}
        assert s.execute(select(TicketCountRow.subjects)).scalar_one() == ["a"]
        q = s.execute(select(QuarantineRow)).scalar_one()
        assert (q.payload, q.error) == ('{"t": ""}', "bad")
