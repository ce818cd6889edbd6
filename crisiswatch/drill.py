"""The drill, headless: a simulated crisis run through every stage as fast as the machine
allows, with the response team's moves played from the playbook."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import func, select

from collectors.drill import DrillCollector, DrillPlan
from collectors.health import Tracked
from crisiswatch.drill_cell import DRILL_CELL, DrillCell
from crisiswatch.drill_cell import totals as cell_totals
from crisiswatch.drill_comms import DrillComms
from crisiswatch.pipeline import Pipeline
from crisiswatch.playbook import PLAYBOOK, facts_at
from responders.alerting import Contact
from responders.approval import ApprovalError, approve
from responders.broadcasts import totals as broadcast_totals
from responders.incidents import (
    Audience,
    audience_clocks,
    declare,
    transition,
    update_facts,
)
from responders.plan_defaults import seed_default_plan
from responders.regulators import regulator_due
from responders.scorecard import scorecard
from responders.statusboard import release_components, set_incident_components
from signals.alerts import acknowledge
from store.models import (
    AlertAckRow,
    AlertDeliveryRow,
    AlertRow,
    BroadcastRow,
    CursorRow,
    DraftRow,
    IncidentRow,
    MentionRow,
    ScoreRow,
    StatusComponentRow,
    TimelineRow,
)

CALM_BEFORE = timedelta(hours=6)
AFTER = timedelta(hours=2)
STEP = timedelta(minutes=5)
DRILL_ACTOR = "drill-commander"
# Who the drill pages when no contacts are configured: their channels are the log channel
# in a drill (no credentials), so every page is recorded and nothing leaves the machine.
DRILL_CONTACTS = [Contact("drill on-call", (("sms", "+15550100"), ("email", "oncall@drill"))),
                  Contact("drill backup", (("email", "backup@drill"),))]


def drill_pipeline(pipeline_factory, plan: DrillPlan) -> tuple[Pipeline, datetime]:
    """A pipeline whose only source is the drill; returns it and the drill's start."""
    start = plan.onset - CALM_BEFORE
    pipeline = pipeline_factory([(DrillCollector(plan, start), plan.scenario)])
    # Tracked like every configured source, so the Sources page counts what the drill
    # collected (issue 15: it said 0).
    pipeline.collectors = [(Tracked(c, pipeline.store), q) for c, q in pipeline.collectors]
    return pipeline, start


