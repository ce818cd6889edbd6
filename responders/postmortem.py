"""Post-mortems: a blameless first draft generated from the incident's timeline, in a board
version and a public version, with follow-up actions that have owners and due dates, and
a reminder when the board's post-mortem is due (`incidents.POSTMORTEM_DUE` after
resolution).

The draft is built from what the record shows, never from who did what: the timeline keeps
phases, facts and publications (not the people), "what went well" and "what did not" are
measured (time to declare, time to the first public word, update cadence kept or missed,
deliveries failed, rumours answered), and every action is owned by a role or a team.
Entering the `postmortem` phase makes `drafts.suggest_updates` plan the board and public
drafts; `postmortem_facts` completes their template context.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from responders.incidents import (
    CADENCE,
    POSTMORTEM_DUE,
    Audience,
    Phase,
    audience_clocks,
    facts_for,
    record,
)
from responders.wording import wording
from store.models import (
    AlertRow,
    DeliveryRow,
    DraftRow,
    DraftStatus,
    IncidentRow,
    PlanUpdateRow,
    PostmortemActionRow,
    RumourClaimRow,
    TimelineRow,
)

T = {
    "en": {
        "declared": "incident declared ({severity} {crisis_type})",
        "phase": "phase: {phase}", "facts": "facts updated: {what}",
        "first_public": "first public update on the status page",
        "first_ceo": "first update to management", "first_team": "first update to the team",
        "alert": "first automatic alert",
        "phases": {"investigating": "investigating", "identified": "cause identified",
                   "fixing": "fix in progress", "monitoring": "monitoring",
                   "resolved": "resolved", "postmortem": "post-mortem"},
        "summary": "{title}: a {severity} {crisis_type} incident, declared at {declared} "
                   "and resolved at {resolved} ({duration}).",
        "summary_open": "{title}: a {severity} {crisis_type} incident declared at {declared}, "
                        "not resolved yet.",
        "well": "What went well", "not_well": "What did not go well",
        "alert_fast": "The incident was declared {m} after the first automatic alert.",
        "alert_slow": "The incident was declared {m} after the first automatic alert; "
                      "declaring sooner starts every clock sooner.",
        "public_fast": "Customers heard from us {m} after the incident was declared.",
        "public_slow": "The first public update came {m} after the incident was declared.",
        "public_none": "No update was published on the status page during the incident.",
        "cadence_kept": "Customer updates kept the promised rhythm ({n} updates).",
        "cadence_missed": "The longest gap between customer updates was {m}, longer than the "
                          "promised {c}.",
        "ceo_sent": "Management received {n} update(s).",
        "ceo_none": "Management received no written update.",
        "deliveries_failed": "{n} message(s) could not be delivered on the first attempt.",
        "deliveries_ok": "Every approved message was delivered.",
        "rumours_answered": "{n} rumour(s) were answered with an official statement.",
        "rumours_open": "{n} rumour(s) were never linked to an official statement.",
        "eta_revised": "The ETA was revised {n} time(s).",
        "act_alert": "Review the alert-to-declaration path so the first alert reaches an "
                     "incident commander within minutes",
        "act_public": "Prepare pre-approved first status updates for the most likely "
                      "incident types",
        "act_cadence": "Add a reminder for the update clock so customer updates keep their "
                       "rhythm",
        "act_ceo": "Send management an update at every phase change",
        "act_deliveries": "Check channel credentials and the post-manually procedure before "
                          "the next drill",
        "act_rumours": "Link every recurring rumour to an official statement",
        "owner": "owner", "due": "due",
        "plan_states": {"open": "to review", "applied": "applied", "dismissed": "dismissed"},
        "plan_kinds": {"register": "risk register", "template": "template"},
        # The plan updates the review proposes (responders.lessons.FROM_REVIEW).
        "plan_texts": {
            "act_public": "Prepare the first status update so it can go out within 30 "
                          "minutes of declaring",
            "act_ceo": "Prepare a management update for every phase",
            "act_cadence": "Give the comms lead a first action to keep the customers' update "
                           "rhythm",
            "act_alert": "Shorten the path from the first alert to a declared incident in "
                         "the playbook",
            "act_rumours": "Prepare the rumour correction so every recurring claim gets an "
                           "official statement",
            "act_deliveries": "Rehearse the channels and the manual-posting procedure",
            "uncovered": "Add a {crisis_type} risk to the register: this crisis was not in "
                         "the plan",
        },
    },
    "fr": {
        "declared": "incident déclaré ({severity}, {crisis_type})",
        "phase": "phase : {phase}", "facts": "faits mis à jour : {what}",
        "first_public": "première mise à jour publique sur la page d'état",
        "first_ceo": "première information de la direction",
        "first_team": "première information de l'équipe",
        "alert": "première alerte automatique",
        "phases": {"investigating": "analyse en cours", "identified": "cause identifiée",
                   "fixing": "correction en cours", "monitoring": "surveillance",
                   "resolved": "résolu", "postmortem": "post-mortem"},
        "summary": "{title} : incident {crisis_type} de gravité {severity}, déclaré à "
                   "{declared} et résolu à {resolved} ({duration}).",
        "summary_open": "{title} : incident {crisis_type} de gravité {severity} déclaré à "
                        "{declared}, pas encore résolu.",
        "well": "Ce qui a bien fonctionné", "not_well": "Ce qui n'a pas bien fonctionné",
        "alert_fast": "L'incident a été déclaré {m} après la première alerte automatique.",
        "alert_slow": "L'incident a été déclaré {m} après la première alerte automatique ; "
                      "déclarer plus tôt démarre chaque horloge plus tôt.",
        "public_fast": "Les clients ont eu de nos nouvelles {m} après la déclaration.",
        "public_slow": "La première mise à jour publique est arrivée {m} après la "
                       "déclaration.",
        "public_none": "Aucune mise à jour n'a été publiée sur la page d'état pendant "
                       "l'incident.",
        "cadence_kept": "Les mises à jour clients ont tenu le rythme promis ({n} mises à "
                        "jour).",
        "cadence_missed": "Le plus long intervalle entre deux mises à jour clients a été de "
                          "{m}, plus que les {c} promises.",
        "ceo_sent": "La direction a reçu {n} point(s) écrit(s).",
        "ceo_none": "La direction n'a reçu aucun point écrit.",
        "deliveries_failed": "{n} message(s) n'ont pas pu être envoyés du premier coup.",
        "deliveries_ok": "Chaque message approuvé a été envoyé.",
        "rumours_answered": "{n} rumeur(s) ont reçu une réponse officielle.",
        "rumours_open": "{n} rumeur(s) n'ont jamais été reliées à une déclaration "
                        "officielle.",
        "eta_revised": "L'heure de rétablissement estimée a été révisée {n} fois.",
        "act_alert": "Revoir le chemin de l'alerte à la déclaration pour que la première "
                     "alerte atteigne un responsable d'incident en quelques minutes",
        "act_public": "Préparer des premières mises à jour pré-approuvées pour les types "
                      "d'incident les plus probables",
        "act_cadence": "Ajouter un rappel sur l'horloge des mises à jour clients",
        "act_ceo": "Informer la direction à chaque changement de phase",
        "act_deliveries": "Vérifier les accès aux canaux et la procédure de publication "
                          "manuelle avant le prochain exercice",
        "act_rumours": "Relier chaque rumeur récurrente à une déclaration officielle",
        "owner": "responsable", "due": "échéance",
        "plan_states": {"open": "à examiner", "applied": "appliquée", "dismissed": "écartée"},
        "plan_kinds": {"register": "registre des risques", "template": "modèle"},
        "plan_texts": {
            "act_public": "Préparer la première mise à jour publique pour qu'elle parte dans "
                          "les 30 minutes qui suivent la déclaration",
            "act_ceo": "Préparer un point pour la direction à chaque phase",
            "act_cadence": "Donner au responsable communication une première action pour "
                           "tenir le rythme des mises à jour clients",
            "act_alert": "Raccourcir dans la fiche réflexe le chemin de la première alerte à "
                         "la déclaration de l'incident",
            "act_rumours": "Préparer le démenti pour que chaque rumeur récurrente reçoive une "
                           "déclaration officielle",
            "act_deliveries": "Exercer les canaux et la procédure de publication manuelle",
            "uncovered": "Ajouter au registre un risque de type {crisis_type} : cette crise "
                         "n'était pas dans le plan",
        },
        "severities": {"minor": "mineure", "major": "majeure", "critical": "critique"},
        "types": {"outage": "panne", "degraded": "dégradation", "data_leak": "fuite de données",
                  "billing": "facturation", "defect": "défaut produit",
                  "controversy": "polémique", "maintenance": "maintenance"},
    },
}
ALERT_OK = timedelta(minutes=15)
FIRST_PUBLIC_OK = timedelta(minutes=30)
# Who owns each derived action: a role on the incident, never a person's fault.
ACTION_OWNER = {"act_alert": "commander", "act_public": "comms_lead",
                "act_cadence": "comms_lead", "act_ceo": "commander",
                "act_deliveries": "comms_lead", "act_rumours": "comms_lead"}


def _t(lang: str) -> dict:
    return T.get(lang, T["en"])


def _hhmm(at: datetime | None) -> str:
    return "" if at is None else at.strftime("%H:%M UTC")


def duration(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d}"


def _published(session: Session, incident: IncidentRow, audience: str) -> list[datetime]:
    return sorted(session.execute(
        select(DraftRow.published_at).where(
            DraftRow.incident_id == incident.id, DraftRow.audience == audience,
            DraftRow.kind != "reply", DraftRow.kind != "postmortem",
            DraftRow.status == DraftStatus.PUBLISHED, DraftRow.published_at.is_not(None))
    ).scalars())


def timeline(session: Session, incident: IncidentRow, lang: str) -> list[tuple[str, str]]:
    """The incident as (time, event) lines: phases, facts, first alert, first update per
    audience. People are left out on purpose: the record is about the system."""
    t = _t(lang)
    events: list[tuple[datetime, str]] = []
    alert = session.execute(select(AlertRow).where(AlertRow.incident_id == incident.id)
                            .order_by(AlertRow.opened_at).limit(1)).scalar_one_or_none()
    if alert is not None:
        events.append((alert.opened_at, t["alert"]))
    for e in session.execute(select(TimelineRow).where(TimelineRow.incident_id == incident.id)
                             .order_by(TimelineRow.at, TimelineRow.id)).scalars():
        if e.kind == "declared":
            events.append((e.at, t["declared"].format(severity=incident.severity,
                                                      crisis_type=incident.crisis_type)))
        elif e.kind == "phase":
            to = e.detail.rsplit("-> ", 1)[-1].strip()
            events.append((e.at, t["phase"].format(phase=t["phases"].get(to, to))))
        elif e.kind == "facts":
            # Translations of facts already on the record are not events of their own.
            what = [w for w in e.detail.removeprefix("Updated ").split(", ") if "(" not in w]
            if what:
                events.append((e.at, t["facts"].format(what=", ".join(what))))
    for audience, key in (("customers", "first_public"), ("ceo", "first_ceo"),
                          ("team", "first_team")):
        sent = _published(session, incident, audience)
        if sent:
            events.append((sent[0], t[key]))
    events.sort(key=lambda e: e[0])
    return [(_hhmm(at) if at.date() == incident.declared_at.date()
             else at.strftime("%d %b %H:%M UTC"), text) for at, text in events]


@dataclass(frozen=True)
class Review:
    went_well: list[str]
    did_not: list[str]
    actions: list[str]  # keys of T, for derived follow-up actions


def review(session: Session, incident: IncidentRow, lang: str) -> Review:
    """What went well and what did not, measured from the record."""
    t, well, not_well, actions = _t(lang), [], [], []
    declared = incident.declared_at
    alert = session.execute(select(AlertRow).where(AlertRow.incident_id == incident.id)
                            .order_by(AlertRow.opened_at).limit(1)).scalar_one_or_none()
    if alert is not None:
        lag = max(timedelta(0), declared - alert.opened_at)
        if lag <= ALERT_OK:
            well.append(t["alert_fast"].format(m=duration(lag)))
        else:
            not_well.append(t["alert_slow"].format(m=duration(lag)))
            actions.append("act_alert")
    public = _published(session, incident, "customers")
    end = incident.resolved_at or max([declared, *public])
    if not public:
        not_well.append(t["public_none"])
        actions.append("act_public")
    else:
        first = public[0] - declared
        if first <= FIRST_PUBLIC_OK:
            well.append(t["public_fast"].format(m=duration(first)))
        else:
            not_well.append(t["public_slow"].format(m=duration(first)))
            actions.append("act_public")
        cadence = CADENCE.get((incident.severity, Audience.CUSTOMERS), timedelta(hours=1))
        marks = [declared, *[p for p in public if p <= end]]
        gaps = [b - a for a, b in itertools.pairwise(marks)]
        if incident.resolved_at and public[-1] < incident.resolved_at:
            gaps.append(incident.resolved_at - public[-1])
        longest = max(gaps, default=timedelta(0))
        if longest <= cadence * 1.25:
            well.append(t["cadence_kept"].format(n=len(public)))
        else:
            not_well.append(t["cadence_missed"].format(m=duration(longest), c=duration(cadence)))
            actions.append("act_cadence")
    ceo = _published(session, incident, "ceo")
    if ceo:
        well.append(t["ceo_sent"].format(n=len(ceo)))
    else:
        not_well.append(t["ceo_none"])
        actions.append("act_ceo")
    failed = session.execute(
        select(DeliveryRow.draft_id).join(DraftRow, DraftRow.id == DeliveryRow.draft_id)
        .where(DraftRow.incident_id == incident.id, DeliveryRow.ok.is_(False))
    ).scalars().all()
    if failed:
        not_well.append(t["deliveries_failed"].format(n=len(set(failed))))
        actions.append("act_deliveries")
    elif public or ceo:
        well.append(t["deliveries_ok"])
    answered, unanswered = _rumours(session, incident)
    if answered:
        well.append(t["rumours_answered"].format(n=answered))
    if unanswered:
        not_well.append(t["rumours_open"].format(n=unanswered))
        actions.append("act_rumours")
    revisions = sum(1 for e in session.execute(
        select(TimelineRow.detail).where(TimelineRow.incident_id == incident.id,
                                         TimelineRow.kind == "facts")).scalars()
        if re.search(r"\beta\b", e))
    if revisions > 1:
        not_well.append(t["eta_revised"].format(n=revisions - 1))
    return Review(well, not_well, actions)


def _rumours(session: Session, incident: IncidentRow) -> tuple[int, int]:
    end = incident.resolved_at or datetime.max
    rows = session.execute(
        select(RumourClaimRow).where(RumourClaimRow.last_seen >= incident.declared_at
                                     - timedelta(hours=2), RumourClaimRow.first_seen <= end)
    ).scalars().all()
    answered = sum(1 for c in rows if c.statement_url)
    return answered, len(rows) - answered


def add_action(session: Session, incident: IncidentRow, *, text: str, owner: str,
               due_at: datetime | None, actor: str, now: datetime) -> PostmortemActionRow:
    """A follow-up action with an owner (a role or team) and a due date."""
    text, owner = (text or "").strip(), (owner or "").strip()
    if not text or not owner:
        raise ValueError("an action needs a description and an owner")
    row = PostmortemActionRow(incident_id=incident.id, text=text, owner=owner, due_at=due_at,
                              created_by=actor, created_at=now)
    session.add(row)
    session.flush()
    record(session, incident, now, actor, "postmortem",
           wording("Action #{id}: {text} (owner: {owner})", id=row.id, text=text, owner=owner))
    return row


def complete_action(session: Session, action: PostmortemActionRow, *, actor: str,
                    now: datetime) -> None:
    action.done_at = now
    record(session, session.get(IncidentRow, action.incident_id), now, actor, "postmortem",
           wording("Action #{id} done", id=action.id))


def _owner(incident: IncidentRow, role: str) -> str:
    return getattr(incident, role, None) or role.replace("_", " ")


def follow_ups(session: Session, incident: IncidentRow, lang: str, version: str,
               derived: list[str]) -> str:
    """Actions as lines: the recorded ones, else those the review suggests. The board sees
    owners and dates; customers see what changes."""
    t = _t(lang)
    rows = session.execute(select(PostmortemActionRow).where(
        PostmortemActionRow.incident_id == incident.id).order_by(PostmortemActionRow.id)
    ).scalars().all()
    items = [(r.text, r.owner, r.due_at) for r in rows] or [
        (t[key], _owner(incident, ACTION_OWNER[key]),
         (incident.resolved_at or incident.declared_at) + timedelta(days=30))
        for key in derived]
    if version == "public":
        return "\n".join(f"- {text}" for text, _, _ in items)
    return "\n".join(
        f"- {text} ({t['owner']}: {owner}" + (f", {t['due']} {due:%Y-%m-%d})" if due else ")")
        for text, owner, due in items)


def plan_updates(session: Session, incident: IncidentRow, lang: str) -> str:
    """The "Plan updates" section (issue 19): one line per change to the crisis plan this
    incident asked for (`responders.lessons`), with what it changes and where it stands."""
    t = _t(lang)
    rows = session.execute(select(PlanUpdateRow).where(
        PlanUpdateRow.incident_id == incident.id).order_by(PlanUpdateRow.id)).scalars()
    return "\n".join(
        f"- {plan_update_text(r, incident, lang)} ({t['plan_kinds'][r.kind]}"
        + (f" {r.template}" if r.template else "") + f", {t['plan_states'][r.state]})"
        for r in rows)


def plan_update_text(row: PlanUpdateRow, incident: IncidentRow, lang: str) -> str:
    """A plan update's text in `lang`: the review's own proposals are worded per language
    (T["plan_texts"]); a human's stays as typed."""
    t = _t(lang)
    finding = (row.origin or "").removeprefix("review:")
    template = t["plan_texts"].get(finding) if row.origin else None
    if template is None:
        return row.text
    kind = t.get("types", {}).get(incident.crisis_type,
                                  incident.crisis_type.replace("_", " "))
    return template.format(crisis_type=kind)


