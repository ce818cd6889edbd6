"""Exercise mode in the wiring: while a team exercise runs, nothing leaves the machine.

The app's channels are an `ExerciseChannels` dict. `responders.delivery.deliver` asks it,
right before each send, which channel to use for the message (`route`): while an exercise
runs, and for any message about an exercise's incident or alert even after it finished,
that is the exercise's log channel of that name (`<data dir>/exercise-outbox.jsonl`)
instead of the real one: pages, status page posts, replies, broadcasts and team updates
alike. The status page is swapped too, because it is public. Only the in-app dashboard
channel stays as it is.

The live pipeline also gets `ExerciseFeed`, the running exercise's posts as a source."""

from __future__ import annotations

from pathlib import Path

from collectors.exercise import ExerciseFeed
from responders.channels.base import Message
from responders.channels.log import LogChannel
from responders.exercises import during, running
from store.models import AlertRow, IncidentRow

UNGUARDED = ("dashboard",)  # shown inside the cockpit only
FEED_QUERY = "exercise"


class ExerciseChannels(dict):
    """The channels by name; while an exercise runs, a lookup returns the exercise's log
    channel of that name (one store query per lookup: lookups happen once per send)."""

    def __init__(self, channels: dict, store, outbox: Path):
        super().__init__(channels)
        self.store = store
        self.logs = {name: LogChannel(name, outbox) for name in channels
                     if name not in UNGUARDED}

    def playing(self) -> bool:
        with self.store.session() as session:
            return running(session) is not None

    def __getitem__(self, name):
        if name in self.logs and self.playing():
            return self.logs[name]
        return super().__getitem__(name)

    def get(self, name, default=None):
        return self[name] if name in self else default  # noqa: SIM401 (self.get is this)

    def route(self, name: str, message: Message):
        """The channel `responders.delivery.deliver` sends `message` through: the log while
        an exercise runs, and for good for what an exercise raised (its incidents' drafts,
        reminders and broadcasts, its alerts' pages), even once it is finished."""
        if name not in self.logs:
            return super().get(name)
        with self.store.session() as session:
            if running(session) is not None or _from_exercise(session, message):
                return self.logs[name]
        return super().get(name)


def _from_exercise(session, message: Message) -> bool:
    if message.incident_id is not None:
        incident = session.get(IncidentRow, message.incident_id)
        if incident is not None and during(session, incident.declared_at) is not None:
            return True
    if message.alert_id is not None:
        alert = session.get(AlertRow, message.alert_id)
        if alert is not None and during(session, alert.opened_at) is not None:
            return True
    return False


def guarded(channels: dict, store, outbox: Path) -> ExerciseChannels:
    """`channels`, each but the dashboard's swapped for a log channel during exercises."""
    return ExerciseChannels(channels, store, outbox)


def feed(store, brand) -> tuple[ExerciseFeed, str]:
    """The (collector, query) pair that plays the running exercise into a pipeline."""
    return ExerciseFeed(store, brand=brand.name, handle=brand.handle), FEED_QUERY
