"""The channel adapters against real local servers: an HTTP receiver in a thread (Slack,
Twilio-style SMS, signed webhooks) and an aiosmtpd SMTP server, including the failures
that happen in real life: the receiver is down, refuses the message, or hangs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import time
from datetime import datetime
from urllib.parse import parse_qs

import pytest

from responders.channels.base import ChannelError, Message
from responders.channels.email import EmailChannel
from responders.channels.http import Http
from responders.channels.slack import SlackChannel
from responders.channels.sms import TwilioSMSChannel
from responders.channels.webhook import WebhookChannel
from tests.support.fake_http import FakeServer, Reply, free_port
from tests.support.smtp import Inbox, smtp_server

NOW = datetime(2026, 3, 10, 10, 5)
MESSAGE = Message(draft_id=7, channel="x", audience="team", lang="en",
                  subject="Login outage", body="Logins fail since 10:00. Next update 10:45.")


SENT = Reply(200, body='{"sid": "SM123"}')  # what the receiver answers unless scripted


@pytest.fixture
def receiver():
    with FakeServer() as fake:
        fake.script(then=SENT)
        yield fake


def fast_http(**kw) -> Http:
    return Http(timeout=kw.pop("timeout", 2.0), retries=kw.pop("retries", 2), backoff=0.01,
                sleep=lambda s: None)


# --- the chokepoint ---------------------------------------------------------------------


def test_transient_errors_are_retried_then_succeed(receiver):
    receiver.script(Reply(503, body="busy"), Reply(502, body="bad gateway"), then=SENT)
    SlackChannel(receiver.url + "/hook", http=fast_http()).send(MESSAGE, NOW)
    assert len(receiver.requests) == 3
    assert receiver.requests[-1].json == {
        "text": "*Login outage*\nLogins fail since 10:00. Next update 10:45."}


def test_a_4xx_is_permanent_and_not_retried(receiver):
    receiver.script(Reply(404, body="no_service"), then=SENT)
    with pytest.raises(ChannelError) as err:
        SlackChannel(receiver.url + "/hook", http=fast_http()).send(MESSAGE, NOW)
    assert err.value.permanent and "404" in str(err.value)
    assert len(receiver.requests) == 1


def test_too_many_requests_is_transient(receiver):
    receiver.script(*[Reply(429, body="slow down")] * 3, then=SENT)
    with pytest.raises(ChannelError) as err:
        SlackChannel(receiver.url, http=fast_http()).send(MESSAGE, NOW)
    assert not err.value.permanent and len(receiver.requests) == 3


def test_a_channel_that_is_down_is_a_transient_error():
    url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there
    slept = []
    http = Http(timeout=1.0, retries=2, backoff=0.5, sleep=slept.append)
    with pytest.raises(ChannelError) as err:
        SlackChannel(url, http=http).send(MESSAGE, NOW)
    assert not err.value.permanent and "connection failed" in str(err.value)
    assert slept == [0.5, 1.0]  # exponential backoff between the three attempts


def test_a_slow_receiver_times_out(receiver):
    receiver.script(*[Reply(200, body="ok", delay=1.0)] * 2, then=SENT)
    began = time.perf_counter()
    with pytest.raises(ChannelError) as err:
        SlackChannel(receiver.url, http=fast_http(timeout=0.2, retries=1)).send(MESSAGE, NOW)
    assert not err.value.permanent and "timed out" in str(err.value)
    assert time.perf_counter() - began < 1.5


# --- adapters --------------------------------------------------------------------------------


def test_twilio_sms_posts_the_form_with_basic_auth(receiver):
    channel = TwilioSMSChannel("AC123", "tok", "+15550001111", base_url=receiver.url,
                               http=fast_http())
    delivery = channel.send(Message(**{**MESSAGE.__dict__, "to": "+33600000001"}), NOW)
    assert delivery.external_id == "SM123"
    req = receiver.requests[0]
    assert req.target == "/2010-04-01/Accounts/AC123/Messages.json"
    assert req.headers["Authorization"] == "Basic " + base64.b64encode(b"AC123:tok").decode()
    form = {k: v[0] for k, v in parse_qs(req.body.decode()).items()}
    assert form == {"To": "+33600000001", "From": "+15550001111", "Body": MESSAGE.body}


def test_twilio_refusal_is_permanent(receiver):
    receiver.script(Reply(400, body='{"code": 21211, "message": "Invalid To number"}'), then=SENT)
    channel = TwilioSMSChannel("AC123", "tok", "+1555", to="+1", base_url=receiver.url,
                               http=fast_http())
    with pytest.raises(ChannelError) as err:
        channel.send(MESSAGE, NOW)
    assert err.value.permanent and "21211" in str(err.value)


def test_sms_without_a_number_is_refused_before_sending(receiver):
    with pytest.raises(ChannelError) as err:
        TwilioSMSChannel("AC1", "t", "+1", base_url=receiver.url).send(MESSAGE, NOW)
    assert err.value.permanent and receiver.requests == []


def test_webhook_is_signed_with_hmac_sha256(receiver):
    WebhookChannel(receiver.url + "/in", "s3cret", http=fast_http()).send(MESSAGE, NOW)
    req = receiver.requests[0]
    expected = "sha256=" + hmac.new(b"s3cret", req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Crisiswatch-Signature"] == expected
    payload = json.loads(req.body)
    assert payload["body"] == MESSAGE.body and payload["sent_at"] == NOW.isoformat()


def test_webhook_does_not_follow_redirects(receiver):
    receiver.script(Reply(307, body="{}", headers={"Location": "/elsewhere"}), then=SENT)
    with pytest.raises(ChannelError, match="HTTP 307") as err:
        WebhookChannel(receiver.url + "/in", "s3cret", http=fast_http()).send(MESSAGE, NOW)
    assert err.value.permanent and [r.target for r in receiver.requests] == ["/in"]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """(CA certificate file, server context): a test CA and a certificate it signed for
    hooks.example.com, served from 127.0.0.1."""
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def cert(subject, key, issuer, issuer_key, ca, san=None):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(datetime(2020, 1, 1))
                   .not_valid_after(datetime.now() + timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]),
                                            critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = cert("crisiswatch test CA", ca_key, None, ca_key, ca=True)
    leaf = cert("hooks.example.com", leaf_key, ca.subject, ca_key, ca=False,
                san="hooks.example.com")
    folder = tmp_path_factory.mktemp("tls")
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(pem) + leaf_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "leaf.pem")
    return str(folder / "ca.pem"), context


def test_pinned_post_goes_to_the_given_address_and_checks_the_certificate_by_name(tls_files):
    """connect_to: no name resolution (hooks.example.com resolves nowhere here), yet TLS
    sends the name (SNI) and verifies the certificate against it, not against the address."""
    ca_file, context = tls_files
    tls = FakeServer(tls=context)
    tls.script(then=SENT)
    try:
        port = tls.url.rsplit(":", 1)[1]
        url = f"https://hooks.example.com:{port}/in?x=1"
        fast_http().post(url, what="webhook", connect_to="127.0.0.1", data=b"{}", verify=ca_file)
        [req] = tls.requests
        assert req.target == "/in?x=1" and req.headers["Host"] == f"hooks.example.com:{port}"
        assert tls.server_names == ["hooks.example.com"]
        # the certificate is for hooks.example.com: another name at the same address fails
        with pytest.raises(ChannelError, match="connection failed"):
            fast_http(retries=0).post(f"https://other.example.org:{port}/in", what="webhook",
                                      connect_to="127.0.0.1", data=b"{}", verify=ca_file)
        assert len(tls.requests) == 1
    finally:
        tls.close()


# --- email -----------------------------------------------------------------------------------


@pytest.fixture
def smtp():
    inbox = Inbox(refuse="nobody@example.com")
    with smtp_server(inbox) as port:
        yield inbox, port


def test_email_is_delivered_over_smtp(smtp):
    inbox, port = smtp
    channel = EmailChannel("127.0.0.1", port, sender="alerts@nimbus.example",
                           to="team@nimbus.example")
    delivery = channel.send(MESSAGE, NOW)
    sender, rcpts, mail = inbox.messages[0]
    assert (sender, rcpts) == ("alerts@nimbus.example", ["team@nimbus.example"])
    assert mail["Subject"] == "Login outage" and mail["Message-ID"] == delivery.external_id
    assert mail.get_payload(decode=True).decode().strip() == MESSAGE.body


def test_email_recipient_refused_is_permanent(smtp):
    _, port = smtp
    with pytest.raises(ChannelError) as err:
        EmailChannel("127.0.0.1", port).send(
            Message(**{**MESSAGE.__dict__, "to": "nobody@example.com"}), NOW)
    assert err.value.permanent


def test_email_server_down_is_transient():
    with pytest.raises(ChannelError) as err:
        EmailChannel("127.0.0.1", free_port(), to="a@b.c", timeout=1).send(MESSAGE, NOW)
    assert not err.value.permanent


def test_email_starttls_on_a_server_without_it_fails_cleanly(smtp):
    _, port = smtp
    with pytest.raises(ChannelError) as err:
        EmailChannel("127.0.0.1", port, to="a@b.c", starttls=True).send(MESSAGE, NOW)
    assert "email:" in str(err.value)
