"""Broadcasts: one approved message to one or more segments, each recipient asked to confirm.

Nothing is broadcast without a human approval, given in the approvals queue like every
other message. `create_broadcast` (an editor or approver, from an incident) lints the text
(errors refuse it at once) and queues it: a `broadcast` draft in the approvals queue and
the broadcast itself, `awaiting`. An approver approves the draft (`approve_broadcast`, or
the Approvals page: warnings need a reason, the two-person rule applies when configured).
Machine-written updates to segments (`responders.stakeholders`: the customers' e-mail and
SMS, partners, investors, regulators) are `broadcast` drafts too, with no broadcast row
until approved. The `Broadcasting` stage first activates every approved broadcast draft
(`activate_approved`, one commit each: the approval re-checked against the exact text, the
draft marked sent, the broadcast and its recipients written, so a crash or a second worker
never makes it twice): one recipient row per contact of the segments (and of its languages,
`only_langs`) who has not opted out and can be reached on one of the broadcast's channels
(in preference order: the first the contact has is the *channel*, the next one the
*alternative*). It then moves each recipient along:

    send (channel) -> resend every `resend_after`, `resends` times -> escalate (alternative)

until they confirm (an update that asks no confirmation, `ask_confirm` false, is sent once
and the recipient is `informed`): an SMS reply YES/OUI/O/Y (`sms_reply`, which answers the
most recent message still awaiting that number's confirmation, alert page or broadcast;
STOP opts out; unknown numbers get nothing), or the signed link in e-mail and Slack (`/ack/b/<token>`, a
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
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from responders import cell_paging
from responders.alerting import YES, Contact, ack_by_sms
from responders.approval import (
    EDITOR_ROLES,
    ApprovalError,
    approve,
    quoted_findings,
    stale_reason,
    valid_approval,
    void_approvals,
)
from responders.channels.base import Channel, Message
from responders.channels.sms import sms_segments
from responders.contacts import LANGS as CONTACT_LANGS
from responders.contacts import SEGMENTS, channels_of, in_segments, normalise_phone, opt_out
from responders.delivery import deliver
from responders.incidents import facts_for, record
from responders.lint import lint, next_update_times, zone
from responders.outbox import BROADCAST_KIND as DRAFT_KIND  # sent here, never by the outbox
from responders.wording import WordedError, Wording, moment, word, wording, words
from store.models import (
    AlertDeliveryRow,
    AlertRow,
    BroadcastRecipientRow,
    BroadcastRow,
    BroadcastSendRow,
    ContactRow,
    DraftRow,
    DraftStatus,
    IncidentRow,
)

CHANNELS = ("sms", "email", "slack")
SEVERITIES = ("minor", "major", "critical")
APPROVER_ROLES = ("approver", "admin")
STOP = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "ARRÊT"}
OPEN_STATES = ("pending", "sent")  # still moving: the stage has work for them
AWAITING = ("pending", "sent", "unconfirmed")  # a YES or a click still confirms
BATCH = 500  # recipients per cycle: a large list goes out over a few cycles
MANUAL_CHANNEL = "broadcast"  # a hand-written broadcast's draft: its channels are its own


class BroadcastError(WordedError, ValueError):
    """A broadcast refused; `.wording` says why in any reader's language, `str()` in English."""


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


