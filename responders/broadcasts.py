"""Broadcasts: one approved message to one or more segments, each recipient asked to confirm.

`create_broadcast` (the comms lead, from an incident) lints the text (errors refuse it,
warnings need a reason), checks the approver's role, and writes one recipient row per
contact of the segments who has not opted out and can be reached on one of the broadcast's
channels (in preference order: the first the contact has is the *channel*, the next one the
*alternative*). The `Broadcasting` stage then moves each recipient along:

    send (channel) -> resend every `resend_after`, `resends` times -> escalate (alternative)

until they confirm: an SMS reply YES/OUI/O/Y (`sms_reply`, which answers the most recent
message still awaiting that number's confirmation, alert page or broadcast; STOP opts out;
unknown numbers get nothing), or the signed link in e-mail and Slack (`/ack/b/<token>`, a
POST: link previews never confirm). Quiet hours per segment, in the recipient's zone (and
weekends for customers by default), hold non-critical sends until they end.

Exactly once: each step is claimed by a conditional UPDATE of the recipient's `version`,
and its `broadcast_sends` row (unique per recipient and step, `ok` NULL) is written in the
same commit, before `responders.delivery.deliver` is called. A crash after the claim leaves
that step "outcome unknown", never sent again; the next step comes only after the delay.
Every step goes on the incident timeline (grouped per broadcast and cycle). The next update
the text promises is read when it is approved; once that time has passed, the message is
no longer sent to anyone (held by quiet hours, or due a re-send): it would be false.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from responders.alerting import YES, Contact, ack_by_sms
from responders.channels.base import Channel, Message
from responders.channels.sms import sms_segments
from responders.contacts import SEGMENTS, channels_of, in_segments, normalise_phone, opt_out
from responders.delivery import deliver
from responders.incidents import facts_for, record
from responders.lint import lint, next_update_times, zone
from store.models import (
    AlertDeliveryRow,
    AlertRow,
    BroadcastRecipientRow,
    BroadcastRow,
    BroadcastSendRow,
    ContactRow,
    IncidentRow,
)

CHANNELS = ("sms", "email", "slack")
SEVERITIES = ("minor", "major", "critical")
APPROVER_ROLES = ("approver", "admin")
STOP = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "ARRÊT"}
OPEN_STATES = ("pending", "sent")  # still moving: the stage has work for them
AWAITING = ("pending", "sent", "unconfirmed")  # a YES or a click still confirms
# The linter's audiences, by segment: the words each is held to.
LINT_AUDIENCE = {"staff": "team", "on-call": "team", "management": "ceo", "board": "board"}
BATCH = 500  # recipients per cycle: a large list goes out over a few cycles


class BroadcastError(ValueError):
    pass


@dataclass(frozen=True)
class QuietRule:
    """No non-critical message in [start, end) of the recipient's local time (may wrap
    midnight), nor at the weekend when `weekends`."""

    start: time | None = None
    end: time | None = None
    weekends: bool = False

    def held_until(self, now: datetime, tz: str) -> datetime | None:
        """None when a message may go now, else when it may (naive UTC)."""
        zone = ZoneInfo(tz or "UTC")
        local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
        if not self._quiet(local):
            return None
        at = local
        for _ in range(10):  # at most a weekend, then the night's end
            if self._quiet_day(at):
                at = datetime.combine(at.date() + timedelta(days=7 - at.weekday()), time(0),
                                      tzinfo=zone)
            elif self.end is not None:
                day = at.date() if at.time() < self.end else at.date() + timedelta(days=1)
                at = datetime.combine(day, self.end, tzinfo=zone)
            if not self._quiet(at):
                break
        return at.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    def _quiet_day(self, local: datetime) -> bool:
        return self.weekends and local.weekday() >= 5

    def _quiet(self, local: datetime) -> bool:
        if self._quiet_day(local):
            return True
        if self.start is None or self.end is None:
            return False
        t = local.time()
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    @classmethod
    def parse(cls, hours: str | None, weekends: bool = False) -> QuietRule:
        if not hours:
            return cls(weekends=weekends)
        start, _, end = hours.partition("-")
        return cls(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()), weekends)


DEFAULT_QUIET = {"customers": QuietRule(time(21), time(8), weekends=True),
                 "key-accounts": QuietRule(time(21), time(8), weekends=True)}


@dataclass(frozen=True)
class BroadcastPolicy:
    resend_after: timedelta = timedelta(minutes=30)
    resends: int = 1
    escalate: bool = True  # after the last re-send, the alternative channel
    quiet: dict[str, QuietRule] = field(default_factory=lambda: dict(DEFAULT_QUIET))
    link_secret: str = ""  # signs confirmation links; empty: no links
    public_url: str = ""  # where /ack/b/<token> is served


def policy_from_config(conf: dict, link_secret: str = "", public_url: str = "") -> BroadcastPolicy:
    """`[broadcasts]`: resend_after_minutes, resends, escalate, quiet_hours (a table
    segment -> "21:00-08:00"), quiet_weekends (a list of segments)."""
    d = BroadcastPolicy()
    quiet = dict(d.quiet)
    if "quiet_hours" in conf or "quiet_weekends" in conf:
        hours, weekends = conf.get("quiet_hours", {}), set(conf.get("quiet_weekends", []))
        quiet = {s: QuietRule.parse(hours.get(s), s in weekends)
                 for s in set(hours) | weekends}
    return BroadcastPolicy(
        resend_after=timedelta(minutes=float(conf.get("resend_after_minutes", 30))),
        resends=int(conf.get("resends", d.resends)), escalate=bool(conf.get("escalate", True)),
        quiet=quiet, link_secret=link_secret, public_url=conf.get("public_url", public_url))


# --- signed confirmation links -------------------------------------------------------------


def _mac(secret: str, recipient_id: int, token: str) -> str:
    msg = f"broadcast:{recipient_id}:{token}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:32]


def link_token(secret: str, recipient: BroadcastRecipientRow) -> str:
    return f"{recipient.id}.{_mac(secret, recipient.id, recipient.token)}"


def read_link(session: Session, secret: str, token: str) -> BroadcastRecipientRow | None:
    rid, _, mac = token.partition(".")
    if not secret or not rid.isdigit() or len(rid) > 12:
        return None
    recipient = session.get(BroadcastRecipientRow, int(rid))
    if recipient is None or not hmac.compare_digest(mac, _mac(secret, recipient.id,
                                                              recipient.token)):
        return None
    return recipient


# --- creating ------------------------------------------------------------------------------


def create_broadcast(session: Session, *, segments: list[str], body: str, approver: str,
                     role: str, now: datetime, incident: IncidentRow | None = None,
                     subject: str = "", severity: str | None = None, lang: str = "en",
                     channels: tuple[str, ...] | list[str] = CHANNELS,
                     override_reason: str = "", tz: str = "UTC") -> BroadcastRow:
    """A linted, approved broadcast with its recipients; raises BroadcastError."""
    if role not in APPROVER_ROLES:
        raise BroadcastError(f"{approver} ({role}) may not send a broadcast: approvers only")
    unknown = [s for s in segments if s not in SEGMENTS]
    if unknown or not segments:
        raise BroadcastError(f"unknown segment(s) {', '.join(unknown) or '(none)'}")
    bad = [c for c in channels if c not in CHANNELS]
    if bad or not channels:
        raise BroadcastError(f"unknown channel(s) {', '.join(bad) or '(none)'}")
    severity = severity or (incident.severity if incident is not None else "major")
    if severity not in SEVERITIES:
        raise BroadcastError(f"unknown severity {severity!r}")
    if not body.strip():
        raise BroadcastError("empty message")
    facts = facts_for(incident, lang) if incident is not None else None
    findings = lint(body, audience=LINT_AUDIENCE.get(segments[0], "customers"),
                    phase=incident.phase if incident is not None else None, lang=lang,
                    facts=facts, now=now, tz=tz)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise BroadcastError("the message does not pass the linter: " + "; ".join(
            f"{f.rule}: {f.message}" for f in errors))
    warnings = [f for f in findings if f.severity == "warning"]
    if warnings and not override_reason.strip():
        raise BroadcastError("warnings need a reason to send anyway: " + "; ".join(
            f"{f.rule}: {f.message}" for f in warnings))
    broadcast = BroadcastRow(incident_id=incident.id if incident is not None else None,
                             segments=list(segments), channels=list(channels),
                             severity=severity, lang=lang, subject=subject[:256], body=body,
                             approved_by=approver[:64], created_at=now, state="active",
                             promised_next_update=min(
                                 (at for at, _ in next_update_times(body, lang, zone(tz), now)),
                                 default=None))
    session.add(broadcast)
    session.flush()
    by_channel: Counter = Counter()
    unreachable = []
    for contact in in_segments(session, segments):
        reach = channels_of(contact)
        usable = [c for c in channels if c in reach]
        if not usable:
            unreachable.append(contact.name)
            continue
        segment = next(s for s in segments if s in contact.segments)
        session.add(BroadcastRecipientRow(
            broadcast_id=broadcast.id, contact_id=contact.id, name=contact.name[:128],
            segment=segment, channel=usable[0], alt_channel=usable[1] if len(usable) > 1 else None,
            token=secrets.token_hex(16), state="pending", step=0, version=0, next_at=now,
            delivered=False, held=False))
        by_channel[usable[0]] += 1
    if incident is not None:
        detail = (f"Broadcast #{broadcast.id} to {', '.join(segments)} approved by {approver}: "
                  f"{sum(by_channel.values())} recipient(s)"
                  + (f" ({', '.join(f'{c} {n}' for c, n in sorted(by_channel.items()))})"
                     if by_channel else "")
                  + (f"; {len(unreachable)} unreachable on {', '.join(channels)}"
                     if unreachable else "")
                  + (f"; warnings accepted: {override_reason.strip()}" if warnings else ""))
        record(session, incident, now, approver, "broadcast", detail)
    session.flush()
    return broadcast


# --- the stage -----------------------------------------------------------------------------

TEXT = {
    "en": {"sms": "Reply YES to confirm you have read this.",
           "link": "Confirm you have read this: {link}",
           "resend": "Reminder: ", "escalate": "Not yet confirmed: "},
    "fr": {"sms": "Répondez OUI pour confirmer la lecture.",
           "link": "Confirmez la lecture : {link}",
           "resend": "Rappel : ", "escalate": "Pas encore confirmé : "},
}


def message_for(broadcast: BroadcastRow, recipient: BroadcastRecipientRow, channel: str,
                kind: str, address: str, policy: BroadcastPolicy) -> Message:
    t = TEXT.get(broadcast.lang, TEXT["en"])
    prefix = t.get(kind, "")
    lines = [prefix + broadcast.body]
    if channel == "sms":
        lines.append(t["sms"])
    elif policy.link_secret and policy.public_url:
        link = f"{policy.public_url.rstrip('/')}/ack/b/{link_token(policy.link_secret, recipient)}"
        lines.append(t["link"].format(link=link))
    subject = broadcast.subject or broadcast.body.splitlines()[0][:100]
    return Message(draft_id=0, channel=channel, audience=recipient.segment, lang=broadcast.lang,
                   subject=prefix + subject, body="\n".join(lines),
                   incident_id=broadcast.incident_id, to=address or None,
                   idempotency_key=f"broadcast:{broadcast.id}:{recipient.id}:{recipient.step}")


def _plan(recipient: BroadcastRecipientRow, policy: BroadcastPolicy) -> tuple[str, str] | None:
    """(kind, channel) of the next step, or None when there is none left."""
    if recipient.step == 0:
        return "send", recipient.channel
    if recipient.step <= policy.resends:
        return "resend", recipient.channel
    if recipient.step == policy.resends + 1 and policy.escalate and recipient.alt_channel:
        return "escalate", recipient.alt_channel
    return None


def advance_broadcasts(store, channels: dict[str, Channel], now: datetime, *,
                       policy: BroadcastPolicy | None = None) -> int:
    """Send what is due to every unconfirmed recipient; returns the messages delivered."""
    policy = policy or BroadcastPolicy()
    with store.session() as session:
        due = session.execute(
            select(BroadcastRecipientRow.id)
            .join(BroadcastRow, BroadcastRow.id == BroadcastRecipientRow.broadcast_id)
            .where(BroadcastRow.state == "active",
                   BroadcastRecipientRow.state.in_(OPEN_STATES),
                   BroadcastRecipientRow.next_at <= now)
            .order_by(BroadcastRecipientRow.next_at, BroadcastRecipientRow.id).limit(BATCH)
        ).scalars().all()
    steps: dict[int, list] = defaultdict(list)
    for rid in due:
        done = _step(store, channels, policy, rid, now)
        if done is not None:
            steps[done[0]].append(done[1:])
    _to_timeline(store, steps, now)
    return sum(1 for entries in steps.values() for kind, _, ok, *_ in entries
               if kind not in ("held", "stale") and ok)


def _step(store, channels, policy: BroadcastPolicy, rid: int, now: datetime):
    with store.session() as session:
        r = session.get(BroadcastRecipientRow, rid)
        if r is None or r.state not in OPEN_STATES or r.next_at is None or r.next_at > now:
            return None
        broadcast = session.get(BroadcastRow, r.broadcast_id)
        contact = session.get(ContactRow, r.contact_id) if r.contact_id else None
        plan = _plan(r, policy)
        guard = (BroadcastRecipientRow.id == rid, BroadcastRecipientRow.version == r.version)
        if plan is None or contact is None:
            session.execute(update(BroadcastRecipientRow).where(*guard).values(
                state="unconfirmed", next_at=None, version=r.version + 1))
            return None
        kind, channel = plan
        promised = broadcast.promised_next_update
        if promised is not None and now >= promised:
            # Its next-update time has passed: the text is no longer true; never sent now.
            moved = session.execute(update(BroadcastRecipientRow).where(*guard).values(
                state="stale", next_at=None, version=r.version + 1)).rowcount
            return (broadcast.id, "stale", channel, True, promised, r.segment) if moved else None
        rule = policy.quiet.get(r.segment)
        until = rule.held_until(now, contact.tz) if rule and broadcast.severity != "critical" \
            else None
        if until is not None:
            moved = session.execute(update(BroadcastRecipientRow).where(*guard).values(
                next_at=until, held=True, version=r.version + 1)).rowcount
            return (broadcast.id, "held", channel, True, until, r.segment) if moved else None
        address = channels_of(contact).get(channel, "")
        step = r.step + 1
        values = {"step": step, "version": r.version + 1, "held": False,
                  "next_at": now + policy.resend_after}
        if not session.execute(update(BroadcastRecipientRow).where(*guard)
                               .values(**values)).rowcount:
            return None  # another worker, or a confirmation, moved it first
        r.step = step
        message = message_for(broadcast, r, channel, kind, address, policy)
        session.add(BroadcastSendRow(
            recipient_id=rid, step=step, kind=kind, channel=channel, address=address or None,
            at=now, segments=sms_segments(message.body)[1] if channel == "sms" else None))
        b_id = broadcast.id
    # Committed: this step is ours and on record before the channel is called.
    outcome = deliver(channels, channel, message, now, store=store, purpose="broadcast",
                      ref=f"broadcast:{b_id}:{rid}:{step}")
    with store.session() as session:
        send = session.execute(select(BroadcastSendRow).where(
            BroadcastSendRow.recipient_id == rid, BroadcastSendRow.step == step)).scalar_one()
        send.ok, send.error = outcome.ok, outcome.error
        send.external_id = (outcome.external_id or "")[:128] or None
        r = session.get(BroadcastRecipientRow, rid)
        if outcome.ok:  # delivered, even if they confirmed (or opted out) meanwhile
            session.execute(update(BroadcastRecipientRow).where(
                BroadcastRecipientRow.id == rid).values(delivered=True, last_sent_at=now))
        values = {"version": r.version + 1}
        if outcome.ok:
            if r.state == "pending":
                values["state"] = "sent"
        elif outcome.permanent and kind != "escalate" and r.alt_channel and policy.escalate:
            values.update(step=policy.resends + 1, next_at=now)  # straight to the alternative
        elif outcome.permanent:
            values.update(state="failed", next_at=None)  # refused, and nowhere else to go
        session.execute(update(BroadcastRecipientRow).where(
            BroadcastRecipientRow.id == rid, BroadcastRecipientRow.version == r.version,
            BroadcastRecipientRow.state.in_(AWAITING)).values(**values))
    return (b_id, kind, channel, outcome.ok, outcome.error, None)


def _to_timeline(store, steps: dict[int, list], now: datetime) -> None:
    if not steps:
        return
    with store.session() as session:
        for b_id, entries in steps.items():
            broadcast = session.get(BroadcastRow, b_id)
            if broadcast.incident_id is None:
                continue
            parts = []
            for kind in ("send", "resend", "escalate"):
                mine = [e for e in entries if e[0] == kind]
                if not mine:
                    continue
                ok = Counter(channel for _, channel, good, *_ in mine if good)
                failed = [error for _, _, good, error, _ in mine if not good]
                parts.append(f"{kind} to {len(mine)}"
                             + (f" ({', '.join(f'{c} {n}' for c, n in sorted(ok.items()))})"
                                if ok else "")
                             + (f", {len(failed)} failed ({failed[0]})" if failed else ""))
            stale = [e for e in entries if e[0] == "stale"]
            if stale:
                parts.append(f"{len(stale)} not sent: the promised next update "
                             f"({stale[0][3]:%H:%M} UTC) has passed; send a new message")
            held = [e for e in entries if e[0] == "held"]
            if held:
                until = min(e[3] for e in held)
                parts.append(f"{len(held)} held for quiet hours "
                             f"({', '.join(sorted({e[4] for e in held}))}) until "
                             f"{until:%Y-%m-%d %H:%M} UTC")
            record(session, session.get(IncidentRow, broadcast.incident_id), now,
                   "broadcasts", "broadcast", f"Broadcast #{b_id}: " + "; ".join(parts))


@dataclass
class Broadcasting:
    """Stage: send, re-send and escalate broadcasts until each recipient confirms."""

    channels: dict[str, Channel]
    policy: BroadcastPolicy | None = None

    def run_once(self, store, now: datetime) -> int:
        return advance_broadcasts(store, self.channels, now, policy=self.policy)


# --- confirming ----------------------------------------------------------------------------


def confirm(session: Session, recipient: BroadcastRecipientRow, *, via: str, now: datetime,
            detail: str = "") -> bool:
    """Mark one recipient confirmed (once); True if this call did it."""
    moved = session.execute(update(BroadcastRecipientRow).where(
        BroadcastRecipientRow.id == recipient.id,
        BroadcastRecipientRow.state.in_(AWAITING)).values(
        state="confirmed", confirmed_at=now, confirmed_via=via[:16], next_at=None,
        version=BroadcastRecipientRow.version + 1)).rowcount
    if not moved:
        return False
    broadcast = session.get(BroadcastRow, recipient.broadcast_id)
    if broadcast.incident_id is not None:
        record(session, session.get(IncidentRow, broadcast.incident_id), now, recipient.name,
               "broadcast", f"Broadcast #{broadcast.id} confirmed by {recipient.name} ({via}"
               + (f": {detail}" if detail else "") + ")")
    session.refresh(recipient)
    return True


def confirm_by_link(session: Session, secret: str, token: str, now: datetime) -> tuple[bool, str]:
    recipient = read_link(session, secret, token)
    if recipient is None:
        return False, "This confirmation link is not valid."
    if confirm(session, recipient, via="link", now=now):
        return True, f"Thank you, {recipient.name}: your reading is confirmed."
    return False, f"Already {recipient.state}. Thank you."


REPLIES = {
    "en": {"confirmed": "Thank you, your reading of message #{id} is confirmed.",
           "stop": "You will receive no more messages from us.",
           "help": "Reply YES to confirm you have read our message, STOP to opt out.",
           "nothing": "Nothing to confirm."},
    "fr": {"confirmed": "Merci, la lecture du message #{id} est confirmée.",
           "stop": "Vous ne recevrez plus de messages de notre part.",
           "help": "Répondez OUI pour confirmer la lecture, STOP pour ne plus rien recevoir.",
           "nothing": "Rien à confirmer."},
}


def sms_reply(session: Session, alert_contacts: list[Contact], sender: str, body: str,
              now: datetime) -> str | None:
    """The answer to one inbound SMS, or None for a number we never wrote to (no answer).

    YES/OUI/O/Y answers the most recent message that asked this number to confirm and is
    still awaiting it: an alert page (then `responders.alerting.ack_by_sms`) or a
    broadcast. "YES 12" names alert #12. STOP opts the contact out of broadcasts."""
    number = normalise_phone(sender) or ""
    digits = number.lstrip("+")
    contact = session.execute(select(ContactRow).where(ContactRow.phone == number)
                              ).scalar_one_or_none() if number else None
    on_call = next((c for c in alert_contacts if digits and
                    "".join(ch for ch in (c.address("sms") or "") if ch.isdigit()) == digits),
                   None)
    if contact is None and on_call is None:
        return None
    lang = contact.lang if contact is not None else on_call.lang
    t = REPLIES.get(lang, REPLIES["en"])
    words = body.strip().upper().replace(",", " ").replace(".", " ").replace("!", " ").split()
    first = words[0] if words else ""
    if first in STOP and contact is not None:
        opt_out(session, contact, now)
        return t["stop"]
    if first not in YES or (len(words) > 1 and words[1].lstrip("#").isdigit()):
        if on_call is not None:
            return ack_by_sms(session, alert_contacts, sender, body, now)
        return t["help"]
    waiting = _latest_broadcast_sms(session, contact) if contact is not None else None
    paged_at = _latest_alert_sms(session, on_call) if on_call is not None else None
    if waiting is not None and (paged_at is None or waiting[1] >= paged_at):
        recipient = waiting[0]
        confirm(session, recipient, via="sms", now=now, detail=body.strip()[:64])
        return t["confirmed"].format(id=recipient.broadcast_id)
    if on_call is not None:
        return ack_by_sms(session, alert_contacts, sender, body, now)
    return t["nothing"]


