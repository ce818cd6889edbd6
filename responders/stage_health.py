"""Is every pipeline stage getting done? One `stage_health` row per stage, and the admins
paged once when one keeps failing.

- `record(store, stage, now, error=None)`: a stage's outcome, written by whichever worker
  ran it. A failure opens (or extends) the stage's failure episode; a success closes it
  and is the stage's heartbeat. Workers share the row, so with many workers "failing"
  means no worker got the stage done since the episode began.
- `page_admins(store, channels, admins, now, policy)`: an episode that has lasted
  `policy.after` with at least `policy.failures` failures in a row pages each admin on
  each of their channels, once (claimed by a conditional UPDATE on `paged_at`); when a
  paged episode ends, one "works again" notice follows (claimed by clearing
  `recovered_at`). Sends go through `responders.delivery.deliver`, so they are attempts
  on record like every other page.
- `stage_report(session, now, stages)`: what the Sources page shows, from the table, so
  a `web` process sees the workers' stages: ok, failing (since, how often, the error) or
  stalled (no success for `STALLED_AFTER`: no worker is running it).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from responders.alerting import Contact
from responders.channels.base import Channel, Message
from responders.delivery import deliver
from store.models import StageHealthRow

log = logging.getLogger("crisiswatch.stage_health")

STALLED_AFTER = timedelta(minutes=10)  # no worker has finished the stage for this long
WORKER = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class OpsPolicy:
    """When a failing stage pages: after `after` of failing with at least `failures`
    failures in a row (one bad cycle, a database blip, pages nobody)."""

    after: timedelta = timedelta(minutes=5)
    failures: int = 3


def record(store, stage: str, now: datetime, error: str | None = None) -> None:
    """One outcome of `stage` at `now`, in its own transaction."""
    with store.session() as session:
        insert = (postgresql.insert if session.bind.dialect.name == "postgresql"
                  else sqlite.insert)
        session.execute(insert(StageHealthRow).values(stage=stage, failures=0)
                        .on_conflict_do_nothing(index_elements=["stage"]))
        row = session.execute(select(StageHealthRow).where(StageHealthRow.stage == stage)
                              .with_for_update()).scalar_one()
        row.worker = WORKER
        if error is None:
            if row.failing_since is not None and row.paged_at is not None:
                row.recovered_at = now  # the admins were told it broke: tell them it works
            row.last_ok_at, row.failing_since, row.failures, row.paged_at = now, None, 0, None
        else:
            row.failing_since = row.failing_since or now
            row.failures = (row.failures or 0) + 1
            row.last_error, row.last_error_at = error[:2000], now


def page_admins(store, channels: Mapping[str, Channel], admins: Iterable[Contact],
                now: datetime, policy: OpsPolicy = OpsPolicy()) -> int:
    """Page the admins about each stage failing long enough, and tell them when a paged
    stage works again; each at most once per episode, whatever the number of workers.
    Returns the number of messages delivered."""
    admins = list(admins)
    sent = 0
    with store.session() as session:
        due = session.execute(select(StageHealthRow).where(
            StageHealthRow.failing_since.is_not(None),
            StageHealthRow.failing_since <= now - policy.after,
            StageHealthRow.failures >= policy.failures,
            StageHealthRow.paged_at.is_(None))).scalars().all()
        recovered = session.execute(select(StageHealthRow).where(
            StageHealthRow.recovered_at.is_not(None))).scalars().all()
        session.expunge_all()
    for row in due:
        if _claim(store, row.stage, StageHealthRow.paged_at.is_(None),
                  StageHealthRow.failing_since == row.failing_since, paged_at=now):
            done = _send(store, channels, admins, now, row, broken=True)
            if admins and not done:  # nobody reached: owed again next cycle
                _claim(store, row.stage, StageHealthRow.paged_at == now, paged_at=None)
            sent += done
    for row in recovered:
        if _claim(store, row.stage, StageHealthRow.recovered_at == row.recovered_at,
                  recovered_at=None):
            done = _send(store, channels, admins, now, row, broken=False)
            if admins and not done:
                _claim(store, row.stage, StageHealthRow.recovered_at.is_(None),
                       recovered_at=row.recovered_at)
            sent += done
    return sent


def stage_report(session, now: datetime, stages: Iterable[str] = ()) -> list[dict]:
    """One dict per stage, `stages` first in their order (one never reported is "never"),
    then any other stage on record by name: stage, state (failing | stalled | ok |
    never), last_ok, failing_since, failures, last_error, worker."""
    rows = {r.stage: r for r in session.execute(select(StageHealthRow)).scalars()}
    stages = list(stages)
    out = []
    for stage in stages + sorted(set(rows) - set(stages)):
        r = rows.get(stage)
        if r is None:
            state = "never"
        elif r.failing_since is not None:
            state = "failing"
        elif r.last_ok_at is None or now - r.last_ok_at > STALLED_AFTER:
            state = "stalled"
        else:
            state = "ok"
        out.append({
            "stage": stage, "state": state,
            "last_ok": r.last_ok_at if r else None,
            "failing_since": r.failing_since if r else None,
            "failures": r.failures if r else 0,
            "last_error": (r.last_error or "") if r and r.failing_since else "",
            "worker": (r.worker or "") if r else "",
        })
    return out


# --- internals ------------------------------------------------------------------------------

WORDS = {
    "en": {"broken_subject": "[crisiswatch] pipeline stage '{stage}' failing",
           "broken": ("crisiswatch: the '{stage}' stage has failed {n} times in a row since "
                      "{since:%H:%M} UTC (last error: {error}). Alerts, drafts or posts that "
                      "depend on it may be late: check the worker's log ({worker})."),
           "fixed_subject": "[crisiswatch] pipeline stage '{stage}' works again",
           "fixed": ("crisiswatch: the '{stage}' stage works again ({at:%H:%M} UTC); "
                     "the work it missed is picked up from where it stopped.")},
    "fr": {"broken_subject": "[crisiswatch] l'étape « {stage} » du pipeline échoue",
           "broken": ("crisiswatch : l'étape « {stage} » a échoué {n} fois de suite depuis "
                      "{since:%H:%M} UTC (dernière erreur : {error}). Alertes, brouillons "
                      "ou publications qui en dépendent peuvent être en retard : voir le "
                      "journal du worker ({worker})."),
           "fixed_subject": "[crisiswatch] l'étape « {stage} » du pipeline fonctionne à nouveau",
           "fixed": ("crisiswatch : l'étape « {stage} » fonctionne à nouveau ({at:%H:%M} UTC) ; "
                     "le travail en attente reprend là où il s'était arrêté.")},
}


def _claim(store, stage: str, *conditions, **values) -> bool:
    with store.session() as session:
        done = session.execute(update(StageHealthRow).where(
            StageHealthRow.stage == stage, *conditions).values(**values))
        return done.rowcount == 1


def _send(store, channels, admins: list[Contact], now: datetime, row: StageHealthRow,
          broken: bool) -> int:
    sent = 0
    for admin in admins:
        words = WORDS.get(admin.lang, WORDS["en"])
        if broken:
            subject = words["broken_subject"].format(stage=row.stage)
            body = words["broken"].format(stage=row.stage, n=row.failures,
                                          since=row.failing_since,
                                          error=(row.last_error or "")[:300],
                                          worker=row.worker or "?")
        else:
            subject = words["fixed_subject"].format(stage=row.stage)
            body = words["fixed"].format(stage=row.stage, at=row.recovered_at)
        for channel, address in admin.channels:
            message = Message(draft_id=0, channel=channel, audience="team", lang=admin.lang,
                              subject=subject, body=body, to=address or None)
            ref = f"stage:{row.stage}:{'down' if broken else 'up'}:{admin.name}"
            outcome = deliver(channels, channel, message, now, store=store, purpose="ops",
                              ref=ref)
            if outcome.ok:
                sent += 1
            else:
                log.warning("could not tell %s about stage %s on %s: %s", admin.name,
                            row.stage, channel, outcome.error)
    return sent
