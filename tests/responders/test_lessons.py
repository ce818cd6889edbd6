"""Lessons fed back (issue 19): post-mortem actions tracked to done with reminders and an
overdue list, and the plan updates a post-mortem proposes, reviewed and applied."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from responders import drafting, lessons, plan
from responders.action_reminders import remind_actions
from responders.alerting import Contact
from responders.channels.base import Delivery
from responders.drafts import Brand
from responders.incidents import declare, transition, update_facts
from responders.postmortem import add_action
from responders.reminders import Reminding
from responders.templates import TemplateLibrary
from store.models import DraftRow, PlanUpdateRow, TimelineRow

T0 = datetime(2026, 3, 10, 10, 0)


class Inbox:
    def __init__(self):
        self.got = []

    def send(self, message, now):
        self.got.append(message)
        return Delivery()


def incident_with_action(s, due):
    incident = declare(s, title="Login outage", crisis_type="outage", severity="major",
                       actor="lead", now=T0)
    incident.comms_lead = "Lee"
    action = add_action(s, incident, text="Pre-approve the first status update",
                        owner="comms_lead", due_at=due, actor="lead", now=T0)
    return incident, action


def test_overdue_list_and_closing_an_action(store):
    with store.session() as s:
        incident, late = incident_with_action(s, T0 + timedelta(days=2))
        soon = add_action(s, incident, text="Test the SMS channel", owner="support",
                          due_at=T0 + timedelta(days=5, hours=12), actor="lead", now=T0)
        add_action(s, incident, text="Write the runbook", owner="tech", due_at=None,
                   actor="lead", now=T0)
    now = T0 + timedelta(days=5)
    with store.session() as s:
        states = [(a.id, a.state) for a in lessons.open_actions(s, now)]
        assert states == [(late.id, "overdue"), (soon.id, "due"), (3, "open")]
        assert [a.id for a in lessons.overdue_actions(s, now)] == [late.id]
        lessons.close_action(s, late.id, actor="lee", now=now)
        with pytest.raises(lessons.LessonError, match="already done"):
            lessons.close_action(s, late.id, actor="lee", now=now)
    with store.session() as s:
        assert lessons.overdue_actions(s, now) == []
        assert "Action #1 done" in [e.detail for e in s.execute(select(TimelineRow)).scalars()]


def test_owner_is_reminded_once_when_due_and_once_when_overdue(store):
    with store.session() as s:
        _, action = incident_with_action(s, T0 + timedelta(days=3))
    sms, slack = Inbox(), Inbox()
    channels = {"sms": sms, "slack": slack}
    contacts = [Contact("Lee", (("sms", "+33600000002"),))]
    assert remind_actions(store, channels, contacts, T0 + timedelta(days=1)) == 0  # not yet
    assert remind_actions(store, channels, contacts, T0 + timedelta(days=2, hours=1)) == 1
    assert remind_actions(store, channels, contacts, T0 + timedelta(days=2, hours=2)) == 0
    # The comms lead role is held by Lee, a known contact: reached on Lee's phone.
    assert sms.got[0].to == "+33600000002"
    assert sms.got[0].body == ("Reminder: post-mortem action #1 is due (2026-03-13 10:00 UTC): "
                               "Pre-approve the first status update. Owner: Lee.")
    # Through the reminders stage, as the pipeline runs it.
    stage = Reminding(channels=channels, contacts=contacts)
    assert stage.run_once(store, T0 + timedelta(days=3, minutes=1)) >= 1
    assert [m.body for m in sms.got if "action #1 is overdue" in m.body] == [
        ("Reminder: post-mortem action #1 is overdue (2026-03-13 10:00 UTC): Pre-approve the "
        "first status update. Owner: Lee.")]
    assert remind_actions(store, channels, contacts, T0 + timedelta(days=4)) == 0
    # A new due date starts the reminders over; a done action is never reminded.
    with store.session() as s:
        lessons.reschedule_action(s, action.id, T0 + timedelta(days=10), actor="lee",
                                  now=T0 + timedelta(days=4))
    assert remind_actions(store, channels, contacts, T0 + timedelta(days=9, hours=12)) == 1
    with store.session() as s:
        lessons.close_action(s, action.id, actor="lee", now=T0 + timedelta(days=9, hours=13))
    assert remind_actions(store, channels, contacts, T0 + timedelta(days=11)) == 0
    assert not [m for m in slack.got if "post-mortem action" in m.body]  # Lee's own phone


def resolved_without_public_update(s):
    incident = declare(s, title="Login outage", crisis_type="outage", severity="major",
                       actor="dana", now=T0)
    update_facts(s, incident, actor="dana", now=T0, impact="about 60% of customers could "
                 "not log in", known="logins failed", actions="we rolled back the change")
    transition(s, incident, "resolved", actor="dana", now=T0 + timedelta(hours=2))
    transition(s, incident, "postmortem", actor="dana", now=T0 + timedelta(days=1))
    return incident


def test_post_mortem_proposes_plan_updates_once_and_lists_them(store):
    library = TemplateLibrary()
    now = T0 + timedelta(days=1, minutes=5)
    with store.session() as s:
        plan.save(s, {"key": "outage", "crisis_type": "outage", "scenario": "Down",
                      "probability": 3, "impact": 4, "owner": "CTO",
                      "messages": [{"audience": "status", "phase": "investigating"}]},
                  actor="lead", now=T0)
        incident = resolved_without_public_update(s)
        drafting.suggest_postmortems(s, library, Brand(), now)
    with store.session() as s:
        updates = s.execute(select(PlanUpdateRow).order_by(PlanUpdateRow.id)).scalars().all()
        # No public update at all, no CEO update: a template and a register change.
        assert [(u.origin, u.kind, u.template) for u in updates] == [
            ("review:act_public", "template", "status/outage/investigating.en.j2"),
            ("review:act_ceo", "register", None)]
        board = s.execute(select(DraftRow).where(DraftRow.template.like("postmortem/%board%"))
                          ).scalar_one()
        assert "Plan updates\n- Prepare the first status update so it can go out within 30 " \
               "minutes of declaring (template status/outage/investigating.en.j2, to review)" \
               in board.body
        drafting.suggest_postmortems(s, library, Brand(), now + timedelta(minutes=5))
        assert len(s.execute(select(PlanUpdateRow)).scalars().all()) == 2  # not again
        # Applying the register update adds the CEO messages and marks the risk reviewed.
        lessons.apply_update(s, updates[1].id, actor="lead", now=now)
        risk = plan.find(s, "outage")
        assert ["ceo", "fixing"] in risk.messages and risk.last_reviewed_at == now
        lessons.dismiss_update(s, updates[0].id, actor="lead", now=now)
        with pytest.raises(lessons.LessonError, match="already dismissed"):
            lessons.apply_update(s, updates[0].id, actor="lead", now=now)
        assert lessons.open_updates(s) == []
        assert incident.id == updates[0].incident_id


def test_an_uncovered_crisis_proposes_a_new_risk(store):
    with store.session() as s:
        incident = resolved_without_public_update(s)
        created = lessons.propose_from_review(s, incident, now=T0 + timedelta(days=1))
        new = created[0]
        assert new.origin == "review:uncovered" and new.changes["key"] == "outage"
        lessons.apply_update(s, new.id, actor="lead", now=T0 + timedelta(days=1))
        assert plan.find(s, "outage").scenario == "Login outage"


def test_proposals_are_validated_when_made(store):
    with store.session() as s:
        row, _ = plan.save(s, {"key": "outage", "crisis_type": "outage", "scenario": "Down",
                               "probability": 3, "impact": 4, "owner": "CTO"},
                           actor="lead", now=T0)
        with pytest.raises(lessons.LessonError, match="probability: must be 1-5, not 8"):
            lessons.propose(s, kind="register", text="Worse", actor="lead", now=T0, risk=row,
                            changes={"probability": 8})
        with pytest.raises(lessons.LessonError, match="no template 'status/nope.en.j2'"):
            lessons.propose(s, kind="template", text="Rewrite", actor="lead", now=T0,
                            template="status/nope.en.j2")
        with pytest.raises(lessons.LessonError, match="needs a description"):
            lessons.propose(s, kind="register", text=" ", actor="lead", now=T0)


def test_a_proposal_the_register_refuses_is_skipped_not_fatal(sqlite_store, caplog):
    with sqlite_store.session() as s:
        incident = resolved_without_public_update(s)
        incident.title = "x" * 2100  # longer than a scenario may be (SQLite keeps it)
        created = lessons.propose_from_review(s, incident, now=T0 + timedelta(days=1))
    assert [u.origin for u in created] == ["review:act_public", "review:act_ceo"]
    assert "plan update review:uncovered not proposed" in caplog.text
    assert "scenario: at most 2000 characters" in caplog.text


def test_the_french_board_post_mortem_lists_the_proposals_in_french(store):
    from responders.postmortem import plan_updates

    with store.session() as s:
        incident = resolved_without_public_update(s)
        lessons.propose_from_review(s, incident, now=T0 + timedelta(days=1))
        lessons.propose(s, kind="register", text="Buy a second provider", actor="lee",
                        now=T0 + timedelta(days=1), incident=incident)
        french = plan_updates(s, incident, "fr").splitlines()
    assert french == [
        ("- Ajouter au registre un risque de type panne : cette crise n'était pas dans le "
        "plan (registre des risques, à examiner)"),
        ("- Préparer la première mise à jour publique pour qu'elle parte dans les 30 minutes "
        "qui suivent la déclaration (modèle status/outage/investigating.en.j2, à examiner)"),
        ("- Préparer un point pour la direction à chaque phase (registre des risques, "
        "à examiner)"),
        "- Buy a second provider (registre des risques, à examiner)"]  # a human's, as typed
