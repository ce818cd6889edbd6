"""Contacts and segments: who can be reached, on which channels, in which language and zone.

`import_csv(session, text, now)` reads the columns `name, segments, email, phone, lang, tz,
organisation, owner` (optional `slack`, a webhook for a direct message), segments separated
by `;`. Every row is validated on its own; a refused row is reported with its line number
and the reasons, and the others go in. De-duplication is by e-mail (case-insensitive) and
phone (normalised to E.164): a second row for the same person in the file is refused, a row
for someone already stored updates them in place (the file is the source of truth) but
never lifts an opt-out. Storage is GDPR-minded: only what is needed to reach a person is
kept; `export_contact` gives everything held about one person (with the messages sent to
them) and `delete_contact` erases them, leaving the broadcast figures anonymous.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from store.models import (
    BroadcastRecipientRow,
    BroadcastRow,
    BroadcastSendRow,
    ContactRow,
    KeyAccountReminderRow,
    KeyAccountTaskRow,
)

SEGMENTS = ("staff", "on-call", "management", "board", "customers", "key-accounts",
            "partners", "investors", "regulators", "press")
ALIASES = {"oncall": "on-call", "key accounts": "key-accounts", "key_accounts": "key-accounts",
           "keyaccounts": "key-accounts", "key-account": "key-accounts", "customer": "customers",
           "partner": "partners", "investor": "investors", "regulator": "regulators"}
LANGS = ("en", "fr")
COLUMNS = ("name", "segments", "email", "phone", "lang", "tz", "organisation", "owner")
OPTIONAL = ("slack",)
EMAIL_RE = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
MAX_ROWS = 100_000


class ContactError(ValueError):
    pass


def normalise_phone(text: str) -> str | None:
    """E.164 (`+33612345678`) from what people type (`+33 6 12 34 56 78`, `0033...`,
    `(555) 010-0199` with a +1), or None if it is not an international number."""
    raw = text.strip()
    if not raw:
        return None
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if not raw.startswith("+") or re.search(r"[^\d\s.\-()/+]", raw) or raw.count("+") > 1:
        return None
    digits = re.sub(r"\D", "", raw)
    if not 8 <= len(digits) <= 15 or digits[0] == "0":
        return None
    return "+" + digits


def normalise_email(text: str) -> str | None:
    address = text.strip()
    if not address or len(address) > 254 or not EMAIL_RE.match(address):
        return None
    return address.lower()  # one person, one row: Ana@X and ana@x are the same inbox


def parse_segments(text: str) -> tuple[list[str], list[str]]:
    """(known segments in order, unknown names)."""
    known, unknown = [], []
    for part in text.split(";"):
        name = part.strip().lower()
        if not name:
            continue
        name = ALIASES.get(name, name)
        (known if name in SEGMENTS else unknown).append(name)
    return list(dict.fromkeys(known)), unknown


@dataclass
class Refused:
    line: int
    name: str
    reasons: list[str]

    def as_dict(self) -> dict:
        return {"line": self.line, "name": self.name, "reasons": self.reasons}


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Refused] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "refused": [r.as_dict() for r in self.refused]}

    def lines(self) -> list[str]:
        out = [(f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
               f"{len(self.refused)} refused")]
        out += [f"line {r.line} ({r.name or 'no name'}): refused: {'; '.join(r.reasons)}"
                for r in self.refused]
        return out


def validate_row(row: dict[str, str]) -> tuple[dict | None, list[str]]:
    """A clean contact record from one CSV row, or the reasons it cannot be one."""
    get = lambda key: (row.get(key) or "").strip()
    reasons = []
    name = get("name")
    if not name:
        reasons.append("no name")
    elif len(name) > 128:
        reasons.append("name longer than 128 characters")
    segments, unknown = parse_segments(get("segments"))
    if unknown:
        reasons.append(f"unknown segment(s) {', '.join(unknown)} (known: {', '.join(SEGMENTS)})")
    elif not segments:
        reasons.append("no segment")
    email = normalise_email(get("email")) if get("email") else None
    if get("email") and email is None:
        reasons.append(f"invalid e-mail {get('email')!r}")
    phone = normalise_phone(get("phone")) if get("phone") else None
    if get("phone") and phone is None:
        reasons.append(f"invalid phone {get('phone')!r} (international format: +33 6 12 34 56 78)")
    slack = get("slack") or None
    if slack and not slack.startswith("https://"):
        reasons.append("slack must be an https:// webhook URL")
    if not (get("email") or get("phone") or slack):
        reasons.append("no way to reach them (e-mail, phone or slack)")
    lang = (get("lang") or "en").lower()
    if lang not in LANGS:
        reasons.append(f"language {lang!r} not supported ({', '.join(LANGS)})")
    tz = get("tz") or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        reasons.append(f"unknown time zone {tz!r} (e.g. Europe/Paris)")
    owner = get("owner")
    if "key-accounts" in segments and not owner:
        reasons.append("a key account needs an owner (its account manager)")
    if reasons:
        return None, reasons
    return {"name": name, "segments": segments, "email": email, "phone": phone, "slack": slack,
            "lang": lang, "tz": tz, "organisation": get("organisation")[:128],
            "owner": owner[:128]}, []


def import_csv(session: Session, text: str, now: datetime) -> ImportReport:
    """Import contacts from CSV text (see the module docstring); one transaction."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("name", "segments") if c not in header]
    if missing:
        raise ContactError(f"missing column(s) {', '.join(missing)}; expected "
                           f"{', '.join(COLUMNS)} (optional: {', '.join(OPTIONAL)})")
    unknown = [h for h in header if h and h not in COLUMNS + OPTIONAL]
    if unknown:
        raise ContactError(f"unknown column(s) {', '.join(unknown)}; expected "
                           f"{', '.join(COLUMNS)} (optional: {', '.join(OPTIONAL)})")
    reader.fieldnames = header
    seen: dict[str, int] = {}  # email or phone -> line of the file that had it first
    for index, row in enumerate(reader):
        line = index + 2  # the header is line 1
        if index >= MAX_ROWS:
            report.refused.append(Refused(line, "", [f"more than {MAX_ROWS} rows"]))
            break
        if None in row:  # more fields than columns
            report.refused.append(Refused(line, (row.get("name") or "").strip(),
                                          ["more fields than columns"]))
            continue
        record, reasons = validate_row(row)
        name = (row.get("name") or "").strip()
        if record is None:
            report.refused.append(Refused(line, name, reasons))
            continue
        keys = [k for k in (record["email"], record["phone"]) if k]
        earlier = [seen[k] for k in keys if k in seen]
        if earlier:
            report.refused.append(Refused(line, name, [
                f"duplicate of line {earlier[0]} (same e-mail or phone)"]))
            continue
        for k in keys:
            seen[k] = line
        existing = find_matches(session, record["email"], record["phone"])
        if len(existing) > 1:
            report.refused.append(Refused(line, name, [
                ("its e-mail and phone belong to two different stored contacts "
                f"(#{existing[0].id}, #{existing[1].id})")]))
            continue
        if not existing:
            session.add(ContactRow(**record, created_at=now, updated_at=now))
            session.flush()
            report.added += 1
            continue
        contact = existing[0]
        changed = {k: v for k, v in record.items() if getattr(contact, k) != v}
        if not changed:
            report.unchanged += 1
            continue
        for k, v in changed.items():
            setattr(contact, k, v)
        contact.updated_at = now
        session.flush()
        report.updated += 1
    return report


