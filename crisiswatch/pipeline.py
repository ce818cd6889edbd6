"""All stages, in data-flow order, as one `run_once(now)`: collect, score, detect, page,
cell (page the crisis cell), draft, remind, broadcast, publish. The same code runs the live `crisiswatch run`, the
headless drill and the demo.

Every stage has one interface, `run_once(store, now) -> int`, and opens its own
transactions (claiming, sending and recording are separate commits). A stage that raises
is logged and reported in `stage_errors`; the stages after it still run, so a broken
scorer does not stop paging or publishing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from collectors import Collector
from collectors.ingest import Collecting
from responders.alerting import AlertPolicy, Contact, Paging
from responders.broadcasts import Broadcasting, BroadcastPolicy
from responders.cell import CellConfig
from responders.cell_paging import CellPaging
from responders.channels.base import Channel
from responders.drafting import Drafting
from responders.drafts import Brand
from responders.outbox import Publishing
from responders.reminders import Reminding
from responders.templates import TemplateLibrary
from sentiment.scorer import Scorer, Scoring
from signals.detect import Detection
from signals.detectors import Settings as DetectorSettings
from store import Store
from store.statistics import Statistics

log = logging.getLogger("crisiswatch")

# run_once's keys, in the order the stages run
STAGES = ("collected", "scored", "signals", "paged", "cell_paged", "drafts", "reminded",
          "broadcast", "published")
# The stages by the names `crisiswatch worker --stages` takes
STAGE_NAMES = dict(zip(("collect", "score", "detect", "page", "cell", "draft", "remind",
                        "broadcast", "publish"), STAGES, strict=True))


@dataclass
class Pipeline:
    store: Store
    collectors: list[tuple[Collector, str]]  # (collector, query)
    scorer: Scorer
    channels: dict[str, Channel]
    brand: Brand
    library: TemplateLibrary = field(default_factory=TemplateLibrary)
    detector: DetectorSettings = field(default_factory=DetectorSettings)
    settle: timedelta = timedelta(0)
    contacts: list[Contact] = field(default_factory=list)
    alert_policy: AlertPolicy = field(default_factory=AlertPolicy)
    broadcast_policy: BroadcastPolicy = field(default_factory=BroadcastPolicy)
    cell: CellConfig = field(default_factory=CellConfig)  # [cell]: roster, ack, fatigue
    source_errors: dict[str, str] = field(default_factory=dict)
    stage_errors: dict[str, str] = field(default_factory=dict)
    statistics: Statistics = field(default_factory=Statistics)

    def stages(self) -> dict[str, object]:
        """The stages, built from the current settings (the drill and the CLI adjust
        `settle` and `contacts` after construction)."""
        return {
            "collected": Collecting(self.collectors, self.source_errors),
            "scored": Scoring(self.scorer),
            "signals": Detection(self.detector, self.settle, self.brand.own_accounts),
            "paged": Paging(self.channels, self.contacts, self.alert_policy),
            "cell_paged": CellPaging(self.channels, self.contacts, self.cell,
                                     self.alert_policy.ack_secret, self.alert_policy.public_url),
            "drafts": Drafting(self.brand, self.library),
            "reminded": Reminding(self.channels, self.contacts, self.cell),
            "broadcast": Broadcasting(self.channels, self.broadcast_policy,
                                      self.brand.public_langs),
            "published": Publishing(self.channels, self.brand),
        }

    def run_stage(self, key: str, now: datetime) -> int:
        """One stage by its `run_once` key; an exception is logged and kept in
        `stage_errors` (cleared by the next success) and counts as 0."""
        try:
            done = self.stages()[key].run_once(self.store, now)
        except Exception as exc:
            self.stage_errors[key] = f"{type(exc).__name__}: {exc}"
            log.exception("stage %s failed", key)
            return 0
        self.stage_errors.pop(key, None)
        return done

    def draft(self, now: datetime) -> int:
        return self.run_stage("drafts", now)

    def publish(self, now: datetime) -> int:
        return self.run_stage("published", now)

    def refresh_statistics(self, now: datetime) -> None:
        """The planner statistics, refreshed when due (``store.statistics``: hourly, or
        after the mentions grew by a fifth, as after a bulk ingest); a failure is logged,
        never fatal to the cycle."""
        try:
            self.statistics.run_once(self.store, now)
        except Exception:
            log.exception("refreshing the planner statistics failed")

    def run_once(self, now: datetime) -> dict[str, int]:
        done = {key: self.run_stage(key, now) for key in STAGES}
        self.refresh_statistics(now)
        return done
