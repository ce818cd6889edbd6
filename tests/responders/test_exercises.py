"""Team exercises at store level: start (one at a time, checked input), the feed playing a
scenario or a recording at speed, injects (a question, an ETA that slips), finish with the
scorecard kept and the exercise's incident resolved."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from collectors.exercise import CALM_BEFORE, LEAD_IN, ExerciseFeed
from collectors.ingest import collect_once
from responders import exercises
from responders.exercises import ExerciseError
from responders.incidents import declare
from signals.alerts import acknowledge
from store.models import (
    AlertRow,
    ExerciseRow,
    IncidentRow,
    MentionRow,
    TicketCountRow,
    TimelineRow,
)

NOW = datetime(2026, 6, 2, 14, 0, 20)
BEGINS = datetime(2026, 6, 2, 14, 1)  # the next whole minute


def minutes(n: float) -> datetime:
    return BEGINS + timedelta(minutes=n)


def test_start_checks_its_input_and_runs_one_at_a_time(store):
    with store.session() as s:
        with pytest.raises(ExerciseError, match="name"):
            exercises.start(s, name=" ", actor="fac", now=NOW, speed=5, scenario="outage")
        with pytest.raises(ExerciseError, match="speed"):
            exercises.start(s, name="Q2", actor="fac", now=NOW, speed=3, scenario="outage")
        with pytest.raises(ExerciseError, match="scenario or a recording"):
            exercises.start(s, name="Q2", actor="fac", now=NOW, speed=5)
        with pytest.raises(ExerciseError, match="unknown scenario"):
            exercises.start(s, name="Q2", actor="fac", now=NOW, speed=5, scenario="flood")
        with pytest.raises(ExerciseError, match="no readable post"):
            exercises.start(s, name="Q2", actor="fac", now=NOW, speed=5, recording=[])
        row = exercises.start(s, name="Q2 drill", actor="fac", now=NOW, speed=5,
                              scenario="outage")
        assert row.started_at == BEGINS and row.finished_at is None
        with pytest.raises(ExerciseError, match="still running"):
            exercises.start(s, name="another", actor="fac", now=NOW, speed=1,
                            scenario="data-leak")
    with store.session() as s:
        assert exercises.running(s).name == "Q2 drill"
        assert s.execute(select(func.count()).select_from(ExerciseRow)).scalar_one() == 1


def test_the_feed_plays_a_scenario_at_speed(store):
    with store.session() as s:
        ex_id = exercises.start(s, name="speed 10", actor="fac", now=NOW, speed=10,
                                scenario="outage").id
    feed = ExerciseFeed(store)
    # Nothing before the first whole minute but the calm hours (dated in the past).
    collect_once(store, feed, "exercise", BEGINS)
    with store.session() as s:
        first, last = s.execute(select(func.min(MentionRow.created_at),
                                       func.max(MentionRow.created_at))).one()
    assert BEGINS - CALM_BEFORE <= first and last < BEGINS
    # 3 real minutes at speed 10: 30 simulated ones, the crisis 10 simulated minutes in.
    collect_once(store, feed, "exercise", minutes(3) + timedelta(seconds=40))
    with store.session() as s:
        played = s.execute(select(MentionRow.created_at, MentionRow.external_id).where(
            MentionRow.created_at >= BEGINS)).all()
        tickets = dict(s.execute(select(TicketCountRow.minute, TicketCountRow.count).where(
            TicketCountRow.minute >= BEGINS)).all())
    assert played and max(at for at, _ in played) < minutes(3)
    assert all(ext.startswith(f"ex{ex_id}:") for _, ext in played)
    # Once the crisis is on (real minute 2 covers simulated 20-30), a real minute carries
    # ten simulated minutes of chatter and tickets.
    per_minute = {m: sum(1 for at, _ in played if minutes(m) <= at < minutes(m + 1))
                  for m in range(3)}
    assert per_minute[2] > 3 * per_minute[0] > 0
    assert set(tickets) <= {minutes(0), minutes(1), minutes(2)}
    assert tickets[minutes(2)] > tickets[minutes(0)]
    # A second fetch at the same time adds nothing (the cursor names the exercise).
    assert collect_once(store, feed, "exercise", minutes(3) + timedelta(seconds=50)) == 0
    assert LEAD_IN == timedelta(minutes=10)


def test_the_feed_plays_a_recording_and_stops_when_finished(store):
    raw = [{"id": f"p{i}", "text": f"is the app down? #{i}", "author": f"u{i}",
            "created_at": f"2024-07-19T04:{10 * i:02d}:00Z"} for i in range(6)]
    raw += ["{broken", {"id": "nodate", "text": "no time"}]
    good, bad = exercises.readable_records(raw)
    assert (len(good), bad) == (6, 2)
    with store.session() as s:
        ex = exercises.start(s, name="CrowdStrike day", actor="fac", now=NOW, speed=10,
                             recording=good, recording_name="crowdstrike.jsonl")
    feed = ExerciseFeed(store)
    # Recorded every 10 minutes, played at speed 10: one a minute from BEGINS.
    assert collect_once(store, feed, "exercise", minutes(2) + timedelta(seconds=30)) == 3
    with store.session() as s:
        exercises.finish(s, s.get(ExerciseRow, ex.id), actor="fac", now=minutes(3))
    assert collect_once(store, feed, "exercise", minutes(9)) == 0


def test_injects_and_finish_keep_the_scorecard(store):
    with store.session() as s:
        ex = exercises.start(s, name="Q3", actor="fac", now=NOW, speed=1, scenario="outage")
        with pytest.raises(ExerciseError, match="no incident"):
            exercises.inject_eta_slip(s, ex, minutes=30, actor="fac", now=minutes(2))
        with pytest.raises(ExerciseError, match="text"):
            exercises.inject_question(s, ex, text=" ", author="Le Monde", followers=10,
                                      actor="fac", now=minutes(2))
        exercises.inject_question(s, ex, text="@nimbushq Is customer data exposed?",
                                  author="jdupont_lemonde", followers=120_000,
                                  actor="fac", now=minutes(3))
        alert = AlertRow(opened_at=minutes(4), updated_at=minutes(4), severity="high",
                         kinds=["volume"], title="spike", evidence={})
        s.add(alert)
        s.flush()
        acknowledge(s, alert, actor="ana", now=minutes(6))
        incident = declare(s, title="Login down", crisis_type="outage", severity="major",
                           actor="ana", now=minutes(9), alert=alert)
        incident.eta = minutes(40)
        exercises.inject_eta_slip(s, ex, minutes=45, actor="fac", now=minutes(20))
        assert incident.eta == minutes(85)
        ex_id, incident_id = ex.id, incident.id
    with store.session() as s:
        question = s.execute(select(MentionRow).where(
            MentionRow.external_id == f"ex{ex_id}:inject-1")).scalar_one()
        assert question.author == "jdupont_lemonde" and question.created_at == minutes(3)
        kinds = [i.kind for i in exercises.injects(s, ex_id)]
        assert kinds == ["question", "eta_slip"]
        card = exercises.finish(s, s.get(ExerciseRow, ex_id), actor="fac", now=minutes(30))
        with pytest.raises(ExerciseError, match="already finished"):
            exercises.finish(s, s.get(ExerciseRow, ex_id), actor="fac", now=minutes(31))
    assert card["time_to_ack_s"] == 120 and card["time_to_declare_s"] == 300
    assert card["time_to_first_public_statement_s"] is None
    with store.session() as s:
        ex = s.get(ExerciseRow, ex_id)
        assert ex.scorecard == card and ex.finished_by == "fac"
        assert exercises.running(s) is None
        incident = s.get(IncidentRow, incident_id)
        assert incident.phase == "resolved"  # the cockpit leaves exercise mode clean
        assert s.execute(select(AlertRow.status)).scalar_one() == "closed"
        assert s.execute(select(TimelineRow.kind).where(
            TimelineRow.incident_id == incident_id, TimelineRow.kind == "exercise")
        ).scalar_one() == "exercise"
        assert [e.id for e in exercises.history(s)] == [ex_id]
