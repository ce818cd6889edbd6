"""Broadcasts with per-recipient confirmation (issue 18), through a real local SMTP server
and a local Twilio-shaped receiver: nothing sent before an approval in the approvals queue,
SMS and e-mail out, YES/OUI replies and signed links in, re-sends then escalation to the
alternative channel, quiet hours, STOP, wrong numbers, and exactly once when a worker dies
mid-send."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import flask
import pytest
from sqlalchemy import select

from dashboard.context import DashboardContext
from dashboard.public.ack import SMS_PATH, register, twilio_signature
from responders.alerting import AlertPolicy, Contact, ack_key, deliver_alerts
from responders.broadcasts import (
    BroadcastError,
    Broadcasting,
    BroadcastPolicy,
    activate_approved,
    advance_broadcasts,
    approve_broadcast,
    by_segment,
    create_broadcast,
    totals,
)
from responders.channels.email import EmailChannel
from responders.channels.http import Http
from responders.channels.slack import SlackChannel
from responders.channels.sms import TwilioSMSChannel, sms_segments
from responders.contacts import find_contact, import_csv
from responders.drafts import Brand
from responders.incidents import declare
from responders.templates import TemplateLibrary
from store.models import (
    AlertRow,
    BroadcastRecipientRow,
    BroadcastRow,
    BroadcastSendRow,
    ContactRow,
    DraftRow,
    IncidentRow,
    SendAttemptRow,
    TimelineRow,
)
from tests.support.fake_http import FakeServer, Reply
from tests.support.smtp import Inbox, smtp_server

T0 = datetime(2026, 3, 10, 10, 0)  # a Tuesday, 10:00 UTC (11:00 in Paris)
SECRET = "app-secret"
TWILIO_TOKEN = "twilio-token"
PUBLIC = "https://crisis.example.com"
POLICY = BroadcastPolicy(resend_after=timedelta(minutes=30), resends=1,
                         link_secret=ack_key(SECRET), public_url=PUBLIC)
TEXT = ("We are investigating an outage of the API since 10:00 UTC. We are restoring "
        "service. Next update by 12:00 UTC.")
CSV = """name,segments,email,phone,lang,tz,organisation,owner
Ana Martin,staff,ana@nimbus.example,+33 6 00 00 00 01,fr,Europe/Paris,Nimbus,
Ben Ode,staff,ben@nimbus.example,,en,UTC,Nimbus,
Carla Key,staff;management,carla@nimbus.example,+33 6 00 00 00 03,en,Europe/Paris,Nimbus,
Dan Client,customers,dan@client.example,+33 6 00 00 00 04,fr,Europe/Paris,Client,
"""
SENT = Reply(200, body='{"sid": "SM123"}')


@pytest.fixture
def world(store):
    inbox = Inbox(refuse="ben@nimbus.example")
    with FakeServer() as twilio, smtp_server(inbox) as smtp_port:
        twilio.script(then=SENT)
        http = Http(timeout=2, retries=1, backoff=0.01, sleep=lambda s: None)
        channels = {
            "sms": TwilioSMSChannel("AC1", TWILIO_TOKEN, "+15550000000", base_url=twilio.url,
                                    http=http),
            "email": EmailChannel("127.0.0.1", smtp_port, sender="crisis@nimbus.example"),
        }
        with store.session() as session:
            import_csv(session, CSV, T0)
            declare(session, title="API outage", crisis_type="outage", severity="major",
                    actor="lead", now=T0)
        yield twilio, inbox, channels


def sms_sent(twilio) -> list[dict]:
    return [r.form for r in twilio.requests if r.path.endswith("Messages.json")]


def broadcast(store, segments=("staff",), severity=None, channels=("sms", "email"), at=T0,
              body=TEXT):
    """Written by an editor, approved by the lead, activated by the broadcast stage."""
    with store.session() as session:
        incident = session.execute(select(IncidentRow)).scalar_one()
        queued = create_broadcast(session, segments=list(segments), body=body, author="ed",
                                  role="editor", now=at, incident=incident, severity=severity,
                                  channels=channels)
        approve_broadcast(session, queued, approver="lead", role="approver", now=at,
                          override_reason="tested", two_person_rule=True)
        bid = queued.id
    assert activate_approved(store, at) == 1
    return bid


def app(store, now_box, alert_contacts=()):
    server = flask.Flask("broadcast-test")
    ctx = DashboardContext(store=store, clock=lambda: now_box[0], library=TemplateLibrary(),
                           brand=Brand(), secret_key=SECRET)
    register(server, ctx, contacts=alert_contacts, twilio_auth_token=TWILIO_TOKEN,
             sms_url=PUBLIC + SMS_PATH)
    return server.test_client()


def reply(client, sender, body):
    form = {"From": sender, "Body": body, "MessageSid": "SM9", "To": "+15550000000"}
    sig = twilio_signature(TWILIO_TOKEN, PUBLIC + SMS_PATH, form)
    return client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": sig})


def states(store) -> dict[str, tuple]:
    with store.session() as session:
        return {r.name: (r.state, r.step) for r in
                session.execute(select(BroadcastRecipientRow)).scalars()}


def test_sms_segments_gsm7_and_ucs2():
    assert sms_segments("Reply YES") == ("GSM-7", 1)
    assert sms_segments("a" * 160) == ("GSM-7", 1)
    assert sms_segments("a" * 161) == ("GSM-7", 2)
    assert sms_segments("€" * 80) == ("GSM-7", 1)  # the extension table: two septets each
    assert sms_segments("€" * 81) == ("GSM-7", 2)
    assert sms_segments("é à ù") == ("GSM-7", 1)  # in the GSM alphabet
    assert sms_segments("Répondez OUI pour confirmer la prise en compte, merci ç") == ("UCS-2", 1)
    assert sms_segments("ê" * 71) == ("UCS-2", 2)
    assert sms_segments("🙂" * 35) == ("UCS-2", 1)  # two UTF-16 units each


def test_nothing_is_broadcast_before_an_approver_approves_it(store, world):
    twilio, _inbox, channels = world
    with store.session() as session:
        incident = session.execute(select(IncidentRow)).scalar_one()
        with pytest.raises(BroadcastError, match="editors, approvers and admins only"):
            create_broadcast(session, segments=["staff"], body=TEXT, author="vic",
                             role="viewer", now=T0)
        with pytest.raises(BroadcastError, match="linter"):
            create_broadcast(session, segments=["staff"], body="PANIC!!! Everything is "
                             "down and it is the fault of our supplier Acme.", author="lead",
                             role="approver", now=T0)
        with pytest.raises(BroadcastError, match="unknown segment"):
            create_broadcast(session, segments=["aliens"], body=TEXT, author="lead",
                             role="approver", now=T0)
        queued = create_broadcast(session, segments=["staff"], body=TEXT, author="lead",
                                  role="approver", now=T0, incident=incident)
        bid, draft_id = queued.id, queued.draft_id
    # Queued: the draft waits in the approvals queue; the stage sends nothing.
    assert Broadcasting(channels, POLICY).run_once(store, T0) == 0
    assert sms_sent(twilio) == [] and states(store) == {}
    with store.session() as session:
        draft = session.get(DraftRow, draft_id)
        assert (draft.kind, draft.status, draft.author) == ("broadcast", "draft", "lead")
        broadcast_row = session.get(BroadcastRow, bid)
        assert broadcast_row.state == "awaiting"
        with pytest.raises(BroadcastError, match="only an approver or admin"):
            approve_broadcast(session, broadcast_row, approver="ed", role="editor", now=T0)
        with pytest.raises(BroadcastError, match="two-person rule"):
            approve_broadcast(session, broadcast_row, approver="lead", role="approver",
                              now=T0, two_person_rule=True)
        # An edit after approval voids it: the stage puts the draft back in the queue.
        approve_broadcast(session, broadcast_row, approver="sam", role="approver", now=T0,
                          two_person_rule=True)
        draft.body = TEXT.replace("restoring service", "restoring the service")
    assert activate_approved(store, T0) == 0
    with store.session() as session:
        assert session.get(DraftRow, draft_id).status == "draft"
        assert session.get(BroadcastRow, bid).state == "awaiting"
        approve_broadcast(session, session.get(BroadcastRow, bid), approver="sam",
                          role="approver", now=T0, two_person_rule=True)
    # Approved as written: the next run of the stage sends it, once.
    assert Broadcasting(channels, POLICY).run_once(store, T0) == 2
    assert Broadcasting(channels, POLICY).run_once(store, T0) == 0
    with store.session() as session:
        assert session.get(DraftRow, draft_id).status == "published"
        row = session.get(BroadcastRow, bid)
        assert (row.state, row.approved_by, row.created_by) == ("active", "sam", "lead")
        assert "restoring the service" in row.body  # the approved text, as edited
        details = session.execute(select(TimelineRow.detail).where(
            TimelineRow.incident_id == row.incident_id)).scalars().all()
    assert any("its text changed after approval" in d for d in details)
    assert any(d.startswith(f"Broadcast #{bid} to staff written by lead: waiting for "
                            "approval") for d in details)


def test_send_confirm_by_sms_and_link_resend_then_escalate(store, world):
    twilio, inbox, channels = world
    bid = broadcast(store)
    assert advance_broadcasts(store, channels, T0, policy=POLICY) == 2  # Ben's mail refused
    sms = sms_sent(twilio)
    assert sorted(m["To"] for m in sms) == ["+33600000001", "+33600000003"]
    assert all(m["Body"].endswith("Reply YES to confirm you have read this.") for m in sms)
    assert inbox.messages == []  # ben@ refused, permanently, and he has no other channel
    assert states(store)["Ben Ode"] == ("failed", 1)

    # Ana answers "Oui", Carla says nothing.
    client = app(store, [T0 + timedelta(minutes=5)])
    answer = reply(client, "+33600000001", " Oui ")
    assert answer.status_code == 200 and b"confirm" in answer.data
    assert states(store)["Ana Martin"] == ("confirmed", 1)

    # 30 minutes on: a reminder to Carla only.
    assert advance_broadcasts(store, channels, T0 + timedelta(minutes=30), policy=POLICY) == 1
    assert [m["To"] for m in sms_sent(twilio)[2:]] == ["+33600000003"]
    assert sms_sent(twilio)[2]["Body"].startswith("Reminder: ")
    # 60 minutes: Carla escalated to her alternative channel, e-mail, with a signed link.
    assert advance_broadcasts(store, channels, T0 + timedelta(minutes=60), policy=POLICY) == 1
    (mail,) = inbox.messages
    assert mail.rcpts == ["carla@nimbus.example"]
    body = mail.message.get_payload(decode=True).decode()
    link = re.search(rf"{PUBLIC}(/ack/b/\S+)", body).group(1)
    assert body.startswith("Not yet confirmed: ")
    # Link previews GET it: nothing confirmed; the button POSTs.
    assert client.get(link).status_code == 200
    assert states(store)["Carla Key"][0] == "sent"
    assert b"confirmed" in client.post(link).data
    assert client.get(link[:-3] + "abc").status_code == 404  # a forged signature
    assert states(store)["Carla Key"] == ("confirmed", 3)
    assert advance_broadcasts(store, channels, T0 + timedelta(minutes=120), policy=POLICY) == 0

    with store.session() as session:
        assert totals(session) == {"sent": 3, "delivered": 2, "confirmed": 2, "resent": 1,
                                   "escalated": 1}
        assert by_segment(session, bid)[0]["segment"] == "staff"
        timeline = [t.detail for t in session.execute(
            select(TimelineRow).where(TimelineRow.kind == "broadcast")
            .order_by(TimelineRow.id)).scalars()]
        attempts = session.execute(select(SendAttemptRow.purpose)).scalars().all()
        segments = session.execute(select(BroadcastSendRow.segments).where(
            BroadcastSendRow.channel == "sms")).scalars().all()
    assert set(attempts) == {"broadcast"} and len(attempts) == 5
    assert segments == [1, 1, 2]  # GSM-7; the "Reminder: " prefix passes 160 characters
    assert timeline[0].startswith(f"Broadcast #{bid} to staff written by ed: waiting for "
                                  "approval")
    assert timeline[1].startswith(f"Broadcast #{bid} to staff approved by lead: 3 recipient(s)")
    assert any("confirmed by Ana Martin (sms: Oui)" in t for t in timeline)
    assert any("resend to 1 (sms 1)" in t for t in timeline)
    assert any("escalate to 1 (email 1)" in t for t in timeline)
    assert any("confirmed by Carla Key (link)" in t for t in timeline)
    assert any("failed (email: recipients refused" in t for t in timeline)


def test_a_reply_answers_the_latest_message_that_asked_stop_and_wrong_numbers(store, world):
    twilio, _inbox, channels = world
    on_call = Contact("ana", (("sms", "+33 6 00 00 00 01"),), lang="fr")
    with store.session() as session:
        alert = AlertRow(opened_at=T0, updated_at=T0, severity="major", kinds=["mentions"],
                         title="Unusual mention volume", evidence={}, status="open")
        session.add(alert)
        session.flush()
        alert_id = alert.id
    deliver_alerts(store, channels, [on_call], T0, policy=AlertPolicy())
    broadcast(store, at=T0 + timedelta(minutes=5))
    advance_broadcasts(store, channels, T0 + timedelta(minutes=5), policy=POLICY)
    client = app(store, [T0 + timedelta(minutes=6)], alert_contacts=[on_call])
    # The broadcast is the most recent question to Ana's number: her YES answers it.
    assert b"Merci, la lecture du message" in reply(client, "+33600000001", "O").data
    with store.session() as session:
        assert session.get(AlertRow, alert_id).status == "open"
    # The next YES answers what is still waiting: the alert page.
    assert f"Alerte #{alert_id} confirm".encode() in reply(client, "+33600000001", "Y").data
    with store.session() as session:
        assert session.get(AlertRow, alert_id).status == "acknowledged"
    # A number we never wrote to gets no answer at all.
    assert b"<Message>" not in reply(client, "+33699999999", "YES").data
    # STOP: Carla is opted out, and her reminder never goes.
    assert b"no more messages" in reply(client, "+33 6 00 00 00 03", "stop").data
    with store.session() as session:
        assert find_contact(session, "carla@nimbus.example").opted_out_at is not None
    before = len(sms_sent(twilio))
    advance_broadcasts(store, channels, T0 + timedelta(minutes=40), policy=POLICY)
    assert len(sms_sent(twilio)) == before
    assert states(store)["Carla Key"][0] == "opted-out"


def test_quiet_hours_hold_customers_unless_critical(store, world):
    twilio, _inbox, channels = world
    night = datetime(2026, 3, 10, 22, 30)  # 23:30 in Paris
    text = TEXT.replace("12:00 UTC", "09:00 UTC")
    broadcast(store, segments=("customers",), at=night, body=text)
    assert advance_broadcasts(store, channels, night, policy=POLICY) == 0
    assert sms_sent(twilio) == []
    with store.session() as session:
        r = session.execute(select(BroadcastRecipientRow)).scalar_one()
        assert (r.held, r.next_at) == (True, datetime(2026, 3, 11, 7, 0))  # 08:00 in Paris
        held = session.execute(select(TimelineRow.detail).where(
            TimelineRow.detail.like("%held for quiet hours%"))).scalar_one()
    assert "until 2026-03-11 07:00 UTC" in held
    assert advance_broadcasts(store, channels, datetime(2026, 3, 11, 7, 0), policy=POLICY) == 1
    # Critical: goes at once, night or not; staff have no quiet hours by default.
    broadcast(store, segments=("customers",), severity="critical", at=night, body=text)
    assert advance_broadcasts(store, channels, night, policy=POLICY) == 1


def test_a_message_held_past_its_promised_update_is_never_sent(store, world):
    twilio, _inbox, channels = world
    night = datetime(2026, 3, 10, 22, 30)
    broadcast(store, segments=("customers",), at=night,
              body=TEXT.replace("12:00 UTC", "23:30 UTC"))
    assert advance_broadcasts(store, channels, night, policy=POLICY) == 0  # held
    assert advance_broadcasts(store, channels, datetime(2026, 3, 11, 7, 0), policy=POLICY) == 0
    assert sms_sent(twilio) == [] and states(store)["Dan Client"] == ("stale", 0)
    with store.session() as session:
        assert session.execute(select(TimelineRow.detail).where(
            TimelineRow.detail.like("%not sent: the promised next update (23:30 UTC)%"))
        ).scalar_one()
        assert by_segment(session)[0]["stale"] == 1


def test_slack_direct_message_with_a_signed_link(store, world):
    twilio, _inbox, channels = world
    with store.session() as session:  # a contact's own Slack webhook (a direct message)
        session.add(ContactRow(name="Sam Slack", segments=["board"], lang="en", tz="UTC",
                               organisation="", owner="", slack=twilio.url + "/slack/sam",
                               created_at=T0, updated_at=T0))
    broadcast(store, segments=("board",), channels=("slack",))
    slack = {"slack": SlackChannel("https://hooks.slack.invalid/none",
                                   http=Http(timeout=2, retries=1, sleep=lambda s: None))}
    assert advance_broadcasts(store, {**channels, **slack}, T0, policy=POLICY) == 1
    (post,) = [r for r in twilio.requests if r.path == "/slack/sam"]
    link = re.search(rf"{PUBLIC}(/ack/b/\S+)", post.json["text"]).group(1)
    client = app(store, [T0 + timedelta(minutes=1)])
    assert client.post(link).status_code == 200
    assert states(store)["Sam Slack"] == ("confirmed", 1)


def test_exactly_once_when_a_worker_dies_mid_send(store, world):
    twilio, _inbox, channels = world

    class Dies:
        name = "sms"

        def __init__(self):
            self.calls = 0

        def send(self, message, now):  # the process is killed while the request is out
            self.calls += 1
            raise SystemExit("killed")

    broadcast(store, channels=("sms",))
    dying = Dies()
    with pytest.raises(SystemExit):
        Broadcasting({**channels, "sms": dying}, POLICY).run_once(store, T0)
    assert dying.calls == 1
    # Restarted at once: the claimed step is on record (outcome unknown), never sent again.
    advance_broadcasts(store, channels, T0 + timedelta(minutes=1), policy=POLICY)
    with store.session() as session:
        sends = session.execute(select(BroadcastSendRow).order_by(BroadcastSendRow.id)
                                ).scalars().all()
    first_to = sends[0].address
    assert [(s.step, s.ok) for s in sends if s.address == first_to] == [(1, None)]
    assert first_to not in [m["To"] for m in sms_sent(twilio)]
    # The next step comes only after the re-send delay, once.
    advance_broadcasts(store, channels, T0 + timedelta(minutes=30), policy=POLICY)
    advance_broadcasts(store, channels, T0 + timedelta(minutes=30), policy=POLICY)
    assert [m["To"] for m in sms_sent(twilio)].count(first_to) == 1
