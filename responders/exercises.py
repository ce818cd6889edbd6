"""Team exercises in the store: start one (a drill scenario or a recorded past crisis, at a
speed), add injects while the team plays, finish it with its scorecard.

At most one exercise runs at a time. While it runs the whole cockpit is in exercise mode:
`collectors.exercise.ExerciseFeed` feeds its posts into the live pipeline, every channel
writes to the log instead of sending (the wiring's guard asks `running()` before each
send), and the dashboard shows EXERCISE on every screen and draft. Finishing scores the
window [started_at, finished_at] with `responders.scorecard` (the code that scores the
drill) and keeps the figures on the exercise, so progress across exercises stays visible.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collectors.base import Batch, Mention
from collectors.drill_script import SCENARIOS
from collectors.ingest import save_batch, text_problem
from collectors.replay import recorded_at
from responders.incidents import ACTIVE, Phase, active_incident, record, transition, update_facts
from responders.scorecard import scorecard
from responders.statusboard import release_components
from responders.wording import wording
from store.models import AlertRow, ExerciseInjectRow, ExerciseRow, IncidentRow

SPEEDS = (1, 2, 5, 10, 20)
FACILITATOR_SOURCE = "x"  # where an injected question appears to come from
MAX_RECORDS = 50_000
EXERCISE_ACTOR = "exercise"


class ExerciseError(ValueError):
    """An exercise request that cannot be done; the message says why, for the facilitator."""


def running(session: Session) -> ExerciseRow | None:
    """The exercise being played, if any."""
    return session.execute(select(ExerciseRow).where(ExerciseRow.finished_at.is_(None))
                           .order_by(ExerciseRow.started_at.desc()).limit(1)
                           ).scalar_one_or_none()


def start(session: Session, *, name: str, actor: str, now: datetime, speed: int,
          scenario: str | None = None, seed: int = 7, recording: list | None = None,
          recording_name: str | None = None) -> ExerciseRow:
    """Start an exercise from `scenario` or from `recording` (the readable records of a
    `crisiswatch replay` file), now, at `speed`; raises ExerciseError if one is running or
    the request is incomplete. It starts at the next whole minute (the feed plays whole
    minutes)."""
    name = (name or "").strip()
    if not name:
        raise ExerciseError("give the exercise a name")
    if speed not in SPEEDS:
        raise ExerciseError(f"speed must be one of {', '.join(map(str, SPEEDS))}")
    if (scenario is None) == (recording is None):
        raise ExerciseError("choose a scenario or a recording")
    if scenario is not None and scenario not in SCENARIOS:
        raise ExerciseError(f"unknown scenario {scenario!r}; one of {', '.join(SCENARIOS)}")
    if recording is not None:
        if not recording:
            raise ExerciseError("the recording has no readable post")
        if len(recording) > MAX_RECORDS:
            raise ExerciseError(f"the recording has {len(recording):,} posts; at most "
                                f"{MAX_RECORDS:,}")
    current = running(session)
    if current is not None:
        raise ExerciseError(f"exercise #{current.id} ({current.name}) is still running; "
                            "finish it first")
    begins = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    row = ExerciseRow(name=name[:128], source="scenario" if scenario else "recording",
                      scenario=scenario, seed=seed if scenario else None,
                      recording=recording, recording_name=(recording_name or "")[:256] or None,
                      speed=speed, started_at=begins, started_by=actor)
    session.add(row)
    session.flush()
    return row


def readable_records(raw: list) -> tuple[list[dict], int]:
    """(the records a replay can play, how many it cannot): a record is playable with a
    readable `created_at` and a text that can be stored."""
    good, bad = [], 0
    for rec in raw:
        try:
            if not isinstance(rec, dict) or text_problem(rec) is not None:
                raise ValueError("unreadable")
            recorded_at(rec["created_at"])
            if not str(rec.get("text") or "").strip():
                raise ValueError("no text")
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            bad += 1
            continue
        good.append(rec)
    return good, bad


def inject_question(session: Session, exercise: ExerciseRow, *, text: str, author: str,
                    followers: int, actor: str, now: datetime) -> ExerciseInjectRow:
    """A journalist's (or anyone's) question, arriving now as a mention the pipeline
    scores and the team sees and answers like any other."""
    _check_running(exercise)
    text = (text or "").strip()
    author = (author or "").strip()
    if not text or not author:
        raise ExerciseError("a question needs its text and who asks it")
    if followers < 0:
        raise ExerciseError("followers cannot be negative")
    n = _count(session, exercise) + 1
    mention = Mention(source=FACILITATOR_SOURCE, external_id=f"ex{exercise.id}:inject-{n}",
                      author=author[:128], author_followers=followers, text=text,
                      created_at=now, metrics={"exercise": exercise.id, "inject": n})
    save_batch(session, FACILITATOR_SOURCE, f"exercise-{exercise.id}", Batch([mention]), now)
    return _inject(session, exercise, "question", {"text": text, "author": author,
                                                   "followers": followers}, actor, now)


def inject_eta_slip(session: Session, exercise: ExerciseRow, *, minutes: int, actor: str,
                    now: datetime) -> ExerciseInjectRow:
    """The tech team's ETA slips by `minutes`: the active incident's ETA moves (from now if
    it had none), as a fact change every message in preparation is rebuilt from."""
    _check_running(exercise)
    if minutes <= 0:
        raise ExerciseError("an ETA slips by a positive number of minutes")
    incident = active_incident(session)
    if incident is None or incident.declared_at < exercise.started_at:
        raise ExerciseError("no incident has been declared in this exercise yet")
    before = incident.eta
    eta = (before if before and before > now else now) + timedelta(minutes=minutes)
    update_facts(session, incident, actor=actor, now=now, eta=eta)
    return _inject(session, exercise, "eta_slip", {
        "incident_id": incident.id, "minutes": minutes,
        "from": before.isoformat() if before else None, "to": eta.isoformat()}, actor, now)


def finish(session: Session, exercise: ExerciseRow, *, actor: str, now: datetime) -> dict:
    """End the exercise: score it, keep the scorecard, and resolve what it left active
    (its incidents resolved, its alerts closed: the cockpit leaves exercise mode with
    nothing of the exercise still calling for attention). Returns the scorecard."""
    _check_running(exercise)
    card = scorecard(session, exercise.started_at, now)
    exercise.finished_at, exercise.finished_by, exercise.scorecard = now, actor, card
    left = session.execute(select(IncidentRow).where(
        IncidentRow.declared_at >= exercise.started_at,
        IncidentRow.phase.in_([p.value for p in ACTIVE]))).scalars().all()
    for incident in left:
        record(session, incident, now, actor, "exercise",
               wording("Exercise #{id} finished; resolved with it", id=exercise.id))
        transition(session, incident, Phase.RESOLVED, actor=actor, now=now)
        release_components(session, incident, actor=actor, now=now)
    for alert in session.execute(select(AlertRow).where(
            AlertRow.opened_at >= exercise.started_at,
            AlertRow.status.in_(("open", "acknowledged")))).scalars():
        alert.status = "closed"  # as a quiet alert closes (signals.alerts); paging stops
    return card


def during(session: Session, at: datetime) -> ExerciseRow | None:
    """The exercise that was running at `at` (an incident declared then is the exercise's:
    its drafts are marked EXERCISE)."""
    return session.execute(select(ExerciseRow).where(
        ExerciseRow.started_at <= at,
        (ExerciseRow.finished_at.is_(None)) | (ExerciseRow.finished_at >= at))
        .order_by(ExerciseRow.started_at.desc()).limit(1)).scalar_one_or_none()


def injects(session: Session, exercise_id: int) -> list[ExerciseInjectRow]:
    return list(session.execute(select(ExerciseInjectRow).where(
        ExerciseInjectRow.exercise_id == exercise_id).order_by(ExerciseInjectRow.at)).scalars())


def history(session: Session, limit: int = 50) -> list[ExerciseRow]:
    """The exercises, most recent first."""
    return list(session.execute(select(ExerciseRow).order_by(
        ExerciseRow.started_at.desc(), ExerciseRow.id.desc()).limit(limit)).scalars())


def _check_running(exercise: ExerciseRow) -> None:
    if exercise.finished_at is not None:
        raise ExerciseError(f"exercise #{exercise.id} is already finished")


def _count(session: Session, exercise: ExerciseRow) -> int:
    return session.execute(select(func.count()).select_from(ExerciseInjectRow).where(
        ExerciseInjectRow.exercise_id == exercise.id)).scalar_one()


def _inject(session: Session, exercise: ExerciseRow, kind: str, detail: dict, actor: str,
            now: datetime) -> ExerciseInjectRow:
    row = ExerciseInjectRow(exercise_id=exercise.id, at=now, kind=kind, detail=detail,
                            actor=actor)
    session.add(row)
    session.flush()
    return row
