"""The regulator clock: a personal-data breach must be notified to the supervisory authority
within 72 hours of the company becoming aware of it (GDPR art. 33(1)); other jurisdictions
differ, so the delay is per jurisdiction and configurable.

`start_clock` records when the company became aware (by default when the data-leak incident
was declared) and the deadline; it is idempotent per (incident, jurisdiction). The
notification must contain (art. 33(3)) the items of `CHECKLIST`; `set_item` fills one,
`mark_notified` stops the clock and refuses while an item is missing. `regulator_due` is
the earliest deadline not yet met (the drill's `regulator_due`, None when none applies).
`notice_to_affected` drafts the art. 34 notice to the people concerned from the same facts
(`templates/followup/data_leak/affected.*.j2`).
Every step goes on the incident timeline.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from responders.incidents import record
from responders.templates import TemplateLibrary, TemplateMissing
from responders.wording import Localized, moment, wording
from store.models import IncidentRow, RegulatorClockRow

# Hours from awareness to the notification, by jurisdiction (override with `hours=`).
JURISDICTIONS = {"eu-gdpr": 72, "uk-gdpr": 72, "ch-ndsg": 72}
LABELS = {"eu-gdpr": "GDPR art. 33 (EU supervisory authority, e.g. the CNIL)",
          "uk-gdpr": "UK GDPR art. 33 (the ICO)",
          "ch-ndsg": "nFADP art. 24 (the FDPIC)"}
# What the notification must contain (GDPR art. 33(3)), EN and FR.
CHECKLIST = {
    "nature": ("Nature of the breach", "Nature de la violation"),
    "people": ("Categories and approximate number of people concerned",
               "Catégories et nombre approximatif de personnes concernées"),
    "records": ("Categories and approximate number of records concerned",
                "Catégories et nombre approximatif d'enregistrements concernés"),
    "consequences": ("Likely consequences", "Conséquences probables"),
    "measures": ("Measures taken or proposed, including to mitigate adverse effects",
                 "Mesures prises ou envisagées, y compris pour en atténuer les effets"),
    "contact": ("Contact point (the data protection officer)",
                "Point de contact (le délégué à la protection des données)"),
}
DUE_SOON = timedelta(hours=12)  # the clock turns "due" this long before the deadline


class RegulatorError(ValueError):
    pass


def start_clock(session: Session, incident: IncidentRow, *, actor: str, now: datetime,
                aware_at: datetime | None = None, jurisdiction: str = "eu-gdpr",
                hours: float | None = None) -> RegulatorClockRow:
    """The clock for this incident and jurisdiction (started once; later calls return it)."""
    existing = session.execute(select(RegulatorClockRow).where(
        RegulatorClockRow.incident_id == incident.id,
        RegulatorClockRow.jurisdiction == jurisdiction)).scalar_one_or_none()
    if existing is not None:
        return existing
    if hours is None:
        if jurisdiction not in JURISDICTIONS:
            raise RegulatorError(f"unknown jurisdiction {jurisdiction!r}; give hours=")
        hours = JURISDICTIONS[jurisdiction]
    aware = aware_at or incident.declared_at
    clock = RegulatorClockRow(incident_id=incident.id, jurisdiction=jurisdiction[:32],
                              aware_at=aware, due_at=aware + timedelta(hours=hours),
                              checklist={})
    session.add(clock)
    session.flush()
    record(session, incident, now, actor, "regulator", wording(
        "Regulator clock started ({jurisdiction}): aware {aware}, notification due by {due}",
        jurisdiction=LABELS.get(jurisdiction, jurisdiction),
        aware=moment(aware, date=True), due=moment(clock.due_at, date=True)))
    return clock


def ensure_clock(session: Session, incident: IncidentRow, *, actor: str, now: datetime,
                 jurisdiction: str = "eu-gdpr") -> RegulatorClockRow | None:
    """A data-leak incident has a clock from its declaration; other incidents none."""
    if incident.crisis_type != "data_leak":
        return None
    return start_clock(session, incident, actor=actor, now=now, jurisdiction=jurisdiction)


def set_item(session: Session, clock: RegulatorClockRow, item: str, text: str, *, actor: str,
             now: datetime) -> None:
    if item not in CHECKLIST:
        raise RegulatorError(f"unknown checklist item {item!r} ({', '.join(CHECKLIST)})")
    clock.checklist = {**(clock.checklist or {}), item: text.strip()}
    en, fr = CHECKLIST[item]
    record(session, session.get(IncidentRow, clock.incident_id), now, actor, "regulator",
           wording("Regulator notification: {item} filled in",
                   item=Localized({"en": en.lower(), "fr": fr.lower()}, item)))


def missing(clock: RegulatorClockRow) -> list[str]:
    return [k for k in CHECKLIST if not (clock.checklist or {}).get(k)]


def mark_notified(session: Session, clock: RegulatorClockRow, *, actor: str,
                  now: datetime) -> None:
    if gaps := missing(clock):
        raise RegulatorError("the notification lacks: " + ", ".join(
            CHECKLIST[k][0].lower() for k in gaps))
    clock.notified_at, clock.notified_by = now, actor[:64]
    late = now > clock.due_at
    if late:
        said = wording("Regulator notified ({jurisdiction}), {hours} h late: the reasons for "
                       "the delay must accompany it (art. 33(1))",
                       jurisdiction=clock.jurisdiction,
                       hours=f"{(now - clock.due_at).total_seconds() / 3600:.1f}")
    else:
        said = wording("Regulator notified ({jurisdiction})", jurisdiction=clock.jurisdiction)
    record(session, session.get(IncidentRow, clock.incident_id), now, actor, "regulator", said)


def state(clock: RegulatorClockRow, now: datetime) -> str:
    """notified | ok | due (less than 12 h left) | overdue."""
    if clock.notified_at is not None:
        return "notified"
    if now >= clock.due_at:
        return "overdue"
    return "due" if now >= clock.due_at - DUE_SOON else "ok"


def regulator_due(session: Session, incident: IncidentRow | None = None) -> datetime | None:
    """The earliest deadline not yet met (of one incident, or of any), else None."""
    q = select(RegulatorClockRow.due_at).where(RegulatorClockRow.notified_at.is_(None))
    if incident is not None:
        q = q.where(RegulatorClockRow.incident_id == incident.id)
    return session.execute(q.order_by(RegulatorClockRow.due_at).limit(1)).scalar_one_or_none()


def notice_to_affected(clock: RegulatorClockRow, lang: str = "en",
                       library: TemplateLibrary | None = None) -> str:
    """The art. 34 notice to the people concerned, in clear language, from the same facts
    as the notification (nature, consequences, measures, contact point), from
    `templates/followup/data_leak/affected.<lang>.j2` (English when the library has none in
    `lang`): subject line, blank line, body. An item not filled in yet shows as
    "[to be completed]" ("[à compléter]"), so a hole in the notice cannot go unnoticed."""
    hole = "[à compléter]" if lang == "fr" else "[to be completed]"
    items = {k: (clock.checklist or {}).get(k) or hole
             for k in ("nature", "consequences", "measures", "contact")}
    library = library or TemplateLibrary()
    try:
        notice = library.render("followup", name="affected", crisis_type="data_leak",
                                lang=lang, context=items)
    except TemplateMissing:
        notice = library.render("followup", name="affected", crisis_type="data_leak",
                                lang="en", context=items)
    return f"{notice.subject}\n\n{notice.body}\n"
