"""The drafting stage: group rumours into claims, and refresh the suggested updates and
replies of the incident that still owes them (active, or resolved and owing the
all-clear), its updates to contact segments (customers' e-mail and SMS, partners,
investors, regulators: `responders.stakeholders`), and the post-mortems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from responders import lessons, rumours
from responders.drafts import Brand, suggest_corrections, suggest_replies, suggest_updates
from responders.incidents import Phase, active_incident, latest_resolved
from responders.stakeholders import suggest_segment_updates
from responders.templates import TemplateLibrary
from store.claims import try_lock
from store.models import DraftRow, IncidentRow


def suggest_postmortems(session: Session, library, brand, now: datetime) -> list[DraftRow]:
    """The board and public drafts of every incident in the post-mortem phase (created on
    entering it, refreshed while untouched by a human), after the plan updates its review
    asks for are proposed (once each: `lessons.propose_from_review`), so the board's
    "Plan updates" section lists them."""
    out = []
    for incident in session.execute(select(IncidentRow).where(
            IncidentRow.phase == Phase.POSTMORTEM.value)).scalars():
        lessons.propose_from_review(session, incident, now=now, library=library)
        out += suggest_updates(session, incident, library, brand, now)
        out += suggest_segment_updates(session, incident, library, brand, now)  # voids
    return out


@dataclass
class Drafting:
    """Stage: one transaction, one worker at a time; returns how many drafts were created
    or refreshed."""

    brand: Brand
    library: TemplateLibrary = field(default_factory=TemplateLibrary)

    def run_once(self, store, now: datetime) -> int:
        with store.session() as session:
            if not try_lock(session, "drafting"):  # another worker is drafting right now
                return 0
            rumours.cluster_pending(session, now, brand_words=(self.brand.name,))
            drafted = len(suggest_postmortems(session, self.library, self.brand, now))
            incident = active_incident(session) or latest_resolved(session)
            if incident is None:
                return drafted
            return drafted + len(
                suggest_updates(session, incident, self.library, self.brand, now)) + len(
                suggest_segment_updates(session, incident, self.library, self.brand, now)) + len(
                suggest_replies(session, incident, self.library, self.brand, now)) + len(
                suggest_corrections(session, incident, self.library, self.brand, now))
