"""Alert delivery end to end with frozen time: real local Slack/SMS receivers and an SMTP
server, acknowledgement by link and by SMS reply, re-send then escalation, quiet hours,
cooldown, severity updates, failing channels; every step recorded."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import flask
import pytest
from sqlalchemy import select

from dashboard.context import DashboardContext
from dashboard.public.ack import SMS_PATH, register, twilio_signature
from responders.alerting import (
    AlertPolicy,
    Contact,
    QuietHours,
    ack_key,
    ack_token,
    contacts_from_config,
    deliver_alerts,
    policy_from_config,
)
from responders.channels.email import EmailChannel
from responders.channels.http import Http
from responders.channels.slack import SlackChannel
from responders.channels.sms import TwilioSMSChannel
from responders.drafts import Brand
from responders.incidents import declare
from responders.templates import TemplateLibrary
from signals.alerts import QUIET_CLOSE, acknowledge
from store.models import AlertAckRow, AlertDeliveryRow, AlertRow, TimelineRow
from tests.support.fake_http import FakeServer, Reply, free_port
from tests.support.smtp import Inbox, smtp_server

T0 = datetime(2026, 3, 10, 10, 0)  # a Tuesday, 10:00 UTC
SECRET = "app-secret"
TWILIO_TOKEN = "twilio-token"
POLICY = AlertPolicy(resend_after=timedelta(minutes=10), resends=1,
                     escalate_after=timedelta(minutes=20), cooldown=timedelta(minutes=30),
                     ack_secret=ack_key(SECRET), public_url="https://crisis.example.com")
ANA = Contact("ana", (("sms", "+33 6 00 00 00 01"), ("email", "ana@nimbus.example"),
                      ("slack", "")), lang="en")
BEN = Contact("ben", (("sms", "+33600000002"),), lang="fr")


SENT = Reply(200, body='{"sid": "SM123"}')  # Slack and Twilio receivers, unless scripted


@pytest.fixture
def world():
    inbox = Inbox()
    with FakeServer() as receiver, smtp_server(inbox) as smtp_port:
        receiver.script(then=SENT)
        http = Http(timeout=2, retries=1, backoff=0.01, sleep=lambda s: None)
        channels = {
            "slack": SlackChannel(receiver.url + "/slack", http=http),
            "sms": TwilioSMSChannel("AC1", TWILIO_TOKEN, "+15550000000", base_url=receiver.url,
                                    http=http),
            "email": EmailChannel("127.0.0.1", smtp_port, sender="alerts@nimbus.example"),
        }
        yield receiver, inbox, channels


def open_alert(store, at=T0, severity="major", incident=False) -> int:
    with store.session() as session:
        alert = AlertRow(opened_at=at, updated_at=at, severity=severity,
                         kinds=["mentions", "tickets"], title="Unusual mention volume, tickets",
                         evidence={"signals": [{"kind": "mentions", "observed": 80.0,
                                                "expected": 9.5}],
                                   "emerging_terms": {"panne": 40.1, "503": 22.0}},
                         status="open")
        session.add(alert)
        session.flush()
        if incident:
            declare(session, title="Outage", crisis_type="outage", severity="major",
                    actor="lead", now=at)
            from store.models import IncidentRow
            alert.incident_id = session.execute(select(IncidentRow.id)).scalar_one()
        return alert.id


def deliveries(store, alert_id=None) -> list[tuple]:
    with store.session() as session:
        q = select(AlertDeliveryRow).order_by(AlertDeliveryRow.id)
        if alert_id:
            q = q.where(AlertDeliveryRow.alert_id == alert_id)
        return [(d.contact, d.channel, d.kind, d.ok) for d in session.execute(q).scalars()]


def text_of(mail) -> str:
    return mail.get_payload(decode=True).decode()


def sms_sent(receiver) -> list[dict]:
    return [r.form for r in receiver.requests if r.path.endswith("Messages.json")]


def ack_app(store, now_box, contacts=(ANA, BEN)):
    server = flask.Flask("ack-test")
    ctx = DashboardContext(store=store, clock=lambda: now_box[0], library=TemplateLibrary(),
                           brand=Brand(), secret_key=SECRET)
    register(server, ctx, contacts=contacts, twilio_auth_token=TWILIO_TOKEN,
             sms_url="https://crisis.example.com" + SMS_PATH)
    return server.test_client()


def test_page_resend_escalate_then_ack_stops_everything(store, world):
    receiver, inbox, channels = world
    alert_id = open_alert(store, incident=True)
    contacts = [ANA, BEN]
    assert deliver_alerts(store, channels, contacts, T0, policy=POLICY) == 4
    assert deliveries(store) == [("dashboard", "dashboard", "page", True),
                                 ("ana", "sms", "page", True), ("ana", "email", "page", True),
                                 ("ana", "slack", "page", True)]
    sms = sms_sent(receiver)[0]
    assert sms["To"] == "+33 6 00 00 00 01" and "Reply YES" in sms["Body"]
    assert "panne" in sms["Body"]
    mail = inbox.messages[0][2]
    link = re.search(r"https://crisis.example.com/ack/\S+", text_of(mail))
    assert link and f"MAJOR #{alert_id}" in mail["Subject"]

    assert deliver_alerts(store, channels, contacts, T0 + timedelta(minutes=5),
                          policy=POLICY) == 0  # nothing due yet: no paging every minute
    deliver_alerts(store, channels, contacts, T0 + timedelta(minutes=10), policy=POLICY)
    assert [d[2] for d in deliveries(store)][-3:] == ["resend"] * 3
    deliver_alerts(store, channels, contacts, T0 + timedelta(minutes=15), policy=POLICY)
    assert len(deliveries(store)) == 7  # one re-send only
    deliver_alerts(store, channels, contacts, T0 + timedelta(minutes=20), policy=POLICY)
    assert deliveries(store)[-1] == ("ben", "sms", "escalate", True)
    assert sms_sent(receiver)[-1]["To"] == "+33600000002"
    assert "Escalade" in sms_sent(receiver)[-1]["Body"]  # Ben reads French

    with store.session() as session:
        assert acknowledge(session, session.get(AlertRow, alert_id), actor="ben",
                           now=T0 + timedelta(minutes=22))
    before = len(receiver.requests)
    for minutes in (30, 45, 60, 90):
        assert deliver_alerts(store, channels, contacts, T0 + timedelta(minutes=minutes),
                              policy=POLICY) == 0
    assert len(receiver.requests) == before
    with store.session() as session:
        timeline = [t.detail for t in session.execute(select(TimelineRow)
                                                      .order_by(TimelineRow.id)).scalars()]
        acks = session.execute(select(AlertAckRow)).scalars().all()
        assert [(a.actor, a.via) for a in acks] == [("ben", "dashboard")]
    assert any(f"Alert #{alert_id} page to ana by sms, email, slack" in t for t in timeline)
    assert any("escalate to ben" in t for t in timeline)
    assert timeline[-1] == f"Acknowledged alert #{alert_id}"


def test_ack_by_signed_link_needs_a_post(store, world):
    _receiver, inbox, channels = world
    alert_id = open_alert(store)
    deliver_alerts(store, channels, [ANA, BEN], T0, policy=POLICY)
    link = re.search(r"https://crisis.example.com(/ack/\S+)",
                     text_of(inbox.messages[0][2])).group(1)
    now = [T0 + timedelta(minutes=3)]
    client = ack_app(store, now)
    page = client.get(link)  # a mail scanner or a link preview
    assert page.status_code == 200 and b"Acknowledge" in page.data
    with store.session() as session:
        assert session.get(AlertRow, alert_id).status == "open"
    done = client.post(link)
    assert b"acknowledged by ana" in done.data
    with store.session() as session:
        alert = session.get(AlertRow, alert_id)
        assert (alert.status, alert.acknowledged_by, alert.acknowledged_at) == (
            "acknowledged", "ana", now[0])
        assert [(a.actor, a.via) for a in session.execute(select(AlertAckRow)).scalars()] == [
            ("ana", "link")]
    assert client.post(link).data.count(b"already acknowledged") == 1
    assert deliver_alerts(store, channels, [ANA, BEN], T0 + timedelta(hours=1),
                          policy=POLICY) == 0
    forged = link[:-4] + "0000"
    assert client.get(forged).status_code == 404 and client.post(forged).status_code == 404
    other = ack_token("another-secret", alert_id, "ana")
    assert client.post("/ack/" + other).status_code == 404


def sms_reply(client, sender, body, token=TWILIO_TOKEN):
    form = {"From": sender, "Body": body, "MessageSid": "SM9", "To": "+15550000000"}
    sig = twilio_signature(token, "https://crisis.example.com" + SMS_PATH, form)
    return client.post(SMS_PATH, data=form, headers={"X-Twilio-Signature": sig})


def test_ack_by_sms_reply(store, world):
    _receiver, _inbox, channels = world
    alert_id = open_alert(store)
    deliver_alerts(store, channels, [BEN, ANA], T0, policy=POLICY)  # Ben first, in French
    client = ack_app(store, [T0 + timedelta(minutes=4)])
    assert sms_reply(client, "+33600000002", "yes", token="wrong").status_code == 403
    unknown = sms_reply(client, "+33699999999", "OUI")
    assert unknown.status_code == 200 and b"<Message>" not in unknown.data
    helpme = sms_reply(client, "+33600000002", "what?")
    assert "Répondez OUI".encode() in helpme.data
    with store.session() as session:
        assert session.get(AlertRow, alert_id).status == "open"
    ok = sms_reply(client, "+33600000002", " Oui ")
    assert ok.status_code == 200 and f"Alerte #{alert_id} confirmée".encode() in ok.data
    with store.session() as session:
        alert = session.get(AlertRow, alert_id)
        assert (alert.status, alert.acknowledged_by) == ("acknowledged", "ben")
        ack = session.execute(select(AlertAckRow)).scalar_one()
        assert (ack.via, ack.detail) == ("sms", "Oui")
    assert deliver_alerts(store, channels, [BEN, ANA], T0 + timedelta(minutes=30),
                          policy=POLICY) == 0
    # Ana was never paged by SMS for this alert: her YES acknowledges nothing.
    assert b"No open alert" in sms_reply(client, "+33600000001", "YES").data


def test_sms_route_refuses_everything_without_a_token(store):
    server = flask.Flask("no-token")
    ctx = DashboardContext(store=store, clock=lambda: T0, library=TemplateLibrary(),
                           brand=Brand(), secret_key=SECRET)
    register(server, ctx, contacts=[BEN])
    assert server.test_client().post(SMS_PATH, data={"From": "+33600000002",
                                                     "Body": "OUI"}).status_code == 403


def still_signalling(store, alert_id: int, at: datetime) -> None:
    """What detection does while the situation goes on: the alert is updated."""
    with store.session() as session:
        session.get(AlertRow, alert_id).updated_at = at


def test_an_alert_over_is_not_paged_again_before_detection_closes_it(store, world):
    # Several workers: this one pages before another worker's detection closes the alert
    # (no new signal for an hour). No reminder goes out about a situation that is over.
    _receiver, _inbox, channels = world
    alert = open_alert(store)
    assert deliver_alerts(store, channels, [BEN, ANA], T0, policy=POLICY) == 2  # dashboard, BEN
    late = T0 + QUIET_CLOSE + timedelta(minutes=1)
    assert deliver_alerts(store, channels, [BEN, ANA], late, policy=POLICY) == 0
    still_signalling(store, alert, late)  # the same hour, had the situation gone on
    assert deliver_alerts(store, channels, [BEN, ANA], late, policy=POLICY) > 0


def test_quiet_hours_hold_non_critical_pages_only(store, world):
    receiver, _inbox, channels = world
    night = T0.replace(hour=23)
    sleepy = Contact("sam", (("sms", "+33600000003"),),
                     quiet_hours=QuietHours(time(22), time(7), "UTC"))
    warning = open_alert(store, at=night, severity="warning")
    assert deliver_alerts(store, channels, [sleepy], night, policy=POLICY) == 1  # dashboard
    assert deliveries(store) == [("dashboard", "dashboard", "page", True)]
    still_signalling(store, warning, night + timedelta(hours=3))
    deliver_alerts(store, channels, [sleepy], night + timedelta(hours=3), policy=POLICY)
    assert sms_sent(receiver) == []
    morning = datetime(2026, 3, 11, 7, 0)
    still_signalling(store, warning, morning)
    deliver_alerts(store, channels, [sleepy], morning, policy=POLICY)
    assert deliveries(store, warning)[-1] == ("sam", "sms", "page", True)
    with store.session() as session:
        acknowledge(session, session.get(AlertRow, warning), actor="sam", now=morning)
        session.get(AlertRow, warning).status = "closed"
    critical = open_alert(store, at=night + timedelta(days=1), severity="critical")
    deliver_alerts(store, channels, [sleepy], night + timedelta(days=1), policy=POLICY)
    assert deliveries(store, critical)[-1] == ("sam", "sms", "page", True)


def test_quiet_hours_in_the_contacts_time_zone():
    paris = QuietHours.parse("22:00-07:00", "Europe/Paris")
    assert paris.contains(datetime(2026, 3, 10, 21, 30))  # 22:30 in Paris (UTC+1)
    assert not paris.contains(datetime(2026, 3, 10, 20, 30))
    assert not QuietHours.parse("12:00-13:00").contains(datetime(2026, 3, 10, 13, 0))


def test_cooldown_pages_a_flapping_situation_once(store, world):
    _receiver, _inbox, channels = world
    first = open_alert(store, severity="major")
    deliver_alerts(store, channels, [BEN], T0, policy=POLICY)
    with store.session() as session:
        acknowledge(session, session.get(AlertRow, first), actor="ben", now=T0)
        session.get(AlertRow, first).status = "closed"
    again = open_alert(store, at=T0 + timedelta(minutes=10), severity="major")
    deliver_alerts(store, channels, [BEN], T0 + timedelta(minutes=10), policy=POLICY)
    deliver_alerts(store, channels, [BEN], T0 + timedelta(minutes=25), policy=POLICY)
    assert deliveries(store, again) == [("dashboard", "dashboard", "page", True)]
    deliver_alerts(store, channels, [BEN], T0 + timedelta(minutes=31), policy=POLICY)
    assert deliveries(store, again)[-1] == ("ben", "sms", "page", True)  # cooldown over
    with store.session() as session:
        session.get(AlertRow, again).status = "closed"
    worse = open_alert(store, at=T0 + timedelta(minutes=35), severity="critical")
    deliver_alerts(store, channels, [BEN], T0 + timedelta(minutes=35), policy=POLICY)
    assert deliveries(store, worse)[-1] == ("ben", "sms", "page", True)  # more severe: now


def test_a_rise_in_severity_sends_one_update(store, world):
    receiver, _inbox, channels = world
    alert_id = open_alert(store, severity="warning")
    deliver_alerts(store, channels, [BEN], T0, policy=POLICY)
    with store.session() as session:
        session.get(AlertRow, alert_id).severity = "critical"
    deliver_alerts(store, channels, [BEN], T0 + timedelta(minutes=2), policy=POLICY)
    deliver_alerts(store, channels, [BEN], T0 + timedelta(minutes=3), policy=POLICY)
    assert [d[2] for d in deliveries(store, alert_id)] == ["page", "page", "update"]
    assert sms_sent(receiver)[-1]["Body"].startswith("Désormais CRITICAL")


def test_failing_channels_are_recorded_and_do_not_block_the_others(store, world):
    receiver, _inbox, channels = world
    # SMS: bad credentials
    receiver.script(Reply(401, body='{"message": "Authenticate"}'), then=SENT)
    channels = {**channels, "slack": SlackChannel(f"http://127.0.0.1:{free_port()}/down",
                                                  http=Http(retries=0, timeout=1))}
    alert_id = open_alert(store, incident=True)
    assert deliver_alerts(store, channels, [ANA], T0, policy=POLICY) == 2  # dashboard, email
    with store.session() as session:
        rows = {d.channel: d for d in session.execute(
            select(AlertDeliveryRow).where(AlertDeliveryRow.contact == "ana")).scalars()}
        assert (rows["sms"].ok, rows["sms"].permanent) == (False, True)
        assert (rows["slack"].ok, rows["slack"].permanent) == (False, False)
        assert rows["email"].ok
        detail = session.execute(select(TimelineRow.detail).where(
            TimelineRow.kind == "alert")).scalars().all()[-1]
    assert detail.startswith(f"Alert #{alert_id} page to ana by email; failed sms: sms: HTTP 401")


def test_no_contacts_means_the_dashboard_only(store):
    open_alert(store)
    assert deliver_alerts(store, {}, [], T0, policy=POLICY) == 1
    assert deliver_alerts(store, {}, [], T0 + timedelta(hours=1), policy=POLICY) == 0


def test_contacts_and_policy_from_config():
    contacts = contacts_from_config([
        {"name": "ana", "channels": {"sms": "+331", "email": "a@x"}, "quiet_hours": "22:00-07:00",
         "timezone": "Europe/Paris"},
        {"name": "ben", "lang": "fr", "channels": {"slack": ""}},
    ])
    assert [c.name for c in contacts] == ["ana", "ben"]
    assert contacts[0].channels == (("sms", "+331"), ("email", "a@x"))
    assert contacts[0].quiet_hours == QuietHours(time(22), time(7), "Europe/Paris")
    policy = policy_from_config({"resend_after_minutes": 5, "escalate_after_minutes": 15,
                                 "public_url": "https://c.example"}, "s")
    assert (policy.resend_after, policy.escalate_after, policy.ack_secret) == (
        timedelta(minutes=5), timedelta(minutes=15), ack_key("s"))
