"""Self-serve status subscribers end to end: a real local SMTP server (aiosmtpd), a local
HTTP receiver for webhooks, the real Flask app with its login wall, on SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
from datetime import datetime, timedelta
from email import policy

import pytest
from sqlalchemy import func, select, update

from responders import subscribers
from responders.channels.base import ChannelError
from responders.channels.email import EmailChannel
from responders.channels.http import Http
from responders.drafts import Brand
from responders.incidents import declare
from responders.subscribers import notify_subscribers, subscribe
from store.models import DraftRow, StatusNotificationRow, StatusPostRow, StatusSubscriberRow
from tests.support.fake_http import FakeServer, Reply
from tests.support.smtp import Inbox, smtp_server

NOW = datetime(2026, 3, 10, 10, 30)
BRAND = Brand(name="Nimbus & Co", status_url="https://status.nimbus.example/status")


def hook(reply: Reply) -> FakeServer:
    """A webhook receiver answering every POST /hook with `reply`."""
    fake = FakeServer()
    fake.route("POST", "/hook", reply)
    return fake


@pytest.fixture
def smtp():
    inbox = Inbox(policy=policy.default)
    with smtp_server(inbox) as port:
        yield inbox, {"email": EmailChannel("127.0.0.1", port, sender="status@nimbus.example")}


def body_of(mail) -> str:
    return mail.get_payload(decode=True).decode()


def post(store, n, lang, body, at, phase="investigating"):
    with store.session() as s:
        incident = s.get(__import__("store.models", fromlist=["IncidentRow"]).IncidentRow, 1) \
            or declare(s, title="Login outage", crisis_type="outage", severity="major",
                       actor="eve", now=at)
        s.add(DraftRow(id=n, incident_id=incident.id, kind="status", audience="customers",
                       channel="statuspage", lang=lang, body=body, template="-", author="eve",
                       status="published", created_at=at, updated_at=at))
        s.flush()
        s.add(StatusPostRow(draft_id=n, incident_id=incident.id, title="Login outage",
                            phase=phase, lang=lang, body=body, published_at=at))


def notify(store, channels, now=NOW, **kw):
    return notify_subscribers(store, channels, now, brand=BRAND,
                              http=Http(timeout=2, retries=0), **kw)


def test_email_double_opt_in_one_update_in_the_right_language_then_unsubscribe(store, smtp):
    inbox, channels = smtp
    with store.session() as s:
        subscribe(s, "email", " Ana@Example.org ", "fr", NOW)
    post(store, 1, "fr", "Avant la confirmation.", NOW + timedelta(minutes=1))
    assert notify(store, channels, NOW + timedelta(minutes=1)) == 0  # not confirmed: none
    [(_, rcpts, mail)] = inbox.messages  # only the confirmation
    assert rcpts == ["ana@example.org"] and "Confirmez" in mail["Subject"]
    token = re.search(r"https://status\.nimbus\.example/status/confirm/(\S+)",
                      body_of(mail)).group(1)
    assert notify(store, channels, NOW + timedelta(minutes=2)) == 0
    assert len(inbox.messages) == 1  # the confirmation goes once

    with store.session() as s:
        assert subscribers.confirm(s, token, NOW + timedelta(minutes=5)).confirmed_at
    post(store, 2, "en", "We are investigating.", NOW + timedelta(minutes=6))
    post(store, 3, "fr", "Nous analysons le problème.", NOW + timedelta(minutes=6))
    assert notify(store, channels, NOW + timedelta(minutes=7)) == 1
    [(_, rcpts, mail)] = inbox.messages[1:]
    text = body_of(mail)
    assert rcpts == ["ana@example.org"] and "Analyse en cours: Login outage" in mail["Subject"]
    assert text.startswith("Nous analysons le problème.")  # the French post only, not #1
    assert "https://status.nimbus.example/status?lang=fr#update-3" in text
    unsub = re.search(r"https://status\.nimbus\.example/status/unsubscribe/(\S+)", text)
    assert unsub and unsub.group(1) == token

    assert notify(store, channels, NOW + timedelta(minutes=8)) == 0  # rerun: nothing more
    assert len(inbox.messages) == 2
    with store.session() as s:
        assert s.execute(select(StatusNotificationRow.ok)).scalars().all() == [True]
        subscribers.unsubscribe(s, token, NOW + timedelta(minutes=9))
    post(store, 4, "fr", "Résolu.", NOW + timedelta(minutes=10), phase="resolved")
    assert notify(store, channels, NOW + timedelta(minutes=11)) == 0
    assert len(inbox.messages) == 2


def test_a_crash_after_claiming_never_sends_twice(store, smtp):
    inbox, channels = smtp
    with store.session() as s:
        row = subscribe(s, "email", "bo@example.org", "en", NOW)
        row.confirmed_at, row.confirm_sent_at = NOW, NOW
        sub_id = row.id
    post(store, 1, "en", "We are investigating.", NOW + timedelta(minutes=1))
    with store.session() as s:  # a run that claimed, then died before sending
        s.add(StatusNotificationRow(subscriber_id=sub_id, status_post_id=1, at=NOW))
    assert notify(store, channels, NOW + timedelta(minutes=5)) == 0
    assert inbox.messages == []


def test_no_subscribers_is_cheap_and_sends_nothing(store, smtp):
    inbox, channels = smtp
    post(store, 1, "en", "We are investigating.", NOW)
    assert notify_subscribers(store, channels, NOW) == 0 and inbox.messages == []
    assert notify_subscribers(store, {}, NOW) == 0


def test_webhook_subscriber_gets_one_correctly_signed_post(store):
    with hook(Reply(200, {"ok": True})) as api, store.session() as s:
        row = subscribe(s, "webhook", "https://hooks.example.com/hook", "en", NOW)
        assert row.fresh and row.confirmed_at == NOW
        secret = row.token
        # the public form only takes https URLs to public hosts; point this one at the
        # local receiver behind its back
        s.execute(update(StatusSubscriberRow).values(address=api.url + "/hook"))
        s.commit()
        post(store, 1, "en", "We are investigating.", NOW + timedelta(minutes=1))
        post(store, 2, "fr", "Nous analysons.", NOW + timedelta(minutes=1))
        assert notify(store, {}, NOW + timedelta(minutes=2), public_only=False) == 1
        assert notify(store, {}, NOW + timedelta(minutes=3), public_only=False) == 0
        [req] = api.calls("/hook", "POST")
        expected = "sha256=" + hmac.new(secret.encode(), req.body, hashlib.sha256).hexdigest()
        assert req.headers["x-crisiswatch-signature"] == expected
        payload = json.loads(req.body)
        assert payload["body"] == "We are investigating." and payload["lang"] == "en"
        assert payload["phase"] == "investigating" and payload["to"] is None


def test_webhook_failure_is_recorded_once_not_retried(store):
    with hook(Reply(410, {"gone": True})) as api:
        with store.session() as s:
            subscribe(s, "webhook", "https://hooks.example.com/hook", "en", NOW)
            s.execute(update(StatusSubscriberRow).values(address=api.url + "/hook"))
        post(store, 1, "en", "x", NOW + timedelta(minutes=1))
        assert notify(store, {}, NOW + timedelta(minutes=2), public_only=False) == 0
        assert notify(store, {}, NOW + timedelta(minutes=3), public_only=False) == 0
        assert len(api.requests) == 1
        with store.session() as s:
            [n] = s.execute(select(StatusNotificationRow)).scalars()
            assert n.ok is False and "HTTP 410" in n.error


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_webhook_host_resolving_to_a_private_address_gets_nothing(store, host):
    """The form refuses private IP literals; a public-looking name can still be pointed
    inside later, so the address is resolved again, for real, before every POST."""
    with hook(Reply(200, {"ok": True})) as api:
        with store.session() as s:
            subscribe(s, "webhook", "https://hooks.example.com/hook", "en", NOW)
            s.execute(update(StatusSubscriberRow).values(
                address=api.url.replace("127.0.0.1", host) + "/hook"))
        post(store, 1, "en", "x", NOW + timedelta(minutes=1))
        assert notify(store, {}, NOW + timedelta(minutes=2)) == 0
        assert api.requests == []
        with store.session() as s:
            [n] = s.execute(select(StatusNotificationRow)).scalars()
            assert n.ok is False and "non-public address (127.0.0.1)" in n.error


def test_webhook_posts_to_the_address_that_was_checked(store, monkeypatch):
    """DNS rebinding: the name answers a vetted address to the check, then an inside one.
    The POST goes to the vetted address, with the name in the Host header; nothing resolves
    the name a second time. (Loopback stands in for a public address here.)"""
    real, asked = socket.getaddrinfo, []

    def rebinding(host, *args, **kwargs):
        if host != "hooks.example.com":
            return real(host, *args, **kwargs)
        asked.append(host)
        return [(2, 1, 6, "", ("127.0.0.1" if len(asked) == 1 else "10.9.9.9", 443))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(subscribers, "is_public", lambda ip: ip.is_global or ip.is_loopback)
    with hook(Reply(200, {"ok": True})) as api:
        port = api.url.rsplit(":", 1)[1]
        with store.session() as s:
            subscribe(s, "webhook", "https://hooks.example.com/hook", "en", NOW)
            s.execute(update(StatusSubscriberRow).values(
                address=f"http://hooks.example.com:{port}/hook"))
        post(store, 1, "en", "We are investigating.", NOW + timedelta(minutes=1))
        assert notify(store, {}, NOW + timedelta(minutes=2)) == 1
        [req] = api.calls("/hook", "POST")
        assert req.headers["host"] == f"hooks.example.com:{port}"
    assert asked == ["hooks.example.com"]


def test_public_host_check_reads_every_resolved_address():
    def resolver(*answers):
        return lambda host, port, proto: [(2, 1, 6, "", (a, port)) for a in answers]

    assert subscribers.check_public_host(
        "https://hooks.example.com/x", resolver("2606:2800:220:1::", "93.184.216.34")
    ) == "93.184.216.34"
    for answers in (("93.184.216.34", "10.1.2.3"), ("169.254.169.254",), ("fd00::1",)):
        with pytest.raises(ChannelError, match="non-public"):
            subscribers.check_public_host("https://hooks.example.com/x", resolver(*answers))

    def fails(*_a, **_k):
        raise socket.gaierror(-2, "Name or service not known")
    with pytest.raises(ChannelError, match="cannot resolve") as err:
        subscribers.check_public_host("https://nowhere.invalid/x", fails)
    assert err.value.permanent


@pytest.mark.parametrize("kind,address", [
    ("email", "not-an-address"), ("email", "a@b"), ("email", "a b@example.org"),
    ("email", "a@example.org\r\nBcc: x@y.z"), ("email", "x" * 250 + "@example.org"),
    ("webhook", "http://hooks.example.com/"), ("webhook", "ftp://hooks.example.com/"),
    ("webhook", "https://127.0.0.1/hook"), ("webhook", "https://localhost/hook"),
    ("webhook", "https://10.0.0.5/hook"), ("webhook", "https://[::1]/hook"),
    ("webhook", "https://169.254.169.254/latest"), ("webhook", "https://user:pw@example.com/"),
    ("webhook", "javascript:alert(1)"), ("webhook", ""), ("sms", "+33600000000"),
])
def test_bad_addresses_are_refused(sqlite_store, kind, address):
    with sqlite_store.session() as s, pytest.raises(ValueError):
        subscribe(s, kind, address, "en", NOW)


def test_bad_language_refused_and_same_address_is_idempotent(store):
    with store.session() as s:
        with pytest.raises(ValueError, match="language"):
            subscribe(s, "email", "a@example.org", "de", NOW)
        first = subscribe(s, "email", "a@example.org", "en", NOW)
        again = subscribe(s, "email", "A@EXAMPLE.ORG", "fr", NOW)
        assert again.id == first.id and not again.fresh
        hook = subscribe(s, "webhook", "https://hooks.example.com/x", "en", NOW)
        assert hook.fresh and not subscribe(s, "webhook", "https://hooks.example.com/x",
                                            "en", NOW).fresh
        assert s.execute(select(func.count()).select_from(StatusSubscriberRow)).scalar() == 2
        subscribers.unsubscribe(s, hook.token, NOW)
        old = hook.token
        back = subscribe(s, "webhook", "https://hooks.example.com/x", "en", NOW)
        assert back.fresh and back.token != old and back.unsubscribed_at is None


# --- through the real app, login wall included ---------------------------------------------


@pytest.fixture
def client(store):
    from dashboard.app import create_app
    from dashboard.context import DashboardContext
    from responders.templates import TemplateLibrary

    app = create_app(DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                                      brand=BRAND, secret_key="k"))
    return app.server.test_client()


def test_public_routes_work_without_login(client, store, smtp):
    inbox, channels = smtp
    page = client.get("/status")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'action="/status/subscribe"' in html
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]

    r = client.post("/status/subscribe", data={"email": "<b>nope</b>", "lang": "en"})
    assert r.status_code == 400 and "<b>nope" not in r.get_data(as_text=True)
    r = client.post("/status/subscribe", data={"email": "cy@example.org", "lang": "fr"})
    assert r.status_code == 200 and "Consultez votre boîte" in r.get_data(as_text=True)
    notify(store, channels)
    [(_, _, mail)] = inbox.messages
    path = re.search(r"https://status\.nimbus\.example(/status/confirm/\S+)",
                     body_of(mail)).group(1)

    r = client.get(path)  # a mail scanner opening the link confirms nothing
    assert r.status_code == 200 and "<form method=\"post\">" in r.get_data(as_text=True)
    with store.session() as s:
        assert s.execute(select(StatusSubscriberRow.confirmed_at)).scalar() is None
    r = client.post(path)
    assert r.status_code == 200 and "Abonné" in r.get_data(as_text=True)
    with store.session() as s:
        assert s.execute(select(StatusSubscriberRow.confirmed_at)).scalar() == NOW

    unsub = path.replace("/confirm/", "/unsubscribe/")
    assert client.get(unsub).status_code == 200
    r = client.post(unsub)
    assert r.status_code == 200 and "Désabonné" in r.get_data(as_text=True)
    with store.session() as s:
        assert s.execute(select(StatusSubscriberRow.unsubscribed_at)).scalar() == NOW
    assert client.get("/status/unsubscribe/nope").status_code == 404
    assert client.post("/status/confirm/<script>").status_code == 404

    r = client.post("/status/subscribe/webhook",
                    json={"url": "https://hooks.example.com/in", "lang": "en"})
    assert r.status_code == 201
    js = r.get_json()
    assert js["secret"] and js["unsubscribe_url"].startswith(
        "https://status.nimbus.example/status/unsubscribe/")
    again = client.post("/status/subscribe/webhook",
                        json={"url": "https://hooks.example.com/in", "lang": "en"})
    assert again.status_code == 200 and "secret" not in again.get_json()
    bad = client.post("/status/subscribe/webhook", json={"url": "http://10.0.0.1/", "lang": "en"})
    assert bad.status_code == 400
    assert client.post("/status/subscribe/webhook", data="x").status_code == 400

    # nothing else under /status/ is reachable: not a page there, so a 404 (issue 16), never
    # the dashboard's index
    assert client.get("/status/admin").status_code == 404


def test_subscribe_routes_are_rate_limited_per_client(client):
    for n in range(10):
        r = client.post("/status/subscribe", data={"email": f"u{n}@example.org", "lang": "fr"})
        assert r.status_code == 200
    r = client.post("/status/subscribe", data={"email": "u10@example.org", "lang": "fr"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 500
    assert "Réessayez dans 10 min" in r.get_data(as_text=True)
    hook = client.post("/status/subscribe/webhook", json={"url": "https://h.example.com/"})
    assert hook.status_code == 429 and hook.get_json() == {"error": "too many requests"}
    other = client.post("/status/subscribe", data={"email": "v@example.org", "lang": "en"},
                        environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert other.status_code == 200


class FlakyMail:
    """An email channel down for its first `down` sends (a transient error), or refusing
    every send for good (`permanent`)."""

    def __init__(self, down: int = 0, permanent: bool = False):
        self.down, self.permanent, self.got = down, permanent, []

    def send(self, message, now):
        from responders.channels.base import Delivery

        if self.permanent:
            raise ChannelError("550 mailbox unavailable", permanent=True)
        if self.down:
            self.down -= 1
            raise ChannelError("connection refused")
        self.got.append(message)
        return Delivery(external_id=f"mail-{len(self.got)}")


def confirmed(store, address="bo@example.org", lang="en", at=NOW) -> int:
    with store.session() as s:
        row = subscribe(s, "email", address, lang, at)
        row.confirmed_at, row.confirm_sent_at = at, at
        return row.id


def test_a_failed_update_is_retried_with_backoff_and_sent_once(store):
    confirmed(store)
    post(store, 1, "en", "We are investigating.", NOW + timedelta(minutes=1))
    mail = FlakyMail(down=2)
    at = NOW + timedelta(minutes=2)
    assert notify(store, {"email": mail}, at) == 0  # down: recorded, owed again in 1 min
    assert notify(store, {"email": mail}, at + timedelta(seconds=30)) == 0  # not yet due
    assert notify(store, {"email": mail}, at + timedelta(minutes=1)) == 0  # down again: 2 min
    assert notify(store, {"email": mail}, at + timedelta(minutes=2)) == 0  # not yet due
    assert notify(store, {"email": mail}, at + timedelta(minutes=3)) == 1
    assert notify(store, {"email": mail}, at + timedelta(minutes=30)) == 0
    assert [m.body.split("\n")[0] for m in mail.got] == ["We are investigating."]
    with store.session() as s:
        row = s.execute(select(StatusNotificationRow)).scalar_one()
        assert (row.ok, row.tries, row.retry_at, row.error) == (True, 3, None, None)


def test_a_refused_update_is_not_retried(store):
    confirmed(store, "gone@example.org")
    post(store, 1, "en", "We are investigating.", NOW + timedelta(minutes=1))
    refusing = FlakyMail(permanent=True)
    assert notify(store, {"email": refusing}, NOW + timedelta(minutes=2)) == 0
    assert notify(store, {"email": FlakyMail()}, NOW + timedelta(hours=1)) == 0  # never again


def test_an_update_replaced_before_its_retry_is_not_sent_late(store):
    confirmed(store, "late@example.org")
    mail = FlakyMail(down=1)
    post(store, 2, "en", "We have found the cause.", NOW + timedelta(minutes=3),
         phase="identified")
    assert notify(store, {"email": mail}, NOW + timedelta(minutes=3)) == 0  # down
    post(store, 3, "en", "A fix is being deployed.", NOW + timedelta(minutes=3, seconds=30),
         phase="fixing")
    # when the retry is due the cause update is stale: the fix update goes, the cause does not
    assert notify(store, {"email": mail}, NOW + timedelta(minutes=5)) == 1
    assert [m.body.split("\n")[0] for m in mail.got] == ["A fix is being deployed."]
    with store.session() as s:
        cause, fix = (s.execute(select(StatusPostRow.id).where(StatusPostRow.draft_id == n))
                      .scalar_one() for n in (2, 3))
        stale = s.execute(select(StatusNotificationRow).where(
            StatusNotificationRow.status_post_id == cause)).scalar_one()
    assert stale.ok is False and stale.retry_at is None
    assert f"replaced by status post {fix}" in stale.error
