"""The drill under faults: what a drill leaves in its store, and a drill process to kill.

`drill_counts(store)` is what an interrupted-then-resumed drill must end with, equal to an
uninterrupted run: mentions, scores, drafts by (channel, language, status), published posts,
pages, alerts, the incident's phase and playbook events, and the duplicates that must stay 0.

`python -m tests.support.drill_faults DATABASE_URL SCENARIO` runs `run_drill` (word model,
status page channel) on that store, keeping what is there like `crisiswatch drill --keep`,
and prints `tick <iso> <stage>` before every stage, flushed, so a test can SIGKILL it at a
chosen point; it prints `done <json>` at the end.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

from sqlalchemy import func, select

from collectors.drill import DrillPlan
from crisiswatch.drill import run_drill
from crisiswatch.pipeline import Pipeline
from responders.channels.statuspage import StatusPageChannel
from responders.drafts import Brand
from sentiment.scorer import Scorer
from store import Store
from store.models import (
    AlertDeliveryRow,
    AlertRow,
    DeliveryRow,
    DraftRow,
    IncidentRow,
    MentionRow,
    ScoreRow,
    TimelineRow,
)
from tests.support.word_model import WordModel


def word_pipeline(store: Store, pipeline_class=Pipeline):
    """A drill pipeline factory: word model, the status page as the one channel."""
    def factory(collectors):
        return pipeline_class(store=store, collectors=collectors, scorer=Scorer(WordModel()),
                              channels={"statuspage": StatusPageChannel(store)}, brand=Brand())
    return factory


def drill_counts(store: Store) -> dict:
    """The figures an interrupted drill must share with an uninterrupted one."""
    def scalar(query):
        return session.execute(query).scalar_one()

    with store.session() as session:
        drafts = session.execute(select(DraftRow.channel, DraftRow.lang, DraftRow.status,
                                        func.count()).group_by(DraftRow.channel, DraftRow.lang,
                                                               DraftRow.status)).all()
        delivered = session.execute(
            select(DeliveryRow.draft_id, func.count()).where(DeliveryRow.ok.is_(True))
            .group_by(DeliveryRow.draft_id)).all()
        events = session.execute(select(TimelineRow.kind, TimelineRow.detail).where(
            TimelineRow.kind.in_(("declared", "phase", "facts"))).order_by(TimelineRow.id)).all()
        return {
            "mentions": scalar(select(func.count()).select_from(MentionRow)),
            "scores": scalar(select(func.count()).select_from(ScoreRow)),
            "alerts": scalar(select(func.count()).select_from(AlertRow)),
            "pages": scalar(select(func.count()).select_from(AlertDeliveryRow)
                            .where(AlertDeliveryRow.ok.is_(True))),
            "incidents": scalar(select(func.count()).select_from(IncidentRow)),
            "phase": session.execute(select(IncidentRow.phase)).scalars().first(),
            "drafts": sorted(tuple(row) for row in drafts),
            "published": scalar(select(func.count()).select_from(DraftRow)
                                .where(DraftRow.status == "published")),
            "posts_delivered_twice": sum(1 for _, n in delivered if n > 1),
            "playbook_events": [tuple(e) for e in events],
        }


class AnnouncedPipeline(Pipeline):
    """Says which stage of which tick it enters, so a test can kill it there."""

    def run_stage(self, key: str, now: datetime) -> int:
        print(f"tick {now.isoformat()} {key}", flush=True)
        return super().run_stage(key, now)


def main(argv: list[str]) -> int:
    url, scenario = argv
    store = Store(url)
    result = run_drill(word_pipeline(store, AnnouncedPipeline), DrillPlan(scenario))
    print("done " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
