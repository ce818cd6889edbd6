"""The running team exercise as a source: its mentions and tickets enter the live pipeline
like any feed's, at the exercise's speed, so the team plays it in the normal screens.

An exercise (`store.models.ExerciseRow`, started from the dashboard) plays either a drill
scenario or a recorded past crisis, from its `started_at` (a whole minute) at an integer
`speed`:

- a scenario first brings the calm hours before it (`CALM_BEFORE`, dated in the real past,
  so the detectors have an ordinary day to compare with), then `LEAD_IN` of calm before
  the crisis begins; from `started_at` on, one real minute plays `speed` simulated minutes;
- a recording plays its first post at `started_at` and the rest `speed` times faster than
  recorded (`collectors.replay.ReplayCollector`).

Only whole real minutes are fed (up to the last minute boundary before `now`), so a real
minute's ticket count is written once, complete. External ids are prefixed with the
exercise (``ex<id>:``): playing the same scenario or recording twice stores it twice, and
never collides with live collection. The cursor names the exercise
(``<exercise id>:<inner cursor>``); when no exercise runs, the feed yields nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from collectors.base import Batch, Mention, TicketCount
from collectors.drill import DrillCollector, DrillPlan
from collectors.replay import ReplayCollector
from store.models import ExerciseRow

CALM_BEFORE = timedelta(hours=6)
LEAD_IN = timedelta(minutes=10)  # simulated calm the team watches before the crisis begins
ONE_MINUTE = timedelta(minutes=1)


class ExerciseFeed:
    """A collector over whichever exercise is running in `store`."""

    name = "exercise"

    def __init__(self, store, *, brand: str = "Nimbus", handle: str = "@nimbushq"):
        self.store, self.brand, self.handle = store, brand, handle
        self._streams: dict[int, Stream] = {}

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]:
        with self.store.session() as session:
            # The id only: a recording (up to 50,000 posts) is read once per exercise.
            exercise_id = session.execute(
                select(ExerciseRow.id).where(ExerciseRow.finished_at.is_(None))
                .order_by(ExerciseRow.started_at.desc()).limit(1)).scalar_one_or_none()
            if exercise_id is None:
                return
            stream = self._streams.get(exercise_id)
            if stream is None:
                stream = self._streams[exercise_id] = Stream.of(
                    session.get(ExerciseRow, exercise_id), self.brand, self.handle)
        prefix = f"{stream.exercise_id}:"
        inner = cursor[len(prefix):] if cursor and cursor.startswith(prefix) else None
        batch = stream.batch(inner or None, now.replace(second=0, microsecond=0))
        if batch is not None:
            yield replace(batch, cursor=prefix + (batch.cursor or ""))


class Stream:
    """One exercise's source, with the real time each item is played at."""

    def __init__(self, exercise_id: int, source, started_at: datetime, speed: int,
                 simulated: bool):
        self.exercise_id, self.source = exercise_id, source
        self.started_at, self.speed, self.simulated = started_at, speed, simulated

    @classmethod
    def of(cls, row: ExerciseRow, brand: str, handle: str) -> Stream:
        speed = max(1, int(row.speed))
        if row.source == "scenario":
            plan = DrillPlan(scenario=row.scenario or "outage", seed=row.seed or 7,
                             onset=row.started_at + LEAD_IN, brand=brand, handle=handle)
            return cls(row.id, DrillCollector(plan, row.started_at - CALM_BEFORE),
                       row.started_at, speed, simulated=True)
        replayer = ReplayCollector(row.recording_name or "recording", start=row.started_at,
                                   speed=speed, default_source="x", rows=row.recording or [])
        return cls(row.id, replayer, row.started_at, speed, simulated=False)

    def simulated_at(self, real: datetime) -> datetime:
        """The scenario's time at real time `real` (the past calm is not compressed)."""
        if real <= self.started_at:
            return real
        return self.started_at + (real - self.started_at) * self.speed

    def real_at(self, simulated: datetime) -> datetime:
        if simulated <= self.started_at:
            return simulated
        return self.started_at + (simulated - self.started_at) / self.speed

    def batch(self, cursor: str | None, now: datetime) -> Batch | None:
        """Everything due by `now` (a whole minute) after `cursor`, as one batch in real
        time: ticket counts summed per real minute, so none is written twice."""
        source_now = self.simulated_at(now) if self.simulated else now
        mentions: list[Mention] = []
        tickets: dict[tuple[str, datetime, str], list] = defaultdict(lambda: [0, []])
        quarantined: list[tuple[str, str]] = []
        last = None
        for batch in self.source.fetch("exercise", cursor, source_now):
            for m in batch.mentions:
                at = self.real_at(m.created_at) if self.simulated else m.created_at
                mentions.append(replace(m, created_at=at,
                                        external_id=f"ex{self.exercise_id}:{m.external_id}"[:128],
                                        metrics={**m.metrics, "exercise": self.exercise_id}))
            for t in batch.tickets:
                minute = self.real_at(t.minute).replace(second=0, microsecond=0)
                slot = tickets[(t.source, minute, t.channel)]
                slot[0] += t.count
                slot[1].extend(t.subjects)
            quarantined.extend(batch.quarantined)
            cursor = last = batch.cursor
        if last is None:
            return None
        return Batch(mentions, [TicketCount(source, minute, count, channel, tuple(subjects))
                                for (source, minute, channel), (count, subjects)
                                in tickets.items()], quarantined, cursor=last)
