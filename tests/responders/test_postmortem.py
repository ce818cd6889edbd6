"""Post-mortems: entering the phase drafts a blameless board version and public versions
from the timeline, with measured lessons, owned actions, and a due-date reminder."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from responders import drafting, postmortem
from responders.approval import lint_draft
from responders.drafts import Brand, suggest_updates
from responders.incidents import declare, transition, update_facts
from responders.templates import TemplateLibrary
from store.models import AlertRow, DraftRow

T0 = datetime(2026, 3, 10, 10, 0)


def published(session, incident, audience, at, channel="statuspage", lang="en"):
    session.add(DraftRow(incident_id=incident.id, kind="status" if audience == "customers"
                         else "notify", audience=audience, channel=channel, lang=lang,
                         phase=incident.phase, body="update", template="-", author="lead",
                         status="published", created_at=at, updated_at=at, published_at=at))


def run_incident(session, *, alert_lag=timedelta(minutes=5), public_gaps=(10, 50, 110)):
    alert = AlertRow(opened_at=T0 - alert_lag, updated_at=T0, severity="major",
                     kinds=["volume"], title="Unusual volume", evidence={})
    session.add(alert)
    session.flush()
    incident = declare(session, title="Login outage", crisis_type="outage", severity="major",
                       actor="dana", now=T0, alert=alert)
    incident.commander, incident.comms_lead = "dana", "lee"
    update_facts(session, incident, actor="dana", now=T0 + timedelta(minutes=5),
                 impact="about 60% of customers could not log in",
                 known="logins failed in the EU region",
                 actions="we rolled back the configuration change")
    update_facts(session, incident, actor="dana", now=T0 + timedelta(minutes=5), lang="fr",
                 impact="environ 60 % des clients n'ont pas pu se connecter",
                 known="les connexions échouaient en Europe",
                 actions="nous avons annulé la modification de configuration",
                 title="Panne de connexion")
    for minutes in public_gaps:
        published(session, incident, "customers", T0 + timedelta(minutes=minutes))
    published(session, incident, "ceo", T0 + timedelta(minutes=20), channel="email")
    transition(session, incident, "identified", actor="dana", now=T0 + timedelta(minutes=30))
    update_facts(session, incident, actor="dana", now=T0 + timedelta(minutes=30),
                 cause="a configuration change that overloaded the authentication database")
    transition(session, incident, "fixing", actor="dana", now=T0 + timedelta(minutes=40))
    transition(session, incident, "resolved", actor="dana", now=T0 + timedelta(minutes=120))
    transition(session, incident, "postmortem", actor="dana", now=T0 + timedelta(days=1))
    return incident


@pytest.fixture
def library():
    return TemplateLibrary()


def by_key(drafts):
    return {(d.audience, d.lang): d for d in drafts}


def test_entering_postmortem_drafts_board_and_public_versions(store, library):
    with store.session() as s:
        incident = run_incident(s)
        drafts = by_key(suggest_updates(s, incident, library, Brand(), T0 + timedelta(days=1)))
        assert set(drafts) == {("board", "en"), ("customers", "en"), ("customers", "fr")}
        board = drafts[("board", "en")]
        assert board.kind == "postmortem" and board.channel == "email"
        body = board.body
        assert "Summary\nLogin outage: a major outage incident, declared at 10:00 UTC and " \
               "resolved at 12:00 UTC (2 h 00)." in body
        assert "- 09:55 UTC: first automatic alert" in body
        assert "- 10:00 UTC: incident declared (major outage)" in body
        assert "- 10:10 UTC: first public update on the status page" in body
        assert "- 10:30 UTC: phase: cause identified" in body
        assert "dana" not in body and "lee" not in body.split("What we are changing")[0]
        assert "What went well\n- The incident was declared 5 min after the first " \
               "automatic alert." in body
        assert "What did not go well\n- The longest gap between customer updates was " \
               "1 h 00, longer than the promised 1 h 00." not in body  # 60 min is on time
        assert "[To complete" not in body.split("Lessons")[1]
        assert not [f for f in lint_draft(s, board, T0 + timedelta(days=1))
                    if f.rule == "blameless"]
        public = drafts[("customers", "en")].body
        assert "Summary\nLogin outage" in public and "owner" not in public
        fr = drafts[("customers", "fr")].body
        assert "En bref\nPanne de connexion\u00a0: incident panne de gravité majeure" in fr
        assert "Ce qui s'est passé" in fr


def test_lessons_are_measured_and_actions_have_owners(store, library):
    with store.session() as s:
        incident = run_incident(s, alert_lag=timedelta(minutes=40), public_gaps=(45, 200))
        facts = postmortem.postmortem_facts(s, incident, "en", "board", T0 + timedelta(days=1))
        lessons = facts["lessons"]
        assert "declared 40 min after the first automatic alert" in lessons
        assert "The first public update came 45 min after" in lessons
        assert "Management received 1 update(s)." in lessons
        assert lessons.index("What went well") < lessons.index("What did not go well")
        follow = facts["follow_ups"].splitlines()
        assert follow[0].startswith("- Review the alert-to-declaration path")
        assert "(owner: dana, due 2026-04-09)" in follow[0]
        assert any("(owner: lee," in line for line in follow)
        public = postmortem.postmortem_facts(s, incident, "en", "public", T0)["follow_ups"]
        assert "owner" not in public and public.startswith("- Review")
        postmortem.add_action(s, incident, text="Canary every configuration change",
                              owner="platform team", due_at=datetime(2026, 3, 31),
                              actor="dana", now=T0 + timedelta(days=1))
        facts = postmortem.postmortem_facts(s, incident, "en", "board", T0)
        assert facts["follow_ups"] == ("- Canary every configuration change "
                                       "(owner: platform team, due 2026-03-31)")
        with pytest.raises(ValueError, match="owner"):
            postmortem.add_action(s, incident, text="x", owner=" ", due_at=None, actor="d",
                                  now=T0)
        fr = postmortem.postmortem_facts(s, incident, "fr", "board", T0)
        assert "Ce qui n'a pas bien fonctionné" in fr["lessons"]
        assert fr["timeline"][0] == ("09:20 UTC", "première alerte automatique")


def test_due_date_reminder_until_the_board_version_is_sent(store, library):
    with store.session() as s:
        incident = run_incident(s)
        resolved = incident.resolved_at
        assert postmortem.reminders(s, resolved + timedelta(days=3)) == []
        [due] = postmortem.reminders(s, resolved + timedelta(days=4, hours=1))
        assert due["state"] == "due" and due["owner"] == "dana"
        assert due["due_at"] == resolved + timedelta(days=4)
        [late] = postmortem.reminders(s, resolved + timedelta(days=6))
        assert late["state"] == "overdue" and "overdue" in late["text"]
        drafts = drafting.suggest_postmortems(s, library, Brand(), resolved + timedelta(days=2))
        board = next(d for d in drafts if d.audience == "board")
        board.status, board.published_at = "published", resolved + timedelta(days=3)
        s.flush()
        assert postmortem.reminders(s, resolved + timedelta(days=6)) == []


def test_postmortem_drafts_refresh_in_place(store, library):
    with store.session() as s:
        incident = run_incident(s)
        first = drafting.suggest_postmortems(s, library, Brand(), T0 + timedelta(days=1))
        postmortem.add_action(s, incident, text="Canary config changes", owner="platform",
                              due_at=None, actor="dana", now=T0 + timedelta(days=1))
        again = drafting.suggest_postmortems(s, library, Brand(), T0 + timedelta(days=1))
        assert [d.id for d in first] == [d.id for d in again]
        assert "Canary config changes (owner: platform)" in again[0].body
        assert s.execute(select(DraftRow).where(DraftRow.kind == "postmortem")).all().__len__() \
            == 3
