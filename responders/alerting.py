"""Getting an alert to a human and knowing they saw it.

`deliver_alerts(store, channels, contacts, now)` is a pipeline stage. For every alert
still `open` (not acknowledged, and not over: ``signals.alerts.quiet_since``):

- the dashboard is told at once (one delivery row; it never sleeps);
- the first contact in the escalation order is paged on each of their channels;
- while nobody acknowledges, the same contact is re-paged every `resend_after`, at most
  `resends` times, and after `escalate_after` the next contact is paged, and so on;
- a rise in severity (warning -> major -> critical) sends one update to whoever is paged;
- quiet hours hold non-critical pages for a contact until their quiet hours end;
- cooldown: a new alert opened within `cooldown` of the last page, and no more severe
  than what was paged, waits out the cooldown (a flapping situation pages once).

One alert per situation is the detector's job (`signals.alerts.correlate`): repeated
triggers update the alert, they never reach here as a new page. Acknowledging, by any
route (`signals.alerts.acknowledge`), stops everything for that alert. Every attempt is
an `alert_deliveries` row, every acknowledgement an `alert_acks` row, and both go on the
incident timeline when the alert is linked to one.

Sending happens outside any transaction: the page is claimed first with a conditional
UPDATE on the row's `version` (so two workers never page twice), then each channel is sent
through `responders.delivery.deliver` (a `send_attempts` row before and after), and its
outcome recorded at once. A failed send is not a page: it stays owed (`pending`) and is
retried on later cycles with backoff (1, 2, 4 ... minutes, at most `resend_after`) until
delivered, permanently refused or acknowledged, and it does not use up a re-send. A crash
mid-round leaves the rest of the round owed; an entry whose send started but never finished
is recorded as "outcome unknown" from its `send_attempts` row rather than sent twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from responders.channels.base import Channel, Message
from responders.channels.dashboard import DashboardChannel
from responders.delivery import Outcome, deliver
from responders.incidents import record
from responders.wording import word, wording, words
from signals.alerts import acknowledge, quiet_since
from store.models import (
    AlertDeliveryRow,
    AlertPagingRow,
    AlertRow,
    IncidentRow,
    SendAttemptRow,
)

log = logging.getLogger("crisiswatch.alerting")

SEVERITY_RANK = {"warning": 0, "major": 1, "critical": 2}
PAGE_KINDS = ("page", "resend", "escalate", "update")


@dataclass(frozen=True)
class QuietHours:
    """[start, end) in the contact's time zone; may wrap midnight (22:00-07:00)."""

    start: time
    end: time
    tz: str = "UTC"

    def contains(self, now: datetime) -> bool:
        local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(self.tz)).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    @classmethod
    def parse(cls, text: str, tz: str = "UTC") -> QuietHours:
        start, _, end = text.partition("-")
        return cls(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()), tz)


@dataclass(frozen=True)
class Contact:
    """Someone to page: channels in the order to use them, e.g.
    (("sms", "+33600000000"), ("email", "ana@example.com"), ("slack", ""))."""

    name: str
    channels: tuple[tuple[str, str], ...]
    lang: str = "en"
    quiet_hours: QuietHours | None = None

    def address(self, channel: str) -> str | None:
        return next((a for c, a in self.channels if c == channel), None)


@dataclass(frozen=True)
class AlertPolicy:
    resend_after: timedelta = timedelta(minutes=10)
    resends: int = 1
    escalate_after: timedelta = timedelta(minutes=20)
    cooldown: timedelta = timedelta(minutes=30)
    ack_secret: str = ""  # signs acknowledgement links; empty: no links in messages
    public_url: str = ""  # where /ack/<token> is served, e.g. https://crisis.example.com


# --- signed acknowledgement links -----------------------------------------------------------


def ack_key(secret_key: str) -> str:
    """The link-signing key, derived from the app's secret so it needs no extra setting."""
    return hmac.new(secret_key.encode(), b"crisiswatch-ack-links", hashlib.sha256).hexdigest()


def _mac(secret: str, alert_id: int, contact: str) -> str:
    msg = f"ack:{alert_id}:{contact}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:32]


