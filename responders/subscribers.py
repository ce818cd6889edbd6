"""Self-serve status-page subscribers: people who get each public update by email, or
systems that get it as a signed webhook POST, in their language.

- `subscribe` records an email (double opt-in: a confirmation mail with a link goes out on
  the next `notify_subscribers` run, only confirmed addresses get updates) or an https
  webhook (confirmed at once; its `token` is the HMAC key). Subscribing the same address
  again changes nothing for an active subscription; a lapsed one starts over.
- `notify_subscribers` sends every status post published after a subscriber confirmed, in
  their language, exactly once: the `StatusNotificationRow` is committed (ok NULL) before
  sending and filled in after, and a rerun skips every pair that has a row, so a crash
  between the two loses that one notification rather than sending it twice. A send that
  failed for a reason that may pass (SMTP down, a webhook answering 503) is tried again
  with backoff (1, 2, 4 ... minutes, at most 30; `MAX_TRIES` in all), claimed by a
  conditional UPDATE so two workers never retry it together; a permanent refusal is not
  retried, and neither is an update a newer post of the same incident and language has
  replaced by then (the subscriber gets the newer one: a late stale update helps nobody).
  A webhook's host name is resolved again before each POST
  and refused if any of its addresses is not public (the form can only check IP literals,
  and a name can be pointed anywhere later); the POST then goes to the address checked,
  not to a second lookup, and redirects are not followed.

The public routes are in dashboard/public/page.py; the pipeline calls `notify_subscribers`
after the outbox has published.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets
import socket
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from responders.channels.base import Channel, ChannelError, Message
from responders.channels.http import Http
from responders.channels.webhook import WebhookChannel
from responders.delivery import deliver
from store.models import StatusNotificationRow, StatusPostRow, StatusSubscriberRow

log = logging.getLogger("crisiswatch.subscribers")

KINDS = ("email", "webhook")
MAX_TRIES = 6  # the first send and five retries, over about half an hour
MAX_BACKOFF = timedelta(minutes=30)
LANGS = ("en", "fr")
# An unconfirmed address asked again gets a new confirmation mail, but not more often
# than this: the form is public and not rate-limited, so it must not be a mail cannon.
RESEND_CONFIRMATION_AFTER = timedelta(hours=1)

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")

TEXT = {
    "en": {"phases": {"investigating": "Investigating", "identified": "Identified",
                      "fixing": "Fix in progress", "monitoring": "Monitoring",
                      "resolved": "Resolved", "postmortem": "Post-incident report"},
           "status": "status",
           "confirm_subject": "Confirm your subscription to {brand} status updates",
           "confirm_body": "Someone (we hope you) asked to receive {brand} status updates at "
                           "this address.\n\nTo confirm, open this link and press the "
                           "button:\n{link}\n\nIf it was not you, ignore this mail: you will "
                           "get nothing more.\n",
           "footer": "You receive this because you subscribed to {brand} status updates.\n"
                     "Unsubscribe: {link}\n"},
    "fr": {"phases": {"investigating": "Analyse en cours", "identified": "Cause identifiée",
                      "fixing": "Correction en cours", "monitoring": "Surveillance",
                      "resolved": "Résolu", "postmortem": "Rapport d'incident"},
           "status": "état des services",
           "confirm_subject": "Confirmez votre abonnement aux mises à jour de {brand}",
           "confirm_body": "Quelqu'un (vous, nous l'espérons) a demandé à recevoir les mises "
                           "à jour de l'état des services {brand} à cette adresse.\n\nPour "
                           "confirmer, ouvrez ce lien et appuyez sur le bouton :\n{link}\n\n"
                           "Si ce n'était pas vous, ignorez ce message : vous ne recevrez "
                           "rien d'autre.\n",
           "footer": "Vous recevez ce message car vous êtes abonné aux mises à jour de "
                     "{brand}.\nSe désabonner : {link}\n"},
}


def _valid_email(address: str) -> str:
    address = (address or "").strip()
    if len(address) > 254 or not _EMAIL.match(address):
        raise ValueError("not a valid email address")
    return address.lower()


def _valid_url(address: str) -> str:
    """An https URL to a public host name or address: no credentials, no loopback or
    private IP literals (a public form must not make us POST into our own network; a DNS
    name that resolves inside it is not caught here)."""
    address = (address or "").strip()
    try:
        parts = urlsplit(address)
        port = parts.port
    except ValueError:
        raise ValueError("not a valid URL") from None
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme != "https" or not host or len(address) > 512:
        raise ValueError("the webhook must be an https:// URL")
    if parts.username or parts.password or any(c in address for c in " \r\n\t\\"):
        raise ValueError("the webhook URL must not carry credentials or spaces")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise ValueError("the webhook must be on a public host")
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        ip = None
    if ip is not None and not ip.is_global:
        raise ValueError("the webhook must be on a public host")
    if port == 0:
        raise ValueError("not a valid URL")
    return address


def check_public_host(url: str, resolve=None) -> str:
    """The address to POST `url` to: ChannelError (permanent) unless every address its host
    resolves to is public. IPv4 first, as most senders' routes are. The caller connects to
    the returned address (`Http.post(connect_to=...)`), never resolves again: a name
    re-pointed inside after this check (DNS rebinding) gets nothing.
    `resolve` is `socket.getaddrinfo` unless given."""
    parts = urlsplit(url)
    host = (parts.hostname or "").strip("[]")
    try:
        infos = (resolve or socket.getaddrinfo)(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise ChannelError(f"webhook: cannot resolve {host!r} ({exc})", permanent=True) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise ChannelError(f"webhook: {host!r} has no address", permanent=True)
    for ip in addresses:
        if not is_public(ip):
            raise ChannelError(f"webhook: {host!r} resolves to a non-public address ({ip})",
                               permanent=True)
    return str(min(addresses, key=lambda ip: ip.version))


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether a webhook may be sent to `ip` (a module function so tests can widen it)."""
    return ip.is_global


