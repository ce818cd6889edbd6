"""The facilitator's moves from the dashboard: start an exercise, add an inject, finish it.
Role check (an approver or admin facilitates), the `responders.exercises` call, an audit
row, then the pipeline stage the change calls for. Refusals are `ActionError`s worded for
the facilitator."""

from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path

from collectors.replay import read_records
from dashboard.actions import ActionError, audit, require
from dashboard.i18n import N_, _
from responders import exercises
from responders.approval import APPROVER_ROLES
from store.models import ExerciseRow

RECORDING_SUFFIXES = (".jsonl", ".csv")


def parse_recording(contents: str | None, filename: str | None) -> tuple[list[dict], int]:
    """(playable records, unreadable count) of an uploaded `crisiswatch replay` file (the
    `dcc.Upload` data URL); raises ActionError for a file that cannot be read at all."""
    if not contents or not filename:
        raise ActionError(_("Choose a recording (.jsonl or .csv) first."))
    suffix = Path(filename).suffix.lower()
    if suffix not in RECORDING_SUFFIXES:
        raise ActionError(_("A recording is a .jsonl or .csv file (the format of "
                            "`crisiswatch replay`), not {name}.").format(name=filename))
    try:
        raw = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, binascii.Error, ValueError) as exc:
        raise ActionError(_("The upload of {name} is damaged; choose it again.").format(
            name=filename)) from exc
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("recording" + suffix)
        path.write_bytes(raw)
        try:
            records = read_records(path)
        except (OSError, UnicodeError, ValueError) as exc:
            raise ActionError(_("{name} cannot be read: {error}").format(
                name=filename, error=exc)) from exc
    return exercises.readable_records(records)


def start(ctx, user, *, name: str, speed: int, scenario: str | None = None, seed: int = 7,
          recording: tuple[list[dict], str] | None = None) -> int:
    """Start an exercise from a scenario or a (records, file name) recording; its id."""
    require(user, APPROVER_ROLES, N_("run an exercise"))
    now = ctx.clock()
    records, filename = recording if recording else (None, None)
    with ctx.store.session() as session:
        try:
            row = exercises.start(session, name=name, actor=user.username, now=now,
                                  speed=speed, scenario=scenario, seed=seed,
                                  recording=records, recording_name=filename)
        except exercises.ExerciseError as exc:
            raise ActionError.of(exc) from exc
        audit(session, actor=user.username, action="exercise.start",
              target=f"exercise:{row.id}",
              detail=f"{row.name}: {scenario or filename} at speed {speed}", now=now)
        return row.id


def inject_question(ctx, user, exercise_id: int, *, text: str, author: str,
                    followers: int) -> None:
    require(user, APPROVER_ROLES, N_("add an inject"))
    now = ctx.clock()
    with ctx.store.session() as session:
        row = _exercise(session, exercise_id)
        try:
            exercises.inject_question(session, row, text=text, author=author,
                                      followers=followers, actor=user.username, now=now)
        except exercises.ExerciseError as exc:
            raise ActionError.of(exc) from exc
        audit(session, actor=user.username, action="exercise.inject",
              target=f"exercise:{exercise_id}", detail=f"question from {author}", now=now)


def inject_eta_slip(ctx, user, exercise_id: int, *, minutes: int) -> None:
    require(user, APPROVER_ROLES, N_("add an inject"))
    now = ctx.clock()
    with ctx.store.session() as session:
        row = _exercise(session, exercise_id)
        try:
            exercises.inject_eta_slip(session, row, minutes=minutes, actor=user.username,
                                      now=now)
        except exercises.ExerciseError as exc:
            raise ActionError.of(exc) from exc
        audit(session, actor=user.username, action="exercise.inject",
              target=f"exercise:{exercise_id}", detail=f"ETA slips {minutes} min", now=now)
    ctx.refresh_drafts(now)  # every message in preparation says the new ETA


def finish(ctx, user, exercise_id: int) -> dict:
    """Finish the exercise; its scorecard."""
    require(user, APPROVER_ROLES, N_("finish an exercise"))
    now = ctx.clock()
    with ctx.store.session() as session:
        row = _exercise(session, exercise_id)
        try:
            card = exercises.finish(session, row, actor=user.username, now=now)
        except exercises.ExerciseError as exc:
            raise ActionError.of(exc) from exc
        audit(session, actor=user.username, action="exercise.finish",
              target=f"exercise:{exercise_id}", detail=row.name, now=now)
    ctx.refresh_drafts(now)  # the incident it resolved retires its pending drafts
    return card


def _exercise(session, exercise_id: int) -> ExerciseRow:
    row = session.get(ExerciseRow, exercise_id)
    if row is None:
        raise ActionError(_("Exercise #{id} does not exist.").format(id=exercise_id))
    return row
