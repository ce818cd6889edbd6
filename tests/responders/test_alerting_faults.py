"""Paging through faults: a real local SMTP server that is down then back, and a crash
between two channels of one page. A failed send is retried with backoff until delivered
and never uses up a re-send; a crash leaves its send_attempts evidence and the rest of the
page is still sent."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from responders.alerting import AlertPolicy, Contact, deliver_alerts
from responders.channels.base import ChannelError, Delivery
from responders.channels.email import EmailChannel
from store.models import AlertDeliveryRow, AlertRow, SendAttemptRow
from tests.support.fake_http import free_port
from tests.support.smtp import Inbox

pytestmark = pytest.mark.fault  # the fault suite (issue 16): `pytest -m fault`

T0 = datetime(2026, 3, 10, 10, 0)
POLICY = AlertPolicy(resend_after=timedelta(minutes=10), resends=1,
                     escalate_after=timedelta(minutes=20), cooldown=timedelta(minutes=30))


@contextmanager
def smtp_on(port: int, inbox: Inbox):
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield
    finally:
        controller.stop()


def open_alert(store, at=T0) -> int:
    with store.session() as session:
        alert = AlertRow(opened_at=at, updated_at=at, severity="major", kinds=["mentions"],
                         title="Unusual mention volume", evidence={}, status="open")
        session.add(alert)
        session.flush()
        return alert.id


def email_rows(store) -> list[tuple]:
    with store.session() as session:
        return [(d.kind, d.ok, d.at) for d in session.execute(
            select(AlertDeliveryRow).where(AlertDeliveryRow.channel == "email")
            .order_by(AlertDeliveryRow.id)).scalars()]


def run_minutes(store, channels, contacts, start: int, stop: int) -> None:
    for minute in range(start, stop):
        deliver_alerts(store, channels, contacts, T0 + timedelta(minutes=minute), policy=POLICY)


def test_email_page_is_retried_after_smtp_outage_and_resends_still_follow(store):
    port, inbox = free_port(), Inbox()
    channels = {"email": EmailChannel("127.0.0.1", port, sender="alerts@nimbus.example",
                                      timeout=2)}
    ana = Contact("ana", (("email", "ana@nimbus.example"),))
    open_alert(store)
    run_minutes(store, channels, [ana], 0, 15)  # SMTP down for 15 minutes (every minute)
    failures = email_rows(store)
    assert failures and not any(ok for _, ok, _ in failures)
    gaps = [b - a for (_, _, a), (_, _, b) in pairwise(failures)]
    assert gaps[:3] == [timedelta(minutes=m) for m in (1, 2, 4)]  # backoff, not a storm
    assert len(failures) <= 6
    with smtp_on(port, inbox):
        run_minutes(store, channels, [ana], 15, 60)
    delivered = [(kind, at) for kind, ok, at in email_rows(store) if ok]
    # the page reaches the contact once SMTP is back, then the one re-send policy allows
    assert [k for k, _ in delivered] == ["page", "resend"]
    assert delivered[0][1] <= T0 + timedelta(minutes=15 + 10)
    assert len(inbox.messages) == 2


def test_two_contacts_long_outage_still_pages_both_once_back(store):
    port, inbox = free_port(), Inbox()
    channels = {"email": EmailChannel("127.0.0.1", port, sender="alerts@nimbus.example",
                                      timeout=2)}
    contacts = [Contact("ana", (("email", "ana@nimbus.example"),)),
                Contact("ben", (("email", "ben@nimbus.example"),))]
    open_alert(store)
    run_minutes(store, channels, contacts, 0, 45)
    assert not inbox.messages
    with smtp_on(port, inbox):
        run_minutes(store, channels, contacts, 45, 70)
    rcpts = {r for m in inbox.messages for r in m.rcpts}
    assert rcpts == {"ana@nimbus.example", "ben@nimbus.example"}


class Crash(BaseException):
    """Stands for kill -9: nothing after it in the process runs."""


class SMSThenCrash:
    def __init__(self):
        self.sent = []

    def send(self, message, now):
        self.sent.append(message)
        raise Crash


class Recorder:
    def __init__(self, fail_first: int = 0):
        self.sent, self.fail_first = [], fail_first

    def send(self, message, now):
        if self.fail_first:
            self.fail_first -= 1
            raise ChannelError("down", permanent=False)
        self.sent.append(message)
        return Delivery(external_id=f"id{len(self.sent)}")


def test_crash_right_after_sms_page_leaves_evidence_and_email_still_goes(store):
    ana = Contact("ana", (("sms", "+33600000001"), ("email", "ana@nimbus.example")))
    sms, email = SMSThenCrash(), Recorder()
    alert_id = open_alert(store)
    with pytest.raises(Crash):
        deliver_alerts(store, {"sms": sms, "email": email}, [ana], T0, policy=POLICY)
    with store.session() as session:
        attempt = session.execute(select(SendAttemptRow).where(
            SendAttemptRow.channel == "sms")).scalar_one()
        assert attempt.ref.startswith(f"alert:{alert_id}:ana") and attempt.finished_at is None
    # restarted process, next cycle: the e-mail of that page is sent, the SMS not twice
    sms2 = Recorder()
    deliver_alerts(store, {"sms": sms2, "email": email}, [ana], T0 + timedelta(minutes=1),
                   policy=POLICY)
    assert len(email.sent) == 1 and not sms2.sent
    with store.session() as session:
        rows = {d.channel: d for d in session.execute(select(AlertDeliveryRow).where(
            AlertDeliveryRow.contact == "ana")).scalars()}
    assert rows["email"].ok and rows["email"].kind == "page"
    assert not rows["sms"].ok and "outcome unknown" in rows["sms"].error


def test_a_failed_channel_is_retried_alone_and_does_not_count_as_a_resend(store):
    ana = Contact("ana", (("sms", "+33600000001"), ("email", "ana@nimbus.example")))
    sms, email = Recorder(), Recorder(fail_first=1)
    open_alert(store)
    channels = {"sms": sms, "email": email}
    run_minutes(store, channels, [ana], 0, 2)
    assert (len(sms.sent), len(email.sent)) == (1, 1)  # e-mail retried at +1, SMS not
    run_minutes(store, channels, [ana], 2, 60)
    assert (len(sms.sent), len(email.sent)) == (2, 2)  # the page and one re-send each


def test_parallel_workers_page_each_channel_once(store):
    import threading

    ana = Contact("ana", (("sms", "+33600000001"), ("email", "ana@nimbus.example")))
    sms, email = Recorder(), Recorder(fail_first=1)
    open_alert(store)
    channels = {"sms": sms, "email": email}
    for minute in (0, 1):
        threads = [threading.Thread(target=deliver_alerts, args=(
            store, channels, [ana], T0 + timedelta(minutes=minute)), kwargs={"policy": POLICY})
            for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert (len(sms.sent), len(email.sent)) == (1, 1)
