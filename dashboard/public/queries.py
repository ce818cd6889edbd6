"""The public status page's queries beyond `data.status_page`: components, maintenance,
incidents with their updates. Plain dicts out; only published, public things."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import IncidentRow, MaintenanceRow, StatusComponentRow, StatusPostRow

# Worst first: the page's overall state is the worst of its parts.
SEVERITY = {"major_outage": 4, "partial_outage": 3, "degraded": 2, "checking": 2,
            "maintenance": 1, "operational": 0}


def _text(texts: dict, lang: str) -> dict:
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), {})


def maintenance(session: Session, lang: str, now: datetime, limit: int = 10) -> list[dict]:
    """Maintenance in progress or to come (not cancelled), soonest first."""
    rows = session.execute(
        select(MaintenanceRow).where(MaintenanceRow.cancelled_at.is_(None),
                                     MaintenanceRow.ends_at > now)
        .order_by(MaintenanceRow.starts_at, MaintenanceRow.id).limit(limit)).scalars().all()
    return [{"id": m.id, "title": _text(m.texts, lang).get("title", ""),
             "body": _text(m.texts, lang).get("body", ""), "starts_at": m.starts_at,
             "ends_at": m.ends_at, "components": list(m.components or []),
             "in_progress": m.starts_at <= now, "announced_at": m.created_at} for m in rows]


def components(session: Session, lang: str, now: datetime,
               windows: list[dict] | None = None) -> list[dict]:
    """Configured components in order, with their state; one under maintenance that is in
    progress shows `maintenance` unless something worse is going on."""
    windows = maintenance(session, lang, now) if windows is None else windows
    busy = {key for w in windows if w["in_progress"] for key in w["components"]}
    out = []
    for c in session.execute(select(StatusComponentRow)
                             .order_by(StatusComponentRow.position)).scalars():
        state = c.state
        if c.key in busy and SEVERITY[state] < SEVERITY["maintenance"]:
            state = "maintenance"
        out.append({"key": c.key, "name": _text({k: {"n": v} for k, v in c.names.items()},
                                                lang).get("n", c.key),
                    "state": state, "updated_at": c.updated_at})
    return out


def no_false_all_clear(comps: list[dict], ongoing: list[dict]) -> list[dict]:
    """Under an ongoing incident the page never says every component is operational: when
    no component shows the incident, their state is shown as being checked."""
    if not ongoing or any(c["state"] != "operational" for c in comps):
        return comps
    return [{**c, "state": "checking"} for c in comps]


def localised_titles(session: Session, page: dict, lang: str) -> dict:
    """The page's ongoing incidents titled as their latest update in `lang` titles them (the
    latest update of all languages may be in another one), else by the title in `lang` that
    the person declaring typed, else as they are."""
    titles: dict = {}
    ids = [i["incident_id"] for i in page["incidents"]]
    for row in session.execute(select(IncidentRow).where(IncidentRow.id.in_(ids))).scalars():
        typed = ((row.translations or {}).get(lang) or {}).get("title")
        if typed and typed.strip():
            titles[row.id] = typed.strip()
    for p in session.execute(select(StatusPostRow).where(StatusPostRow.lang == lang)
                             .order_by(StatusPostRow.published_at, StatusPostRow.id)).scalars():
        titles[p.incident_id] = p.title
    incidents = [{**i, "title": titles.get(i["incident_id"], i["title"])}
                 for i in page["incidents"]]
    return {**page, "incidents": incidents}


def overall(page: dict, comps: list[dict], windows: list[dict]) -> str:
    """incident | major_outage | partial_outage | degraded | maintenance | operational."""
    if page["incidents"]:
        return "incident"
    worst = max((c["state"] for c in comps), key=SEVERITY.get, default="operational")
    if worst == "operational" and any(w["in_progress"] for w in windows):
        return "maintenance"
    return worst


def by_incident(posts: list[dict], ongoing: list[dict]) -> list[dict]:
    """The updates grouped per incident, newest incident first; each group says whether
    the incident is still ongoing and its latest phase."""
    ongoing_ids = {i["incident_id"] for i in ongoing}
    groups: dict = {}
    for p in posts:  # newest first already
        g = groups.setdefault(p["incident_id"], {
            "incident_id": p["incident_id"], "title": p["title"], "phase": p["phase"],
            "updated_at": p["published_at"], "ongoing": p["incident_id"] in ongoing_ids,
            "updates": []})
        g["updates"].append(p)
    return sorted(groups.values(), key=lambda g: (g["ongoing"], g["updated_at"]), reverse=True)
