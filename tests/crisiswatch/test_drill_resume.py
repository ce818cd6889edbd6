"""`crisiswatch drill --keep` after the process died: the drill resumes where it stopped,
playbook included, and ends with what an uninterrupted drill ends with (issue 16): first
with the death raised at chosen stages in-process, then with SIGKILL of a real drill
process at seeded random points (the fault suite's "kill -9 during a drill")."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from datetime import datetime

import pytest
from sqlalchemy import func, select

from collectors.drill import DrillPlan
from crisiswatch.drill import AFTER, CALM_BEFORE, STEP, run_drill
from crisiswatch.pipeline import STAGES, Pipeline
from store import Store
from store.models import IncidentRow
from tests.support.drill_faults import drill_counts, word_pipeline

KILL_SEED = 16  # the SIGKILL points are random, and the same on every run


class Killed(BaseException):
    """Stands for the process dying: not an Exception, so no stage catches it."""


def declared(store) -> bool:
    with store.session() as session:
        return session.execute(select(func.count()).select_from(IncidentRow)).scalar_one() > 0


def dying_at(stage: str, when):
    """A pipeline that dies entering `stage` the first time `when(store, now)` holds."""
    class Dying(Pipeline):
        def run_stage(self, key: str, now: datetime) -> int:
            if key == stage and when(self.store, now):
                raise Killed(f"{stage} at {now}")
            return super().run_stage(key, now)
    return Dying


# Before the onset, between scoring and detection; in the responder's first move, after the
# declaration committed and before its drafts (drafting runs inside the move);
# mid-playbook, before publishing.
DEATHS = [("signals", lambda store, now: now >= datetime(2026, 3, 10, 8, 0)),
          ("drafts", lambda store, now: declared(store)),
          ("published", lambda store, now: now >= datetime(2026, 3, 10, 10, 55))]


# What `crisiswatch drill --json` prints that a resumed drill must print alike.
SAME_FIGURES = ("mentions", "scored", "drafts", "published", "incident_phase", "pages_sent",
                "first_alert_after_onset_s", "alerts_before_onset", "broadcasts",
                "regulator_due", "approval_errors")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, migrated_sqlite):
    """Per scenario, lazily: the figures and store counts of one uninterrupted drill."""
    done: dict[str, tuple[dict, dict]] = {}

    def get(scenario: str) -> tuple[dict, dict]:
        if scenario not in done:
            path = tmp_path_factory.mktemp("uninterrupted") / "drill.db"
            path.write_bytes(migrated_sqlite.read_bytes())
            reference = Store("sqlite:///" + str(path))
            done[scenario] = (run_drill(word_pipeline(reference), DrillPlan(scenario)),
                              drill_counts(reference))
            reference.engine.dispose()
        return done[scenario]
    return get


@pytest.mark.slow  # two drills' worth of simulated crisis through the word model
@pytest.mark.fault
# The data-leak drill also resumes its staff broadcast and replies; the outage drill is
# killed for real below (one scenario each keeps the fault suite within its minutes).
@pytest.mark.parametrize("scenario", ["data-leak"])
def test_drill_dying_three_times_then_kept_ends_like_an_uninterrupted_one(
        sqlite_store, uninterrupted, scenario):
    """a drill dying at 3 stages, then resumed: same counts"""
    store = sqlite_store  # both engines are killed for real in the SIGKILL test below
    reference, reference_counts = uninterrupted(scenario)
    for stage, when in DEATHS:
        with pytest.raises(Killed):
            run_drill(word_pipeline(store, dying_at(stage, when)), DrillPlan(scenario))
    resumed = run_drill(word_pipeline(store), DrillPlan(scenario))

    counts = drill_counts(store)
    assert counts == reference_counts
    assert counts["posts_delivered_twice"] == 0
    assert counts["published"] >= 2  # the playbook went on after the deaths
    for key in SAME_FIGURES:
        assert resumed[key] == reference[key], key


def kill_points(seed: int, n: int) -> list[tuple[str, str]]:
    """n (tick, stage) points in drill order, seeded: where the drill process is killed."""
    rng = random.Random(seed)
    plan = DrillPlan()
    start = plan.onset - CALM_BEFORE
    ticks = sorted(rng.sample(range(1, int((CALM_BEFORE + AFTER) / STEP) + 1), n))
    return [((start + i * STEP).isoformat(), rng.choice(STAGES)) for i in ticks]


def run_until(url: str, scenario: str, point: tuple[str, str] | None) -> dict | None:
    """Run the drill process on `url`; SIGKILL it when it enters `point` (tick, stage).
    Returns the drill's figures if it ran to the end, None if it was killed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.drill_faults", url, scenario],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        for line in proc.stdout:
            if point is not None and line.split()[1:] == list(point):
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=60)
                return None
            if line.startswith("done "):
                proc.wait(timeout=60)
                return json.loads(line[5:])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=60)
    raise AssertionError(f"the drill process ended ({proc.returncode}) before {point}")


@pytest.mark.slow  # one drill plus three restarts, in subprocesses
@pytest.mark.fault
def test_drill_process_sigkilled_at_three_random_points_then_kept_ends_alike(
        store, uninterrupted):
    """kill -9 of a drill process at 3 seeded points, then resumed: same counts"""
    reference, reference_counts = uninterrupted("outage")
    points = kill_points(KILL_SEED, 3)
    for point in points:
        assert run_until(store.engine.url.render_as_string(hide_password=False),
                         "outage", point) is None
    resumed = run_until(store.engine.url.render_as_string(hide_password=False), "outage", None)

    counts = drill_counts(store)
    assert counts == reference_counts
    assert counts["posts_delivered_twice"] == 0
    for key in SAME_FIGURES:
        assert resumed[key] == reference[key], key