def subscribe(session: Session, kind: str, address: str, lang: str, now: datetime,
              langs: tuple[str, ...] = LANGS) -> StatusSubscriberRow:
    """Record a subscription; ValueError on an unknown kind or language or a bad address.

    Idempotent per (kind, address). The returned row has `fresh = True` when this call
    created it or restarted a lapsed one (only then may the caller show a webhook its
    secret: anyone can submit anyone's URL)."""
    if kind not in KINDS:
        raise ValueError(f"unknown subscription kind {kind!r}")
    if lang not in langs:
        raise ValueError(f"unknown language {lang!r}; one of {', '.join(langs)}")
    address = _valid_email(address) if kind == "email" else _valid_url(address)
    row = _find(session, kind, address)
    if row is None:
        row = StatusSubscriberRow(kind=kind, address=address, lang=lang,
                                  token=secrets.token_urlsafe(32), created_at=now,
                                  confirmed_at=now if kind == "webhook" else None)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # the same address, subscribed at the same moment
            row = _find(session, kind, address)
            row.fresh = False
            return row
        row.fresh = True
        return row
    row.fresh = row.unsubscribed_at is not None
    if row.fresh:  # starts over: new secret, new confirmation, no backlog
        row.token, row.lang, row.unsubscribed_at = secrets.token_urlsafe(32), lang, None
        row.confirmed_at = now if kind == "webhook" else None
        row.confirm_sent_at = None
    elif row.confirmed_at is None and row.confirm_sent_at is not None \
            and now - row.confirm_sent_at >= RESEND_CONFIRMATION_AFTER:
        row.lang, row.confirm_sent_at = lang, None  # the next run mails the link again
    session.flush()
    return row


def _find(session: Session, kind: str, address: str) -> StatusSubscriberRow | None:
    return session.execute(select(StatusSubscriberRow).where(
        StatusSubscriberRow.kind == kind, StatusSubscriberRow.address == address)
    ).scalar_one_or_none()


def by_token(session: Session, token: str) -> StatusSubscriberRow | None:
    if not token or len(token) > 64:
        return None
    return session.execute(select(StatusSubscriberRow).where(
        StatusSubscriberRow.token == token)).scalar_one_or_none()


def confirm(session: Session, token: str, now: datetime) -> StatusSubscriberRow | None:
    """Confirm the subscription `token` belongs to; None if unknown or unsubscribed."""
    row = by_token(session, token)
    if row is None or row.unsubscribed_at is not None:
        return None
    if row.confirmed_at is None:
        row.confirmed_at = now
    return row


def unsubscribe(session: Session, token: str, now: datetime) -> StatusSubscriberRow | None:
    """Stop the subscription `token` belongs to (idempotent); None if unknown."""
    row = by_token(session, token)
    if row is not None and row.unsubscribed_at is None:
        row.unsubscribed_at = now
    return row


def link(status_url: str, what: str, token: str) -> str:
    """The public confirm/unsubscribe link, on the host that serves the status page."""
    parts = urlsplit(status_url)
    return f"{parts.scheme}://{parts.netloc}/status/{what}/{token}"


