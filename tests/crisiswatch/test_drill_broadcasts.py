"""The drill's `broadcasts` and `regulator_due` keys (issue 18): the data-leak drill sends a
staff broadcast, simulated people confirm by SMS and link, the silent ones are re-sent and
escalated, and the regulator clock runs 72 hours from declaration; the outage drill plays
none of it (zeros, null)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from collectors.drill import DrillPlan
from crisiswatch.drill import run_drill
from crisiswatch.pipeline import Pipeline
from responders.channels.log import LogChannel
from responders.channels.statuspage import StatusPageChannel
from responders.drafts import Brand
from sentiment.scorer import Scorer
from store.models import IncidentRow, TimelineRow
from tests.support.word_model import WordModel


def pipeline(store, outbox):
    def factory(collectors):
        channels = {"statuspage": StatusPageChannel(store),
                    **{n: LogChannel(n, outbox) for n in ("sms", "email", "slack")}}
        return Pipeline(store=store, collectors=collectors, scorer=Scorer(WordModel()),
                        channels=channels, brand=Brand())
    return factory


@pytest.mark.slow  # a whole simulated crisis through the pipeline: 10-25 s each
def test_data_leak_drill_broadcasts_and_runs_the_regulator_clock(sqlite_store, tmp_path):
    result = run_drill(pipeline(sqlite_store, tmp_path / "outbox.jsonl"), DrillPlan("data-leak"))
    assert result["approval_errors"] == []
    # 5 staff: 3 confirm by SMS, 1 by link after the reminder, 1 never (escalated to e-mail)
    assert result["broadcasts"] == {"sent": 5, "delivered": 5, "confirmed": 4, "resent": 2,
                                    "escalated": 1}
    with sqlite_store.session() as session:
        incident = session.execute(select(IncidentRow)).scalar_one()
        timeline = session.execute(select(TimelineRow.detail).where(
            TimelineRow.kind.in_(("broadcast", "regulator")))).scalars().all()
    assert datetime.fromisoformat(result["regulator_due"]) == \
        incident.declared_at + timedelta(hours=72)
    assert any(t.startswith("Regulator clock started") for t in timeline)
    assert sum("confirmed by" in t for t in timeline) == 4
    with sqlite_store.session() as session:
        owner_steps = session.execute(select(TimelineRow.detail).where(
            TimelineRow.kind == "key-account").order_by(TimelineRow.id)).scalars().all()
    assert owner_steps[:2] == ["BigClient: call the client personally done by Drill Ana (drill)",
                               "BigClient: open the shared channel done by Drill Ana (drill)"]
    lines = (tmp_path / "outbox.jsonl").read_text(encoding="utf-8")
    assert "Reply YES to confirm" in lines


@pytest.mark.slow
def test_outage_drill_reports_zeros_and_no_regulator(sqlite_store, tmp_path):
    result = run_drill(pipeline(sqlite_store, tmp_path / "outbox.jsonl"), DrillPlan("outage"))
    assert result["broadcasts"] == {"sent": 0, "delivered": 0, "confirmed": 0, "resent": 0,
                                    "escalated": 0}
    assert result["regulator_due"] is None