def create_broadcast(session: Session, *, segments: list[str], body: str, author: str,
                     role: str, now: datetime, incident: IncidentRow | None = None,
                     subject: str = "", severity: str | None = None, lang: str = "en",
                     channels: tuple[str, ...] | list[str] = CHANNELS,
                     tz: str = "UTC") -> BroadcastRow:
    """A linted broadcast queued for approval (state `awaiting`, its draft waiting in the
    approvals queue); raises BroadcastError. Nothing is sent before an approver approves
    the draft and the Broadcasting stage activates it. Lint errors refuse it here; lint
    warnings are the approver's to accept, with a reason."""
    if role not in EDITOR_ROLES:
        raise BroadcastError(f"{author} ({role}) may not write a broadcast: editors, "
                             "approvers and admins only")
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
    check = partial(lint, body, audience=segments[0],
                    phase=incident.phase if incident is not None else None, lang=lang,
                    facts=facts, now=now, tz=tz)
    findings = check()
    if any(f.severity == "error" for f in findings):
        raise BroadcastError(wording("the message does not pass the linter: {findings}",
                                     findings=quoted_findings(
                                         lambda ui: check(ui_lang=ui), "error",
                                         show=lambda f: f"{f.rule}: {f.message}")))
    promise = _promise(body, lang, tz, now)
    draft = DraftRow(incident_id=incident.id if incident is not None else None,
                     kind=DRAFT_KIND, audience=segments[0], channel=MANUAL_CHANNEL, lang=lang,
                     phase=incident.phase if incident is not None else None,
                     subject=subject[:256], body=body, template="", author=author[:64],
                     status=DraftStatus.DRAFT, created_at=now, updated_at=now,
                     # Typed by hand, not built from the facts: judged by its promise
                     # alone (responders.approval.stale_reason), like any such draft.
                     incident_version=None, promised_next_update=promise)
    session.add(draft)
    session.flush()
    broadcast = BroadcastRow(incident_id=draft.incident_id, segments=list(segments),
                             channels=list(channels), severity=severity, lang=lang,
                             subject=subject[:256], body=body, approved_by="",
                             created_by=author[:64], created_at=now, state="awaiting",
                             promised_next_update=promise, draft_id=draft.id,
                             ask_confirm=True)
    session.add(broadcast)
    session.flush()
    if incident is not None:
        warned = sum(f.severity == "warning" for f in findings)
        said = {"id": broadcast.id, "segments": words("segment", segments), "author": author,
                "draft": draft.id}
        record(session, incident, now, author, "broadcast",
               wording("Broadcast #{id} to {segments} written by {author}: waiting for "
                       "approval (draft #{draft}); {n} lint warning(s) for the approver",
                       n=warned, **said) if warned else
               wording("Broadcast #{id} to {segments} written by {author}: waiting for "
                       "approval (draft #{draft})", **said))
    return broadcast


def approve_broadcast(session: Session, broadcast: BroadcastRow, *, approver: str, role: str,
                      now: datetime, override_reason: str | None = None,
                      two_person_rule: bool = False) -> None:
    """Approve a queued broadcast's draft (the same approval as any message: role, the
    two-person rule, lint, a reason for warnings); raises BroadcastError saying why not."""
    draft = session.get(DraftRow, broadcast.draft_id) if broadcast.draft_id else None
    if draft is None or broadcast.state != "awaiting":
        raise BroadcastError(f"broadcast #{broadcast.id} is {broadcast.state}, not waiting "
                             "for approval")
    try:
        approve(session, draft, approver=approver, role=role, now=now,
                override_reason=override_reason, two_person_rule=two_person_rule)
    except ApprovalError as exc:
        raise BroadcastError(exc.wording) from exc


def _promise(body: str, lang: str, tz: str, now: datetime) -> datetime | None:
    return min((at for at, _ in next_update_times(body, lang, zone(tz), now)), default=None)


def langs_served(lang: str, public_langs: tuple[str, ...]) -> list[str]:
    """The contact languages a text in `lang` is for: its own, and for the first public
    language also the contact languages that have no text of their own."""
    served = [lang]
    if public_langs and lang == public_langs[0]:
        served += [x for x in CONTACT_LANGS if x not in public_langs and x != lang]
    return served


