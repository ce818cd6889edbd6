"""Every change a human makes from the dashboard: role check, the responders call, an
audit row, then the pipeline stage the change calls for (drafts refreshed, outbox run).

Callbacks call these and show `ActionError` messages to the user: `str(error)` is the
message in the current user's language. An `ActionError` is a template and its parameters
(`ActionError("Alert #{id} no longer exists.", id=3)`, French in locale/fr/actions.po), or
the refusal of a responders call (`ActionError.of(exc)`: its key and parameters when the
responders worded it, `responders.wording.WordedError`, else its English text).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from dashboard.i18n import N_
from dashboard.stored_texts import say
from responders import approval, cell, cell_paging, drafts, incidents, outbox, statusboard
from responders.approval import APPROVER_ROLES, EDITOR_ROLES, ApprovalError
from responders.wording import Wording, moment, word, words
from signals import alerts
from signals.crowd import own_author_names
from store.models import (
    AlertRow,
    AuditRow,
    CellPageRow,
    DraftRow,
    IncidentRow,
    MaintenanceRow,
    MentionRow,
    StatusComponentRow,
)

# What each refusal says (templates: the French is in locale/fr/actions.po).
ROLE_REFUSALS = {
    "approve": N_("You are signed in as a {role}; to {what} you need to be an approver or "
                  "admin."),
    "edit": N_("You are signed in as a {role}; to {what} you need to be an editor, "
               "approver or admin."),
}
WHEN_MISSING = {"start": N_("Give the start time, as YYYY-MM-DD HH:MM (UTC)."),
                "end": N_("Give the end time, as YYYY-MM-DD HH:MM (UTC).")}
WHEN_WRONG = {"start": N_("The start time {raw} is not a date and time: write it as "
                          "YYYY-MM-DD HH:MM, in UTC (e.g. 2026-03-11 22:00)."),
              "end": N_("The end time {raw} is not a date and time: write it as "
                        "YYYY-MM-DD HH:MM, in UTC (e.g. 2026-03-11 22:00).")}
SECOND_INCIDENT = N_("Incident #{id} ({title}) is still active ({phase}). A second incident "
                     "splits the response: add what is new to #{id}, or confirm that this is "
                     "a separate incident and declare again.")
ETA_WRONG = N_("ETA {text}: write a time like 14:30, or minutes from now like 45, or leave "
               "it empty when nobody knows yet")


class ActionError(Exception):
    """A refused or failed action, worded for the person who tried it: `str()` in the
    current user's language, `.wording` the key and parameters, `.english` the English."""

    def __init__(self, message: str | Wording, **params):
        self.wording = message if isinstance(message, Wording) else Wording(message, params)
        super().__init__(self.wording.english)

    @property
    def english(self) -> str:
        return self.wording.english

    def __str__(self) -> str:
        return say(self.wording)

    @classmethod
    def of(cls, exc: Exception, sentence: bool = False) -> ActionError:
        """The responders' refusal `exc` for the user; `sentence` capitalises it and ends it
        with a full stop (ValueErrors are worded as clauses)."""
        wording = getattr(exc, "wording", None)
        if wording is None:
            text = str(exc)
            wording = Wording(text[:1].upper() + text[1:] + "." if sentence and text else text)
        elif sentence:
            wording = Wording("{clause}.", {"clause": wording})
        return cls(wording)


class SecondIncident(ActionError):
    """Declaring while another incident is still active, without saying that is meant: two
    incidents split the response (two clocks, two sets of updates to the same people), so
    the second one is declared only on an explicit confirmation."""

    def __init__(self, active_id: int, title: str, phase: str):
        self.active_id, self.title, self.phase = active_id, title, phase
        super().__init__(SECOND_INCIDENT, id=active_id, title=title, phase=word("phase", phase))


def audit(session, *, actor: str, action: str, target: str, detail: str,
          now: datetime) -> None:
    session.add(AuditRow(at=now, actor=actor, action=action, target=target[:128],
                         detail=detail))


