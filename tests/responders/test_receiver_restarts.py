"""Receivers that stop in the middle of a delivery and come back (issue 16): a real SMTP
server (aiosmtpd) and a real HTTP webhook receiver (FakeServer) stop right after the first
of three pages (three alerts open at once, one on-call), and restart two minutes later on
the same port. Nothing is lost and nothing is sent twice: each alert's page arrives exactly
once, and the delivery rows say so."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from responders.alerting import AlertPolicy, Contact, deliver_alerts
from responders.channels.email import EmailChannel
from responders.channels.http import Http
from responders.channels.webhook import WebhookChannel
from store.models import AlertDeliveryRow, AlertRow
from tests.support.fake_http import FakeServer, Reply, free_port
from tests.support.smtp import Inbox

pytestmark = pytest.mark.fault

T0 = datetime(2026, 3, 10, 10, 0)
# No re-send inside the test's ten minutes: every message received is the page itself; no
# cooldown, so each of the three alerts opened together is paged.
POLICY = AlertPolicy(resend_after=timedelta(minutes=30), resends=1,
                     escalate_after=timedelta(minutes=60), cooldown=timedelta(0))
TITLES = ("Unusual mention volume", "Rumour spreading", "Support tickets surge")


class StopsAfterFirst:
    """A channel whose receiver is stopped (by `stop`) right after its first send."""

    def __init__(self, channel, stop):
        self.channel, self.stop, self.sent = channel, stop, 0

    def __getattr__(self, name):
        return getattr(self.channel, name)

    def send(self, message, now):
        delivery = self.channel.send(message, now)
        self.sent += 1
        if self.sent == 1:
            self.stop()
        return delivery


def open_alerts(store) -> list[int]:
    with store.session() as session:
        rows = [AlertRow(opened_at=T0, updated_at=T0, severity="major", kinds=["mentions"],
                         title=title, evidence={}, status="open") for title in TITLES]
        session.add_all(rows)
        session.flush()
        return sorted(r.id for r in rows)


def pages_ok(store, channel: str) -> list[int]:
    """The alert of every successful page on `channel`, sorted."""
    with store.session() as session:
        return sorted(session.execute(select(AlertDeliveryRow.alert_id).where(
            AlertDeliveryRow.channel == channel, AlertDeliveryRow.ok.is_(True))).scalars())


def run(store, channels, contacts, start: int, stop: int) -> None:
    for minute in range(start, stop):
        deliver_alerts(store, channels, contacts, T0 + timedelta(minutes=minute), policy=POLICY)


def test_smtp_server_stopped_mid_delivery_and_restarted_loses_nothing(store):
    """SMTP server stopped mid-delivery, restarted: every page once"""
    port, inbox = free_port(), Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    email = StopsAfterFirst(EmailChannel("127.0.0.1", port, sender="alerts@nimbus.example",
                                         timeout=2), controller.stop)
    contacts = [Contact("ana", (("email", "ana@nimbus.example"),))]
    alerts = open_alerts(store)
    run(store, {"email": email}, contacts, 0, 2)
    assert len(inbox.messages) == 1  # the receiver died after the first page
    restarted = Controller(inbox, hostname="127.0.0.1", port=port)
    restarted.start()
    try:
        run(store, {"email": email}, contacts, 2, 10)
    finally:
        restarted.stop()
    subjects = sorted(next(t for t in TITLES if t in m.message["Subject"])
                      for m in inbox.messages)
    assert subjects == sorted(TITLES)  # each alert's page once
    assert pages_ok(store, "email") == alerts


def test_webhook_receiver_stopped_mid_delivery_and_restarted_loses_nothing(store):
    """webhook receiver stopped mid-delivery, restarted: every page once"""
    first = FakeServer()
    port = first.server.server_address[1]
    first.route("POST", "/hook", Reply(json={"ok": True}), Reply(json={"ok": True}))
    hook = StopsAfterFirst(WebhookChannel(f"{first.url}/hook", "hook-secret",
                                          http=Http(retries=0, timeout=2)), first.close)
    contacts = [Contact("ana", (("webhook", "ana@team"),))]
    alerts = open_alerts(store)
    run(store, {"webhook": hook}, contacts, 0, 2)
    assert len(first.calls("/hook")) == 1
    with FakeServer(port=port) as second:
        second.route("POST", "/hook", *[Reply(json={"ok": True})] * 10)
        run(store, {"webhook": hook}, contacts, 2, 10)
        received = [json.loads(r.body)["alert_id"] for r in first.calls("/hook")
                    + second.calls("/hook")]
    assert sorted(received) == alerts  # each alert's page once
    assert pages_ok(store, "webhook") == alerts
