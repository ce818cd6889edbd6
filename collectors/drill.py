"""A scripted crisis for demos and exercises: seeded, reproducible, time-compressible.

Every minute of simulated time is generated from its own seed, so a restarted drill
produces exactly the same mentions with the same ids (idempotent like any real source),
and the drill can be read at any speed: the caller decides what `now` is.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from collectors.base import Batch, Mention, TicketCount
from collectors.drill_script import (
    CALM,
    OUTAGE_RUMOUR,
    SCENARIOS,
    TICKET_SUBJECTS,
    VIRAL,
)

PLATFORMS = ("x", "x", "x", "reddit", "mastodon", "bluesky")
CRISIS_MINUTES = 90  # how long the crisis keeps growing before it fades
CALM_PEAK_PER_MIN = 4.0
CALM_TICKETS_PER_MIN = 0.8
BATCH_MINUTES = 30
ONE_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class DrillPlan:
    """When and what: the scenario, its seed, the simulated onset, and the brand."""

    scenario: str = "outage"
    seed: int = 7
    onset: datetime = datetime(2026, 3, 10, 10, 0)
    brand: str = "Nimbus"
    handle: str = "@nimbushq"

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(
                f"unknown drill scenario {self.scenario!r}; choose from {sorted(SCENARIOS)}"
            )


def daily_rhythm(at: datetime) -> float:
    """Relative chatter level: quiet nights, busy office hours, quieter weekends."""
    hour = at.hour + at.minute / 60
    level = 0.2 + 0.8 * max(0.0, math.sin(math.pi * (hour - 7) / 14)) if 7 <= hour <= 21 else 0.2
    return level * (0.6 if at.weekday() >= 5 else 1.0)


def crisis_intensity(plan: DrillPlan, at: datetime) -> float:
    """0 before onset, rising to 1 over the ramp, fading after CRISIS_MINUTES."""
    t = (at - plan.onset).total_seconds() / 60
    if t < 0:
        return 0.0
    ramp = SCENARIOS[plan.scenario]["ramp"]
    rise = 1 - math.exp(-t / ramp)
    return rise if t <= CRISIS_MINUTES else rise * math.exp(-(t - CRISIS_MINUTES) / 30)


class DrillCollector:
    """Generates the drill's mentions and ticket counts minute by minute.

    The cursor is the ISO time of the last complete minute emitted; `fetch` emits every
    complete minute after it up to `now`.
    """

    name = "drill"

    def __init__(self, plan: DrillPlan, start: datetime):
        self.plan = plan
        self.start = start.replace(second=0, microsecond=0)

    @classmethod
    def from_config(cls, conf: dict) -> DrillCollector:
        """From a [sources.drill] table: scenario, seed, onset (ISO time, UTC), and
        hours_before (calm history generated before the onset, default 6)."""
        onset = datetime.fromisoformat(conf["onset"]) if "onset" in conf else DrillPlan.onset
        plan = DrillPlan(conf.get("scenario", "outage"), int(conf.get("seed", 7)), onset)
        return cls(plan, onset - timedelta(hours=float(conf.get("hours_before", 6))))

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]:
        minute = datetime.fromisoformat(cursor) + ONE_MINUTE if cursor else self.start
        while minute + ONE_MINUTE <= now:
            batch = Batch()
            for _ in range(BATCH_MINUTES):
                if minute + ONE_MINUTE > now:
                    break
                mentions, tickets = self.minute(minute)
                batch.mentions.extend(mentions)
                batch.tickets.extend(tickets)
                minute += ONE_MINUTE
            yield Batch(batch.mentions, batch.tickets, cursor=_iso(minute - ONE_MINUTE))

    def minute(self, minute: datetime) -> tuple[list[Mention], list[TicketCount]]:
        """Everything said and filed during one simulated minute (deterministic)."""
        plan = self.plan
        rng = random.Random(f"{plan.scenario}:{plan.seed}:{minute.isoformat()}")
        spec = SCENARIOS[plan.scenario]
        intensity = crisis_intensity(plan, minute)
        since_onset = (minute - plan.onset).total_seconds() / 60
        out: list[Mention] = []

        def emit(text: str, lang: str, author: str | None = None, followers: int | None = None,
                 **metrics) -> Mention:
            n = len(out)
            m = Mention(
                source=rng.choice(PLATFORMS),
                external_id=f"drill-{plan.scenario}-{plan.seed}-{minute:%Y%m%d%H%M}-{n}",
                author=author or f"user{rng.randrange(10**6)}",
                author_followers=followers if followers is not None else _followers(rng),
                text=text.format(brand=plan.brand, handle=plan.handle),
                lang=lang,
                created_at=minute + timedelta(seconds=rng.randrange(60)),
                metrics=metrics,
                raw={"drill": plan.scenario},
            )
            out.append(m)
            return m

        for _ in range(_poisson(rng, CALM_PEAK_PER_MIN * daily_rhythm(minute))):
            lang = _lang(rng)
            emit(rng.choice(CALM[lang]), lang)

        if intensity > 0:
            for _ in range(_poisson(rng, spec["peak"] * intensity)):
                lang = _lang(rng)
                opening, body, ending = spec["parts"][lang]
                emit(rng.choice(opening) + rng.choice(body) + rng.choice(ending), lang)
            if plan.scenario == "outage" and since_onset >= spec["rumour_at"]:
                for _ in range(_poisson(rng, 2.5 * intensity)):
                    lang = _lang(rng)
                    emit(OUTAGE_RUMOUR[lang], lang)
            for at, handle, followers, lang, text in VIRAL[plan.scenario]:
                original = f"drill-{plan.scenario}-{plan.seed}-viral-{handle}"
                if int(since_onset) == at:
                    out.append(Mention(
                        source="x", external_id=original, author=handle,
                        author_followers=followers,
                        text=text.format(brand=plan.brand, handle=plan.handle), lang=lang,
                        created_at=minute + timedelta(seconds=5), raw={"drill": plan.scenario},
                    ))
                elif since_onset > at:
                    for _ in range(_poisson(rng, 4.0 * intensity)):
                        emit(f"RT @{handle}: " + text, lang, retweet_of=original)

        tickets = _poisson(rng, CALM_TICKETS_PER_MIN * daily_rhythm(minute))
        surge = _poisson(rng, spec["tickets"] * intensity) if since_onset >= 2 else 0
        subjects = tuple(
            rng.choice(TICKET_SUBJECTS[plan.scenario] if i < surge else TICKET_SUBJECTS["calm"])
            for i in range(surge + tickets)
        )
        counts = [TicketCount("drill", minute, surge + tickets, "all", subjects)] if subjects else []
        return out, counts


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="minutes")


def _lang(rng: random.Random) -> str:
    return "fr" if rng.random() < 0.3 else "en"


def _followers(rng: random.Random) -> int:
    return int(rng.lognormvariate(5.0, 1.6))


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method: fine for the small rates of a per-minute drill."""
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
