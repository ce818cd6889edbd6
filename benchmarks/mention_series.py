"""Mention-count-shaped test set in NAB's format, generated at run time, and its NAB score.

    python benchmarks/mention_series.py [--seed 14] [--files 10] [--out DIR] [--keep]

Builds ``--files`` synthetic brand-mention volume series shaped like real ones (5-minute
counts over 8 weeks; negative-binomial overdispersion; daily and weekly rhythm; a slow
drift; unlabelled ordinary bursts; collection gaps (missing rows); volumes from a few to a
few hundred mentions per bucket) with 1 to 3 labelled anomalies each (a burst, a
sustained rise, a level shift up, a drop), all after NAB's 15% probation. Labelled windows
follow NAB's rule (10% of the file's rows / number of anomalies, centred on the anomaly's
start, overlaps merged). The kit root (``data/mentions/*.csv``,
``labels/combined_windows.json``, ``profiles.json`` read from the shared kit) goes to a
temporary directory; the series are then scored by the product's own
``crisiswatch.signals_command.score_rows`` (via ``bench_nab.score_file``) and by
``../shared/tools/nab_score.py --data-root``. Nothing generated is committed: same seed,
same series. The generator is deliberately independent of the detector's settings: it is
the check that the detector was not tuned to NAB's own categories.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from multiprocessing import Pool
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_nab import SHARED, score_file

CATEGORY = "mentions"
STEP = timedelta(minutes=5)
ROWS = 16_000  # ~55 days of 5-minute buckets, like NAB's Twitter series
T0 = datetime(2015, 2, 26, 21, 42, 53)


def _daily_weekly(at: datetime, rng_phase: float, weekend: float) -> float:
    """Daily rhythm (quiet nights, a busy afternoon) times a weekend dip."""
    hour = at.hour + at.minute / 60
    day = 1.0 + 0.8 * math.sin(2 * math.pi * (hour - 9 + rng_phase) / 24)
    day += 0.25 * math.sin(4 * math.pi * (hour - 6) / 24)
    return max(day, 0.15) * (weekend if at.weekday() >= 5 else 1.0)


def _anomaly(kind: str, rng: np.random.Generator, n: int, start: int) -> np.ndarray:
    """Multiplicative factor on the expected count from ``start`` on (1 before)."""
    f = np.ones(n)
    t = np.arange(n - start, dtype=float)
    if kind == "burst":  # a viral moment: x4..x12 at once, decaying over 1-6 hours
        peak, tau = rng.uniform(4, 12), rng.uniform(12, 72)
        f[start:] += (peak - 1) * np.exp(-t / tau)
    elif kind == "rise":  # a crisis building: doubling or more over 2-8 hours, lasting a day
        top, ramp, hold = rng.uniform(2, 4), rng.uniform(24, 96), rng.uniform(200, 400)
        up = np.clip(t / ramp, 0, 1) * (top - 1)
        f[start:] += np.where(t < ramp + hold, up, up * np.exp(-(t - ramp - hold) / 60))
    elif kind == "shift":  # a lasting new level (campaign, news story): x1.8..x3
        f[start:] = rng.uniform(1.8, 3.0)
    elif kind == "drop":  # mentions collapse for 3-12 hours (platform outage)
        f[start:start + int(rng.uniform(36, 144))] = rng.uniform(0.05, 0.3)
    return f


def generate_series(rng: np.random.Generator, base: float, dispersion: float):
    """-> (timestamps, counts, anomaly start indices, anomaly kinds) of one series."""
    times = [T0 + i * STEP for i in range(ROWS)]
    phase, weekend = rng.uniform(-2, 2), rng.uniform(0.55, 0.95)
    rhythm = np.array([_daily_weekly(at, phase, weekend) for at in times])
    drift = np.exp(np.cumsum(rng.normal(0, 0.004, ROWS)))
    drift /= drift[: ROWS // 10].mean()
    mean = base * rhythm * drift
    # Ordinary, unlabelled life of a brand: about one small burst a day (x1.3..x2, 15-90 min).
    for at in rng.choice(ROWS, size=ROWS // 288, replace=False):
        length = int(rng.integers(3, 18))
        mean[at:at + length] *= rng.uniform(1.3, 2.0)
    n_anom = int(rng.integers(1, 4))
    lo = int(0.18 * ROWS)
    starts = sorted(int(s) for s in rng.choice(np.arange(lo, ROWS - 300, 400), n_anom,
                                               replace=False))
    kinds = []
    for s in starts:
        kinds.append(str(rng.choice(["burst", "burst", "rise", "shift", "drop"])))
        mean *= _anomaly(kinds[-1], rng, ROWS, s)
    # Negative binomial with mean `mean` and size `dispersion` (var = m + m^2 / size).
    counts = rng.negative_binomial(dispersion, dispersion / (dispersion + mean))
    # Collection gaps: 1-3 outages of the collector, 1-12 hours of missing rows.
    keep = np.ones(ROWS, bool)
    for g in rng.choice(ROWS - 200, size=int(rng.integers(1, 4)), replace=False):
        keep[g:g + int(rng.integers(12, 144))] = False
    for s in starts:  # an anomaly's own start row is never missing (it labels the window)
        keep[s] = True
    idx = np.flatnonzero(keep)
    new_index = {old: new for new, old in enumerate(idx)}
    return [times[i] for i in idx], counts[idx], [new_index[s] for s in starts], kinds


def windows_of(times: list[datetime], starts: list[int]) -> list[list[str]]:
    """NAB's windows: width 10% of the rows / #anomalies, centred on each start, merged."""
    width = int(0.1 * len(times) / max(len(starts), 1))
    spans: list[list[int]] = []
    for s in starts:
        a, b = max(0, s - width // 2), min(len(times) - 1, s + width // 2)
        if spans and a <= spans[-1][1]:
            spans[-1][1] = b
        else:
            spans.append([a, b])
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    return [[times[a].strftime(fmt), times[b].strftime(fmt)] for a, b in spans]


def generate(root: Path, seed: int = 14, files: int = 10) -> list[str]:
    """Write a NAB-format kit root under ``root``; return the series' keys."""
    rng = np.random.default_rng(seed)
    (root / "data" / CATEGORY).mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(exist_ok=True)
    profiles = SHARED / "data" / "anomaly" / "profiles.json"  # NAB's costs, for the scorer
    if profiles.exists():  # without ../shared the series are written, only not scorable here
        shutil.copy(profiles, root / "profiles.json")
    windows, kinds, keys = {}, {}, []
    for n in range(files):
        base = float(np.exp(rng.uniform(math.log(2), math.log(400))))  # per 5 minutes
        key = f"{CATEGORY}/mentions_{n:02d}_{base:.0f}.csv"
        times, counts, starts, kinds[key] = generate_series(rng, base, float(rng.uniform(2, 12)))
        with open(root / "data" / key, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["timestamp", "value"])
            w.writerows((at.strftime("%Y-%m-%d %H:%M:%S"), int(c)) for at, c in zip(times, counts))
        windows[key] = windows_of(times, starts)
        keys.append(key)
    with open(root / "labels" / "combined_windows.json", "w") as f:
        json.dump(windows, f, indent=4)
    with open(root / "labels" / "anomaly_kinds.json", "w") as f:  # for reading results only
        json.dump(kinds, f, indent=1)
    return keys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--out", type=Path, default=None, help="kit root to write (default: temp)")
    ap.add_argument("--scorer", type=Path, default=SHARED / "tools" / "nab_score.py")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    args = ap.parse_args(argv)
    root = args.out or Path(tempfile.mkdtemp(prefix="mentions-"))
    keys = generate(root, args.seed, args.files)
    results = root / "results"
    jobs = [(root / "data" / k, results / k) for k in keys]
    began = time.perf_counter()
    with Pool(args.jobs) as pool:
        rows = sum(pool.map(score_file, jobs))
    elapsed = time.perf_counter() - began
    print(f"generated {len(keys)} series (seed {args.seed}), scored {rows} rows in "
          f"{elapsed:.1f} s ({rows / elapsed:.0f} rows/s) under {root}")
    out = subprocess.run([sys.executable, str(args.scorer), "--detector-dir", str(results),
                          "--data-root", str(root)], capture_output=True, text=True, check=True)
    print(out.stdout.strip())
    if not args.keep and args.out is None:
        shutil.rmtree(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