def find_matches(session: Session, email: str | None, phone: str | None) -> list[ContactRow]:
    conditions = []
    if email:
        conditions.append(ContactRow.email == email.lower())
    if phone:
        conditions.append(ContactRow.phone == phone)
    if not conditions:
        return []
    return list(session.execute(select(ContactRow).where(or_(*conditions))
                                .order_by(ContactRow.id)).scalars())


def find_contact(session: Session, ref: str) -> ContactRow | None:
    """A contact by id (`12` or `#12`), e-mail or phone."""
    ref = ref.strip()
    if ref.lstrip("#").isdigit():
        return session.get(ContactRow, int(ref.lstrip("#")))
    matches = find_matches(session, normalise_email(ref), normalise_phone(ref))
    return matches[0] if len(matches) == 1 else None


def in_segments(session: Session, segments: list[str], *,
                include_opted_out: bool = False) -> list[ContactRow]:
    """The contacts of any of `segments`, in id order (JSON lists are filtered here, the
    same way on SQLite and PostgreSQL)."""
    q = select(ContactRow).order_by(ContactRow.id)
    if not include_opted_out:
        q = q.where(ContactRow.opted_out_at.is_(None))
    wanted = set(segments)
    return [c for c in session.execute(q).scalars() if wanted & set(c.segments or [])]