def _add_recipients(session: Session, broadcast: BroadcastRow, now: datetime):
    """One recipient per reachable contact; returns (Counter of channels, unreachable)."""
    by_channel: Counter = Counter()
    unreachable = []
    for contact in in_segments(session, broadcast.segments):
        if broadcast.only_langs and contact.lang not in broadcast.only_langs:
            continue
        reach = channels_of(contact)
        usable = [c for c in broadcast.channels if c in reach]
        if not usable:
            unreachable.append(contact.name)
            continue
        segment = next(s for s in broadcast.segments if s in contact.segments)
        session.add(BroadcastRecipientRow(
            broadcast_id=broadcast.id, contact_id=contact.id, name=contact.name[:128],
            segment=segment, channel=usable[0], alt_channel=usable[1] if len(usable) > 1 else None,
            token=secrets.token_hex(16), state="pending", step=0, version=0, next_at=now,
            delivered=False, held=False))
        by_channel[usable[0]] += 1
    return by_channel, unreachable


def activate_approved(store, now: datetime,
                      public_langs: tuple[str, ...] = ("en", "fr")) -> int:
    """Turn every approved broadcast draft into a sending broadcast; returns how many.

    One commit per draft: claimed by a conditional UPDATE (approved -> published), its
    approval re-checked against the exact text and the incident (a stale or edited text
    goes back to the queue, with the reason on the timeline), the broadcast written with
    the approved text and its recipients. A machine-written update (no broadcast row yet)
    goes to the contacts of its segment (`draft.audience`) on its channel, in the
    languages it serves, asking no confirmation."""
    with store.session() as session:
        ids = session.execute(select(DraftRow.id).where(
            DraftRow.kind == DRAFT_KIND, DraftRow.status == DraftStatus.APPROVED)
            .order_by(DraftRow.id)).scalars().all()
    return sum(_activate(store, draft_id, now, public_langs) for draft_id in ids)


def _activate(store, draft_id: int, now: datetime, public_langs: tuple[str, ...]) -> bool:
    with store.session() as session:
        if not session.execute(update(DraftRow).where(
                DraftRow.id == draft_id, DraftRow.status == DraftStatus.APPROVED).values(
                status=DraftStatus.PUBLISHED, published_at=now, updated_at=now)).rowcount:
            return False  # another worker took it, or a human withdrew it
        draft = session.get(DraftRow, draft_id)
        session.refresh(draft)
        incident = session.get(IncidentRow, draft.incident_id) if draft.incident_id else None
        approval = valid_approval(session, draft)
        why = wording("its text changed after approval") if approval is None else stale_reason(
            session, draft, now)
        if why:
            draft.status, draft.published_at = DraftStatus.DRAFT, None
            void_approvals(session, draft)
            if incident is not None:
                record(session, incident, now, "broadcasts", "broadcast",
                       wording("Not sent: broadcast draft #{id} is {why}", id=draft.id,
                               why=why))
            return False
        broadcast = session.execute(select(BroadcastRow).where(
            BroadcastRow.draft_id == draft.id)).scalar_one_or_none()
        if broadcast is None:
            broadcast = BroadcastRow(
                incident_id=draft.incident_id, segments=[draft.audience],
                channels=[draft.channel], lang=draft.lang, created_by=draft.author,
                severity=incident.severity if incident is not None else "major",
                created_at=now, draft_id=draft.id, ask_confirm=False,
                only_langs=langs_served(draft.lang, tuple(public_langs)), body=draft.body)
            session.add(broadcast)
        broadcast.body, broadcast.subject = draft.body, draft.subject
        broadcast.approved_by, broadcast.state = approval.approver, "active"
        broadcast.promised_next_update = draft.promised_next_update or _promise(
            draft.body, draft.lang, "UTC", now)
        session.flush()
        by_channel, unreachable = _add_recipients(session, broadcast, now)
        if incident is not None:
            # the optional parts are nested wordings (or nothing), each translated alone
            counts = ", ".join(f"{c} {n}" for c, n in sorted(by_channel.items()))
            record(session, incident, now, approval.approver, "broadcast", wording(
                "Broadcast #{id} to {segments}{langs} approved by {approver}: {n} "
                "recipient(s){by_channel}{unreachable}{accepted}", id=broadcast.id,
                segments=words("segment", broadcast.segments), approver=approval.approver,
                n=sum(by_channel.values()),
                langs=wording(" ({langs})", langs="/".join(broadcast.only_langs))
                if broadcast.only_langs else "",
                by_channel=wording(" ({counts})", counts=counts) if by_channel else "",
                unreachable=wording("; {n} unreachable on {channels}", n=len(unreachable),
                                    channels=words("channel", broadcast.channels))
                if unreachable else "",
                accepted=wording("; warnings accepted: {reason}",
                                 reason=approval.override_reason)
                if approval.override_reason else ""))
    return True


