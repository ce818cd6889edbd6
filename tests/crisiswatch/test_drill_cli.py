"""`crisiswatch drill --scenario NAME --json`: the whole loop, headless, through the real
embedded model, as a user runs it. The JSON keys are a contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from collectors.drill import DrillPlan
from crisiswatch.drill import run_drill
from crisiswatch.pipeline import Pipeline
from responders.channels.statuspage import StatusPageChannel
from responders.drafts import Brand
from sentiment.scorer import Scorer
from tests.support.word_model import WordModel

CONTRACT = {"scenario", "mentions", "scored", "onset", "first_alert_after_onset_s",
            "alerts_before_onset", "drafts", "published"}


def word_pipeline(store):
    def factory(collectors):
        return Pipeline(store=store, collectors=collectors, scorer=Scorer(WordModel()),
                        channels={"statuspage": StatusPageChannel(store)}, brand=Brand())
    return factory


@pytest.mark.slow  # a whole simulated crisis (1000+ mentions) through the pipeline: 10-25 s
@pytest.mark.parametrize("scenario", ["outage", "data-leak"])
def test_drill_detects_after_onset_and_publishes(store, scenario):
    result = run_drill(word_pipeline(store), DrillPlan(scenario))
    assert CONTRACT <= set(result)
    assert result["alerts_before_onset"] == 0
    assert 0 <= result["first_alert_after_onset_s"] <= 15 * 60
    assert result["scored"] == result["mentions"] > 1000
    assert result["published"] >= 2, result["approval_errors"]  # EN and FR status updates
    assert result["approval_errors"] == []


@pytest.mark.slow
def test_drill_command_with_the_embedded_model(tmp_path):
    env = {**os.environ, "CRISISWATCH_DATA_DIR": str(tmp_path),
           "CRISISWATCH_CACHE_DIR": os.environ.get("CRISISWATCH_CACHE_DIR",
                                                   str(Path.home() / ".cache" / "crisiswatch"))}
    env.pop("CRISISWATCH_DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "crisiswatch.cli", "drill", "--scenario", "outage", "--json"],
        capture_output=True, text=True, env=env, timeout=900, check=True,
    )
    result = json.loads(out.stdout)
    assert CONTRACT <= set(result)
    assert result["scenario"] == "outage"
    assert result["alerts_before_onset"] == 0
    assert result["first_alert_after_onset_s"] is not None
    assert 0 <= result["first_alert_after_onset_s"] <= 15 * 60
    assert result["published"] >= 1
    assert (tmp_path / "drill.db").exists()
