"""The drill's crisis cell (issue 19): seven roles with simulated people, paged by the
pipeline's cell stage on declaration, who answer the way people do.

The drill always uses this cell, whatever `[cell]` says, so its figures do not depend on
the configuration; its people are imported as contacts of the drill's own database (segment
on-call, which no drill broadcast reaches) and every channel is the log channel. The
declarer holds the comms lead role (not paged); each primary acknowledges five minutes
after their page, except legal's, who never answers: ten minutes later the deputy is paged
and takes the role. `crisiswatch drill --json` reports `cell`: `roles` (configured),
`paged` (people paged), `acknowledged` (roles taken from a page), `escalated` (deputies
paged).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from responders.cell import CellConfig
from responders.cell_paging import acknowledge
from responders.contacts import import_csv
from store.models import CellPageRow, CellPageSendRow, IncidentRow

CELL_CSV = """name,segments,email,phone,lang,tz,organisation,owner
Drill Iris,on-call,iris@drill.example,+15550200001,en,UTC,Drill,
Drill Jon,on-call,jon@drill.example,+15550200002,en,UTC,Drill,
Drill Kim,on-call,kim@drill.example,+15550200003,fr,Europe/Paris,Drill,
Drill Leo,on-call,leo@drill.example,+15550200004,en,UTC,Drill,
Drill Mia,on-call,mia@drill.example,+15550200005,en,UTC,Drill,
Drill Ned,on-call,ned@drill.example,+15550200006,en,UTC,Drill,
Drill Oli,on-call,oli@drill.example,+15550200007,en,UTC,Drill,
Drill Pia,on-call,pia@drill.example,+15550200008,fr,Europe/Paris,Drill,
Drill Quy,on-call,quy@drill.example,+15550200009,en,UTC,Drill,
"""
DRILL_CELL = CellConfig(
    roster={"commander": ("Drill Iris", "Drill Jon"), "comms_lead": ("Drill Jon",),
            "tech_lead": ("Drill Kim", "Drill Leo"), "legal": ("Drill Mia", "Drill Ned"),
            "support_lead": ("Drill Oli",), "spokesperson": ("Drill Pia",),
            "scribe": ("Drill Quy",)},
    ack_after=timedelta(minutes=10), fatigue_after=timedelta(hours=8))
ANSWER_AFTER = timedelta(minutes=5)
SILENT = {"Drill Mia"}  # legal's primary: her deputy is paged


class DrillCell:
    """Plays the cell's people: each paged person answers ANSWER_AFTER later (by the link
    in their message), except the SILENT ones."""

    def __init__(self):
        self.imported = False

    def act(self, session, incident: IncidentRow, now: datetime) -> None:
        if not self.imported:
            import_csv(session, CELL_CSV, now)
            self.imported = True
        for page in session.execute(select(CellPageRow).where(
                CellPageRow.incident_id == incident.id, CellPageRow.state == "paging",
                CellPageRow.level >= 0)).scalars():
            person = page.roster[page.level]
            if person not in SILENT and now >= page.level_at + ANSWER_AFTER:
                acknowledge(session, page, person, now=now, via="link")


def totals(session, config: CellConfig) -> dict:
    """The `cell` figures of the drill's JSON for the cell `config` it paged (zeros before
    any page)."""
    sent = session.execute(select(CellPageSendRow.page_id, CellPageSendRow.level).where(
        CellPageSendRow.state == "sent").distinct()).all()
    acknowledged = session.execute(select(func.count()).select_from(CellPageRow).where(
        CellPageRow.state == "acknowledged")).scalar_one()
    return {"roles": len(config.roster), "paged": len(sent),
            "acknowledged": acknowledged, "escalated": sum(1 for _, level in sent if level)}