def sms_preview(body: str, lang: str, ask_confirm: bool = True) -> dict:
    """What one SMS of this text costs, as sent (with the "Reply YES" line when it asks
    for a confirmation): characters, encoding (GSM-7 or UCS-2) and segments billed."""
    text = body + ("\n" + TEXT.get(lang, TEXT["en"])["sms"] if ask_confirm else "")
    encoding, segments = sms_segments(text)
    return {"chars": len(text), "encoding": encoding, "segments": segments}


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
    prefix = t.get(kind, "") if broadcast.ask_confirm else ""
    lines = [prefix + broadcast.body]
    if not broadcast.ask_confirm:
        pass  # an update to read: nothing to answer, no link to click
    elif channel == "sms":
        lines.append(t["sms"])
    elif policy.link_secret and policy.public_url:
        link = f"{policy.public_url.rstrip('/')}/ack/b/{link_token(policy.link_secret, recipient)}"
        lines.append(t["link"].format(link=link))
    subject = broadcast.subject or broadcast.body.splitlines()[0][:100]
    return Message(draft_id=0, channel=channel, audience=recipient.segment, lang=broadcast.lang,
                   subject=prefix + subject, body="\n".join(lines),
                   incident_id=broadcast.incident_id, to=address or None,
                   idempotency_key=f"broadcast:{broadcast.id}:{recipient.id}:{recipient.step}")


def _plan(recipient: BroadcastRecipientRow, policy: BroadcastPolicy,
          ask_confirm: bool = True) -> tuple[str, str] | None:
    """(kind, channel) of the next step, or None when there is none left. An update that
    asks no confirmation is only tried again (`retry`) after a failed send."""
    if recipient.step == 0:
        return "send", recipient.channel
    if not ask_confirm:
        return ("retry", recipient.channel) if recipient.step <= policy.resends else None
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
        plan = _plan(r, policy, broadcast.ask_confirm)
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
        b_id, informational = broadcast.id, not broadcast.ask_confirm
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
            if informational:
                values.update(state="informed", next_at=None)  # nothing more to do
            elif r.state == "pending":
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
    """One timeline entry per broadcast and cycle: what was sent, held or dropped. Each part
    is a nested wording, so the cockpit shows the whole sentence in the reader's language
    and its times in the reader's zone; the English is as it always was."""
    if not steps:
        return
    with store.session() as session:
        for b_id, entries in steps.items():
            broadcast = session.get(BroadcastRow, b_id)
            if broadcast.incident_id is None:
                continue
            parts = []
            for kind in ("send", "retry", "resend", "escalate"):
                mine = [e for e in entries if e[0] == kind]
                if mine:
                    parts.append(_sent(kind, mine))
            stale = [e for e in entries if e[0] == "stale"]
            if stale:
                parts.append(wording("{n} not sent: the promised next update ({at}) has "
                                     "passed; send a new message", n=len(stale),
                                     at=moment(stale[0][3])))
            held = [e for e in entries if e[0] == "held"]
            if held:
                parts.append(wording("{n} held for quiet hours ({segments}) until {until}",
                                     n=len(held),
                                     segments=words("segment", sorted({e[4] for e in held})),
                                     until=moment(min(e[3] for e in held), date=True)))
            said = parts[0]
            for part in parts[1:]:  # "a; b; c", each part translated alone
                said = wording("{before}; {after}", before=said, after=part)
            record(session, session.get(IncidentRow, broadcast.incident_id), now,
                   "broadcasts", "broadcast", wording("Broadcast #{id}: {steps}", id=b_id,
                                                      steps=said))


