"""The tables every stage shares.

One row per thing that happened; stages find their pending work by what is missing
(a mention without a score, an approved draft without a delivery), so a crash between
two stages never loses work and a rerun never repeats it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class MentionRow(Base):
    """A brand mention, stored once per (source, external_id)."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_mentions_source_external_id"),
        Index("ix_mentions_created_at", "created_at"),
        # The newest mentions of a source without sorting all of them (the Mentions page).
        Index("ix_mentions_source_created_at", "source", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    url: Mapped[str | None] = mapped_column(String(512))
    author: Mapped[str] = mapped_column(String(128))
    author_followers: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    collected_at: Mapped[datetime] = mapped_column(DateTime)
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    in_reply_to: Mapped[str | None] = mapped_column(String(128))
    raw: Mapped[dict] = mapped_column(JSON, default=dict)

    score: Mapped[ScoreRow | None] = relationship(back_populates="mention", uselist=False)


class ScoreRow(Base):
    """The model's reading of one mention; its absence marks the mention as pending."""

    __tablename__ = "scores"

    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"), primary_key=True)
    label: Mapped[str] = mapped_column(String(16))
    negative: Mapped[float] = mapped_column(Float)
    neutral: Mapped[float] = mapped_column(Float)
    positive: Mapped[float] = mapped_column(Float)
    rumour: Mapped[float] = mapped_column(Float)
    crisis_type: Mapped[str | None] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(8))
    model: Mapped[str] = mapped_column(String(128))
    scored_at: Mapped[datetime] = mapped_column(DateTime)

    mention: Mapped[MentionRow] = relationship(back_populates="score")


class MentionMinuteRow(Base):
    """Scored mentions counted per minute of ``created_at`` and per source, label, language,
    crisis type and rumour flag: the roll-up the dashboard reads instead of grouping raw
    mentions (``store.rollups``). Written in the scoring transaction, so a score is counted
    exactly once; '' stands for a missing language or crisis type (the key holds no NULL)."""

    __tablename__ = "mention_minutes"
    __table_args__ = (
        Index("ix_mention_minutes_lang", "lang"),  # the language facet
        # Covering the dashboard's and the detector's sums by minute and label: read from
        # the index alone, 3x less CPU than through the primary key (migration 0014).
        Index("ix_mention_minutes_minute_label", "minute", "label", "rumour", "mentions",
              "reach"),
    )

    minute: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(16), primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    crisis_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    rumour: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    mentions: Mapped[int] = mapped_column(Integer)
    # The summed reach weight of those mentions (signals.detectors.reach_weight of each
    # author's followers): the detector's reach series (migration 0014).
    reach: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")


class CursorRow(Base):
    """Where a collector stopped, per source and query; saved with the mentions it covers."""

    __tablename__ = "cursors"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    query: Mapped[str] = mapped_column(String(256), primary_key=True)
    position: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class QuarantineRow(Base):
    """A payload a collector could not read, kept raw with the error instead of dropped."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class TicketCountRow(Base):
    """Support tickets opened in one minute, per source and channel."""

    __tablename__ = "ticket_counts"
    __table_args__ = (
        UniqueConstraint("source", "minute", "channel", name="uq_ticket_counts_bucket"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    minute: Mapped[datetime] = mapped_column(DateTime, index=True)
    channel: Mapped[str] = mapped_column(String(32), default="all")
    count: Mapped[int] = mapped_column(Integer)
    subjects: Mapped[list] = mapped_column(JSON, default=list)


class DetectorStateRow(Base):
    """A streaming detector's learned baseline, so restarts (and the next worker to hold
    the detection lock) resume instead of relearning. ``version`` is the format of
    ``state``: code that cannot resume it rebuilds the state from the stored history."""

    __tablename__ = "detector_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_minute: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)


class SignalRow(Base):
    """One detector firing on one minute: what was seen against what was expected."""

    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    minute: Mapped[datetime] = mapped_column(DateTime, index=True)
    observed: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))


class AlertRow(Base):
    """One situation: correlated signals, updated while it lasts instead of paging again."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    severity: Mapped[str] = mapped_column(String(16))
    kinds: Mapped[list] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(256))
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))


