"""The plan's health view (issue 19): each kind of finding appears when, and only when,
the plan lacks what it names."""

from __future__ import annotations

from datetime import datetime, timedelta

from responders import plan
from responders.contacts import import_csv
from responders.incidents import declare
from responders.lessons import propose
from responders.plan_health import confirm_contacts, health
from responders.postmortem import add_action
from responders.templates import DEFAULT_ROOT, TemplateLibrary
from store.models import BroadcastRecipientRow, BroadcastRow, ContactRow

NOW = datetime(2026, 12, 3, 12, 0)
LIBRARY = TemplateLibrary()
CONTACTS = """name,segments,email,phone,lang,tz,organisation,owner
Ana,staff;on-call,ana@x.example,+33612345678,fr,Europe/Paris,Nimbus,
Ben,customers,ben@x.example,,en,UTC,Client,
"""


def healthy_risk(**extra):
    return {"key": "outage", "crisis_type": "outage", "scenario": "Down", "probability": 4,
            "impact": 4, "owner": "CTO", "last_reviewed": NOW - timedelta(days=10),
            "messages": [{"audience": "status", "phase": "investigating"},
                         {"audience": "team", "phase": "investigating"}],
            "segments": ["staff", "customers"], "exercise_every_days": 90,
            "last_exercised": NOW - timedelta(days=10), **extra}


def kinds(session, library=LIBRARY, now=NOW):
    return [(f.kind, f.subject) for f in health(session, library, now)]


def test_a_prepared_plan_with_fresh_contacts_is_healthy(store):
    with store.session() as s:
        import_csv(s, CONTACTS, NOW - timedelta(days=30))
        plan.save(s, healthy_risk(), actor="lead", now=NOW)
    with store.session() as s:
        assert kinds(s) == []


def test_missing_messages_empty_segments_overdue_exercise_and_review(store):
    with store.session() as s:
        import_csv(s, CONTACTS, NOW - timedelta(days=30))
        plan.save(s, healthy_risk(key="bare", messages=[], segments=["press"],
                                  last_exercised=NOW - timedelta(days=91),
                                  last_reviewed=None), actor="lead", now=NOW)
    with store.session() as s:
        found = health(s, LIBRARY, NOW)
    assert [(f.kind, f.subject) for f in found] == [
        ("no_messages", "bare"), ("segment_empty", "press"), ("exercise_overdue", "bare"),
        ("review_overdue", "bare")]
    assert found[2].detail == "exercise every 90 days; last exercised 2026-09-03"


def test_templates_failing_the_linter_or_missing_are_found(store, tmp_path):
    # A library where the generic investigating status update panics and promises.
    for path in LIBRARY.available():
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((DEFAULT_ROOT / path).read_text())
    for crisis in ("generic", "outage", "data_leak"):
        (tmp_path / f"status/{crisis}/investigating.en.j2").write_text(
            "PANIC! Everything is broken. We guarantee it is fixed in 5 minutes.")
    (tmp_path / "notify/generic/team.investigating.fr.j2").unlink()
    library = TemplateLibrary(tmp_path)
    with store.session() as s:
        import_csv(s, CONTACTS, NOW - timedelta(days=30))
        plan.save(s, healthy_risk(), actor="lead", now=NOW)
    with store.session() as s:
        found = health(s, library, NOW)
    assert [f.kind for f in found] == ["template_missing", "template_lint"]
    assert found[0].detail == ("team / investigating / fr: no template (tried "
                               "notify/outage/team.investigating.fr.j2, "
                               "notify/generic/team.investigating.fr.j2)")
    assert found[1].detail.startswith("status / investigating / en: "
                                      "status/outage/investigating.en.j2 fails the linter (")
    assert "calm" in found[1].detail and "over_promise" in found[1].detail
    with store.session() as s:
        french = health(s, library, NOW, ui_lang="fr")[1]
    assert french.params["message"] != found[1].params["message"]  # the linter's French
    assert french.params["rules"] == found[1].params["rules"]


def test_contacts_not_confirmed_for_a_year(store):
    long_ago = NOW - timedelta(days=400)
    with store.session() as s:
        import_csv(s, CONTACTS, long_ago)
        plan.save(s, healthy_risk(), actor="lead", now=NOW)
    with store.session() as s:
        assert kinds(s) == [("contact_unconfirmed", "Ana"), ("contact_unconfirmed", "Ben")]
        # Ana answered a broadcast a month ago: her phone works. Ben's details are checked.
        ana = s.query(ContactRow).filter_by(name="Ana").one()
        ben = s.query(ContactRow).filter_by(name="Ben").one()
        b = BroadcastRow(segments=["staff"], channels=["sms"], severity="major", body="x",
                         approved_by="lead", created_at=NOW - timedelta(days=30))
        s.add(b)
        s.flush()
        s.add(BroadcastRecipientRow(broadcast_id=b.id, contact_id=ana.id, name="Ana",
                                    segment="staff", channel="sms", token="t1",
                                    confirmed_at=NOW - timedelta(days=30)))
        assert kinds(s) == [("contact_unconfirmed", "Ben")]
        assert confirm_contacts(s, [ben.id], now=NOW) == 1
        assert kinds(s) == []


def test_open_lessons_are_listed_overdue_first(store):
    with store.session() as s:
        import_csv(s, CONTACTS, NOW - timedelta(days=30))
        plan.save(s, healthy_risk(), actor="lead", now=NOW)
        incident = declare(s, title="Login outage", crisis_type="outage", severity="major",
                           actor="lead", now=NOW - timedelta(days=20))
        add_action(s, incident, text="Add a standby database", owner="tech_lead",
                   due_at=NOW + timedelta(days=10), actor="lead", now=NOW)
        add_action(s, incident, text="Pre-approve the first update", owner="comms_lead",
                   due_at=NOW - timedelta(days=1), actor="lead", now=NOW)
        propose(s, kind="register", text="Raise the outage probability", actor="lead",
                now=NOW, incident=incident, risk=plan.find(s, "outage"),
                changes={"probability": 5})
    with store.session() as s:
        assert kinds(s) == [("action_overdue", "action #2"), ("update_open", "plan update #1"),
                            ("action_open", "action #1")]
