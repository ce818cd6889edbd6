"""Early warning on realistic recorded streams, replayed (issue 14, "Done when", second bullet).

    .venv/bin/python benchmarks/bench_replay.py [--volumes 20,24000] [--weeks 3]
        [--seeds 1] [--embedded] [--detector-only] [--calm-weeks 12] [--shapes]

Streams come from `benchmarks/replay_streams.py` (seeded, written at run time to a temporary
directory): for each volume (crowd posts per weekday) a calm stream and two crises from a
Monday 10:30 after ``--weeks`` calm weeks: "double" (twice the usual rate for 90 minutes:
the hourly rate doubled for an hour against the same hours of past weeks) and "burst" (five
times the usual rate for 15 minutes). Every stream carries the brand's own replies
(author NimbusHQ, `--handle @nimbushq`).

1. Replay: each stream through the real `crisiswatch replay` (`replay_command.replay`, every
   stage, a throwaway SQLite database) with the tests' word model, or with `--embedded`
   through the `crisiswatch replay ... --json` command line (the embedded model; slow).
   Prints first_alert_after_onset_s, alerts_before_onset, alerts, mentions and wall time;
   for calm streams the alerts per week (all of them false).
2. Detector level (fast, many seeds): the same streams bucketed per minute (crowd posts
   only; a complaint is a negative mention) into the live `signals.detectors.Detector`,
   signals folded into alerts as `signals.detect` does; false alarms per week over
   ``--calm-weeks`` calm weeks per volume, and the detection delay of each change kind.
3. The detectability floor: per volume, the smallest rate multiplier a 15- and a 30-minute
   window can tell from noise at the promised rate (1 false alarm a week), under Poisson
   noise alone (no detector can do better) and under the dispersion the detector learned
   on the calm history (what this detector can do).
4. ``--shapes`` (alone): streams shaped like the real crises of the issue (``SHAPES``: an
   outage wave at 10 posts a day, a storm day at 300, sustained rises at 20 and 50) through
   `crisiswatch replay` with the word model, ``--seeds`` each.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.replay_streams import BRAND_AUTHOR, HANDLE, StreamSpec, generate, write_jsonl
from signals.alerts import QUIET_CLOSE
from signals.counts import nb_tail
from signals.detectors import Bucket, Detector, Settings

KINDS = {"calm": (1.0, 0), "double": (2.0, 90), "burst": (5.0, 15)}
# Shaped like the real crises of issue 14 (posts a day, multiplier, minutes): a telco's
# first outage wave (30 posts in 75 minutes against ~10 a day), an airline's storm day
# (2.5x for a day), and sustained rises at low volume.
SHAPES = {"outage wave, 10/day, 60x for 75 min": (10, 60.0, 75),
          "low, 20/day, 3x for 6 h": (20, 3.0, 360),
          "low, 50/day, 2x for 3 h": (50, 2.0, 180),
          "storm day, 300/day, 2.5x for 24 h": (300, 2.5, 1440),
          "300/day, 2x for 90 min": (300, 2.0, 90)}


def spec_for(kind: str, per_day: float, weeks: int, seed: int) -> StreamSpec:
    mult, minutes = KINDS[kind]
    return StreamSpec(per_day=per_day, weeks=weeks, seed=seed, multiplier=mult, minutes=minutes)


# -- 1. through the real command -----------------------------------------------------

def shapes_table(weeks: int, seeds: int) -> None:
    """The SHAPES streams through `crisiswatch replay` (word model), one line per seed."""
    print(f"real-crisis shapes through `crisiswatch replay` (word model, {weeks} calm weeks):")
    for name, (per_day, mult, minutes) in SHAPES.items():
        for seed in range(1, seeds + 1):
            posts, onset = generate(StreamSpec(per_day=per_day, weeks=weeks, seed=seed,
                                               multiplier=mult, minutes=minutes))
            with tempfile.TemporaryDirectory() as tmp:
                path = write_jsonl(Path(tmp) / "stream.jsonl", posts)
                r = replay_once(path, onset, False, Path(tmp))
            print(f"  {name:38} seed={seed} posts={len(posts):>6} "
                  f"first_alert_after_onset_s={r['first_alert_after_onset_s']} "
                  f"alerts_before_onset={r['alerts_before_onset']} alerts={r['alerts']}",
                  flush=True)


def replay_once(path: Path, onset, embedded: bool, workdir: Path) -> dict:
    if embedded:
        cmd = [str(ROOT / ".venv/bin/crisiswatch"), "replay", str(path), "--brand", "Nimbus",
               "--handle", HANDLE, "--json"]
        if onset is not None:
            cmd += ["--onset", onset.isoformat()]
        env = {"CRISISWATCH_DATA_DIR": str(workdir), "PATH": "/usr/bin:/bin"}
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        return json.loads(out.stdout)
    from collectors.replay import ReplayCollector
    from crisiswatch.pipeline import Pipeline
    from crisiswatch.replay_command import replay
    from crisiswatch.settings import Settings as AppSettings
    from responders.channels.statuspage import StatusPageChannel
    from responders.drafts import Brand
    from sentiment.scorer import Scorer
    from store import Store
    from tests.support.word_model import WordModel

    store = Store(f"sqlite:///{workdir}/replay.db")
    store.upgrade()
    settings = AppSettings()
    settings.data_dir = workdir

    def pipeline(collectors):
        return Pipeline(store=store, collectors=collectors, scorer=Scorer(WordModel()),
                        channels={"statuspage": StatusPageChannel(store)}, brand=Brand())
    app = SimpleNamespace(store=store, settings=settings, pipeline=pipeline)
    try:
        return replay(app, ReplayCollector(path, default_source="x"), brand="Nimbus",
                      handles=(HANDLE,), onset=onset and onset.replace(tzinfo=None))
    finally:
        store.engine.dispose()


def replay_table(volumes, weeks: int, seed: int, embedded: bool, kinds=tuple(KINDS)) -> None:
    print("replay through `crisiswatch replay` "
          f"({'embedded model' if embedded else 'word model'}, {weeks} calm weeks):")
    for per_day in volumes:
        for kind in kinds:
            spec = spec_for(kind, per_day, weeks, seed)
            posts, onset = generate(spec)
            with tempfile.TemporaryDirectory() as tmp:
                path = write_jsonl(Path(tmp) / "stream.jsonl", posts)
                began = time.perf_counter()
                r = replay_once(path, onset, embedded, Path(tmp))
                wall = time.perf_counter() - began
            line = (f"  {per_day:>7g}/day {kind:6} posts={len(posts):>7} "
                    f"mentions={r['mentions']:>7} alerts={r['alerts']:>3}")
            if onset is not None:
                line += (f" first_alert_after_onset_s={r['first_alert_after_onset_s']}"
                         f" alerts_before_onset={r['alerts_before_onset']}")
            else:
                line += f" false_alarms_per_week={r['alerts'] / (spec.days / 7):.2f}"
            print(line + f" wall={wall:.0f}s elapsed_s={r['elapsed_s']}", flush=True)
            for a in r["alert_list"]:
                print(f"      alert {a['opened_at']} {a['severity']} {','.join(a['kinds'])}")


# -- 2. detector level ---------------------------------------------------------------

def buckets_of(posts: list[dict], days: int, start) -> list[Bucket]:
    """Per-minute buckets of the crowd's posts (the brand's own left out, as
    `signals.detect.buckets` does); a complaint counts as a negative mention."""
    n = days * 1440
    mentions, negative = [0] * n, [0] * n
    for p in posts:
        if p["author"] == BRAND_AUTHOR:
            continue
        i = int((p["created_at"] - start).total_seconds() // 60)
        if 0 <= i < n:
            mentions[i] += 1
            negative[i] += p["_complaint"]
    return [Bucket((start + timedelta(minutes=i)).replace(tzinfo=None), mentions[i],
                   negative[i]) for i in range(n)]


def alerts_of(buckets: list[Bucket], settings: Settings | None = None) -> tuple[list, Detector]:
    """Alert opening minutes: a new alert after QUIET_CLOSE without signals."""
    detector = Detector(settings or Settings())
    opened, last = [], None
    for b in buckets:
        if detector.update(b):
            if last is None or b.minute - last >= QUIET_CLOSE:
                opened.append(b.minute)
            last = b.minute
    return opened, detector


def detector_table(volumes, weeks: int, seeds: int, calm_weeks: int) -> None:
    from benchmarks.replay_streams import T0
    print(f"detector level ({seeds} seeds per cell; calm: {calm_weeks} weeks per volume):")
    for per_day in volumes:
        calm = StreamSpec(per_day=per_day, weeks=calm_weeks - 1, seed=100)
        posts, _ = generate(calm)
        opened, _ = alerts_of(buckets_of(posts, calm.days, T0))
        after_warmup = [a for a in opened if a >= (T0 + timedelta(days=7)).replace(tzinfo=None)]
        print(f"  {per_day:>7g}/day calm: {len(after_warmup)} false alarms in "
              f"{calm_weeks - 1} weeks after the first = "
              f"{len(after_warmup) / (calm_weeks - 1):.2f}/week", flush=True)
        for kind, mult, minutes in (("burst", 5.0, 15), ("double", 2.0, 90),
                                    ("x3 6h", 3.0, 360), ("x4 6h", 4.0, 360)):
            delays, before = [], 0
            for seed in range(1, seeds + 1):
                spec = StreamSpec(per_day=per_day, weeks=weeks, seed=seed, multiplier=mult,
                                  minutes=minutes)
                posts, onset = generate(spec)
                opened, _ = alerts_of(buckets_of(posts, spec.days, T0))
                onset = onset.replace(tzinfo=None)
                before += sum(a < onset for a in opened)
                after = [a for a in opened if a >= onset]
                delays.append((after[0] - onset).total_seconds() / 60 if after else None)
            caught = sorted(d for d in delays if d is not None)
            within = sum(d <= 30 for d in caught)
            print(f"  {per_day:>7g}/day {kind:6}: caught {len(caught)}/{seeds}, within 30 min "
                  f"{within}/{seeds}, delays (min) {[round(d) for d in caught]}, "
                  f"alerts before onset {before}", flush=True)


# -- 3. the detectability floor ------------------------------------------------------

def floor_multiplier(mu: float, alpha: float, weight: float, threshold: float) -> float:
    """Smallest m with P(X >= m mu) * weight <= 10^-threshold, X ~ NB(mu, alpha)."""
    lo, hi = 1.0, 1e4
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        if nb_tail(mid * mu, mu, alpha) * weight <= 10 ** -threshold:
            hi = mid
        else:
            lo = mid
    return hi


def floor_table(volumes, weeks: int) -> None:
    from benchmarks.replay_streams import T0
    settings = Settings()
    threshold = settings.surprise_threshold()
    print(f"detectability floor at 1 false alarm/week (surprise >= {threshold:.2f}), "
          "at the onset hour (Monday 10:30):")
    for per_day in volumes:
        spec = StreamSpec(per_day=per_day, weeks=weeks, seed=1)
        posts, _ = generate(spec)
        buckets = buckets_of(posts, spec.days, T0)
        onset = (T0 + timedelta(days=7 * weeks, hours=10.5)).replace(tzinfo=None)
        detector = Detector(settings)
        for b in buckets:
            if b.minute >= onset:
                break
            detector.update(b)
        series = detector.series["mentions"]
        cells = []
        for window in (15, 30):
            mu, alpha, w = series.dispersion_at(onset, window)
            cells.append(f"{window} min: mu={mu:.2f} Poisson floor "
                         f"{floor_multiplier(mu, 1e-9, w, threshold):.2f}x, this detector "
                         f"{floor_multiplier(mu, alpha, w, threshold):.2f}x (alpha {alpha:.3f})")
        print(f"  {per_day:>7g}/day: " + "; ".join(cells), flush=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--volumes", default="20,24000")
    p.add_argument("--weeks", type=int, default=3)
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--calm-weeks", type=int, default=12)
    p.add_argument("--embedded", action="store_true")
    p.add_argument("--detector-only", action="store_true")
    p.add_argument("--replay-only", action="store_true")
    p.add_argument("--kinds", default=",".join(KINDS), help="streams to replay: calm,double,burst")
    p.add_argument("--shapes", action="store_true",
                   help="only replay the real-crisis shapes (SHAPES), --seeds each")
    args = p.parse_args()
    if args.shapes:
        shapes_table(args.weeks, args.seeds)
        return
    volumes = [float(v) for v in args.volumes.split(",")]
    if not args.replay_only:
        floor_table(volumes, args.weeks)
        detector_table(volumes, args.weeks, args.seeds, args.calm_weeks)
    if not args.detector_only:
        replay_table(volumes, args.weeks, 1, args.embedded, args.kinds.split(","))


if __name__ == "__main__":
    main()