def notify_subscribers(store, channels: dict[str, Channel], now: datetime, *,
                       brand=None, http: Http | None = None, public_only: bool = True) -> int:
    """Send pending confirmation mails and every status post not yet sent to a confirmed
    subscriber (published at or after they confirmed, in their language); returns how
    many updates were sent. One indexed query and nothing else when there is nothing to
    do. `brand` (responders.drafts.Brand) names the sender and gives the public URL;
    without it the status page channel's URL is used. `public_only=False` lets webhooks
    reach private addresses (tests with a local receiver only)."""
    with store.session() as session:
        pending_confirms = session.execute(select(StatusSubscriberRow.id).where(
            StatusSubscriberRow.kind == "email", StatusSubscriberRow.confirmed_at.is_(None),
            StatusSubscriberRow.confirm_sent_at.is_(None),
            StatusSubscriberRow.unsubscribed_at.is_(None))).scalars().all()
        pairs = session.execute(
            select(StatusSubscriberRow.id, StatusPostRow.id)
            .join(StatusPostRow, and_(
                StatusPostRow.lang == StatusSubscriberRow.lang,
                StatusPostRow.published_at >= StatusSubscriberRow.confirmed_at))
            .outerjoin(StatusNotificationRow, and_(
                StatusNotificationRow.subscriber_id == StatusSubscriberRow.id,
                StatusNotificationRow.status_post_id == StatusPostRow.id))
            .where(StatusSubscriberRow.confirmed_at.is_not(None),
                   StatusSubscriberRow.unsubscribed_at.is_(None),
                   StatusNotificationRow.id.is_(None))
            .order_by(StatusPostRow.published_at, StatusPostRow.id, StatusSubscriberRow.id)
        ).all()
        retries = session.execute(
            select(StatusNotificationRow.id)
            .join(StatusSubscriberRow,
                  StatusSubscriberRow.id == StatusNotificationRow.subscriber_id)
            .where(StatusNotificationRow.ok.is_(False),
                   StatusNotificationRow.retry_at.is_not(None),
                   StatusNotificationRow.retry_at <= now,
                   StatusSubscriberRow.unsubscribed_at.is_(None))
            .order_by(StatusNotificationRow.id)).scalars().all()
    if not pending_confirms and not pairs and not retries:
        return 0
    name = getattr(brand, "name", None) or "Status"
    status_url = getattr(brand, "status_url", None) or getattr(
        channels.get("statuspage"), "page_url", None) or "http://127.0.0.1:8050/status"
    email = channels.get("email")
    if email is not None:
        for sub_id in pending_confirms:
            _send_confirmation(store, email, sub_id, name, status_url, now)
    http = http or Http(timeout=5.0, retries=1)
    sent = sum(_retry_one(store, email, http, row_id, name, status_url, now, public_only)
               for row_id in retries)
    return sent + sum(_notify_one(store, email, http, sub_id, post_id, name, status_url, now,
                                  public_only) for sub_id, post_id in pairs)


def _send_confirmation(store, email: Channel, sub_id: int, name: str, status_url: str,
                       now: datetime) -> None:
    with store.session() as session:  # claim: two workers never both mail it
        claimed = session.execute(update(StatusSubscriberRow).where(
            StatusSubscriberRow.id == sub_id, StatusSubscriberRow.confirm_sent_at.is_(None))
            .values(confirm_sent_at=now)).rowcount
        sub = session.get(StatusSubscriberRow, sub_id)
        address, lang, token = sub.address, sub.lang, sub.token
    if not claimed:
        return
    t = TEXT.get(lang, TEXT["en"])
    message = Message(draft_id=0, channel="email", audience="subscribers", lang=lang,
                      subject=t["confirm_subject"].format(brand=name),
                      body=t["confirm_body"].format(brand=name,
                                                    link=link(status_url, "confirm", token)),
                      to=address)
    outcome = deliver({"email": email}, "email", message, now, store=store,
                      purpose="subscriber", ref=f"subscriber:{sub_id}:confirm")
    if not outcome.ok and not outcome.permanent:  # try again next run; a second is harmless
        with store.session() as session:
            session.execute(update(StatusSubscriberRow).where(
                StatusSubscriberRow.id == sub_id).values(confirm_sent_at=None))


def _message(sub: StatusSubscriberRow, post: StatusPostRow, name: str,
             status_url: str) -> Message:
    """The update as this subscriber gets it: their language, the link to the post and an
    unsubscribe link by email; the post's body alone by webhook."""
    kind, lang, token = sub.kind, sub.lang, sub.token
    t = TEXT.get(lang, TEXT["en"])
    phase = t["phases"].get(post.phase, post.phase)
    title = " ".join(f"{phase}: {post.title}".split())  # no newlines in a header
    page = status_url.split("?")[0].split("#")[0]
    return Message(
        draft_id=post.draft_id, channel=kind, audience="subscribers", lang=lang,
        subject=f"{name} {t['status']} · {title}"[:200], phase=post.phase,
        incident_id=post.incident_id, incident_title=post.title,
        body=post.body if kind == "webhook" else (
            f"{post.body}\n\n{page}?lang={lang}#update-{post.id}\n\n-- \n"
            + t["footer"].format(brand=name, link=link(status_url, "unsubscribe", token))),
        to=sub.address if kind == "email" else None,
        idempotency_key=f"cw-status-{post.id}-sub-{sub.id}")