def ack_token(secret: str, alert_id: int, contact: str) -> str:
    name = base64.urlsafe_b64encode(contact.encode()).decode().rstrip("=")
    return f"{alert_id}.{name}.{_mac(secret, alert_id, contact)}"


def read_ack_token(secret: str, token: str) -> tuple[int, str] | None:
    """(alert id, contact name) if the token is genuine, else None."""
    try:
        alert_id, name, mac = token.split(".")
        contact = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
        alert = int(alert_id)
    except (ValueError, UnicodeDecodeError):
        return None
    if not secret or not hmac.compare_digest(mac, _mac(secret, alert, contact)):
        return None
    return alert, contact


def ack_by_link(session, secret: str, token: str, now: datetime) -> tuple[bool, str]:
    """Acknowledge from a signed link; (acknowledged now, what to tell the person)."""
    read = read_ack_token(secret, token)
    if read is None:
        return False, "This acknowledgement link is not valid."
    alert = session.get(AlertRow, read[0])
    if alert is None:
        return False, "This alert no longer exists."
    if acknowledge(session, alert, actor=read[1], now=now, via="link"):
        return True, f"Alert #{alert.id} acknowledged by {read[1]}. Re-sends stopped."
    who = f" by {alert.acknowledged_by}" if alert.acknowledged_by else ""
    return False, f"Alert #{alert.id} was already {alert.status}{who}."


YES = {"YES", "Y", "OUI", "O"}


def ack_by_sms(session, contacts: list[Contact], sender: str, body: str,
               now: datetime) -> str | None:
    """Handle an SMS reply; returns the reply text, or None for an unknown sender (who
    gets no answer at all). "YES"/"OUI" acknowledges the latest alert paged to that
    contact by SMS, "YES 12" alert #12 (if it was paged to them)."""
    number = _digits(sender)
    contact = next((c for c in contacts if number and _digits(c.address("sms") or "") == number),
                   None)
    if contact is None:
        return None
    fr = contact.lang == "fr"
    words = body.strip().upper().replace(",", " ").replace(".", " ").split()
    if not words or words[0] not in YES:
        return ("Répondez OUI pour confirmer la prise en compte de l'alerte." if fr else
                "Reply YES to acknowledge the alert.")
    paged = select(AlertDeliveryRow.alert_id).where(
        AlertDeliveryRow.contact == contact.name, AlertDeliveryRow.channel == "sms",
        AlertDeliveryRow.ok.is_(True))
    if len(words) > 1 and words[1].lstrip("#").isdigit():
        paged = paged.where(AlertDeliveryRow.alert_id == int(words[1].lstrip("#")))
    alert_id = session.execute(
        paged.join(AlertRow, AlertRow.id == AlertDeliveryRow.alert_id)
        .where(AlertRow.status == "open").order_by(AlertDeliveryRow.at.desc()).limit(1)
    ).scalar_one_or_none()
    if alert_id is None:
        return ("Aucune alerte ouverte à confirmer." if fr else
                "No open alert to acknowledge.")
    acknowledge(session, session.get(AlertRow, alert_id), actor=contact.name, now=now,
                via="sms", detail=body.strip()[:64])
    return (f"Alerte #{alert_id} confirmée. Merci." if fr else
            f"Alert #{alert_id} acknowledged. Thank you.")


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())


# --- the stage -----------------------------------------------------------------------------


def deliver_alerts(store, channels: dict[str, Channel], contacts: list[Contact] | tuple,
                   now: datetime, *, policy: AlertPolicy | None = None) -> int:
    """Page whoever must hear of each open alert now; returns successful deliveries."""
    policy = policy or AlertPolicy()
    contacts = list(contacts)
    with store.session() as session:
        ids = session.execute(select(AlertRow.id).where(AlertRow.status == "open",
                                                        ~quiet_since(now))
                              .order_by(AlertRow.opened_at)).scalars().all()
    return sum(_advance(store, channels, contacts, policy, alert_id, now) for alert_id in ids)