class IncidentRow(Base):
    """The incident whose phase and facts every message is built from."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(256))
    crisis_type: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    phase: Mapped[str] = mapped_column(String(16))
    declared_at: Mapped[datetime] = mapped_column(DateTime)
    declared_by: Mapped[str] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Who holds the incident's roles is the crisis cell's open shifts (`cell_shifts`, issue
    # 19): `commander`, `comms_lead` and `tech_lead` below read and name them.
    # Facts: every message is rendered from these, never typed free-hand.
    impact: Mapped[str] = mapped_column(Text, default="")
    known: Mapped[str] = mapped_column(Text, default="")
    unknown: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[str] = mapped_column(Text, default="")
    eta: Mapped[datetime | None] = mapped_column(DateTime)
    # The same facts in other languages, {"fr": {"impact": ..., ...}}: French messages are
    # built from French facts, never from English text dropped into a French sentence.
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    facts_changed_at: Mapped[datetime | None] = mapped_column(DateTime)
    major_change_at: Mapped[datetime | None] = mapped_column(DateTime)
    # One source of truth at send time (issue 15): bumped by every change of phase, facts or
    # promised next update; a draft built from an older version is rewritten or voided.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The one promise of the update being prepared: the same time in every language and
    # channel; once a status-page update carrying it is published, the customers' clock.
    next_update_at: Mapped[datetime | None] = mapped_column(DateTime)

    events: Mapped[list[TimelineRow]] = relationship(
        back_populates="incident", order_by="TimelineRow.at"
    )
    # Loaded with the incident (a handful of rows), so the holders read below work on an
    # incident whose session has closed, as the dashboard's queries hand them out.
    shifts: Mapped[list[CellShiftRow]] = relationship(
        back_populates="incident", order_by="CellShiftRow.started_at", lazy="selectin",
        cascade="all, delete-orphan",
    )

    def holder(self, role: str) -> str | None:
        """Who holds crisis-cell `role` now (the open shift's holder), or None."""
        return next((s.holder for s in self.shifts if s.role == role and s.ended_at is None),
                    None)

    def name_holder(self, role: str, holder: str | None) -> None:
        """Name who holds `role` with no clock: a correction, not a handover. The open
        shift's holder is replaced in place (its on-duty time kept), a role nobody held gets
        a shift from the declaration, and None removes the open shift. A handover during
        the incident is `responders.cell.hand_over`, which ends one shift and starts the
        next at the time it happens."""
        current = next((s for s in self.shifts if s.role == role and s.ended_at is None), None)
        if not holder:
            if current is not None:
                self.shifts.remove(current)
        elif current is not None:
            current.holder = holder
        else:
            self.shifts.append(CellShiftRow(role=role, holder=holder, via="assigned",
                                            started_at=self.declared_at))

    commander = property(lambda self: self.holder("commander"),
                         lambda self, v: self.name_holder("commander", v),
                         doc="The incident commander (the cell's open shift).")
    comms_lead = property(lambda self: self.holder("comms_lead"),
                          lambda self, v: self.name_holder("comms_lead", v),
                          doc="The comms lead (the cell's open shift).")
    tech_lead = property(lambda self: self.holder("tech_lead"),
                         lambda self, v: self.name_holder("tech_lead", v),
                         doc="The tech lead (the cell's open shift).")


class TimelineRow(Base):
    """Everything that happened to an incident, in order: phases, facts, messages."""

    __tablename__ = "timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    # The same sentence as a message key and its parameters (responders.wording), so the
    # cockpit shows it in the reader's language; None on rows written before (0013).
    detail_key: Mapped[str | None] = mapped_column(Text)
    detail_params: Mapped[dict | None] = mapped_column(JSON)

    incident: Mapped[IncidentRow] = relationship(back_populates="events")


class DraftStatus(StrEnum):
    """Where a draft is in its life: waiting (``DRAFT``), said yes to (``APPROVED``), being
    sent (``PUBLISHING``), out (``PUBLISHED``), refused by a human (``REJECTED``), failed for
    good (``FAILED``), or sent with an unknown outcome that a human must check
    (``NEEDS_CHECK``). Stored as the plain value."""

    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    NEEDS_CHECK = "needs_check"
    REJECTED = "rejected"


class DraftRow(Base):
    """A message waiting for, or past, human approval. Only approved drafts are ever sent."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    mention_id: Mapped[int | None] = mapped_column(ForeignKey("mentions.id"))
    kind: Mapped[str] = mapped_column(String(16))  # status | notify | reply
    audience: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(8))
    phase: Mapped[str | None] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(256), default="")
    body: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(256))
    author: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The incident version the text was built from, and the next update it promises.
    incident_version: Mapped[int | None] = mapped_column(Integer)
    promised_next_update: Mapped[datetime | None] = mapped_column(DateTime)
    # Set when crisiswatch withdrew the draft (stale, incident over), not a human.
    void_reason: Mapped[str | None] = mapped_column(Text)
    # ... and that reason's message key and parameters (responders.wording; 0018), which
    # the cockpit shows in the reader's language; NULL on drafts withdrawn before.
    void_key: Mapped[str | None] = mapped_column(Text)
    void_params: Mapped[dict | None] = mapped_column(JSON)
    # A correction of a rumour claim (one per claim and language) says which claim. No
    # foreign key: rumour_claims already points at drafts, and a cycle breaks drop_all.
    claim_id: Mapped[int | None] = mapped_column(Integer)

    mention: Mapped[MentionRow | None] = relationship()


class ReminderRow(Base):
    """One reminder per (incident, audience, clock state, the update the clock counts
    from): the unique key makes a second worker or cycle skip instead of nagging twice."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("incident_id", "audience", "state", "basis",
                         name="uq_reminders_due_state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    audience: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    basis: Mapped[datetime] = mapped_column(DateTime)
    at: Mapped[datetime] = mapped_column(DateTime)


class ApprovalRow(Base):
    """An approver's yes to one exact body; editing the body voids it."""

    __tablename__ = "approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    approver: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime)
    body_sha256: Mapped[str] = mapped_column(String(64))
    override_reason: Mapped[str | None] = mapped_column(Text)
    void: Mapped[bool] = mapped_column(Boolean, default=False)


class DeliveryRow(Base):
    """One attempt to send one draft to one channel."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)
    # Exactly once (issue 6): the attempt is written, with the message's idempotency key,
    # before the channel is called; finished_at stays NULL until the outcome is recorded,
    # so a crash in between leaves visible evidence instead of a silent gap.
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    url: Mapped[str | None] = mapped_column(String(512))
    actor: Mapped[str | None] = mapped_column(String(64))  # set when a human posted by hand


class SendAttemptRow(Base):
    """One call of a channel by ``responders.delivery.deliver``, whatever it was for: written
    before the send (``finished_at`` NULL), completed after."""

    __tablename__ = "send_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32), index=True)
    ref: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    ok: Mapped[bool | None] = mapped_column(Boolean)
    permanent: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(128))


class StatusPostRow(Base):
    """An update as published on the public status page."""

    __tablename__ = "status_posts"
    __table_args__ = (UniqueConstraint("draft_id", name="uq_status_posts_draft"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    title: Mapped[str] = mapped_column(String(256))
    phase: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class UserRow(Base):
    """A dashboard user; role is one of viewer, editor, approver, admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # Part of every session cookie; logout bumps it, so copies of the cookie stop working.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The cockpit's language (en, fr) and IANA time zone for this user; None = the brand's.
    lang: Mapped[str | None] = mapped_column(String(8), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)


class RateCountRow(Base):
    """Events counted for one rate-limit key since `window_start` (``dashboard.ratelimit``),
    taken by one conditional UPSERT so the limit holds across threads and web processes."""

    __tablename__ = "rate_counts"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime, index=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class AuditRow(Base):
    """Who did what, for every change a human made."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    detail: Mapped[str] = mapped_column(Text, default="")


# --- comms (issue 6) ---


class StatusComponentRow(Base):
    """A part of the service shown on the public status page, with its current state."""

    __tablename__ = "status_components"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    names: Mapped[dict] = mapped_column(JSON, default=dict)  # {"en": "Login", "fr": "Connexion"}
    position: Mapped[int] = mapped_column(Integer, default=0)
    # operational | degraded | partial_outage | major_outage | maintenance
    state: Mapped[str] = mapped_column(String(16), default="operational")
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(64), default="config")


class MaintenanceRow(Base):
    """Scheduled maintenance announced on the status page, in each public language."""

    __tablename__ = "maintenance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    texts: Mapped[dict] = mapped_column(JSON, default=dict)  # {"en": {"title", "body"}, ...}
    components: Mapped[list] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)


class RumourClaimRow(Base):
    """One claim that rumour mentions make, and the official statement that answers it."""

    __tablename__ = "rumour_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)  # the most representative mention's words
    lang: Mapped[str] = mapped_column(String(8))
    terms: Mapped[dict] = mapped_column(JSON, default=dict)  # normalised term weights
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    mentions: Mapped[int] = mapped_column(Integer, default=0)
    statement_post_id: Mapped[int | None] = mapped_column(ForeignKey("status_posts.id"))
    statement_draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"))
    statement_url: Mapped[str | None] = mapped_column(String(512))
    linked_by: Mapped[str | None] = mapped_column(String(64))
    linked_at: Mapped[datetime | None] = mapped_column(DateTime)


class RumourMentionRow(Base):
    """A rumour mention assigned to a claim; its absence marks the mention as unclustered."""

    __tablename__ = "rumour_mentions"

    mention_id: Mapped[int] = mapped_column(ForeignKey("mentions.id"), primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("rumour_claims.id"), index=True)
    similarity: Mapped[float] = mapped_column(Float)


class PostmortemActionRow(Base):
    """A follow-up action from a post-mortem, with an owner (a role or a team, not a
    culprit) and a due date."""

    __tablename__ = "postmortem_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    done_by: Mapped[str | None] = mapped_column(String(64))  # issue 19
    # The last reminder state claimed (None, "due", "overdue"): a conditional UPDATE on it
    # lets one worker send each reminder once (responders.action_reminders).
    reminded: Mapped[str | None] = mapped_column(String(16))


# --- sources (issue 3) ---------------------------------------------------------------------


class SourceHealthRow(Base):
    """How one configured source is doing: last success, how far behind it is, the last
    error and whether it was permanent (the source is stopped until someone fixes it)."""

    __tablename__ = "source_health"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    newest_item_at: Mapped[datetime | None] = mapped_column(DateTime)  # lag = now - this
    collected_total: Mapped[int] = mapped_column(Integer, default=0)
    quarantined_total: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)


class StageHealthRow(Base):
    """How one pipeline stage is doing, across every worker that runs it: the last success
    (a heartbeat: `web` shows a stage no worker has run lately as stalled), the failure
    episode in progress (since when, how many failures in a row, the last error, which
    worker) and whether the admins were paged about it (claimed once per episode)."""

    __tablename__ = "stage_health"

    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(DateTime)
    failing_since: Mapped[datetime | None] = mapped_column(DateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # in a row, this episode
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime)
    worker: Mapped[str | None] = mapped_column(String(128))  # host:pid of the last report
    paged_at: Mapped[datetime | None] = mapped_column(DateTime)  # this episode's page
    # An episode that was paged and has ended: the "works again" notice is owed (claimed
    # by clearing this column).
    recovered_at: Mapped[datetime | None] = mapped_column(DateTime)


class InboundTicketRow(Base):
    """A support ticket pushed to the webhook, kept once per (source, external_id) so a
    help desk's retries never count twice; per-minute counts are recounted from here."""

    __tablename__ = "inbound_tickets"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_inbound_tickets_source_external_id"),
        Index("ix_inbound_tickets_bucket", "source", "minute", "channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    minute: Mapped[datetime] = mapped_column(DateTime)
    channel: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(DateTime)


# --- alerting (issue 5) ---


class AlertPagingRow(Base):
    """Where one alert stands in its escalation: who was paged last, when, how often."""

    __tablename__ = "alert_paging"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, default=-1)  # index in the escalation order
    level_at: Mapped[datetime | None] = mapped_column(DateTime)  # first page at this level
    sends: Mapped[int] = mapped_column(Integer, default=0)  # pages at this level
    last_at: Mapped[datetime | None] = mapped_column(DateTime)
    paged_severity: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="paging")  # paging|suppressed|done
    # Bumped by every claim: the conditional UPDATE that lets one worker move the alert.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Channel sends still owed ({level, kind, channel, round, counted}): in flight, or failed
    # transiently and retried at `retry_at` (backoff after `failures` failed cycles).
    pending: Mapped[list | None] = mapped_column(JSON)
    retry_at: Mapped[datetime | None] = mapped_column(DateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AlertDeliveryRow(Base):
    """One attempt to tell one contact about one alert on one channel."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    contact: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(256), default="")
    kind: Mapped[str] = mapped_column(String(16))  # page | resend | escalate | update
    level: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)


class AlertAckRow(Base):
    """An acknowledgement: who, how (dashboard, link, sms), when."""

    __tablename__ = "alert_acks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime)
    detail: Mapped[str] = mapped_column(Text, default="")


# --- status subscribers ---


class StatusSubscriberRow(Base):
    """Someone who asked for status-page updates by email or webhook, in one language.

    `token` is the secret in the confirm and unsubscribe links and, for webhooks, the HMAC
    key that signs every POST. Email subscribers are double opt-in (`confirmed_at` set by
    the link in the confirmation mail, which `confirm_sent_at` records as sent); webhooks
    are confirmed when they subscribe."""

    __tablename__ = "status_subscribers"
    __table_args__ = (
        UniqueConstraint("kind", "address", name="uq_status_subscribers_kind_address"),
        UniqueConstraint("token", name="uq_status_subscribers_token"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # email | webhook
    address: Mapped[str] = mapped_column(String(512))  # an email address or an https URL
    lang: Mapped[str] = mapped_column(String(8))
    token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    confirm_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime)


class StatusNotificationRow(Base):
    """One status post sent to one subscriber, written before sending (`ok` NULL) so a
    crash or a rerun never sends it twice; `ok`/`error` are the outcome."""

    __tablename__ = "status_notifications"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "status_post_id",
                         name="uq_status_notifications_subscriber_post"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("status_subscribers.id"))
    status_post_id: Mapped[int] = mapped_column(ForeignKey("status_posts.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    ok: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    # A failure that may pass is tried again at `retry_at` (NULL: never again) (0017).
    tries: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    retry_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- contacts and broadcasts (issue 18) ---


class ContactRow(Base):
    """A person or organisation to reach (GDPR-minded: only what is needed to reach them).

    `segments` is a list (staff, on-call, management, board, customers, key-accounts,
    partners, investors, regulators, press); `email` and `phone` (E.164) are unique, which
    is what de-duplicates imports. `opted_out_at` (an SMS STOP, a request) keeps the row so
    a re-import cannot opt them back in; deleting erases it."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("email", name="uq_contacts_email"),
        UniqueConstraint("phone", name="uq_contacts_phone"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    organisation: Mapped[str] = mapped_column(String(128), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    slack: Mapped[str | None] = mapped_column(String(512))  # a Slack webhook (direct message)
    lang: Mapped[str] = mapped_column(String(8), default="en")
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    owner: Mapped[str] = mapped_column(String(128), default="")  # key accounts' manager
    segments: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    opted_out_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When someone last checked these details still reach the person (issue 19: the plan's
    # health lists contacts not confirmed for a year).
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)


class BroadcastRow(Base):
    """One approved message to one or more segments, asking each recipient to confirm."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    segments: Mapped[list] = mapped_column(JSON, default=list)
    channels: Mapped[list] = mapped_column(JSON, default=list)  # preference order
    severity: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str] = mapped_column(String(8), default="en")
    subject: Mapped[str] = mapped_column(String(256), default="")
    body: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(16), default="active")  # active | closed
    # The next update the text promises, read when it was approved: a message held (quiet
    # hours) or re-sent past it would be false, so it is not sent any more.
    promised_next_update: Mapped[datetime | None] = mapped_column(DateTime)
    # Through the approvals queue (issue 18): the draft whose approved text this is; the
    # broadcast is `awaiting` until that approval, then `active`.
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), unique=True)
    created_by: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # False: an update to read (customers, partners), no reply asked, no re-send.
    ask_confirm: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # Only the contacts whose language is one of these (None: every language).
    only_langs: Mapped[list | None] = mapped_column(JSON)


class BroadcastRecipientRow(Base):
    """One contact of one broadcast: where the confirmation stands and what is due next.

    `step` counts the sends claimed (0 nothing yet; 1 the first send; then re-sends; the
    last one the escalation to `alt_channel`); `version` is bumped by every claim (the
    conditional UPDATE that lets one worker move it). After deletion of the contact the
    row stays for the figures with `contact_id` and `address` erased."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "contact_id", name="uq_broadcast_recipients_contact"),
        UniqueConstraint("token", name="uq_broadcast_recipients_token"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    segment: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    alt_channel: Mapped[str | None] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    step: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    held: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    confirmed_via: Mapped[str | None] = mapped_column(String(16))


class BroadcastSendRow(Base):
    """One send to one recipient, written in the same commit as its claim and before the
    channel is called (`ok` NULL): a crash leaves it unknown, never sent twice."""

    __tablename__ = "broadcast_sends"
    __table_args__ = (
        UniqueConstraint("recipient_id", "step", name="uq_broadcast_sends_step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("broadcast_recipients.id"),
                                              index=True)
    step: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # send | resend | escalate
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(512))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    segments: Mapped[int | None] = mapped_column(Integer)  # SMS segments billed
    ok: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(128))


class RegulatorClockRow(Base):
    """A regulator's deadline for one incident (GDPR art. 33: 72 hours from the moment the
    company became aware of a personal-data breach), per jurisdiction; `checklist` records
    which required items of the notification are filled in; `notified_at` stops the clock."""

    __tablename__ = "regulator_clocks"
    __table_args__ = (
        UniqueConstraint("incident_id", "jurisdiction", name="uq_regulator_clocks_jurisdiction"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(32))
    aware_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime] = mapped_column(DateTime)
    checklist: Mapped[dict] = mapped_column(JSON, default=dict)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime)
    notified_by: Mapped[str | None] = mapped_column(String(64))


class KeyAccountTaskRow(Base):
    """One thing the owner of a key account did for one incident: `call` (personally,
    first), `channel` (the shared channel opened), `update` (one per cadence), `followup`
    (after resolution)."""

    __tablename__ = "key_account_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    task: Mapped[str] = mapped_column(String(16))
    done_at: Mapped[datetime] = mapped_column(DateTime)
    done_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


# --- team exercises (issue 19) ---


class ExerciseRow(Base):
    """A team exercise: a drill scenario (`scenario`, `seed`) or a recorded past crisis
    (`recording`: its readable records, kept so the exercise can be replayed and audited)
    played from `started_at` at `speed` times its own pace. Running until `finished_at`;
    `scorecard` is the scorecard computed when it finished (the figures stay comparable
    across exercises even if the store's rows are later pruned)."""

    __tablename__ = "exercises"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16))  # scenario | recording
    scenario: Mapped[str | None] = mapped_column(String(32))
    seed: Mapped[int | None] = mapped_column(Integer)
    recording_name: Mapped[str | None] = mapped_column(String(256))
    recording: Mapped[list | None] = mapped_column(JSON)
    speed: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    started_by: Mapped[str] = mapped_column(String(64))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_by: Mapped[str | None] = mapped_column(String(64))
    scorecard: Mapped[dict | None] = mapped_column(JSON)


