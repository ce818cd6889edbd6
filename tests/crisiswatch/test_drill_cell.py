"""The drill's `cell` key (issue 19): on declaration the drill's crisis cell is paged
through the pipeline's cell stage, the primaries answer, legal's does not and her deputy is
paged and takes the role; every page goes to the log channel."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from collectors.drill import DrillPlan
from crisiswatch.drill import run_drill
from crisiswatch.pipeline import Pipeline
from responders.channels.log import LogChannel
from responders.channels.statuspage import StatusPageChannel
from responders.drafts import Brand
from sentiment.scorer import Scorer
from store.models import CellShiftRow, TimelineRow
from tests.support.word_model import WordModel


@pytest.mark.slow  # a whole simulated crisis through the pipeline: 10-25 s
def test_outage_drill_pages_the_cell_and_escalates_legal(sqlite_store, tmp_path):
    outbox = tmp_path / "outbox.jsonl"

    def factory(collectors):
        channels = {"statuspage": StatusPageChannel(sqlite_store),
                    **{n: LogChannel(n, outbox) for n in ("sms", "email", "slack")}}
        return Pipeline(store=sqlite_store, collectors=collectors, scorer=Scorer(WordModel()),
                        channels=channels, brand=Brand())

    result = run_drill(factory, DrillPlan("outage"))
    # 6 primaries paged (the declarer already holds comms lead), legal's deputy too.
    assert result["cell"] == {"roles": 7, "paged": 7, "acknowledged": 6, "escalated": 1}
    with sqlite_store.session() as session:
        holders = dict(session.execute(select(CellShiftRow.role, CellShiftRow.holder).where(
            CellShiftRow.ended_at.is_(None))).all())
        cell_events = session.execute(select(TimelineRow.detail).where(
            TimelineRow.kind == "cell")).scalars().all()
    assert holders["legal"] == "Drill Ned" and holders["commander"] == "Drill Iris"
    assert holders["comms_lead"] == "drill-commander"
    assert any("Legal: paging Drill Ned (deputy 1" in e for e in cell_events)
    sent = [json.loads(line) for line in outbox.read_text().splitlines()]
    pages = [m for m in sent if "You are paged as" in m.get("body", "")
             or "Vous êtes appelé(e)" in m.get("body", "")]
    assert len(pages) == 14  # 7 people, each by SMS and e-mail