def _advance(store, channels, contacts, policy, alert_id: int, now: datetime) -> int:
    sent = 0
    with store.session() as session:
        started = session.get(AlertPagingRow, alert_id) is None and \
            _start(session, alert_id, now, policy)
    if started:  # committed: the dashboard is told once, whoever started it
        sent += _send_and_record(store, channels, alert_id, "dashboard",
                                 [("dashboard", "")], "page", -1, now, policy, "en")
    with store.session() as session:
        alert, paging = session.get(AlertRow, alert_id), session.get(AlertPagingRow, alert_id)
        if paging.state == "done":
            return sent
        action = _plan(alert, paging, contacts, policy, now)
        pending = [e for e in (paging.pending or []) if 0 <= e["level"] < len(contacts)]
        due = [e for e in pending if not _held(alert, contacts[e["level"]], now)] \
            if paging.retry_at is None or now >= paging.retry_at else []
        if action is not None and action[0] == "resend" and \
                any(e["level"] == action[1] for e in pending):
            action = None  # the page itself is still being retried: no reminder yet
        if action is None and not due:
            return sent
        version = paging.version + 1
        batch: list[dict] = []
        if action is not None:
            kind, level = action
            batch = [{"level": level, "kind": kind, "channel": c, "round": version,
                      "counted": False} for c, _ in contacts[level].channels]
        planned = {(e["level"], e["channel"]) for e in batch}
        batch += [e for e in due if (e["level"], e["channel"]) not in planned]
        values = _after(*action, paging, alert.severity, now) if action else {}
        # Claim: only one worker moves this alert from the version it just read. What it
        # is about to send stays `pending` (leased for a minute) until each outcome is
        # recorded, so a crash mid-round leaves the rest of the round owed, not lost.
        kept = [e for e in pending
                if e not in due and (e["level"], e["channel"]) not in planned]
        claimed = session.execute(
            update(AlertPagingRow).where(AlertPagingRow.alert_id == alert_id,
                                         AlertPagingRow.version == paging.version,
                                         AlertPagingRow.state == paging.state)
            .values(**values, version=version, pending=kept + batch,
                    retry_at=now + MIN_BACKOFF)
        ).rowcount
        if not claimed:
            return sent
    return sent + _send_round(store, channels, contacts, policy, alert_id, batch, version, now)


MIN_BACKOFF = timedelta(minutes=1)


def _backoff(policy: AlertPolicy, failures: int) -> timedelta:
    """1, 2, 4, ... minutes after consecutive failed cycles, never longer than a re-send."""
    return min(MIN_BACKOFF * 2 ** max(failures - 1, 0), max(policy.resend_after, MIN_BACKOFF))


def _send_round(store, channels, contacts, policy, alert_id: int, batch: list[dict],
                version: int, now: datetime) -> int:
    """Send each claimed entry and record its outcome at once (alert_deliveries row, the
    entry off `pending` unless it failed transiently). A failed send is not a page: the
    paging row's `sends` counts rounds that reached the contact on some channel."""
    with store.session() as session:
        alert = session.get(AlertRow, alert_id)
        incident_id, link_ok = alert.incident_id, bool(policy.ack_secret and policy.public_url)
    ok_count, outcomes = 0, []
    for entry in batch:
        contact = contacts[entry["level"]]
        address = contact.address(entry["channel"]) or ""
        ref = f"alert:{alert_id}:{contact.name}:{entry['round']}"[:128]
        outcome = _earlier_outcome(store, ref, entry["channel"])
        if outcome is None:
            with store.session() as session:
                alert = session.get(AlertRow, alert_id)
                if alert.status != "open":  # acknowledged meanwhile: nothing more to say
                    break
                link = (f"{policy.public_url.rstrip('/')}/ack/"
                        f"{ack_token(policy.ack_secret, alert_id, contact.name)}"
                        if link_ok else "")
                message = alert_message(alert, entry["channel"], address, entry["kind"], link,
                                        contact.lang)
            available = {"dashboard": DashboardChannel(), **channels}
            outcome = deliver(available, entry["channel"], message, now, store=store,
                              purpose="page", ref=ref)
        _record_entry(store, alert_id, contact.name, address, entry, outcome, now)
        ok_count += outcome.ok
        outcomes.append((contact.name, entry["kind"], entry["channel"], outcome))
    _finish_round(store, alert_id, policy, now)
    if incident_id is not None and outcomes:
        with store.session() as session:
            for (name, kind), group in _grouped(outcomes).items():
                ok = [c for c, o in group if o.ok]
                failed = [f"{c}: {o.error}" for c, o in group if not o.ok]
                said = {"id": alert_id, "kind": word("page_kind", kind), "name": name,
                        "channels": words("channel", ok), "failed": "; ".join(failed)}
                detail = wording(
                    "Alert #{id} {kind} to {name} by {channels}; failed {failed}" if ok and failed
                    else "Alert #{id} {kind} to {name} by {channels}" if ok
                    else "Alert #{id} {kind} to {name}; failed {failed}" if failed
                    else "Alert #{id} {kind} to {name}", **said)
                record(session, session.get(IncidentRow, incident_id), now, "alerting",
                       "alert", detail)
    return ok_count


