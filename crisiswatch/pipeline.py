"""All stages, in data-flow order, as one `run_once(now)`: collect, score, detect, draft,
publish. The same code runs the live `crisiswatch run`, the headless drill and the demo."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from collectors import Collector, CollectorError
from collectors.ingest import collect_once
from responders import rumours
from responders.alerting import AlertPolicy, Contact, deliver_alerts
from responders.channels.base import Channel
from responders.drafts import Brand, suggest_replies, suggest_updates
from responders.incidents import active_incident, latest_resolved
from responders.outbox import publish_approved
from responders.postmortem import suggest_postmortems
from responders.reminders import remind_due_updates
from responders.subscribers import notify_subscribers
from responders.templates import TemplateLibrary
from sentiment.scorer import Scorer, score_pending
from signals.detect import detect_once
from signals.detectors import Settings as DetectorSettings
from store import Store

log = logging.getLogger("crisiswatch")


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
    source_errors: dict[str, str] = field(default_factory=dict)

    def collect(self, now: datetime) -> int:
        """Every source in turn; a failing source is logged and skipped, never fatal."""
        new = 0
        for collector, query in self.collectors:
            try:
                new += collect_once(self.store, collector, query, now)
                self.source_errors.pop(collector.name, None)
            except CollectorError as exc:
                self.source_errors[collector.name] = str(exc)
                log.warning("source %s failed (%s): %s", collector.name,
                            "permanent" if exc.permanent else "transient", exc)
            except Exception as exc:
                self.source_errors[collector.name] = f"unexpected error: {exc!r}"
                log.exception("source %s failed unexpectedly", collector.name)
        return new

    def score(self, now: datetime) -> int:
        scored = 0
        while True:
            with self.store.session() as session:
                n = score_pending(session, self.scorer, now)
            scored += n
            if n == 0:
                return scored

    def detect(self, now: datetime) -> int:
        with self.store.session() as session:
            return detect_once(session, now, self.detector, self.settle)

    def alert(self, now: datetime) -> int:
        """Page the contacts about open alerts: send, re-send, escalate, until acked."""
        return deliver_alerts(self.store, self.channels, self.contacts, now,
                              policy=self.alert_policy)

    def remind(self, now: datetime) -> int:
        """Nudge whoever owes an audience its update once its clock is due."""
        return remind_due_updates(self.store, self.channels, self.contacts, now)

    def draft(self, now: datetime) -> int:
        """Group rumours into claims, and refresh the suggested updates and replies for the
        incident that still owes them (active, or resolved and owing the all-clear), and
        the post-mortems."""
        with self.store.session() as session:
            rumours.cluster_pending(session, now, brand_words=(self.brand.name,))
            drafted = len(suggest_postmortems(session, self.library, self.brand, now))
            incident = active_incident(session) or latest_resolved(session)
            if incident is None:
                return drafted
            return drafted + len(
                suggest_updates(session, incident, self.library, self.brand, now)) + len(
                suggest_replies(session, incident, self.library, self.brand, now))

    def publish(self, now: datetime) -> int:
        """Send what was approved, then tell status-page subscribers about new updates."""
        published = publish_approved(self.store, self.channels, now)
        notify_subscribers(self.store, self.channels, now, brand=self.brand)
        return published

    def run_once(self, now: datetime) -> dict[str, int]:
        return {
            "collected": self.collect(now),
            "scored": self.score(now),
            "signals": self.detect(now),
            "paged": self.alert(now),
            "drafts": self.draft(now),
            "reminded": self.remind(now),
            "published": self.publish(now),
        }