def _sent(kind: str, mine: list) -> Wording:
    """'resend to 3 (email 2), 1 failed (timeout)': one kind of step of one cycle."""
    ok = Counter(channel for _, channel, good, *_ in mine if good)
    failed = [error for _, _, good, error, _ in mine if not good]
    said = {"n": len(mine),
            "ok": wording(" ({counts})", counts=[wording("{channel} {n}", n=n,
                                                         channel=word("channel", c))
                                                 for c, n in sorted(ok.items())]) if ok else "",
            "failed": wording(", {n} failed ({error})", n=len(failed), error=failed[0])
            if failed else ""}
    return wording("send to {n}{ok}{failed}" if kind == "send" else
                   "retry to {n}{ok}{failed}" if kind == "retry" else
                   "resend to {n}{ok}{failed}" if kind == "resend" else
                   "escalate to {n}{ok}{failed}", **said)


@dataclass
class Broadcasting:
    """Stage: activate the approved broadcast drafts, then send, re-send and escalate
    broadcasts until each recipient confirms; returns the messages delivered.
    `public_langs`: the brand's languages (a contact in another one gets the first's)."""

    channels: dict[str, Channel]
    policy: BroadcastPolicy | None = None
    public_langs: tuple[str, ...] = ("en", "fr")

    def run_once(self, store, now: datetime) -> int:
        activate_approved(store, now, self.public_langs)
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
               "broadcast",
               wording("Broadcast #{id} confirmed by {name} ({via}: {detail})", id=broadcast.id,
                       name=recipient.name, via=via, detail=detail) if detail else
               wording("Broadcast #{id} confirmed by {name} ({via})", id=broadcast.id,
                       name=recipient.name, via=via))
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
    still awaiting it: an alert page (then `responders.alerting.ack_by_sms`), a crisis-cell
    page (the sender takes the role: `responders.cell_paging.take_role`) or a broadcast.
    "YES 12" names alert #12. STOP opts the contact out of broadcasts."""
    number = normalise_phone(sender) or ""
    digits = number.lstrip("+")
    contact = session.execute(select(ContactRow).where(ContactRow.phone == number)
                              ).scalar_one_or_none() if number else None
    on_call = next((c for c in alert_contacts if digits and
                    "".join(ch for ch in (c.address("sms") or "") if ch.isdigit()) == digits),
                   None)
    cell_page = cell_paging.latest_sms_page(session, number) if number else None
    if contact is None and on_call is None and cell_page is None:
        return None
    lang = (contact.lang if contact is not None else on_call.lang if on_call is not None
            else "en")
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
    latest = max((at for at in (waiting and waiting[1], paged_at) if at), default=None)
    if cell_page is not None and (latest is None or cell_page[2] >= latest):
        return cell_paging.take_role(session, cell_page[0], cell_page[1], now=now,
                                     via="sms", lang=lang)[1]
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
    resent, escalated, unconfirmed (every step made, no answer), informed (an update that
    asked no confirmation, delivered), failed (refused with no
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
        g["informed"] += r.state == "informed"
        g["failed"] += r.state == "failed"
        g["stale"] += r.state == "stale"
        g["opted_out"] += r.state == "opted-out"
    keys = ("recipients", "sent", "delivered", "confirmed", "held", "resent", "escalated",
            "unconfirmed", "informed", "failed", "stale", "opted_out")
    return [{"broadcast": b, "segment": s, **{k: g[k] for k in keys}}
            for (b, s), g in sorted(groups.items())]