def postmortem_facts(session: Session, incident: IncidentRow, lang: str, version: str,
                     now: datetime) -> dict:
    """The template facts a post-mortem adds: summary, timeline, lessons, follow_ups, and
    plan_updates (the board's "Plan updates" section; empty when none)."""
    t = _t(lang)
    r = review(session, incident, lang)
    title = facts_for(incident, lang)["title"]
    declared = _hhmm(incident.declared_at)
    severity = t.get("severities", {}).get(incident.severity, incident.severity)
    kind = t.get("types", {}).get(incident.crisis_type, incident.crisis_type.replace("_", " "))
    if incident.resolved_at:
        summary = t["summary"].format(
            title=title, severity=severity, crisis_type=kind, declared=declared,
            resolved=_hhmm(incident.resolved_at),
            duration=duration(incident.resolved_at - incident.declared_at))
    else:
        summary = t["summary_open"].format(
            title=title, severity=severity, crisis_type=kind, declared=declared)
    lessons = "\n".join(
        part for part in (
            # Headings without a colon: a "Label:" line alone reads as an empty fact to
            # the template cleaner, which drops it.
            f"{t['well']}\n" + "\n".join(f"- {x}" for x in r.went_well) if r.went_well else "",
            f"{t['not_well']}\n" + "\n".join(f"- {x}" for x in r.did_not) if r.did_not else "",
        ) if part)
    return {"summary": summary, "timeline": timeline(session, incident, lang),
            "lessons": lessons, "follow_ups": follow_ups(session, incident, lang, version,
                                                         r.actions),
            "plan_updates": plan_updates(session, incident, lang)}


def reminders(session: Session, now: datetime) -> list[dict]:
    """Post-mortems due or overdue for the board (resolved incidents whose board version is
    not published yet), with whom to remind."""
    out = []
    for incident in session.execute(select(IncidentRow).where(
            IncidentRow.phase.in_((Phase.RESOLVED.value, Phase.POSTMORTEM.value)),
            IncidentRow.resolved_at.is_not(None))).scalars():
        board = next(c for c in audience_clocks(session, incident, now)
                     if c.audience is Audience.BOARD)
        if board.last_update is not None or board.state not in ("due", "overdue"):
            continue
        out.append({"incident_id": incident.id, "title": incident.title,
                    "due_at": board.due_at, "state": board.state, "owner": board.owner,
                    "text": f"Board post-mortem for incident #{incident.id} "
                            f"({incident.title}) is {board.state}: due "
                            f"{board.due_at:%Y-%m-%d %H:%M} UTC, {POSTMORTEM_DUE.days} days "
                            f"after resolution. Owner: {board.owner}."})
    return out

