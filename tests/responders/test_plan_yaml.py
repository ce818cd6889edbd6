"""The plan as YAML (issue 19): export then import gives the same plan, a second import
changes nothing, and a bad file says what is wrong where, importing the good risks."""

from __future__ import annotations

from datetime import datetime

import pytest
import yaml
from sqlalchemy import func, select

from responders import plan
from responders.plan_defaults import seed_default_plan
from responders.plan_yaml import PlanFileError, export_yaml, import_yaml
from store.models import PlanRiskRow

NOW = datetime(2026, 12, 3, 12, 0)


def count(store):
    with store.session() as s:
        return s.execute(select(func.count()).select_from(PlanRiskRow)).scalar_one()


def test_export_import_round_trip_and_idempotence(store, sqlite_store):
    with store.session() as s:
        seed_default_plan(s, actor="demo", now=NOW)
        text = export_yaml(s)
    document = yaml.safe_load(text)
    assert document["version"] == 1
    assert [r["key"] for r in document["risks"]] == ["outage", "data-leak", "rumour",
                                                       "bad-press"]
    with sqlite_store.session() as s:
        first = import_yaml(s, text, actor="cli", now=NOW)
    assert sorted(first.added) == ["bad-press", "data-leak", "outage", "rumour"]
    assert first.refused == [] and first.lines()[0] == "4 added, 0 updated, 0 unchanged, 0 refused"
    with sqlite_store.session() as s:
        assert export_yaml(s) == text  # the same plan, field for field
        second = import_yaml(s, text, actor="cli", now=NOW)
    assert second.lines() == ["0 added, 0 updated, 4 unchanged, 0 refused"]
    assert count(sqlite_store) == 4


def test_import_updates_in_place_and_never_deletes(store):
    with store.session() as s:
        seed_default_plan(s, actor="demo", now=NOW)
        document = yaml.safe_load(export_yaml(s))
    outage = next(r for r in document["risks"] if r["key"] == "outage")
    outage["probability"] = 5
    text = yaml.safe_dump({"version": 1, "risks": [outage]})
    with store.session() as s:
        report = import_yaml(s, text, actor="cli", now=NOW)
    assert report.updated == ["outage"] and report.unchanged == []
    with store.session() as s:
        assert plan.find(s, "outage").probability == 5
    assert count(store) == 4  # the three risks absent from the file are kept


def test_bad_records_are_reported_per_record_and_the_good_ones_imported(store):
    text = """
version: 1
risks:
  - {key: outage, crisis_type: outage, scenario: Down, probability: 4, impact: 4, owner: CTO}
  - {key: leak, crisis_type: leak, scenario: Exposed, probability: 9, impact: 5, owner: CISO}
  - {key: outage, crisis_type: outage, scenario: Again, probability: 1, impact: 1, owner: x}
  - just a string
  - {crisis_type: outage, scenario: No key, probability: 1, impact: 1, owner: x}
"""
    with store.session() as s:
        report = import_yaml(s, text, actor="cli", now=NOW)
    lines = report.lines()
    assert lines[0] == "1 added, 0 updated, 0 unchanged, 4 refused"
    assert lines[1] == ("risks[1] (leak): crisis_type: unknown 'leak' (one of outage, degraded, "
                        "data_leak, billing, defect, controversy, maintenance); "
                        "probability: must be 1-5, not 9")
    assert lines[2] == "risks[2] (outage): key 'outage' already used by risks[0]"
    assert lines[3] == "risks[3] (no key): a risk must be a mapping of fields"
    assert lines[4] == "risks[4] (no key): key: required"
    assert count(store) == 1


@pytest.mark.parametrize("text, message", [
    ("risks: [\n  {key: a\n", "not valid YAML at line"),
    ("- key: outage\n", "must be a mapping"),
    ("version: 2\nrisks: []\n", "unsupported version 2"),
    ("version: 1\nrisks: {key: outage}\n", "`risks` must be a list"),
    ("version: 1\nrisk: []\n", "unknown top-level key(s) risk"),
    ("", "must be a mapping"),
    ("risks: []\n", "missing `version: 1`"),
])
def test_a_file_that_is_not_a_plan_imports_nothing(store, text, message):
    with store.session() as s, pytest.raises(PlanFileError, match=message.replace("(", r"\(")
                                             .replace(")", r"\)")):
        import_yaml(s, text, actor="cli", now=NOW)
    assert count(store) == 0