def require(user, roles: tuple[str, ...], what: str) -> None:
    """Server-side role check; the UI hiding a button is not the control."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise ActionError("Your session has ended: sign in again.")
    if user.role not in roles:
        needed = "approve" if roles == APPROVER_ROLES else "edit"
        raise ActionError(ROLE_REFUSALS[needed], role=word("role", user.role),
                          what=Wording(what))


def acknowledge_alert(ctx, user, alert_id: int) -> None:
    require(user, EDITOR_ROLES, N_("acknowledge alerts"))
    now = ctx.clock()
    with ctx.store.session() as session:
        alert = session.get(AlertRow, alert_id)
        if alert is None:
            raise ActionError("Alert #{id} no longer exists.", id=alert_id)
        if alerts.acknowledge(session, alert, actor=user.username, now=now):
            audit(session, actor=user.username, action="alert.acknowledge",
                  target=f"alert:{alert_id}", detail=alert.title, now=now)


def declare_incident(ctx, user, *, alert_id: int | None, title: str, crisis_type: str,
                     severity: str, facts: dict | None = None,
                     translations: dict[str, dict] | None = None,
                     components: dict[str, str] | None = None,
                     confirm_second: bool = False) -> int:
    """Declare an incident (from an alert when given); returns its id.

    While another incident is active this raises `SecondIncident` (naming it) unless
    `confirm_second` says the person means a separate incident; the audit row says so.

    `translations` ({"fr": {"title": ..., "impact": ...}}) are the facts in the other public
    languages; `components` ({key: state}) the status-page components it affects (none is
    allowed, e.g. a rumoured leak: the public page then shows them as being checked, never
    all operational under an ongoing incident)."""
    require(user, EDITOR_ROLES, N_("declare an incident"))
    title = (title or "").strip()
    if not title:
        raise ActionError("Give the incident a short title (what customers notice).")
    affected = {k: v for k, v in (components or {}).items() if k and v}
    if any(state not in statusboard.STATES for state in affected.values()):
        raise ActionError("Choose a state for each affected component: {states}.",
                          states=words("state", statusboard.STATES))
    if affected and all(state == "operational" for state in affected.values()):
        raise ActionError("An affected component cannot be operational: choose degraded "
                          "performance, partial outage or major outage.")
    now = ctx.clock()
    with ctx.store.session() as session:
        alert = session.get(AlertRow, alert_id) if alert_id is not None else None
        if alert is not None and alert.incident_id is not None:
            raise ActionError("This alert is already part of incident #{id}.",
                              id=alert.incident_id)
        active = incidents.active_incident(session)
        if active is not None and not confirm_second:
            raise SecondIncident(active.id, active.title, active.phase)
        if alert is not None:  # declaring from an alert is the strongest acknowledgement
            alerts.acknowledge(session, alert, actor=user.username, now=now)
        try:
            incident = incidents.declare(session, title=title, crisis_type=crisis_type,
                                         severity=severity, actor=user.username, now=now,
                                         alert=alert)
        except ValueError as exc:
            raise ActionError.of(exc) from exc
        facts = {k: v for k, v in (facts or {}).items() if v not in (None, "")}
        if facts:
            incidents.update_facts(session, incident, actor=user.username, now=now, **facts)
        for lang, translated in (translations or {}).items():
            translated = {k: v for k, v in (translated or {}).items() if v not in (None, "")}
            if translated and lang != "en":
                incidents.update_facts(session, incident, actor=user.username, now=now,
                                       lang=lang, **translated)
        if affected:
            try:
                statusboard.set_incident_components(session, incident, affected,
                                                    actor=user.username, now=now)
            except ValueError as exc:
                raise ActionError.of(exc, sentence=True) from exc
        audit(session, actor=user.username, action="incident.declare",
              target=f"incident:{incident.id}",
              detail=f"{severity} {crisis_type}: {title}"
              + (f" (from alert #{alert.id})" if alert is not None else "")
              + (f" (confirmed while incident #{active.id} is active)" if active else ""),
              now=now)
        incident_id = incident.id
    ctx.refresh_drafts(now)
    return incident_id


def set_phase(ctx, user, incident_id: int, to: str) -> None:
    require(user, EDITOR_ROLES, N_("change the phase"))
    now = ctx.clock()
    with ctx.store.session() as session:
        incident = _incident(session, incident_id)
        before = incident.phase
        try:
            incidents.transition(session, incident, to, actor=user.username, now=now)
        except (incidents.TransitionError, ValueError) as exc:
            raise ActionError.of(exc) from exc
        if incident.phase == "resolved":  # the all-clear: what it affected works again
            statusboard.release_components(session, incident, actor=user.username, now=now)
        audit(session, actor=user.username, action="incident.phase",
              target=f"incident:{incident_id}", detail=f"{before} -> {to}", now=now)
    ctx.refresh_drafts(now)


_MINUTES = re.compile(r"^\+?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*(?:m|min|mins|minutes)?)?$", re.IGNORECASE)
# "14:30" or the French "14h30" is a time of day; "1h30" is a duration (below).
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?:\s*UTC)?$|^(\d{2})h(\d{2})(?:\s*UTC)?$", re.IGNORECASE)


def parse_eta(text: str | None, now: datetime) -> datetime | None:
    """'' -> None (not known); 'HH:MM' -> that time today (tomorrow if more than 12 h ago);
    '45', '45 min', '1h30', '+90' -> that long from now. ValueError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    m = _CLOCK.match(text)
    if m:
        hour, minute = (int(g) for g in (m.groups()[:2] if m.group(1) else m.groups()[2:]))
        if hour > 23 or minute > 59:
            raise ValueError(f"{text!r} is not a time of day")
        at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return at + timedelta(days=1) if at < now - timedelta(hours=12) else at
    m = _MINUTES.match(text)
    if m and (m.group(1) or m.group(2)):
        at = now + timedelta(hours=int(m.group(1) or 0), minutes=int(m.group(2) or 0))
        return at.replace(second=0, microsecond=0)
    raise ValueError(ETA_WRONG.format(text=repr(text)))


