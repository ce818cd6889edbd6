"""Paging the crisis cell when an incident is declared, until each role is acknowledged.

`CellPaging.run_once(store, now)` is a pipeline stage (run with paging). For every active
incident it opens one `cell_pages` row per configured role (unique per incident and role,
so two workers open it once; a role someone already holds is `covered` at once). Then, per
role still `paging`:

- the primary is paged on each of their channels;
- if nobody of the roster acknowledges within `ack_after`, the next deputy is paged, and so
  on; a person with no way to reach them is skipped at once (on the timeline);
- after the last deputy's `ack_after`, the page is `exhausted` (on the timeline).

Acknowledging (`acknowledge`: the dashboard's button or the signed link `/ack/c/<token>`)
stops it and starts the acknowledger's shift in the role.

Exactly once: a step (page the next person) is claimed by a conditional UPDATE on the page's
`version`, in the same commit that inserts its `cell_page_sends` rows (unique per page,
level and channel); each send row is claimed again (`owed` -> `sending`) just before
`responders.delivery.deliver` is called. A send claimed but never finished (a crash) is
looked up in `send_attempts` after a lease: finished there, its outcome is taken; started
and never finished, it is `unknown` and not sent again; never started, it is owed again. A
transient failure is retried on later cycles, at most `MAX_TRIES` times.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from responders.alerting import Contact
from responders.cell import LABELS, CellConfig, CellError, open_shift, start_shift
from responders.channels.base import Channel, Message
from responders.contacts import channels_of, find_contact
from responders.delivery import Outcome, deliver
from responders.incidents import ACTIVE, record
from responders.wording import moment, word, wording
from store.models import (
    CellPageRow,
    CellPageSendRow,
    ContactRow,
    IncidentRow,
    SendAttemptRow,
)

log = logging.getLogger("crisiswatch.cell")
ACTOR = "crisiswatch"
LEASE = timedelta(minutes=2)  # a send claimed longer ago than this was interrupted
MAX_TRIES = 3


@dataclass(frozen=True)
class Person:
    """Someone of a roster, resolved to the channels to page them on (in order)."""

    name: str
    lang: str
    channels: tuple[tuple[str, str], ...]


def resolve(session: Session, name: str, contacts: list[Contact]) -> Person | None:
    """A roster name as a configured alerting contact (by name), else a stored contact
    (by exact name, or by e-mail, phone or #id); None when nobody matches or the stored
    contact has opted out."""
    configured = next((c for c in contacts if c.name == name), None)
    if configured is not None:
        return Person(configured.name, configured.lang, configured.channels)
    named = session.execute(select(ContactRow).where(ContactRow.name == name)).scalars().all()
    row = named[0] if len(named) == 1 else find_contact(session, name)
    if row is None or row.opted_out_at is not None:
        return None
    return Person(name, row.lang or "en", tuple(channels_of(row).items()))


# --- signed acknowledgement links ------------------------------------------------------------


def _mac(secret: str, page_id: int, person: str) -> str:
    return hmac.new(secret.encode(), f"cell:{page_id}:{person}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def ack_token(secret: str, page_id: int, person: str) -> str:
    """The token of `/ack/c/<token>`: which page, who, and a MAC with the link key."""
    name = base64.urlsafe_b64encode(person.encode()).decode().rstrip("=")
    return f"{page_id}.{name}.{_mac(secret, page_id, person)}"


def read_ack_token(secret: str, token: str) -> tuple[int, str] | None:
    """(page id, person) if the token is genuine, else None."""
    try:
        page_id, name, mac = token.split(".")
        person = base64.urlsafe_b64decode(name + "=" * (-len(name) % 4)).decode()
        page = int(page_id)
    except (ValueError, UnicodeDecodeError):
        return None
    if not secret or not hmac.compare_digest(mac, _mac(secret, page, person)):
        return None
    return page, person


# --- acknowledging ---------------------------------------------------------------------------


def acknowledge(session: Session, page: CellPageRow, person: str, *, now: datetime,
                via: str, actor: str | None = None) -> bool:
    """`person` (someone of the roster already paged) takes the role: the page stops and
    their shift starts now. False when the page is no longer running (already answered,
    covered or exhausted); CellError when `person` was not paged for it."""
    if page.state != "paging":
        return False
    if person not in page.roster[:page.level + 1]:
        raise CellError(wording("{person} was not paged for this role.", person=person))
    # Not conditional on `version`: an answer wins over an escalation claimed meanwhile
    # (the deputy's owed sends then stay unsent: only running pages are sent).
    claimed = session.execute(update(CellPageRow).where(
        CellPageRow.id == page.id, CellPageRow.state == "paging").values(
        state="acknowledged", acknowledged_by=person[:128], acknowledged_at=now, via=via,
        version=CellPageRow.version + 1)).rowcount
    if not claimed:
        return False
    session.refresh(page)
    incident = session.get(IncidentRow, page.incident_id)
    level = page.roster.index(person)
    who = wording("primary") if level == 0 else wording("deputy {n}", n=level)
    if open_shift(session, incident.id, page.role) is None:
        start_shift(session, incident, page.role, person, via="page", now=now)
    said = {"role": word("cell_role", page.role, LABELS[page.role]), "person": person, "who": who, "via": via,
            "at": moment(now)}
    record(session, incident, now, actor or person, "cell",
           wording("{role}: {person} ({who}) acknowledged by {via} (confirmed by {actor}); on "
                   "duty from {at}", actor=actor, **said)
           if actor and actor != person else
           wording("{role}: {person} ({who}) acknowledged by {via}; on duty from {at}",
                   **said))
    return True


def ack_by_link(session: Session, secret: str, token: str, now: datetime) -> tuple[bool, str]:
    """Acknowledge from a signed link; (acknowledged now, what to tell the person)."""
    read = read_ack_token(secret, token)
    page = session.get(CellPageRow, read[0]) if read else None
    if page is None:
        return False, "This acknowledgement link is not valid."
    return take_role(session, page, read[1], now=now, via="link")


def take_role(session: Session, page: CellPageRow, person: str, *, now: datetime, via: str,
              lang: str = "en") -> tuple[bool, str]:
    """`person` answered `page` (by link or SMS): (acknowledged now, what to tell them, in
    `lang` when it is French)."""
    t = TEXT["fr" if lang == "fr" else "en"]
    role = ROLE_FR[page.role] if lang == "fr" else LABELS[page.role]
    try:
        if acknowledge(session, page, person, now=now, via=via):
            return True, t["taken"].format(person=person, role=role, id=page.incident_id)
    except CellError as exc:
        return False, str(exc)
    who = f" by {page.acknowledged_by}" if page.acknowledged_by else ""
    return False, f"The {LABELS[page.role]} page was already {page.state}{who}."


def latest_sms_page(session: Session, number: str) -> tuple[CellPageRow, str, datetime] | None:
    """The most recent cell page sent by SMS to `number` (E.164) and still running:
    (page, the person it was sent to, when), or None."""
    digits = "".join(ch for ch in number if ch.isdigit())
    rows = session.execute(
        select(CellPageRow, CellPageSendRow.person, CellPageSendRow.address, CellPageSendRow.at)
        .join(CellPageSendRow, CellPageSendRow.page_id == CellPageRow.id)
        .where(CellPageRow.state == "paging", CellPageSendRow.channel == "sms",
               CellPageSendRow.state == "sent")
        .order_by(CellPageSendRow.at.desc(), CellPageSendRow.id.desc())).all()
    for page, person, address, at in rows:  # addresses are stored as typed: compare digits
        if digits and "".join(ch for ch in address if ch.isdigit()) == digits:
            return page, person, at
    return None


# --- the stage -------------------------------------------------------------------------------


def page_cell(store, channels: dict[str, Channel], contacts: list[Contact], config: CellConfig,
              now: datetime, *, ack_secret: str = "", public_url: str = "") -> int:
    """Open, advance and send the cell pages of every active incident; returns successful
    sends."""
    if not config.roster:
        return 0
    with store.session() as session:
        incidents = session.execute(select(IncidentRow.id).where(
            IncidentRow.phase.in_([p.value for p in ACTIVE]))).scalars().all()
    for incident_id in incidents:
        _open_pages(store, incident_id, config, now)
    with store.session() as session:
        pages = session.execute(select(CellPageRow.id).join(
            IncidentRow, IncidentRow.id == CellPageRow.incident_id).where(
            CellPageRow.state == "paging",
            IncidentRow.phase.in_([p.value for p in ACTIVE]))).scalars().all()
    for page_id in pages:
        _advance(store, page_id, contacts, config, now)
    return _send_owed(store, channels, now, ack_secret, public_url)


def _open_pages(store, incident_id: int, config: CellConfig, now: datetime) -> None:
    for role, roster in config.roster.items():
        try:
            with store.session() as session:
                if session.execute(select(CellPageRow.id).where(
                        CellPageRow.incident_id == incident_id,
                        CellPageRow.role == role)).first():
                    continue
                held = open_shift(session, incident_id, role)
                session.add(CellPageRow(
                    incident_id=incident_id, role=role, roster=list(roster), level=-1,
                    state="covered" if held else "paging", version=0, created_at=now))
                session.flush()
        except IntegrityError:
            continue  # another worker opened it first


def _advance(store, page_id: int, contacts: list[Contact], config: CellConfig,
             now: datetime) -> None:
    """Claim the step due for one page (first page, escalation, or the end) with its sends."""
    with store.session() as session:
        page = session.get(CellPageRow, page_id)
        if page.state != "paging":
            return
        incident = session.get(IncidentRow, page.incident_id)
        if open_shift(session, incident.id, page.role) is not None:
            _claim(session, page, {"state": "covered"})
            return
        if page.level >= 0 and now < page.level_at + config.ack_after:
            return
        level, skipped, person = page.level + 1, [], None
        while level < len(page.roster):
            person = resolve(session, page.roster[level], contacts)
            if person is not None and person.channels:
                break
            skipped.append(page.roster[level])
            level += 1
        if not _claim(session, page, {"level": min(level, len(page.roster) - 1),
                                      "level_at": now,
                                      **({"state": "exhausted"}
                                         if level >= len(page.roster) else {})}):
            return
        for name in skipped:
            record(session, incident, now, ACTOR, "cell",
                   wording("{role}: {name} cannot be paged (not a contact with a channel); "
                           "skipped", role=word("cell_role", page.role, LABELS[page.role]), name=name))
        if level >= len(page.roster):
            record(session, incident, now, ACTOR, "cell",
                   wording("{role}: nobody of {roster} acknowledged; the role is unfilled",
                           role=word("cell_role", page.role, LABELS[page.role]), roster=", ".join(page.roster)))
            return
        kind = "page" if level == 0 else "escalate"
        for channel, address in person.channels:
            session.add(CellPageSendRow(page_id=page.id, level=level, person=person.name,
                                        channel=channel, address=address or "", kind=kind,
                                        lang=person.lang, state="owed", tries=0))
        who = wording("primary") if level == 0 else wording(
            "deputy {n}, not acknowledged in time", n=level)
        record(session, incident, now, ACTOR, "cell",
               wording("{role}: paging {person} ({who}) by {channels}",
                       role=word("cell_role", page.role, LABELS[page.role]),
                       person=person.name, who=who,
                       channels=[word("channel", c) for c, _ in person.channels]))


def _claim(session: Session, page: CellPageRow, values: dict) -> bool:
    return bool(session.execute(update(CellPageRow).where(
        CellPageRow.id == page.id, CellPageRow.version == page.version).values(
        **values, version=page.version + 1)).rowcount)


def _send_owed(store, channels, now: datetime, secret: str, public_url: str) -> int:
    with store.session() as session:
        rows = session.execute(select(CellPageSendRow.id).join(
            CellPageRow, CellPageRow.id == CellPageSendRow.page_id).where(
            CellPageRow.state == "paging", CellPageSendRow.level == CellPageRow.level,
            CellPageSendRow.state.in_(("owed", "sending")))
            .order_by(CellPageSendRow.id)).scalars().all()
    return sum(_send_one(store, channels, send_id, now, secret, public_url) for send_id in rows)


def _send_one(store, channels, send_id: int, now: datetime, secret: str,
              public_url: str) -> int:
    with store.session() as session:
        send = session.get(CellPageSendRow, send_id)
        ref = f"cell:{send.page_id}:{send.level}:{send.channel}"
        if send.state == "sending":
            if send.claimed_at is not None and now < send.claimed_at + LEASE:
                return 0  # another worker is sending it right now
            earlier = _earlier_outcome(session, ref)
            if earlier is not None:  # it was tried: take that outcome, never send twice
                _finish(send, earlier, now)
                return 0
        if not session.execute(update(CellPageSendRow).where(
                CellPageSendRow.id == send_id, CellPageSendRow.state == send.state,
                CellPageSendRow.tries == send.tries).values(
                state="sending", claimed_at=now, tries=send.tries + 1)).rowcount:
            return 0
        page = session.get(CellPageRow, send.page_id)
        if page.state != "paging" or page.level != send.level:
            session.rollback()  # answered or escalated since the list was read: not sent
            return 0
        incident = session.get(IncidentRow, page.incident_id)
        link = (f"{public_url.rstrip('/')}/ack/c/{ack_token(secret, page.id, send.person)}"
                if secret and public_url else "")
        message = page_message(incident, page, send, link)
    outcome = deliver(channels, send.channel, message, now, store=store, purpose="cell",
                      ref=ref)
    with store.session() as session:
        send = session.get(CellPageSendRow, send_id)
        _finish(send, outcome, now)
        if not outcome.ok:
            page = session.get(CellPageRow, send.page_id)
            record(session, session.get(IncidentRow, page.incident_id), now, ACTOR, "cell",
                   wording("{role}: page to {person} by {channel} failed: {error}",
                           role=word("cell_role", page.role, LABELS[page.role]), person=send.person,
                           channel=word("channel", send.channel), error=outcome.error))
    return int(outcome.ok)


def _finish(send: CellPageSendRow, outcome: Outcome, now: datetime) -> None:
    retry = not outcome.ok and not outcome.permanent and send.tries < MAX_TRIES
    send.state = "sent" if outcome.ok else "owed" if retry else (
        "unknown" if outcome.error and outcome.error.startswith("outcome unknown") else "failed")
    send.at, send.error = now, outcome.error


def _earlier_outcome(session: Session, ref: str) -> Outcome | None:
    """The last attempt of this send in `send_attempts`: its outcome, a permanent "unknown"
    when it started and never finished, None when it never started."""
    row = session.execute(select(SendAttemptRow).where(
        SendAttemptRow.purpose == "cell", SendAttemptRow.ref == ref)
        .order_by(SendAttemptRow.id.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        return None
    if row.finished_at is None:
        return Outcome(False, f"outcome unknown: send attempt #{row.id} never finished",
                       permanent=True)
    return Outcome(bool(row.ok), row.error, bool(row.permanent))


TEXT = {
    "en": {"subject": "[crisiswatch] You are paged as {role}: incident #{id}",
           "body": "You are paged as {role} ({who}) for incident #{id}: {title} ({severity} "
                   "{type}, declared {at:%H:%M} UTC).",
           "primary": "primary", "deputy": "deputy, the primary did not answer",
           "link": "Acknowledge: {link}",
           "dashboard": "Acknowledge on the dashboard's Cell page.",
           "sms": "Reply YES to take the role.",
           "taken": "{person}, you are the {role} of incident #{id}."},
    "fr": {"subject": "[crisiswatch] Vous êtes appelé(e) au rôle « {role} » : incident n° {id}",
           "body": "Vous êtes appelé(e) au rôle « {role} » ({who}) pour l'incident n° {id} : "
                   "{title} ({severity} {type}, déclaré à {at:%H:%M} UTC).",
           "primary": "titulaire", "deputy": "suppléant(e), le titulaire n'a pas répondu",
           "link": "Confirmer : {link}",
           "dashboard": "Confirmez sur la page Cellule du tableau de bord.",
           "sms": "Répondez OUI pour prendre le rôle.",
           "taken": "{person}, vous êtes {role} de l'incident n° {id}."},
}
# The cockpit's French names of the roles (dashboard/locale/fr), so a page and the Cell
# page say the same.
ROLE_FR = {"commander": "Responsable de l'incident", "comms_lead": "Responsable communication",
           "tech_lead": "Responsable technique", "legal": "Juridique",
           "support_lead": "Responsable support", "spokesperson": "Porte-parole",
           "scribe": "Secrétaire de cellule"}


def page_message(incident: IncidentRow, page: CellPageRow, send: CellPageSendRow,
                 link: str) -> Message:
    """The words of a cell page, in the person's language when it is French."""
    lang = "fr" if send.lang == "fr" else "en"
    t = TEXT[lang]
    role = ROLE_FR[page.role] if lang == "fr" else LABELS[page.role]
    body = t["body"].format(role=role, who=t["primary" if send.level == 0 else "deputy"],
                            id=incident.id, title=incident.title, severity=incident.severity,
                            type=incident.crisis_type, at=incident.declared_at)
    tail = t["link"].format(link=link) if link else t["dashboard"]
    if send.channel == "sms":  # an SMS YES takes the role (latest_sms_page, sms_reply)
        tail = f"{tail}\n{t['sms']}"
    return Message(draft_id=0, channel=send.channel, audience="team", lang=lang,
                   subject=t["subject"].format(role=role, id=incident.id),
                   body=f"{body}\n{tail}", incident_id=incident.id,
                   incident_title=incident.title, to=send.address or None)


@dataclass
class CellPaging:
    """Stage: page the crisis cell of each active incident, primary then deputies, until
    each role is acknowledged; returns successful sends."""

    channels: dict[str, Channel]
    contacts: list[Contact]
    config: CellConfig = field(default_factory=CellConfig)
    ack_secret: str = ""
    public_url: str = ""

    def run_once(self, store, now: datetime) -> int:
        return page_cell(store, self.channels, self.contacts, self.config, now,
                         ack_secret=self.ack_secret, public_url=self.public_url)