class ExerciseInjectRow(Base):
    """Something the facilitator added during play: a journalist's question (`question`,
    stored as a mention) or an ETA that slips (`eta_slip`, a fact change)."""

    __tablename__ = "exercise_injects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(64))


# --- the crisis cell (issue 19) ---


class CellShiftRow(Base):
    """One person holding one crisis-cell role of one incident from `started_at` until a
    handover sets `ended_at` (with the handover `note` and who took over). The open shift
    (no `ended_at`) is who holds the role now: at most one per incident and role.
    `reminded` counts the fatigue reminders sent during the shift (claimed by a conditional
    UPDATE, so each is sent once)."""

    __tablename__ = "cell_shifts"
    __table_args__ = (
        Index("uq_cell_shifts_open", "incident_id", "role", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    holder: Mapped[str] = mapped_column(String(128))
    via: Mapped[str] = mapped_column(String(16))  # declared | assigned | page | handover
    started_at: Mapped[datetime] = mapped_column(DateTime)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    handed_to: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    reminded: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    incident: Mapped[IncidentRow] = relationship(back_populates="shifts")


class CellPageRow(Base):
    """Paging one crisis-cell role for one incident: the roster as it was at declaration
    (primary first, then deputies), who is paged now (`level` into it, since `level_at`;
    -1 before the first page) and how it ended: `acknowledged` (by whom, when), `exhausted`
    (nobody answered) or `covered` (someone took the role by hand). `version` is the claim:
    a step is taken by a conditional UPDATE on it."""

    __tablename__ = "cell_pages"
    __table_args__ = (UniqueConstraint("incident_id", "role", name="uq_cell_pages_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    roster: Mapped[list] = mapped_column(JSON, default=list)
    level: Mapped[int] = mapped_column(Integer, default=-1)
    level_at: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(16), default="paging")
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    via: Mapped[str | None] = mapped_column(String(16))


class CellPageSendRow(Base):
    """One message of a cell page: to the person at `level` on one `channel`. Inserted in
    the commit that claims the step (unique per page, level and channel), then claimed
    again (`owed` -> `sending`) just before the channel is called, so neither a retry nor a
    second worker sends it twice; `unknown` is a send that started and never reported."""

    __tablename__ = "cell_page_sends"
    __table_args__ = (
        UniqueConstraint("page_id", "level", "channel", name="uq_cell_page_sends_step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("cell_pages.id"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    person: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(512), default="")
    kind: Mapped[str] = mapped_column(String(16))  # page | escalate
    lang: Mapped[str] = mapped_column(String(8), default="en")  # the person's, for the words
    state: Mapped[str] = mapped_column(String(16), default="owed")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)


# --- the crisis plan (issue 19) ------------------------------------------------------------


class PlanRiskRow(Base):
    """One risk of the crisis plan's register, with what is prepared for it.

    `probability` and `impact` are 1-5 (risk = their product); `messages` lists the prepared
    messages as ``{"audience", "phase"}`` (rendered from the template set in every language
    of `langs`); `segments` the contact segments to reach; `playbook` maps a role to its
    first actions; `exercise_every_days` with `last_exercised_at` says when it is due for a
    rehearsal. `key` is the stable name that export and import match on."""

    __tablename__ = "plan_risks"
    __table_args__ = (UniqueConstraint("key", name="uq_plan_risks_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    crisis_type: Mapped[str] = mapped_column(String(32))
    scenario: Mapped[str] = mapped_column(Text)
    probability: Mapped[int] = mapped_column(Integer)
    impact: Mapped[int] = mapped_column(Integer)
    owner: Mapped[str] = mapped_column(String(64))
    last_reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)
    langs: Mapped[list] = mapped_column(JSON, default=list)
    messages: Mapped[list] = mapped_column(JSON, default=list)
    segments: Mapped[list] = mapped_column(JSON, default=list)
    playbook: Mapped[dict] = mapped_column(JSON, default=dict)
    exercise_every_days: Mapped[int | None] = mapped_column(Integer)
    last_exercised_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(64))


class PlanUpdateRow(Base):
    """A change to the plan that a post-mortem asks for, waiting for review: `kind`
    ``register`` (a risk to add or change; `changes` holds the proposed fields) or
    ``template`` (a prepared message to rewrite; `template` is its path). `origin` names
    what proposed it (``review:<action>`` for the post-mortem's own findings, None for a
    human's), unique per incident so a re-run never proposes twice. `state`: open,
    applied, dismissed."""

    __tablename__ = "plan_updates"
    __table_args__ = (
        UniqueConstraint("incident_id", "origin", name="uq_plan_updates_origin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    risk_id: Mapped[int | None] = mapped_column(ForeignKey("plan_risks.id"))
    kind: Mapped[str] = mapped_column(String(16))
    template: Mapped[str | None] = mapped_column(String(256))
    text: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    origin: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime)


class KeyAccountReminderRow(Base):
    """One reminder to a key account's owner per (incident, contact, task, due state, due
    time): inserted before sending, so a second worker or cycle never nags twice."""

    __tablename__ = "key_account_reminders"
    __table_args__ = (
        UniqueConstraint("incident_id", "contact_id", "task", "state", "basis",
                         name="uq_key_account_reminders_due_state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    task: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    basis: Mapped[datetime] = mapped_column(DateTime)
    at: Mapped[datetime] = mapped_column(DateTime)