def set_facts(ctx, user, incident_id: int, *, en: dict, fr: dict, eta: str | None) -> list[str]:
    """Save the facts form; returns what changed (empty list: nothing to save)."""
    require(user, EDITOR_ROLES, N_("update the facts"))
    now = ctx.clock()
    try:
        eta_at = parse_eta(eta, now)
    except ValueError:
        raise ActionError(ETA_WRONG, text=repr((eta or "").strip())) from None
    with ctx.store.session() as session:
        incident = _incident(session, incident_id)
        if eta_at and incident.eta and eta_at == incident.eta.replace(second=0, microsecond=0):
            eta_at = incident.eta  # the form shows minutes; unchanged is not a new ETA
        en = {k: (v or "").strip() for k, v in en.items()}
        changed = incidents.update_facts(session, incident, actor=user.username, now=now,
                                         **en, eta=eta_at)
        current_fr = (incident.translations or {}).get("fr", {})
        fr = {k: (v or "").strip() for k, v in fr.items()
              if (v or "").strip() != (current_fr.get(k) or "")}
        if fr:
            changed += incidents.update_facts(session, incident, actor=user.username, now=now,
                                              lang="fr", **fr)
        if changed:
            audit(session, actor=user.username, action="incident.facts",
                  target=f"incident:{incident_id}", detail=", ".join(changed), now=now)
    if changed:
        ctx.refresh_drafts(now)
    return changed


def set_roles(ctx, user, incident_id: int, **roles: str) -> list[str]:
    require(user, EDITOR_ROLES, N_("assign roles"))
    now = ctx.clock()
    with ctx.store.session() as session:
        incident = _incident(session, incident_id)
        try:
            changed = incidents.assign_roles(session, incident, actor=user.username, now=now,
                                             **roles)
        except ValueError as exc:
            raise ActionError.of(exc) from exc
        if changed:
            audit(session, actor=user.username, action="incident.roles",
                  target=f"incident:{incident_id}", detail="; ".join(changed), now=now)
    return changed


def edit(ctx, user, draft_id: int, body: str) -> bool:
    """Save an edited draft body; returns False when nothing changed."""
    require(user, EDITOR_ROLES, N_("edit drafts"))
    now = ctx.clock()
    with ctx.store.session() as session:
        draft = _draft(session, draft_id)
        if body == draft.body:
            return False
        _edit(session, draft, body, user, now)
    return True


def _edit(session, draft: DraftRow, body: str, user, now: datetime) -> None:
    if not body.strip():
        raise ActionError("The message is empty; write it, or reject the draft.")
    try:
        drafts.edit_draft(session, draft, body, actor=user.username, now=now)
    except ValueError as exc:
        raise ActionError.of(exc) from exc
    audit(session, actor=user.username, action="draft.edit", target=f"draft:{draft.id}",
          detail=body[:2000], now=now)


