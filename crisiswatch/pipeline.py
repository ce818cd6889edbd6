"""All stages, in data-flow order, as one `run_once(now)`: collect, score, detect, page,
cell (page the crisis cell), draft, remind, broadcast, publish. The same code runs the live `crisiswatch run`, the
headless drill and the demo.

Every stage has one interface, `run_once(store, now) -> int`, and opens its own
transactions (claiming, sending and recording are separate commits). A stage that raises
is logged, kept in `stage_errors` and recorded in the store's `stage_health` (so any web
process shows it, and the admins are paged when it keeps failing:
`responders.stage_health`); the stages after it still run, so a broken scorer does not stop
paging or publishing."""

from __future__ import annotations

import logging
import time
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
from responders.stage_health import OpsPolicy, page_admins
from responders.stage_health import record as record_health
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
STAGE_KEYS = {key: name for name, key in STAGE_NAMES.items()}
# A stage that keeps succeeding writes its heartbeat at most this often (wall clock): a
# drill's thousand fast cycles must not cost a thousand writes per stage.
HEARTBEAT_SECONDS = 30.0


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
    admins: list[Contact] = field(default_factory=list)  # paged when a stage keeps failing
    ops_policy: OpsPolicy = field(default_factory=OpsPolicy)
    _heartbeats: dict[str, float] = field(default_factory=dict, repr=False)

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
        `stage_errors` (cleared by the next success) and counts as 0. Either way the
        outcome goes to `stage_health` (a success only as a throttled heartbeat)."""
        try:
            done = self.stages()[key].run_once(self.store, now)
        except Exception as exc:
            self.stage_errors[key] = f"{type(exc).__name__}: {exc}"
            log.exception("stage %s failed", key)
            self._record_health(key, now, self.stage_errors[key])
            return 0
        failed_before = self.stage_errors.pop(key, None) is not None
        last = self._heartbeats.get(key)
        if failed_before or last is None or time.monotonic() - last >= HEARTBEAT_SECONDS:
            self._record_health(key, now, None)
        return done

    def report_health(self, now: datetime) -> int:
        """Page the admins about stages that keep failing (and when they work again);
        never fatal to the cycle. Returns the messages delivered."""
        try:
            return page_admins(self.store, self.channels, self.admins, now, self.ops_policy)
        except Exception:
            log.exception("paging the admins about failing stages failed")
            return 0

    def _record_health(self, key: str, now: datetime, error: str | None) -> None:
        try:
            record_health(self.store, STAGE_KEYS.get(key, key), now, error)
        except Exception:  # the store itself may be what is failing: the log has it
            log.exception("recording the health of stage %s failed", key)
            return
        if error is None:
            self._heartbeats[key] = time.monotonic()
        else:
            self._heartbeats.pop(key, None)

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
        self.report_health(now)
        return done