def _grouped(outcomes) -> dict:
    groups: dict = {}
    for name, kind, channel, outcome in outcomes:
        groups.setdefault((name, kind), []).append((channel, outcome))
    return groups


def _earlier_outcome(store, ref: str, channel: str):
    """An attempt for this very entry already made (a crash came before its outcome was
    recorded): its result, or a permanent "unknown" so a non-idempotent page is not sent
    twice. None when it was never tried."""
    with store.session() as session:
        row = session.execute(
            select(SendAttemptRow).where(SendAttemptRow.purpose == "page",
                                         SendAttemptRow.ref == ref,
                                         SendAttemptRow.channel == channel)
            .order_by(SendAttemptRow.id.desc()).limit(1)).scalar_one_or_none()
        if row is None:
            return None
        if row.finished_at is None:
            return Outcome(False, f"outcome unknown: interrupted during send attempt #{row.id}",
                           permanent=True)
        if not row.ok and not row.permanent:
            return None  # failed transiently: this is the retry
        return Outcome(bool(row.ok), row.error, bool(row.permanent))


def _record_entry(store, alert_id: int, contact: str, address: str, entry: dict, outcome,
                  now: datetime) -> None:
    done = outcome.ok or outcome.permanent
    for _ in range(20):  # optimistic: re-read if another worker moved the row meanwhile
        with store.session() as session:
            paging = session.get(AlertPagingRow, alert_id)
            pending = [dict(e) for e in (paging.pending or [])]
            mine = next((e for e in pending if (e["level"], e["channel"], e["round"]) ==
                         (entry["level"], entry["channel"], entry["round"])), None)
            values: dict = {"version": paging.version + 1}
            if outcome.ok and not (mine or entry).get("counted"):
                if entry["level"] == paging.level:
                    values["sends"] = paging.sends + 1
                    values["last_at"] = now  # the next re-send runs from the delivery
                for e in pending:
                    if e["round"] == entry["round"]:
                        e["counted"] = True
            if done and mine is not None:
                pending.remove(mine)
            values["pending"] = pending
            moved = session.execute(
                update(AlertPagingRow).where(AlertPagingRow.alert_id == alert_id,
                                             AlertPagingRow.version == paging.version)
                .values(**values)).rowcount
            if not moved:
                session.rollback()
                continue
            session.add(AlertDeliveryRow(
                alert_id=alert_id, contact=contact, channel=entry["channel"], address=address,
                kind=entry["kind"], level=entry["level"], at=now, ok=outcome.ok,
                permanent=outcome.permanent, external_id=outcome.external_id,
                error=outcome.error))
            return
    raise RuntimeError(f"alert #{alert_id}: paging row kept moving while recording a send")


def _finish_round(store, alert_id: int, policy: AlertPolicy, now: datetime) -> None:
    """Schedule the retry of whatever is still owed, with backoff; clear it when nothing is."""
    for _ in range(20):
        with store.session() as session:
            paging = session.get(AlertPagingRow, alert_id)
            failures = (paging.failures or 0) + 1 if paging.pending else 0
            values = {"failures": failures, "version": paging.version + 1,
                      "retry_at": now + _backoff(policy, failures) if paging.pending else None}
            if session.execute(update(AlertPagingRow).where(
                    AlertPagingRow.alert_id == alert_id,
                    AlertPagingRow.version == paging.version).values(**values)).rowcount:
                return