def approve(ctx, user, draft_id: int, *, seen: str | None = None, base: str | None = None,
            override_reason: str | None = None) -> str:
    """Approve the text the approver sees and send it at once; returns what happened.

    `seen` is the text in the approver's box, `base` the text it was rendered with. If the
    approver typed changes, they are saved first (and approved as theirs). If the draft
    changed underneath while the box still shows the old text, nothing is approved: what
    was read must be what goes out.
    """
    require(user, APPROVER_ROLES, N_("approve messages"))
    now = ctx.clock()
    with ctx.store.session() as session:
        draft = _draft(session, draft_id)
        if seen is not None and seen != draft.body:
            if base is not None and seen == base:
                raise ActionError("This draft changed since you opened it (new facts or "
                                  "another editor). Read the new text, then approve.")
            _edit(session, draft, seen, user, now)
        try:
            approval.approve(session, draft, approver=user.username, role=user.role, now=now,
                             override_reason=(override_reason or "").strip() or None,
                             two_person_rule=ctx.two_person_rule)
        except ApprovalError as exc:
            raise ActionError.of(exc) from exc
        audit(session, actor=user.username, action="draft.approve", target=f"draft:{draft_id}",
              detail=(f"override: {override_reason.strip()}"
                      if (override_reason or "").strip() else ""), now=now)
    ctx.publish(now)
    with ctx.store.session() as session:
        done = _draft(session, draft_id)
        status, kind = done.status, done.kind
    if kind == "broadcast":  # to contact segments: the broadcast stage, not the outbox
        return N_("Approved; the broadcast stage sends it on its next run.")
    if status == "published":
        return N_("Approved and sent.")
    if status == "failed":
        return N_("Approved, but sending failed: see Recently sent.")
    return N_("Approved; the outbox will send it on its next run.")


def reject(ctx, user, draft_id: int) -> None:
    require(user, EDITOR_ROLES, N_("reject drafts"))
    now = ctx.clock()
    with ctx.store.session() as session:
        draft = _draft(session, draft_id)
        try:
            approval.reject(session, draft, actor=user.username, now=now)
        except ApprovalError as exc:
            raise ActionError.of(exc) from exc
        audit(session, actor=user.username, action="draft.reject", target=f"draft:{draft_id}",
              detail="", now=now)


def mark_posted(ctx, user, draft_id: int, url: str) -> None:
    """A human posted the approved text by hand (the channel's API is lost, or the outbox
    could not confirm): record it with the post's link."""
    require(user, APPROVER_ROLES, N_("mark a message as posted"))
    now = ctx.clock()
    with ctx.store.session() as session:
        draft = _draft(session, draft_id)
        try:
            outbox.mark_posted_manually(session, draft, actor=user.username, url=url, now=now)
        except outbox.OutboxError as exc:
            raise ActionError.of(exc) from exc
        audit(session, actor=user.username, action="draft.posted_manually",
              target=f"draft:{draft_id}", detail=url, now=now)


def send_again(ctx, user, draft_id: int) -> None:
    """A human checked the channel and the message is not there: let the outbox retry."""
    require(user, APPROVER_ROLES, N_("send a message again"))
    now = ctx.clock()
    with ctx.store.session() as session:
        draft = _draft(session, draft_id)
        try:
            outbox.send_again(session, draft, actor=user.username, now=now)
        except outbox.OutboxError as exc:
            raise ActionError.of(exc) from exc
        audit(session, actor=user.username, action="draft.send_again",
              target=f"draft:{draft_id}", detail="", now=now)
    ctx.publish(now)


# --- the public status page: component states and scheduled maintenance ------------------

WHEN_FORMAT = "%Y-%m-%d %H:%M"


def parse_when(text: str | None, what: str) -> datetime:
    """'YYYY-MM-DD HH:MM' (UTC; a 'T' between date and time and a trailing 'UTC' are fine)
    -> naive UTC datetime. ActionError otherwise."""
    raw = (text or "").strip()
    clean = re.sub(r"\s*(UTC|Z)$", "", raw, flags=re.IGNORECASE).replace("T", " ", 1)
    clean = re.sub(r"\s+", " ", clean)
    try:
        return datetime.strptime(clean, WHEN_FORMAT)
    except ValueError:
        if not raw:
            raise ActionError(WHEN_MISSING[what]) from None
        raise ActionError(WHEN_WRONG[what], raw=repr(raw)) from None


def _typed(at: datetime):
    """`at` in a maintenance refusal: English as the form takes it ("2026-03-11 22:00"), the
    cockpit in the reader's zone with the zone named ("11 mars 23:00 CET")."""
    return moment(at, date=True, english=WHEN_FORMAT)