def _latest_broadcast_sms(session: Session, contact: ContactRow):
    row = session.execute(
        select(BroadcastRecipientRow, BroadcastSendRow.at)
        .join(BroadcastSendRow, BroadcastSendRow.recipient_id == BroadcastRecipientRow.id)
        .where(BroadcastRecipientRow.contact_id == contact.id,
               BroadcastRecipientRow.state.in_(AWAITING),
               BroadcastSendRow.channel == "sms", BroadcastSendRow.ok.is_not(False))
        .order_by(BroadcastSendRow.at.desc(), BroadcastSendRow.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def _latest_alert_sms(session: Session, contact: Contact) -> datetime | None:
    return session.execute(
        select(func.max(AlertDeliveryRow.at))
        .join(AlertRow, AlertRow.id == AlertDeliveryRow.alert_id)
        .where(AlertDeliveryRow.contact == contact.name, AlertDeliveryRow.channel == "sms",
               AlertDeliveryRow.ok.is_(True), AlertRow.status == "open")).scalar_one_or_none()


# --- figures -------------------------------------------------------------------------------


def totals(session: Session, broadcast_id: int | None = None) -> dict[str, int]:
    """sent (recipients a first send was made to), delivered, confirmed, resent (re-sends
    made), escalated (escalations made): the drill's `broadcasts` key."""
    rows = by_segment(session, broadcast_id)
    keys = ("sent", "delivered", "confirmed", "resent", "escalated")
    return {k: sum(r[k] for r in rows) for k in keys}


def by_segment(session: Session, broadcast_id: int | None = None) -> list[dict]:
    """One row per (broadcast, segment): recipients, sent, delivered, confirmed, held,
    resent, escalated, unconfirmed (every step made, no answer), failed (refused with no
    alternative), stale (its promised next update passed before it could go), opted out."""
    q = select(BroadcastRecipientRow)
    if broadcast_id is not None:
        q = q.where(BroadcastRecipientRow.broadcast_id == broadcast_id)
    recipients = session.execute(q).scalars().all()
    sends = session.execute(
        select(BroadcastSendRow.recipient_id, BroadcastSendRow.kind, func.count())
        .group_by(BroadcastSendRow.recipient_id, BroadcastSendRow.kind)).all()
    made = defaultdict(Counter)
    for rid, kind, n in sends:
        made[rid][kind] += n
    groups: dict[tuple[int, str], Counter] = defaultdict(Counter)
    for r in recipients:
        g = groups[(r.broadcast_id, r.segment)]
        g["recipients"] += 1
        g["sent"] += made[r.id]["send"] > 0
        g["delivered"] += bool(r.delivered)
        g["confirmed"] += r.state == "confirmed"
        g["held"] += bool(r.held) and r.state in OPEN_STATES
        g["resent"] += made[r.id]["resend"]
        g["escalated"] += made[r.id]["escalate"]
        g["unconfirmed"] += r.state == "unconfirmed"
        g["failed"] += r.state == "failed"
        g["stale"] += r.state == "stale"
        g["opted_out"] += r.state == "opted-out"
    keys = ("recipients", "sent", "delivered", "confirmed", "held", "resent", "escalated",
            "unconfirmed", "failed", "stale", "opted_out")
    return [{"broadcast": b, "segment": s, **{k: g[k] for k in keys}}
            for (b, s), g in sorted(groups.items())]
