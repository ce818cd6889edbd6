"""The sources page: per-source health from the store, and the alert for a source stopped
by a permanent error."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from collectors.base import Batch
from collectors.health import record
from collectors.ingest import save_batch
from dashboard import source_data
from store import Store

NOW = datetime(2026, 11, 21, 10, 30)


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store("sqlite:///" + str(tmp_path / "t.db"))
    s.upgrade()
    yield s
    s.engine.dispose()


@pytest.fixture
def healthy_and_not(store):
    record(store, "rss", NOW - timedelta(minutes=2), collected=5,
           newest=NOW - timedelta(minutes=12))
    record(store, "x", NOW - timedelta(minutes=50), collected=3, newest=NOW - timedelta(hours=1))
    record(store, "x", NOW - timedelta(minutes=1), error="x: access refused (401): check "
           "credentials <script>alert(1)</script>", permanent=True)
    record(store, "mastodon", NOW - timedelta(minutes=10))
    record(store, "mastodon", NOW - timedelta(minutes=5), error="mastodon: server error (503)")
    with store.session() as s:
        save_batch(s, "x", "q", Batch(quarantined=[("{}", "bad"), ("[]", "bad")]), NOW)
    return store


def test_source_health_states_lag_and_quarantine(healthy_and_not):
    with healthy_and_not.session() as s:
        rows = {r["source"]: r for r in source_data.source_health(s, NOW)}
        stopped = source_data.stopped_sources(s)
    assert [r for r in rows] == ["x", "mastodon", "rss"]  # worst first
    assert rows["x"]["state"] == "stopped" and rows["x"]["quarantined"] == 2
    assert rows["x"]["lag_minutes"] == 60
    assert rows["mastodon"]["state"] == "failing"
    assert rows["rss"]["state"] == "ok" and rows["rss"]["lag_minutes"] == 12
    assert [s["source"] for s in stopped] == ["x"]


def test_page_renders_rows_and_alert_as_text(healthy_and_not):
    from dashboard.app import create_app
    from dashboard.context import DashboardContext
    from responders.drafts import Brand
    from responders.templates import TemplateLibrary

    app = create_app(DashboardContext(store=healthy_and_not, clock=lambda: NOW,
                                      library=TemplateLibrary(), brand=Brand(),
                                      secret_key="k"))
    import sys

    import dash

    # The module as Dash loaded it from the pages folder (importing it by another name
    # would register the page twice).
    entry = next(p for p in dash.page_registry.values() if p["path"] == "/sources")
    page = sys.modules[entry["module"]]

    with app.server.test_request_context("/"):
        table, alerts, empty, stages = page.refresh(1)
    assert empty == ""
    by = {r["source"]: r for r in table}
    assert by["x"]["state"] == "stopped" and by["x"]["lag"] == "60 min"
    assert by["rss"]["last_success"].startswith("10:28")
    [alert] = alerts  # no stage has reported: no stage alarm
    text = str(alert)
    assert "1 source(s) stopped" in text and "<script>alert(1)</script>" in text  # a string child
    assert alert.role == "alert"
    assert stages == []


def test_pipeline_stages_as_the_workers_reported_them(store):
    """A stage failing in a worker is shown (and alarmed) by any web process: the table
    is the store's, not a process's memory."""
    from dashboard.app import create_app
    from dashboard.context import DashboardContext
    from responders.drafts import Brand
    from responders.stage_health import record as record_stage
    from responders.templates import TemplateLibrary

    record_stage(store, "collect", NOW - timedelta(minutes=1))
    record_stage(store, "score", NOW - timedelta(minutes=4), "RuntimeError: model file missing")
    record_stage(store, "score", NOW - timedelta(minutes=2), "RuntimeError: model file missing")
    record_stage(store, "detect", NOW - timedelta(minutes=40))
    app = create_app(DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                                      brand=Brand(), secret_key="k",
                                      stages=("collect", "score", "detect", "publish")))
    import sys

    import dash

    entry = next(p for p in dash.page_registry.values() if p["path"] == "/sources")
    page = sys.modules[entry["module"]]
    with app.server.test_request_context("/"):
        _table, alerts, _empty, stages = page.refresh(1)
    by = {r["stage"]: r for r in stages}
    assert [r["stage"] for r in stages] == ["Collecting", "Scoring", "Detection", "Publishing"]
    assert by["Collecting"]["state"] == "ok"
    assert by["Scoring"]["state"] == "failing"
    assert "2 time(s) in a row" in by["Scoring"]["failing"]
    assert by["Scoring"]["last_error"] == "RuntimeError: model file missing"
    assert by["Detection"]["state"] == "stalled" and by["Publishing"]["state"] == "never run"
    text = str(alerts)
    assert "2 pipeline stage(s) need attention" in text and "model file missing" in text