def set_component(ctx, user, key: str, state: str, *, incident_id: int | None = None) -> bool:
    """Show component `key` as `state` on the public page, tied to incident `incident_id`
    when given (the change then lands on its timeline); False when nothing changed."""
    require(user, statusboard.SCHEDULER_ROLES, N_("change the status page"))
    if state not in statusboard.STATES:
        raise ActionError("Unknown state {state}: choose one of {states}.", state=repr(state),
                          states=words("state", statusboard.STATES))
    now = ctx.clock()
    with ctx.store.session() as session:
        row = session.get(StatusComponentRow, key or "")
        if row is None:
            raise ActionError("No component {key} is configured on the status page.",
                              key=repr(key))
        incident = _incident(session, incident_id) if incident_id is not None else None
        before, before_incident = row.state, row.incident_id
        try:
            statusboard.set_component_state(session, key, state, actor=user.username, now=now,
                                            incident=incident)
        except ValueError as exc:
            raise ActionError.of(exc) from exc
        if (row.state, row.incident_id) == (before, before_incident):
            return False
        audit(session, actor=user.username, action="status.component",
              target=f"component:{key}",
              detail=f"{before} -> {state}"
              + (f" (incident #{incident.id})" if incident is not None else ""), now=now)
    return True


def set_incident_components(ctx, user, incident_id: int, states: dict[str, str]) -> list[str]:
    """An update to the incident's components ({key: state}); returns the keys changed."""
    require(user, statusboard.SCHEDULER_ROLES, N_("change the status page"))
    now = ctx.clock()
    states = {k: v for k, v in (states or {}).items() if k and v}
    with ctx.store.session() as session:
        incident = _incident(session, incident_id)
        if incident.phase in ("investigating", "identified", "fixing", "monitoring"):
            current = statusboard.incident_components(session, incident)
            after = {**current, **states}
            if current and all(v == "operational" for v in after.values()):
                raise ActionError("The incident is still open: at least one component stays "
                                  "affected until it is resolved (or mark the incident "
                                  "resolved).")
        try:
            changed = statusboard.set_incident_components(session, incident, states,
                                                          actor=user.username, now=now)
        except ValueError as exc:
            raise ActionError.of(exc, sentence=True) from exc
        if changed:
            audit(session, actor=user.username, action="status.components",
                  target=f"incident:{incident_id}",
                  detail=", ".join(f"{k} -> {states[k]}" for k in changed), now=now)
    return changed


def schedule_maintenance(ctx, user, *, texts: dict[str, dict], starts: str, ends: str,
                         components: list[str] | None) -> int:
    """Announce maintenance from the form: `texts` {"en": {"title", "body"}, "fr": ...}
    (a language left entirely empty is left out), `starts`/`ends` as 'YYYY-MM-DD HH:MM'
    UTC; returns the new maintenance id."""
    require(user, statusboard.SCHEDULER_ROLES, N_("schedule maintenance"))
    now = ctx.clock()
    starts_at, ends_at = parse_when(starts, "start"), parse_when(ends, "end")
    if ends_at <= starts_at:
        raise ActionError("The maintenance ends ({ends}) before it starts ({starts}): check "
                          "the end time.", ends=_typed(ends_at), starts=_typed(starts_at))
    if ends_at <= now:
        raise ActionError("The maintenance would already be over (it ends {ends}; it is "
                          "now {now}).", ends=moment(ends_at, date=True), now=_typed(now))
    filled = {lang: {"title": (t.get("title") or "").strip(), "body": (t.get("body") or "").strip()}
              for lang, t in (texts or {}).items()
              if (t.get("title") or "").strip() or (t.get("body") or "").strip()}
    if not filled:
        raise ActionError("Write the announcement: a title (and a body) in each language.")
    missing = [lang for lang, t in filled.items() if not t["title"]]
    if missing:
        raise ActionError("The {langs} announcement needs a title.",
                          langs=words("lang", missing))
    components = [c for c in (components or []) if c]
    with ctx.store.session() as session:
        try:
            row = statusboard.schedule_maintenance(
                session, texts=filled, starts_at=starts_at, ends_at=ends_at,
                components=components, actor=user.username, role=user.role, now=now)
        except PermissionError as exc:
            raise ActionError.of(exc) from exc
        except ValueError as exc:
            raise ActionError.of(exc, sentence=True) from exc
        audit(session, actor=user.username, action="status.maintenance.schedule",
              target=f"maintenance:{row.id}",
              detail=f"{starts_at:%Y-%m-%d %H:%M} to {ends_at:%Y-%m-%d %H:%M} UTC "
              f"[{', '.join(components) or 'no component'}]: "
              + " / ".join(f"{lang}: {t['title']}" for lang, t in filled.items()), now=now)
        return row.id