class Responder:
    """Plays the response team: declares from the first alert, then follows the playbook,
    approving the customer status updates the pipeline drafts."""

    def __init__(self, pipeline: Pipeline, plan: DrillPlan):
        self.pipeline, self.plan = pipeline, plan
        self.book = PLAYBOOK[plan.scenario]
        self.incident_id: int | None = None
        self.step = 0
        self.approval_errors: list[str] = []
        self.comms = DrillComms(plan.scenario, DRILL_ACTOR)  # staff broadcast, regulator
        self.cell = DrillCell()  # the crisis cell's people answering their pages
        self.resume()

    def resume(self) -> None:
        """Take up a drill a killed process left in the store (`drill --keep`): its
        incident, and how far the playbook got.

        A playbook step is played in one transaction with the phase or facts events it
        writes, so the latest such event by the drill's commander (at time L) shows that
        every step due by L was played and none due after. Without an incident of the
        drill's commander, the responder starts from scratch."""
        with self.pipeline.store.session() as session:
            incident = session.execute(
                select(IncidentRow).where(IncidentRow.declared_by == DRILL_ACTOR,
                                          IncidentRow.title == self.book["title"])
                .order_by(IncidentRow.declared_at.desc()).limit(1)).scalar_one_or_none()
            if incident is None:
                return
            played_until = session.execute(
                select(func.max(TimelineRow.at)).where(
                    TimelineRow.incident_id == incident.id, TimelineRow.actor == DRILL_ACTOR,
                    TimelineRow.kind.in_(("declared", "phase", "facts")))).scalar_one()
            broadcast_at = session.execute(
                select(func.min(BroadcastRow.created_at))
                .where(BroadcastRow.incident_id == incident.id)).scalar_one()
            self.incident_id, self.declared = incident.id, incident.declared_at
        self.step = sum(1 for minutes, *_ in self.book["steps"]
                        if self.declared + timedelta(minutes=minutes) <= played_until)
        # The staff broadcast is created in the declaring transaction; the replies after it
        # are confirmations, which a second time change nothing.
        self.comms.broadcast_at = broadcast_at if self.comms.active else None

    def act(self, now: datetime) -> None:
        with self.pipeline.store.session() as session:
            if self.incident_id is None:
                alert = session.execute(
                    select(AlertRow).where(AlertRow.incident_id.is_(None))
                    .order_by(AlertRow.opened_at).limit(1)).scalar_one_or_none()
                if alert is None:
                    return
                # The on-call answers the page by SMS, then declares.
                acknowledge(session, alert, actor=DRILL_ACTOR, now=now, via="sms",
                            detail="drill: YES")
                incident = declare(session, title=self.book["title"],
                                   crisis_type=self.book["crisis_type"],
                                   severity=self.book["severity"], actor=DRILL_ACTOR, now=now,
                                   alert=alert)
                self.incident_id, self.declared = incident.id, now
                # The status page shows what the incident affects, as a human would declare it.
                configured = set(session.execute(select(StatusComponentRow.key)).scalars())
                affected = {k: v for k, v in self.book.get("components", {}).items()
                            if k in configured}
                if affected:
                    set_incident_components(session, incident, affected, actor=DRILL_ACTOR,
                                            now=now)
            incident = session.get(IncidentRow, self.incident_id)
            steps = self.book["steps"]
            while self.step < len(steps) and now >= self.declared + timedelta(
                    minutes=steps[self.step][0]):
                phase, facts, eta = facts_at(self.plan.scenario, self.step,
                                             self.plan.onset.strftime("%H:%M UTC"))
                if phase:
                    transition(session, incident, phase, actor=DRILL_ACTOR, now=now)
                    if phase == "resolved":
                        release_components(session, incident, actor=DRILL_ACTOR, now=now)
                for lang, f in facts.items():
                    update_facts(session, incident, actor=DRILL_ACTOR, now=now, lang=lang, **f)
                if eta:
                    update_facts(session, incident, actor=DRILL_ACTOR, now=now, eta=now + eta)
                self.step += 1
            self.comms.act(session, incident, now)
            self.cell.act(session, incident, now)
        self.pipeline.draft(now)
        with self.pipeline.store.session() as session:
            incident = session.get(IncidentRow, self.incident_id)
            customers = next(c for c in audience_clocks(session, incident, now)
                             if c.audience is Audience.CUSTOMERS)
            published_phases = set(session.execute(select(DraftRow.phase).where(
                DraftRow.incident_id == self.incident_id, DraftRow.status == "published",
                DraftRow.channel == "statuspage")).scalars())
            # Like a real comms lead: post when the clock says so or the phase moved on.
            if customers.state == "ok" and incident.phase in published_phases:
                return
            for draft in session.execute(select(DraftRow).where(
                    DraftRow.incident_id == self.incident_id, DraftRow.status == "draft",
                    DraftRow.channel == "statuspage")).scalars():
                try:
                    approve(session, draft, approver="drill-approver", role="approver",
                            now=now, override_reason="drill: warnings accepted")
                except ApprovalError as exc:
                    self.approval_errors.append(f"draft #{draft.id}: {exc}")


def resume_tick(store, plan: DrillPlan, start: datetime) -> datetime:
    """The simulated time the drill loop continues from: the drill's start on a fresh
    store; after a killed run (`drill --keep`), the tick its collector last reached, which
    is played again (every stage claims its work, so nothing is done twice)."""
    with store.session() as session:
        position = session.execute(select(CursorRow.position).where(
            CursorRow.source == DrillCollector.name, CursorRow.query == plan.scenario)
        ).scalar_one_or_none()
    if position is None:
        return start
    # The collector's cursor is the last complete minute before the tick that read it.
    reached = datetime.fromisoformat(position) + timedelta(minutes=1)
    return min(max(start, reached - STEP), plan.onset + AFTER)


