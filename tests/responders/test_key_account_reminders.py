"""Reminders to key-account owners (issue 18), through the reminders stage and a real local
SMTP server: the owner hears once when the call comes due and once more when it is
overdue, then at every update of the account's cadence until resolution, then about the
follow-up; never twice for one due state; on the team channel when the owner is no
known contact."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from responders.alerting import Contact
from responders.channels.email import EmailChannel
from responders.channels.http import Http
from responders.channels.slack import SlackChannel
from responders.contacts import find_contact, import_csv
from responders.incidents import declare, transition
from responders.key_account_reminders import remind_key_accounts
from responders.key_accounts import complete
from responders.reminders import Reminding
from store.models import IncidentRow, KeyAccountReminderRow, TimelineRow
from tests.support.fake_http import FakeServer, Reply
from tests.support.smtp import Inbox, smtp_server

T0 = datetime(2026, 3, 10, 10, 0)
CSV = """name,segments,email,phone,lang,tz,organisation,owner
Carla Key,key-accounts,carla@bigco.example,,fr,Europe/Paris,BigCo,Dana Manager
Dana Manager,staff,dana@nimbus.example,,en,UTC,Nimbus,
Kim Key,key-accounts,kim@smallco.example,,en,UTC,SmallCo,Nobody Known
"""


@pytest.fixture
def world(store):
    inbox = Inbox()
    with smtp_server(inbox) as port, FakeServer() as slack:
        slack.script(then=Reply(200, body="ok"))
        team = SlackChannel(slack.url + "/team",
                            http=Http(timeout=2, retries=1, sleep=lambda s: None))
        channels = {"email": EmailChannel("127.0.0.1", port, sender="crisis@nimbus.example"),
                    "slack": team}
        with store.session() as session:
            import_csv(session, CSV, T0)
            declare(session, title="API outage", crisis_type="outage", severity="major",
                    actor="lead", now=T0)
        yield inbox, slack, channels


def team_texts(slack) -> list[str]:
    return [r.json["text"] for r in slack.requests if r.path == "/team"]


def texts(inbox) -> list[str]:
    return [m.message.get_payload(decode=True).decode() for m in inbox.messages
            if m.rcpts == ["dana@nimbus.example"]]


def test_owner_is_reminded_once_per_due_state_along_the_cadence(store, world):
    inbox, team, channels = world
    def remind(at):
        return remind_key_accounts(store, channels, [], at)

    assert remind(T0 + timedelta(minutes=10)) == 0  # the call is not due yet
    assert remind(T0 + timedelta(minutes=31)) == 2  # Dana by e-mail; Kim's owner on Slack
    assert remind(T0 + timedelta(minutes=40)) == 0  # already told: no nagging
    (first,) = texts(inbox)
    assert first.startswith("Reminder: BigCo (key account, incident #1): call the client "
                            "personally is due (since 10:30 UTC")
    (to_team,) = team_texts(team)
    assert "SmallCo" in to_team and "owner Nobody Known" in to_team
    assert remind(T0 + timedelta(minutes=61)) == 2  # overdue now: once more
    assert "is overdue" in texts(inbox)[1]

    with store.session() as session:
        incident = session.get(IncidentRow, 1)
        carla = find_contact(session, "carla@bigco.example")
        complete(session, incident, carla, "call", actor="dana", now=T0 + timedelta(minutes=62))
        complete(session, incident, carla, "channel", actor="dana",
                 now=T0 + timedelta(minutes=70))
    # The cadence: an update every 2 hours in the shared channel, reminded when due.
    assert remind(T0 + timedelta(hours=3)) == 0  # Kim's call is long overdue: told already
    assert remind(T0 + timedelta(hours=3, minutes=10)) == 1  # Carla's update: channel + 2 h
    assert "update in the shared channel is due" in texts(inbox)[-1]
    with store.session() as session:
        complete(session, session.get(IncidentRow, 1), find_contact(
            session, "carla@bigco.example"), "update", actor="dana",
            now=T0 + timedelta(hours=3, minutes=15))
    assert remind(T0 + timedelta(hours=5, minutes=15)) == 1  # the next one, a new due time
    with store.session() as session:
        transition(session, session.get(IncidentRow, 1), "resolved", actor="lead",
                   now=T0 + timedelta(hours=6))
    # After resolution: the personal follow-up, due within a day.
    assert remind(T0 + timedelta(hours=31)) == 2  # Carla's and Kim's owners
    assert "personal follow-up is due" in texts(inbox)[-1]
    with store.session() as session:
        claims = session.execute(select(KeyAccountReminderRow)).scalars().all()
        timeline = session.execute(select(TimelineRow.detail).where(
            TimelineRow.kind == "reminder")).scalars().all()
    assert len(claims) == len(timeline) == len(
        {(c.contact_id, c.task, c.state, c.basis) for c in claims})
    assert any("BigCo" in t and "follow-up" in t for t in timeline)


def test_the_reminders_stage_reaches_an_on_call_owner_on_their_own_channel(store, world):
    inbox, _slack, channels = world
    owner = Contact("Dana Manager", (("email", "dana.oncall@nimbus.example"),))
    stage = Reminding(channels, [owner])
    stage.run_once(store, T0 + timedelta(minutes=31))
    stage.run_once(store, T0 + timedelta(minutes=32))  # a second cycle: nothing more
    mails = [m for m in inbox.messages if m.rcpts == ["dana.oncall@nimbus.example"]]
    assert len(mails) == 1
    assert "BigCo" in mails[0].message.get_payload(decode=True).decode()
