"""A stage that keeps failing is recorded for every web process to see, pages the admins
once per episode (and once when it works again), and never stops the other stages."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from collectors.base import Batch, Mention
from collectors.ingest import save_batch
from crisiswatch.pipeline import Pipeline
from crisiswatch.wiring import admins_from_config, ops_policy_from_config
from responders.alerting import Contact
from responders.channels.base import ChannelError, Delivery
from responders.channels.log import LogChannel
from responders.drafts import Brand
from responders.stage_health import OpsPolicy, page_admins, record, stage_report
from sentiment.scorer import Scorer
from store.models import SendAttemptRow, StageHealthRow
from tests.support.word_model import WordModel

T0 = datetime(2026, 12, 4, 10, 0)
ADMIN = Contact(name="Sam", channels=(("email", "sam@example.com"),), lang="fr")


class BrokenModel(WordModel):
    def predict(self, texts):
        raise RuntimeError("model file missing")


def pipeline(store, tmp_path, model=None):
    log = LogChannel("email", tmp_path / "outbox.jsonl")
    return Pipeline(store=store, collectors=[], scorer=Scorer(model or WordModel()),
                    channels={"email": log}, brand=Brand(), admins=[ADMIN],
                    ops_policy=OpsPolicy(after=timedelta(minutes=5), failures=3))


def sent(tmp_path) -> list[dict]:
    path = tmp_path / "outbox.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def add_mentions(store, at: datetime, texts: list[str]) -> None:
    batch = Batch(mentions=[Mention("x", f"m{i}", f"u{i}", text, at)
                            for i, text in enumerate(texts)])
    with store.session() as session:
        save_batch(session, "x", "nimbus", batch, at)


def test_a_failing_stage_pages_the_admins_once_and_once_when_it_works(store, tmp_path):
    add_mentions(store, T0 - timedelta(minutes=1), ["Nimbus is down", "nimbus login broken"])
    broken = pipeline(store, tmp_path, BrokenModel())
    for minute in range(8):  # eight failing cycles: paged once, after 5 minutes and 3 failures
        done = broken.run_once(T0 + timedelta(minutes=minute))
        assert done["scored"] == 0 and "scored" in broken.stage_errors
        assert done["published"] == 0  # the later stages still ran (nothing to publish)
    pages = sent(tmp_path)
    assert len(pages) == 1, pages
    assert pages[0]["to"] == "sam@example.com" and pages[0]["lang"] == "fr"
    assert "« score »" in pages[0]["body"] and "model file missing" in pages[0]["body"]
    assert "8 fois" not in pages[0]["body"] and "6 fois" in pages[0]["body"]  # at 10:05
    with store.session() as s:
        row = s.get(StageHealthRow, "score")
        assert row.failing_since == T0 and row.failures == 8
        assert s.get(StageHealthRow, "detect").failing_since is None  # the others went on
        report = {r["stage"]: r for r in stage_report(s, T0 + timedelta(minutes=8),
                                                        ["collect", "score", "detect"])}
    assert report["score"]["state"] == "failing"
    assert "model file missing" in report["score"]["last_error"]
    assert report["detect"]["state"] == "ok"

    fixed = pipeline(store, tmp_path)  # a restarted worker with a working model
    for minute in range(8, 11):
        fixed.run_once(T0 + timedelta(minutes=minute))
    pages = sent(tmp_path)
    assert len(pages) == 2, pages
    assert "fonctionne à nouveau" in pages[1]["body"]
    with store.session() as s:
        assert s.get(StageHealthRow, "score").failing_since is None
        attempts = s.execute(select(SendAttemptRow.purpose)).scalars().all()
    assert attempts.count("ops") == 2


def test_two_workers_page_once_for_the_same_episode(store):
    channel = Recording()
    for minute in range(6):
        record(store, "detect", T0 + timedelta(minutes=minute), "OperationalError: locked")
    now = T0 + timedelta(minutes=6)
    first = page_admins(store, {"email": channel}, [ADMIN], now)
    second = page_admins(store, {"email": channel}, [ADMIN], now)
    assert (first, second) == (1, 0) and len(channel.messages) == 1


def test_a_page_nobody_received_is_owed_again(store):
    down = Recording(fail=True)
    for minute in range(6):
        record(store, "publish", T0 + timedelta(minutes=minute), "boom")
    now = T0 + timedelta(minutes=6)
    assert page_admins(store, {"email": down}, [ADMIN], now) == 0
    up = Recording()
    assert page_admins(store, {"email": up}, [ADMIN], now + timedelta(minutes=1)) == 1
    assert page_admins(store, {"email": up}, [ADMIN], now + timedelta(minutes=2)) == 0


def test_one_bad_cycle_pages_nobody_and_an_idle_stage_is_stalled(store):
    channel = Recording()
    record(store, "collect", T0, "timeout")
    record(store, "collect", T0 + timedelta(minutes=1))  # the next cycle worked
    assert page_admins(store, {"email": channel}, [ADMIN], T0 + timedelta(hours=1)) == 0
    with store.session() as s:
        states = {r["stage"]: r["state"] for r in stage_report(
            s, T0 + timedelta(minutes=30), ["collect", "score"])}
    assert states == {"collect": "stalled", "score": "never"}


def test_admins_come_from_the_config_by_name():
    contacts = [Contact("Camille", ()), Contact("Sam", ())]
    assert [c.name for c in admins_from_config({}, contacts)] == ["Camille"]
    assert [c.name for c in admins_from_config({"admins": ["Sam"]}, contacts)] == ["Sam"]
    try:
        admins_from_config({"admins": ["Nobody"]}, contacts)
    except ValueError as exc:
        assert "Nobody" in str(exc)
    else:
        raise AssertionError("an unknown admin name must be refused")
    policy = ops_policy_from_config({"stage_failing_minutes": 2, "stage_failures": 5})
    assert policy == OpsPolicy(after=timedelta(minutes=2), failures=5)


class Recording:
    def __init__(self, fail: bool = False):
        self.fail, self.messages = fail, []

    def send(self, message, now):
        if self.fail:
            raise ChannelError("smtp down")
        self.messages.append(message)
        return Delivery(external_id=f"rec-{len(self.messages)}")
