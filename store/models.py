"""The tables every stage shares.

One row per thing that happened; stages find their pending work by what is missing
(a mention without a score, an approved draft without a delivery), so a crash between
two stages never loses work and a rerun never repeats it.
"""

from __future__ import annotations

from datetime import datetime

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
    """A streaming detector's learned baseline, so restarts resume instead of relearning."""

    __tablename__ = "detector_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_minute: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[dict] = mapped_column(JSON, default=dict)


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
    commander: Mapped[str | None] = mapped_column(String(64))
    comms_lead: Mapped[str | None] = mapped_column(String(64))
    tech_lead: Mapped[str | None] = mapped_column(String(64))
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

    events: Mapped[list[TimelineRow]] = relationship(
        back_populates="incident", order_by="TimelineRow.at"
    )


class TimelineRow(Base):
    """Everything that happened to an incident, in order: phases, facts, messages."""

    __tablename__ = "timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)

    incident: Mapped[IncidentRow] = relationship(back_populates="events")


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

    mention: Mapped[MentionRow | None] = relationship()


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


class AuditRow(Base):
    """Who did what, for every change a human made."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    detail: Mapped[str] = mapped_column(Text, default="")