def run_drill(pipeline_factory, plan: DrillPlan) -> dict:
    """Run the whole drill; returns the figures `crisiswatch drill --json` prints.

    On a store a killed drill left (`crisiswatch drill --keep`), the drill resumes where
    it stopped, the playbook included, and ends with the same mentions, drafts and posts
    as an uninterrupted run."""
    pipeline, start = drill_pipeline(pipeline_factory, plan)
    pipeline.contacts = pipeline.contacts or DRILL_CONTACTS
    pipeline.cell = DRILL_CELL  # its own simulated people, whatever [cell] says
    with pipeline.store.session() as session:  # the crisis plan it rehearses (issue 19)
        seed_default_plan(session, actor=DRILL_ACTOR, now=start)
    responder = Responder(pipeline, plan)
    began = time.perf_counter()
    totals = {"collected": 0, "scored": 0, "signals": 0, "published": 0}
    now = resume_tick(pipeline.store, plan, start)
    while now < plan.onset + AFTER:
        now += STEP
        done = pipeline.run_once(now)
        for key in totals:
            totals[key] += done[key]
        responder.act(now)
        totals["published"] += pipeline.publish(now)
    elapsed = time.perf_counter() - began
    with pipeline.store.session() as session:
        alerts = session.execute(select(AlertRow).order_by(AlertRow.opened_at)).scalars().all()
        before = [a for a in alerts if a.opened_at < plan.onset]
        after = [a for a in alerts if a.opened_at >= plan.onset]
        mentions = session.execute(select(func.count()).select_from(MentionRow)).scalar_one()
        scored = session.execute(select(func.count()).select_from(ScoreRow)).scalar_one()
        # The outbox's messages; broadcast drafts are counted in `broadcasts` (issue 18).
        outbox = DraftRow.kind != "broadcast"
        drafts = session.execute(select(func.count()).select_from(DraftRow)
                                 .where(outbox)).scalar_one()
        published = session.execute(select(func.count()).select_from(DraftRow)
                                    .where(outbox, DraftRow.status == "published")).scalar_one()
        phase = session.execute(select(IncidentRow.phase)).scalars().first()
        pages = session.execute(select(func.count()).select_from(AlertDeliveryRow)
                                .where(AlertDeliveryRow.ok.is_(True))).scalar_one()
        acked = session.execute(select(AlertAckRow).order_by(AlertAckRow.at)).scalars().first()
        broadcasts = broadcast_totals(session)
        cell = cell_totals(session, pipeline.cell)
        due = regulator_due(session)
        card = scorecard(session, start, now)  # the bot's play, scored like a team's
    first = after[0].opened_at if after else None
    return {
        "scenario": plan.scenario,
        "seed": plan.seed,
        "mentions": mentions,
        "scored": scored,
        "onset": plan.onset.isoformat(),
        "first_alert_after_onset_s": (first - plan.onset).total_seconds() if first else None,
        "first_alert_kinds": after[0].kinds if after else [],
        "alerts_before_onset": len(before),
        "alerts": len(alerts),
        "signals": totals["signals"],
        "drafts": drafts,
        "published": published,
        "incident_phase": phase,
        "pages_sent": pages,
        "acknowledged_after_s": ((acked.at - after[0].opened_at).total_seconds()
                                 if acked and after else None),
        "approval_errors": responder.approval_errors + responder.comms.errors,
        "broadcasts": broadcasts,
        "regulator_due": due.isoformat() if due else None,
        "cell": cell,
        "scorecard": card,
        "simulated_minutes": int((now - start).total_seconds() // 60),
        "elapsed_s": round(elapsed, 2),
        "mentions_per_s": round(mentions / elapsed, 1) if elapsed else None,
    }