def opt_out(session: Session, contact: ContactRow, now: datetime) -> bool:
    """No more broadcasts to this contact (pending sends stop); True if it changed."""
    if contact.opted_out_at is not None:
        return False
    contact.opted_out_at = contact.updated_at = now
    session.execute(update(BroadcastRecipientRow).where(
        BroadcastRecipientRow.contact_id == contact.id,
        BroadcastRecipientRow.state.in_(("pending", "sent")))
        .values(state="opted-out", next_at=None, version=BroadcastRecipientRow.version + 1))
    return True


def opt_out_phone(session: Session, phone: str, now: datetime) -> ContactRow | None:
    number = normalise_phone(phone)
    contact = session.execute(select(ContactRow).where(ContactRow.phone == number)
                              ).scalar_one_or_none() if number else None
    if contact is not None:
        opt_out(session, contact, now)
    return contact


def export_contact(session: Session, contact: ContactRow) -> dict:
    """Everything held about one person (GDPR art. 15): the record and each message sent."""
    fields = ("id", "name", "organisation", "email", "phone", "slack", "lang", "tz", "owner",
              "segments", "created_at", "updated_at", "opted_out_at")
    record = {k: getattr(contact, k) for k in fields}
    messages = []
    rows = session.execute(
        select(BroadcastRecipientRow, BroadcastRow)
        .join(BroadcastRow, BroadcastRow.id == BroadcastRecipientRow.broadcast_id)
        .where(BroadcastRecipientRow.contact_id == contact.id)
        .order_by(BroadcastRecipientRow.id)).all()
    for recipient, broadcast in rows:
        sends = session.execute(select(BroadcastSendRow).where(
            BroadcastSendRow.recipient_id == recipient.id).order_by(BroadcastSendRow.step)
        ).scalars()
        messages.append({
            "broadcast": broadcast.id, "subject": broadcast.subject, "body": broadcast.body,
            "segment": recipient.segment, "state": recipient.state,
            "confirmed_at": recipient.confirmed_at, "confirmed_via": recipient.confirmed_via,
            "sends": [{"at": s.at, "kind": s.kind, "channel": s.channel, "address": s.address,
                       "ok": s.ok} for s in sends]})
    return _isoformat({"contact": record, "broadcasts": messages})


def delete_contact(session: Session, contact: ContactRow) -> None:
    """Erase a person (GDPR art. 17): the contact row goes; their broadcast rows stay for
    the figures with name and addresses erased."""
    ids = select(BroadcastRecipientRow.id).where(
        BroadcastRecipientRow.contact_id == contact.id).scalar_subquery()
    session.execute(update(BroadcastSendRow).where(BroadcastSendRow.recipient_id.in_(ids))
                    .values(address=None))
    session.execute(update(BroadcastRecipientRow).where(
        BroadcastRecipientRow.contact_id == contact.id).values(
        contact_id=None, name="(deleted)", next_at=None,
        state=_erased_state()))
    for table in (KeyAccountTaskRow, KeyAccountReminderRow):
        session.execute(update(table).where(table.contact_id == contact.id)
                        .values(contact_id=None))
    session.delete(contact)


def _erased_state():
    from sqlalchemy import case

    return case((BroadcastRecipientRow.state.in_(("pending", "sent")), "deleted"),
                else_=BroadcastRecipientRow.state)


def _isoformat(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _isoformat(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_isoformat(v) for v in value]
    return value


def channels_of(contact: ContactRow) -> dict[str, str]:
    """channel name -> address, for the channels this contact can be reached on."""
    out = {}
    if contact.phone:
        out["sms"] = contact.phone
    if contact.email:
        out["email"] = contact.email
    if contact.slack:
        out["slack"] = contact.slack
    return out
