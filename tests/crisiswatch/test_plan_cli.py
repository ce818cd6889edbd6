"""`crisiswatch plan export / import / health` (issue 19): outputs and exit codes."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from crisiswatch.cli import main
from responders.plan_defaults import seed_default_plan
from store import Store


def test_plan_commands(tmp_path, monkeypatch, capsys):
    url = "sqlite:///" + str(tmp_path / "plan.db")
    monkeypatch.setenv("CRISISWATCH_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    store = Store(url)
    store.upgrade()
    with store.session() as s:
        seed_default_plan(s, actor="demo", now=datetime(2026, 12, 1))

    assert main(["plan", "export", "plan.yaml"]) == 0
    assert capsys.readouterr().out.strip() == "4 risk(s) written to plan.yaml"
    assert main(["plan", "import", "plan.yaml"]) == 0
    assert capsys.readouterr().out.strip() == "0 added, 0 updated, 4 unchanged, 0 refused"

    (tmp_path / "bad.yaml").write_text(
        "version: 1\nrisks:\n  - {key: new, crisis_type: outage, scenario: S, probability: 2,"
        " impact: 2, owner: O}\n  - {key: worse, crisis_type: outage, scenario: S,"
        " probability: 0, impact: 2, owner: O}\n")
    assert main(["plan", "import", "bad.yaml", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == ["new"]
    assert report["refused"] == [{"index": 1, "key": "worse",
                                  "reasons": ["probability: must be 1-5, not 0"]}]

    (tmp_path / "broken.yaml").write_text("risks: [")
    assert main(["plan", "import", "broken.yaml"]) == 2
    assert "nothing imported" in capsys.readouterr().err
    assert main(["plan", "import", "missing.yaml"]) == 2
    assert "cannot read missing.yaml" in capsys.readouterr().err

    # No contacts at all: every segment the plan needs is empty, so the health check fails.
    assert main(["plan", "health", "--json"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert {"kind": "segment_empty", "subject": "regulators",
            "detail": "nobody reachable in segment regulators (needed by data-leak)",
            "ref": "segment:regulators"} in findings


@pytest.mark.slow  # a whole simulated crisis through the pipeline (word model): 10-25 s
def test_the_drill_store_holds_the_default_plan(sqlite_store):
    from collectors.drill import DrillPlan
    from crisiswatch.drill import run_drill
    from crisiswatch.pipeline import Pipeline
    from responders import plan
    from responders.channels.statuspage import StatusPageChannel
    from responders.drafts import Brand
    from sentiment.scorer import Scorer
    from tests.support.word_model import WordModel

    def factory(collectors):
        return Pipeline(store=sqlite_store, collectors=collectors,
                        scorer=Scorer(WordModel()),
                        channels={"statuspage": StatusPageChannel(sqlite_store)},
                        brand=Brand())

    result = run_drill(factory, DrillPlan("outage"))
    assert result["approval_errors"] == []
    with sqlite_store.session() as s:
        assert [r.key for r in plan.register(s)] == ["outage", "data-leak", "rumour",
                                                      "bad-press"]