def _start(session, alert_id: int, now: datetime, policy: AlertPolicy) -> bool:
    """First sight of an alert: its paging row, suppressed if it falls in a cooldown."""
    alert = session.get(AlertRow, alert_id)
    last = session.execute(
        select(func.max(AlertDeliveryRow.at), AlertPagingRow.paged_severity)
        .join(AlertPagingRow, AlertPagingRow.alert_id == AlertDeliveryRow.alert_id)
        .where(AlertDeliveryRow.alert_id != alert_id, AlertDeliveryRow.ok.is_(True),
               AlertDeliveryRow.channel != "dashboard",
               AlertDeliveryRow.at > now - policy.cooldown)
        .group_by(AlertPagingRow.paged_severity)
    ).all()
    bar = max((SEVERITY_RANK.get(sev or "warning", 0) for _, sev in last), default=None)
    paging = AlertPagingRow(alert_id=alert_id, level=-1, sends=0, state="paging", version=0,
                            failures=0)
    if bar is not None and SEVERITY_RANK.get(alert.severity, 0) <= bar:
        paging.state = "suppressed"
        paging.paged_severity = next(s for _, s in last if SEVERITY_RANK.get(s, 0) == bar)
        paging.last_at = max(at for at, _ in last)  # the cooldown runs from here
    try:
        with session.begin_nested():
            session.add(paging)
    except IntegrityError:
        return False
    if paging.state == "suppressed" and alert.incident_id is not None:
        record(session, session.get(IncidentRow, alert.incident_id), now, "alerting", "alert",
               wording("Alert #{id} not paged: cooldown after a page at {at}", id=alert_id,
                       at=f"{paging.last_at:%H:%M}"))
    return True


def _plan(alert: AlertRow, paging: AlertPagingRow, contacts: list[Contact],
          policy: AlertPolicy, now: datetime) -> tuple[str, int] | None:
    """What is due for this alert now: (kind, escalation level), or None."""
    if paging.state == "done" or not contacts:
        return None
    rank = SEVERITY_RANK.get(alert.severity, 0)
    if paging.state == "suppressed":
        if rank <= SEVERITY_RANK.get(paging.paged_severity or "warning", 0) and \
                now < paging.last_at + policy.cooldown:
            return None
        action = ("page", 0)
    elif paging.level < 0:
        action = ("page", 0)
    elif rank > SEVERITY_RANK.get(paging.paged_severity or "warning", 0):
        action = ("update", paging.level)
    elif paging.level + 1 < len(contacts) and now >= paging.level_at + policy.escalate_after:
        action = ("escalate", paging.level + 1)
    elif paging.sends <= policy.resends and now >= paging.last_at + policy.resend_after:
        action = ("resend", paging.level)
    else:
        return None
    if _held(alert, contacts[action[1]], now):
        return None  # held, not dropped: due again when quiet hours end
    return action


def _held(alert: AlertRow, contact: Contact, now: datetime) -> bool:
    """Quiet hours hold a contact's non-critical pages (retries too)."""
    quiet = contact.quiet_hours
    return alert.severity != "critical" and quiet is not None and quiet.contains(now)


def _after(kind: str, level: int, paging: AlertPagingRow, severity: str, now: datetime) -> dict:
    """The claim's new state. `sends` is not touched here: only a delivery counts."""
    values = {"last_at": now, "paged_severity": severity, "state": "paging"}
    if kind in ("page", "escalate"):
        values.update(level=level, level_at=now, sends=0)
    return values


def _send_and_record(store, channels, alert_id: int, contact: str, routes, kind: str,
                     level: int, now: datetime, policy: AlertPolicy, lang: str) -> int:
    """The dashboard notice (never retried: the dashboard channel only writes a row)."""
    with store.session() as session:
        alert = session.get(AlertRow, alert_id)
        messages = {channel: alert_message(alert, channel, address, kind, "", lang)
                    for channel, address in routes}
    outcomes = []
    available = {"dashboard": DashboardChannel(), **channels}
    for channel_name, address in routes:
        outcome = deliver(available, channel_name, messages[channel_name], now, store=store,
                          purpose="page", ref=f"alert:{alert_id}:{contact}"[:128])
        outcomes.append((channel_name, address, outcome))
    with store.session() as session:
        for channel_name, address, o in outcomes:
            session.add(AlertDeliveryRow(
                alert_id=alert_id, contact=contact, channel=channel_name, address=address,
                kind=kind, level=max(level, 0), at=now, ok=o.ok, permanent=o.permanent,
                external_id=o.external_id, error=o.error))
    return sum(1 for *_, o in outcomes if o.ok)