def cancel_maintenance(ctx, user, maintenance_id: int) -> None:
    require(user, statusboard.SCHEDULER_ROLES, N_("cancel maintenance"))
    now = ctx.clock()
    with ctx.store.session() as session:
        row = session.get(MaintenanceRow, maintenance_id)
        if row is None:
            raise ActionError("Maintenance #{id} does not exist.", id=maintenance_id)
        if row.cancelled_at is not None:
            raise ActionError("Maintenance #{id} was already cancelled.", id=maintenance_id)
        if row.ends_at <= now:
            raise ActionError("Maintenance #{id} is already over.", id=maintenance_id)
        statusboard.cancel_maintenance(session, maintenance_id, now=now)
        title = ((row.texts or {}).get("en") or next(iter((row.texts or {}).values()), {}))
        audit(session, actor=user.username, action="status.maintenance.cancel",
              target=f"maintenance:{maintenance_id}", detail=title.get("title", ""), now=now)


def acknowledge_cell_page(ctx, user, page_id: int, person: str) -> bool:
    """Record that `person`, paged for a crisis-cell role, answered (told the user, who
    confirms it here); False when the page had already ended."""
    require(user, EDITOR_ROLES, N_("acknowledge a cell page"))
    now = ctx.clock()
    with ctx.store.session() as session:
        page = session.get(CellPageRow, page_id)
        if page is None:
            raise ActionError("Cell page #{id} no longer exists.", id=page_id)
        try:
            done = cell_paging.acknowledge(session, page, person, now=now, via="dashboard",
                                           actor=user.username)
        except cell.CellError as exc:
            raise ActionError.of(exc) from exc
        if done:
            audit(session, actor=user.username, action="cell.acknowledge",
                  target=f"incident:{page.incident_id}", detail=f"{page.role}: {person}",
                  now=now)
    return done


def hand_over(ctx, user, incident_id: int, role: str, new_holder: str, note: str) -> None:
    """Hand a crisis-cell role to `new_holder` with a note (`responders.cell.hand_over`)."""
    require(user, EDITOR_ROLES, N_("hand over a role"))
    now = ctx.clock()
    with ctx.store.session() as session:
        incident = _incident(session, incident_id)
        try:
            cell.hand_over(session, incident, role, new_holder, note, actor=user.username,
                           now=now)
        except cell.CellError as exc:
            raise ActionError.of(exc) from exc
        audit(session, actor=user.username, action="cell.handover",
              target=f"incident:{incident_id}", detail=f"{role}: {new_holder.strip()}",
              now=now)


def draft_reply(ctx, user, mention_id: int) -> int:
    """A reply to the chosen mention, whatever its age: the pipeline answers only posts
    from after the onset, and a post from before it only when a human asks here. Refused
    for the brand's own posts and without an active incident. Returns the draft's id."""
    require(user, EDITOR_ROLES, N_("draft replies"))
    now = ctx.clock()
    with ctx.store.session() as session:
        mention = session.get(MentionRow, mention_id)
        if mention is None:
            raise ActionError("Mention #{id} no longer exists.", id=mention_id)
        if mention.author.lower() in own_author_names(ctx.brand.own_accounts):
            raise ActionError("This post is the brand's own: there is nobody to answer.")
        incident = incidents.active_incident(session)
        if incident is None:
            raise ActionError("Declare an incident first: replies answer for an incident.")
        draft = drafts.draft_reply_to(session, incident, mention, ctx.library, ctx.brand, now)
        if draft is None:
            raise ActionError("No reply fits this post (not scored yet, or not about the "
                              "incident).")
        audit(session, actor=user.username, action="reply.draft", target=f"mention:{mention_id}",
              detail=f"draft #{draft.id}", now=now)
        return draft.id


def _incident(session, incident_id: int) -> IncidentRow:
    incident = session.get(IncidentRow, incident_id)
    if incident is None:
        raise ActionError("Incident #{id} no longer exists.", id=incident_id)
    return incident


def _draft(session, draft_id: int) -> DraftRow:
    draft = session.get(DraftRow, draft_id)
    if draft is None:
        raise ActionError("Draft #{id} no longer exists.", id=draft_id)
    return draft
