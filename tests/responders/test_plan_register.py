"""The crisis plan's register (issue 19): risks ranked by probability x impact, added,
edited, reviewed and deleted through one validator that reports every problem at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from responders import plan
from responders.plan_defaults import DEFAULT_RISKS, seed_default_plan
from store.models import AuditRow, PlanRiskRow

NOW = datetime(2026, 12, 3, 12, 0)


def risk(key, probability, impact, **extra):
    return {"key": key, "crisis_type": "outage", "scenario": f"{key} happens",
            "probability": probability, "impact": impact, "owner": "CTO", **extra}


def test_register_is_sorted_by_risk_then_impact(store):
    with store.session() as s:
        for record in (risk("nuisance", 5, 2), risk("disaster", 2, 5), risk("big", 4, 4),
                       risk("small", 1, 1), risk("also-ten", 5, 2)):
            plan.save(s, record, actor="lead", now=NOW)
    with store.session() as s:
        ranked = [(r.key, plan.score(r)) for r in plan.register(s)]
    # 16 first; at 10 the worse impact (2x5) before the frequent nuisances (5x2), which
    # keep a stable order by key.
    assert ranked == [("big", 16), ("disaster", 10), ("also-ten", 10), ("nuisance", 10),
                      ("small", 1)]


def test_save_adds_then_updates_then_reports_unchanged(store):
    with store.session() as s:
        row, outcome = plan.save(s, risk("outage", 3, 4, messages=[
            {"audience": "status", "phase": "investigating"}]), actor="lead", now=NOW)
        assert outcome == "added" and row.messages == [["status", "investigating"]]
    later = NOW + timedelta(hours=1)
    with store.session() as s:
        _, outcome = plan.save(s, risk("outage", 4, 4, messages=[
            {"audience": "status", "phase": "investigating"}]), actor="ana", now=later)
        assert outcome == "updated"
        _, again = plan.save(s, risk("outage", 4, 4, messages=[
            {"audience": "status", "phase": "investigating"}]), actor="ana", now=later)
        assert again == "unchanged"
    with store.session() as s:
        row = plan.find(s, "outage")
        assert (row.probability, row.updated_by, row.updated_at) == (4, "ana", later)
        actions = [a.action for a in s.execute(select(AuditRow).order_by(AuditRow.id))
                   .scalars()]
        assert actions == ["plan.add", "plan.edit"]


def test_create_only_refuses_an_existing_key(store):
    with store.session() as s:
        plan.save(s, risk("outage", 3, 3), actor="lead", now=NOW)
    with store.session() as s, pytest.raises(plan.PlanError, match="already exists"):
        plan.save(s, risk("outage", 1, 1), actor="lead", now=NOW, create_only=True)


def test_validation_lists_every_problem_and_writes_nothing(store):
    bad = {"key": "Bad Key", "crisis_type": "meteor", "scenario": "", "probability": 7,
           "impact": "high", "owner": "CTO", "segments": ["staff", "aliens"],
           "languages": ["de"], "messages": [{"audience": "fax", "phase": "fixing"},
                                             {"audience": "status", "phase": "later"}],
           "playbook": {"janitor": ["mop"], "legal": [""]}, "exercise_every_days": 0,
           "last_reviewed": "yesterday", "colour": "red"}
    with store.session() as s, pytest.raises(plan.PlanError) as err:
        plan.save(s, bad, actor="lead", now=NOW)
    reasons = "\n".join(err.value.reasons)
    for expected in ("unknown field(s) colour", "scenario: required", "key: 'Bad Key'",
                     "crisis_type: unknown 'meteor'", "probability: must be 1-5, not 7",
                     "impact: must be a whole number, not 'high'", "segments: unknown aliens",
                     "languages: unknown de", "messages[0]: unknown audience 'fax'",
                     "messages[1]: unknown phase 'later'", "unknown role 'janitor'",
                     "playbook.legal: every action is a non-empty text",
                     "exercise_every_days: must be 1-3650, not 0",
                     "last_reviewed: 'yesterday' is not a date"):
        assert expected in reasons, expected
    with store.session() as s:
        assert s.execute(select(PlanRiskRow)).first() is None


def test_record_round_trips_through_the_validator():
    record = risk("leak", 2, 5, crisis_type="data_leak", last_reviewed="2026-11-02",
                  languages=["fr", "en"], segments=["regulators", "staff"],
                  messages=[{"audience": "ceo", "phase": "fixing"},
                            {"audience": "status", "phase": "investigating"},
                            {"audience": "status", "phase": "investigating"}],
                  playbook={"legal": "Start the GDPR clock", "commander": ["Declare"]},
                  exercise_every_days="90", last_exercised=date(2026, 9, 1))
    r = plan.validate(record)
    assert r.score == 10 and r.languages == ("en", "fr")  # canonical order
    assert r.segments == ("staff", "regulators")
    assert r.messages == (("status", "investigating"), ("ceo", "fixing"))  # phase order, once
    assert r.playbook == {"commander": ("Declare",), "legal": ("Start the GDPR clock",)}
    assert r.exercise_every_days == 90
    assert r.last_reviewed == datetime(2026, 11, 2) and r.last_exercised == datetime(2026, 9, 1)
    aware = plan.validate(risk("x", 1, 1, last_reviewed="2026-11-02T10:00:00+01:00"))
    assert aware.last_reviewed == datetime(2026, 11, 2, 9, 0)  # stored as naive UTC


def test_review_exercise_schedule_and_delete(store):
    with store.session() as s:
        row, _ = plan.save(s, risk("outage", 3, 3, exercise_every_days=30), actor="lead",
                           now=NOW)
        assert plan.exercise_due(row, NOW) == NOW  # never exercised: due now
        plan.mark_exercised(s, row, actor="lead", now=NOW)
        plan.mark_reviewed(s, row, actor="lead", now=NOW)
        assert plan.exercise_due(row, NOW) == NOW + timedelta(days=30)
        unscheduled, _ = plan.save(s, risk("rare", 1, 1), actor="lead", now=NOW)
        assert plan.exercise_due(unscheduled, NOW) is None
    with store.session() as s:
        assert plan.find(s, "outage").last_reviewed_at == NOW
        plan.delete(s, plan.find(s, "rare"), actor="lead", now=NOW)
    with store.session() as s:
        assert [r.key for r in plan.register(s)] == ["outage"]


def test_default_plan_is_valid_and_seeded_only_into_an_empty_register(store):
    with store.session() as s:
        assert seed_default_plan(s, actor="demo", now=NOW) == len(DEFAULT_RISKS)
        assert seed_default_plan(s, actor="demo", now=NOW) == 0
    with store.session() as s:
        keys = [r.key for r in plan.register(s)]
        assert set(keys) == {"outage", "data-leak", "rumour", "bad-press"}
        assert keys[0] == "outage"  # 4 x 4 outranks the data leak's 2 x 5
        assert all(r.messages and r.playbook and r.segments for r in plan.register(s))