def _notify_one(store, email: Channel | None, http: Http, sub_id: int, post_id: int,
                name: str, status_url: str, now: datetime, public_only: bool) -> int:
    with store.session() as session:
        sub = session.get(StatusSubscriberRow, sub_id)
        if sub is None or sub.unsubscribed_at is not None:
            return 0
        if sub.kind == "email" and email is None:
            return 0  # not claimed: sent once an email channel is configured
        kind, address, token = sub.kind, sub.address, sub.token
        message = _message(sub, session.get(StatusPostRow, post_id), name, status_url)
    try:  # the claim, committed before sending: exactly once beats at least once
        with store.session() as session:
            session.add(StatusNotificationRow(subscriber_id=sub_id, status_post_id=post_id,
                                              at=now, tries=1))
    except IntegrityError:
        return 0  # another worker has it
    return _send(store, email, http, kind, address, token, message, sub_id, post_id, 1, now,
                 public_only)


def _retry_one(store, email: Channel | None, http: Http, row_id: int, name: str,
               status_url: str, now: datetime, public_only: bool) -> int:
    """Try a failed notification again, unless a newer post has replaced it."""
    with store.session() as session:
        row = session.get(StatusNotificationRow, row_id)
        sub = session.get(StatusSubscriberRow, row.subscriber_id)
        post = session.get(StatusPostRow, row.status_post_id)
        if sub.kind == "email" and email is None:
            return 0
        newer = session.execute(select(StatusPostRow.id).where(
            StatusPostRow.incident_id == post.incident_id, StatusPostRow.lang == post.lang,
            StatusPostRow.published_at > post.published_at).limit(1)).scalar_one_or_none()
        if newer is not None:  # the subscriber gets the newer post instead
            session.execute(update(StatusNotificationRow).where(
                StatusNotificationRow.id == row_id, StatusNotificationRow.ok.is_(False))
                .values(retry_at=None, error=f"{(row.error or '')[:400]}; not retried: "
                                             f"replaced by status post {newer}"))
            return 0
        tries = (row.tries or 1) + 1
        # the claim: this worker alone retries it, once for this due time
        claimed = session.execute(update(StatusNotificationRow).where(
            StatusNotificationRow.id == row_id, StatusNotificationRow.ok.is_(False),
            StatusNotificationRow.retry_at == row.retry_at).values(
            ok=None, retry_at=None, tries=tries, at=now)).rowcount
        kind, address, token = sub.kind, sub.address, sub.token
        message = _message(sub, post, name, status_url)
        sub_id, post_id = sub.id, post.id
    if not claimed:
        return 0
    return _send(store, email, http, kind, address, token, message, sub_id, post_id, tries,
                 now, public_only)


def _send(store, email: Channel | None, http: Http, kind: str, address: str, token: str,
          message: Message, sub_id: int, post_id: int, tries: int, now: datetime,
          public_only: bool) -> int:
    """Send one claimed notification and record its outcome (and, for a failure that may
    pass, when to try again)."""
    retry = False
    try:
        channel = email if kind == "email" else WebhookChannel(
            address, token, http=http,
            connect_to=check_public_host(address) if public_only else None)
    except ChannelError as exc:  # the webhook's host is not public: refused, never sent
        error = str(exc)[:500]
        log.warning("subscriber %d: status post %d not delivered: %s", sub_id, post_id, error)
    else:
        outcome = deliver({kind: channel}, kind, message, now, store=store, purpose="subscriber",
                          ref=f"subscriber:{sub_id}:post:{post_id}")
        error = None if outcome.ok else (outcome.error or "")[:500]
        # "outcome unknown" (a send that started and never reported) is never retried:
        # it may have gone out, and exactly once beats at least once
        retry = (not outcome.ok and not outcome.permanent and tries < MAX_TRIES
                 and not (outcome.error or "").startswith("outcome unknown"))
    backoff = min(timedelta(minutes=2 ** (tries - 1)), MAX_BACKOFF)
    with store.session() as session:
        session.execute(update(StatusNotificationRow).where(
            StatusNotificationRow.subscriber_id == sub_id,
            StatusNotificationRow.status_post_id == post_id).values(
            ok=error is None, error=error, retry_at=now + backoff if retry else None))
    return int(error is None)
