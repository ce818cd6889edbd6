"""`crisiswatch drill --json` scores the bot's play with the exercises' scorecard."""

from __future__ import annotations

import pytest

from collectors.drill import DrillPlan
from crisiswatch.drill import run_drill
from crisiswatch.pipeline import Pipeline
from responders.channels.log import LogChannel
from responders.channels.statuspage import StatusPageChannel
from responders.drafts import Brand
from sentiment.scorer import Scorer
from tests.support.word_model import WordModel

SCORECARD = {"time_to_ack_s", "time_to_declare_s", "time_to_first_public_statement_s",
             "cadence_kept", "warnings_overridden"}


@pytest.mark.slow  # a whole simulated crisis through the pipeline: 20 s
def test_the_drill_reports_the_bots_scorecard(sqlite_store, tmp_path):
    def factory(collectors):
        channels = {name: LogChannel(name, tmp_path / "outbox.jsonl")
                    for name in ("slack", "email", "sms", "x", "reddit", "mastodon", "bluesky")}
        channels["statuspage"] = StatusPageChannel(sqlite_store)
        return Pipeline(store=sqlite_store, collectors=collectors,
                        scorer=Scorer(WordModel()), channels=channels, brand=Brand())

    result = run_drill(factory, DrillPlan("outage"))
    card = result["scorecard"]
    assert SCORECARD <= set(card)
    assert card["origin"] == "alert"
    # The bot answers the page on the tick after the alert, and declares in the same move.
    assert card["time_to_ack_s"] == result["acknowledged_after_s"] > 0
    assert card["time_to_declare_s"] == card["time_to_ack_s"]
    # Its first status-page update goes out once drafted: well within the 30-minute target.
    assert 0 < card["time_to_first_public_statement_s"] <= 1800
    assert card["first_public_statement_on_target"] is True
    assert set(card["cadence_kept"]) == {"team", "ceo", "customers", "board"}
    # It keeps the status page's clock, and never briefs the team or the CEO (it approves
    # status-page drafts only): the scorecard says so.
    assert card["cadence_kept"]["customers"] >= 0.8
    assert card["cadence_counts"]["customers"]["due"] >= 3
    assert card["cadence_kept"]["team"] == 0.0 and card["cadence_kept"]["ceo"] == 0.0
    assert card["cadence_kept"]["board"] is None  # the post-mortem is days away
    assert isinstance(card["warnings_overridden"], int) and card["warnings_overridden"] >= 0
