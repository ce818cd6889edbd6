"""Many workers on one PostgreSQL database: every stage claims its work, so four worker
processes (one killed mid-run) score each mention once, detect each minute once and
draft once, and the survivors take over the dead one's claims."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from collectors.base import Batch, Mention
from collectors.ingest import save_batch
from crisiswatch.process_commands import stages_arg
from sentiment.scorer import Scorer, Scoring
from signals.detect import Detection
from store import Store
from store.models import DetectorStateRow, ScoreRow, SignalRow
from tests.support.word_model import WordModel

T0 = datetime(2026, 3, 10, 8, 0)
N = 3000


class LoggingWords(WordModel):
    """The word model, writing every text it scores to this process's own file (the proof
    of no double work) and slow enough that workers overlap."""

    def __init__(self, log_dir):
        self.log_dir = log_dir

    def predict(self, texts):
        time.sleep(0.02)
        with open(os.path.join(self.log_dir, f"{os.getpid()}.txt"), "a") as f:
            f.write("".join(t + "\n" for t in texts))
        return super().predict(texts)


def fill(store: Store) -> None:
    mentions = [Mention(source="x", external_id=str(i), author=f"u{i}",
                        text=f"post {i}" + (" down, not working" if i > 2400 else ""),
                        created_at=T0 + timedelta(seconds=2 * i)) for i in range(N)]
    with store.session() as session:
        save_batch(session, "x", "q", Batch(mentions), T0)


def work(url: str, log_dir: str, now: datetime) -> None:
    store = Store(url)
    scoring = Scoring(Scorer(WordModel() if log_dir is None else LoggingWords(log_dir)),
                      batch=50)
    for _ in range(40):
        scoring.run_once(store, now)
        Detection().run_once(store, now)
        time.sleep(0.01)


def test_stage_names_map_to_pipeline_stages():
    assert stages_arg("score,detect") == ("scored", "signals")
    with pytest.raises(ValueError, match="bogus"):
        stages_arg("score,bogus")


def test_four_workers_one_killed_share_the_work_with_no_double(store, tmp_path, sqlite_store):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("many workers need PostgreSQL (SQLite has one writer)")
    fill(store)
    now = T0 + timedelta(hours=2)
    ctx = multiprocessing.get_context("fork")
    store.engine.dispose()  # no pooled connection crosses the fork
    workers = [ctx.Process(target=work, args=(store.url, str(tmp_path), now)) for _ in range(4)]
    for w in workers:
        w.start()
    time.sleep(1.0)
    os.kill(workers[0].pid, signal.SIGKILL)  # mid-run: its open claim must be taken over
    for w in workers:
        w.join(timeout=300)
    assert workers[0].exitcode == -signal.SIGKILL
    assert all(w.exitcode == 0 for w in workers[1:])
    with store.session() as session:
        assert session.execute(select(func.count()).select_from(ScoreRow)).scalar_one() == N
        signals = session.execute(select(func.count()).select_from(SignalRow)).scalar_one()
        last = session.get(DetectorStateRow, "brand").last_minute
    scored_by = [line for f in tmp_path.glob("*.txt") for line in f.read_text().splitlines()]
    # a batch the killed worker had scored but not committed is scored again: that is the
    # take-over, not double work; committed work is never repeated
    committed = len(scored_by) - len(set(scored_by))
    assert committed <= 50, f"{committed} texts scored twice"
    # one uninterrupted worker on SQLite raises the same signals over the same minutes
    fill(sqlite_store)
    work(sqlite_store.url, None, now)
    with sqlite_store.session() as session:
        assert session.execute(select(func.count()).select_from(SignalRow)).scalar_one() \
            == signals
        assert session.get(DetectorStateRow, "brand").last_minute == last