TEXT = {
    "en": {"page": "", "resend": "Reminder: ", "escalate": "Escalated, not acknowledged: ",
           "update": "Now {severity}: ", "terms": "Emerging terms", "since": "since",
           "ack_link": "Acknowledge: {link}", "ack_sms": "Reply YES to acknowledge.",
           "signals": "Signals"},
    "fr": {"page": "", "resend": "Rappel : ", "escalate": "Escalade, non confirmée : ",
           "update": "Désormais {severity} : ", "terms": "Termes émergents",
           "since": "depuis", "ack_link": "Confirmer la prise en compte : {link}",
           "ack_sms": "Répondez OUI pour confirmer.", "signals": "Signaux"},
}


def alert_message(alert: AlertRow, channel: str, address: str, kind: str, link: str,
                  lang: str) -> Message:
    """The words of a page: short for SMS, with the evidence elsewhere."""
    t = TEXT.get(lang, TEXT["en"])
    prefix = t[kind].format(severity=alert.severity.upper())
    subject = f"[crisiswatch] {prefix}{alert.severity.upper()} #{alert.id}: {alert.title}"
    terms = list(alert.evidence.get("emerging_terms", {}))[:6]
    lines = [(f"{prefix}{alert.title} ({alert.severity}, {t['since']} "
             f"{alert.opened_at:%H:%M} UTC) #{alert.id}")]
    if terms:
        lines.append(f"{t['terms']}: {', '.join(terms)}")
    if channel != "sms":
        latest: dict[str, dict] = {}
        for s in alert.evidence.get("signals", []):
            latest[s["kind"]] = s
        if latest:
            lines.append(t["signals"] + ": " + "; ".join(
                f"{k} {s['observed']:g} vs {s['expected']:g}" for k, s in latest.items()))
    if link and channel in ("email", "slack", "webhook"):
        lines.append(t["ack_link"].format(link=link))
    if channel == "sms":
        lines.append(t["ack_sms"])
    return Message(draft_id=0, channel=channel, audience="team", lang=lang, subject=subject,
                   body="\n".join(lines), incident_id=alert.incident_id,
                   to=address or None, alert_id=alert.id)


# --- configuration -------------------------------------------------------------------------


def contacts_from_config(items: list[dict]) -> list[Contact]:
    """`[[alerting.contacts]]` tables, in escalation order: name, lang, channels (a table
    channel -> address, in the order written), quiet_hours ("22:00-07:00"), timezone."""
    out = []
    for item in items:
        quiet = item.get("quiet_hours")
        out.append(Contact(
            name=item["name"], lang=item.get("lang", "en"),
            channels=tuple((str(c), str(a)) for c, a in item.get("channels", {}).items()),
            quiet_hours=QuietHours.parse(quiet, item.get("timezone", "UTC")) if quiet else None,
        ))
    return out


def policy_from_config(conf: dict, secret_key: str) -> AlertPolicy:
    """`[alerting]`: resend_after_minutes, resends, escalate_after_minutes,
    cooldown_minutes, public_url."""
    d = AlertPolicy()
    minutes = lambda key, default: timedelta(minutes=float(conf.get(key, default)))
    return AlertPolicy(
        resend_after=minutes("resend_after_minutes", d.resend_after.total_seconds() / 60),
        resends=int(conf.get("resends", d.resends)),
        escalate_after=minutes("escalate_after_minutes", d.escalate_after.total_seconds() / 60),
        cooldown=minutes("cooldown_minutes", d.cooldown.total_seconds() / 60),
        ack_secret=ack_key(secret_key) if secret_key else "",
        public_url=conf.get("public_url", ""),
    )


@dataclass
class Paging:
    """Stage: page the contacts about open alerts (send, re-send, escalate, until acked);
    returns successful deliveries."""

    channels: dict[str, Channel]
    contacts: list[Contact]
    policy: AlertPolicy | None = None

    def run_once(self, store, now: datetime) -> int:
        return deliver_alerts(store, self.channels, self.contacts, now, policy=self.policy)
