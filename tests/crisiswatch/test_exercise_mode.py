"""Exercise mode in the wiring: while an exercise runs every channel writes to the
exercise's log instead of sending (and what it raised does so for good), and the live
pipeline plays the exercise's feed."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

from crisiswatch.settings import Settings
from crisiswatch.wiring import App
from responders import exercises
from responders.channels.base import Delivery, Message
from responders.delivery import deliver
from responders.incidents import declare
from sentiment.scorer import Scorer
from store.models import AlertRow, ExerciseRow, MentionRow
from tests.support.word_model import WordModel

NOW = datetime(2026, 6, 2, 14, 0)


class Recording:
    """A stand-in for a real channel (Slack, SMTP...): it keeps what it was asked to send."""

    def __init__(self, name):
        self.name, self.sent = name, []

    def send(self, message, now):
        self.sent.append(message)
        return Delivery(external_id="real-1")


def app_for(tmp_path) -> App:
    settings = Settings()
    settings.data_dir = tmp_path
    settings.database_url = "sqlite:///" + str(tmp_path / "cw.db")
    app = App(settings)
    app.__dict__["scorer"] = Scorer(WordModel())  # not the embedded model (seconds to load)
    return app


def message(n: int, channel: str = "slack") -> Message:
    return Message(draft_id=n, channel=channel, audience="team", lang="en",
                   subject="Update", body=f"update {n}")


def test_every_channel_goes_to_the_exercise_log_while_one_runs(tmp_path, monkeypatch):
    app = app_for(tmp_path)
    real = Recording("slack")
    monkeypatch.setattr("crisiswatch.wiring.configured_channels", lambda _secrets: {
        "slack": real})
    channels = app.channels
    assert channels.get("slack") is real
    assert channels["slack"].send(message(1), NOW).external_id == "real-1"
    with app.store.session() as s:
        ex = exercises.start(s, name="Q2", actor="fac", now=NOW, speed=5, scenario="outage")
    delivery = channels.get("slack").send(message(2), NOW + timedelta(minutes=2))
    assert delivery.external_id == "log-slack-2"
    channels["statuspage"].send(message(3, "statuspage"), NOW + timedelta(minutes=2))
    assert channels.get("dashboard") is channels["dashboard"] is dict.get(channels, "dashboard")
    assert channels.get("fax") is None
    assert [m.draft_id for m in real.sent] == [1]  # nothing left the machine
    logged = [json.loads(line) for line in
              (tmp_path / "exercise-outbox.jsonl").read_text().splitlines()]
    assert [(e["channel"], e["draft_id"]) for e in logged] == [("slack", 2), ("statuspage", 3)]
    with app.store.session() as s:
        exercises.finish(s, s.get(ExerciseRow, ex.id), actor="fac", now=NOW + timedelta(
            minutes=5))
    channels.get("slack").send(message(4), NOW + timedelta(minutes=6))
    assert [m.draft_id for m in real.sent] == [1, 4]


def test_what_an_exercise_raised_never_leaves_even_after_it_finished(tmp_path, monkeypatch):
    app = app_for(tmp_path)
    real = Recording("slack")
    monkeypatch.setattr("crisiswatch.wiring.configured_channels", lambda _secrets: {
        "slack": real})
    channels = app.channels
    with app.store.session() as s:
        ex = exercises.start(s, name="Q2", actor="fac", now=NOW, speed=5, scenario="outage")
        drill = declare(s, title="Exercise outage", crisis_type="outage", severity="major",
                        actor="ana", now=NOW + timedelta(minutes=3))
        alert = AlertRow(opened_at=NOW + timedelta(minutes=2), updated_at=NOW, severity="high",
                         kinds=["volume"], title="spike", evidence={})
        s.add(alert)
        s.flush()
        drill_id, alert_id = drill.id, alert.id
        exercises.finish(s, ex, actor="fac", now=NOW + timedelta(minutes=30))
    with app.store.session() as s:
        later = declare(s, title="Real outage", crisis_type="outage", severity="major",
                        actor="ana", now=NOW + timedelta(hours=2))
        later_id = later.id
    at = NOW + timedelta(hours=2, minutes=5)
    # The exercise's all-clear approved after the end, and a late page of its alert: logged.
    for msg in (replace(message(5), incident_id=drill_id),
                replace(message(6), draft_id=0, alert_id=alert_id)):
        assert deliver(channels, "slack", msg, at).external_id.startswith("log-slack-")
    # A real incident's update goes out.
    assert deliver(channels, "slack", replace(message(7), incident_id=later_id), at).ok
    assert [m.draft_id for m in real.sent] == [7]


def test_the_live_pipeline_plays_the_running_exercise(tmp_path):
    app = app_for(tmp_path)
    pipeline = app.live_pipeline()
    assert [c.name for c, _ in pipeline.collectors] == ["exercise"]  # no source configured
    assert pipeline.run_once(NOW)["collected"] == 0
    with app.store.session() as s:
        exercises.start(s, name="Q2", actor="fac", now=NOW, speed=5, scenario="outage")
    done = pipeline.run_once(NOW + timedelta(minutes=3))
    assert done["collected"] > 100 and done["scored"] == done["collected"]
    with app.store.session() as s:
        assert s.query(MentionRow).filter(MentionRow.external_id.like("ex1:%")).count() \
            == done["collected"]
