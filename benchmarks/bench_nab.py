"""NAB score of `crisiswatch signals score-csv` on ../shared/data/anomaly (48 labelled series).

    python benchmarks/bench_nab.py [--data DIR] [--out DIR] [--category NAME ...] [--jobs 2]
                                   [--budget F]

Runs the product's own score-csv code (`crisiswatch.signals_command.score_rows`, the same
function the command calls) over every series, writes `<out>/<category>/<name>.csv`, then
the kit's scorer (`../shared/tools/nab_score.py --per-file`), whose last line is
`nab_standard=.. nab_low_fp=.. nab_low_fn=..`. Also prints each category scored alone and
the rows per second, per wall second and per CPU second of the scoring processes (the
figure to quote on a shared machine). The data is evaluation material: it is read, never shipped.

``--budget F`` scores with ``--false-alarms-per-week F`` instead (0.5 is then the alarm
threshold) and reports, per category and in all, the alarms outside the labelled windows
per week of the series' own time: the promise checked on real calm data. NAB's windows are
wide (10 % of a file around each anomaly), so what lies outside them is calm by its labels.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from functools import partial
from multiprocessing import Pool
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from crisiswatch.signals_command import score_rows

SHARED = PROJECT.parent / "shared"


def score_file(job: tuple[Path, Path], budget: float | None = None) -> int:
    """Score ``job``'s (source, destination) CSV; ``budget``: false alarms per week, or None."""
    src, dst = job
    with open(src, newline="") as f:
        reader = csv.reader(f)
        next(reader)
        rows = [(r[0], r[1]) for r in reader if r]
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(dst, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["timestamp", "value", "anomaly_score"])
        for t, v, s in score_rows(rows, budget):
            w.writerow([t, v, f"{s:.9f}"])
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=SHARED / "data" / "anomaly" / "data")
    ap.add_argument("--scorer", type=Path, default=SHARED / "tools" / "nab_score.py")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--category", action="append", default=[])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--budget", type=float, default=None,
                    help="false alarms per week: count alarms outside the windows instead")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"no data at {args.data}", file=sys.stderr)
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="nab-"))
    cats = sorted(p.name for p in args.data.iterdir() if p.is_dir()
                  and (not args.category or p.name in args.category))
    jobs = [(f, out / c / f.name) for c in cats for f in sorted((args.data / c).glob("*.csv"))]
    began = time.perf_counter()
    with Pool(args.jobs) as pool:
        rows = sum(pool.map(partial(score_file, budget=args.budget), jobs))
    elapsed = time.perf_counter() - began
    # The pool's workers have been joined, so their CPU time is in RUSAGE_CHILDREN.
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = cpu.ru_utime + cpu.ru_stime
    print(f"scored {rows} rows of {len(jobs)} files in {elapsed:.1f} s "
          f"({rows / elapsed:.0f} rows/s, {args.jobs} processes; {cpu_s:.1f} CPU s, "
          f"{rows / max(cpu_s, 1e-9):.0f} rows per CPU second) into {out}")
    if args.budget is not None:
        return report_budget(out, args.data.parent / "labels" / "combined_windows.json",
                             cats, args.budget)
    base = [sys.executable, str(args.scorer), "--detector-dir", str(out)]
    for c in cats:
        last = subprocess.run(base + ["--category", c], capture_output=True, text=True,
                              check=True).stdout.strip().splitlines()[-1]
        print(f"{c:24} {last}")
    last = subprocess.run(base + [f"--category={c}" for c in cats], capture_output=True,
                          text=True, check=True).stdout.strip().splitlines()[-1]
    print(f"{'all ' + str(len(jobs)) + ' files':24} {last}")
    return 0


def calm_alarms(path: Path, windows: list[list[str]]) -> tuple[int, float]:
    """(alarms, weeks) outside the labelled windows of one scored file: an alarm is a row
    scoring >= 0.5; weeks are the time its rows outside the windows span."""
    spans = [(a[:19], b[:19]) for a, b in windows]
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    stamps = [datetime.fromisoformat(r["timestamp"]) for r in rows]
    calm = [not any(a <= r["timestamp"] <= b for a, b in spans) for r in rows]
    alarms = sum(1 for r, c in zip(rows, calm) if c and float(r["anomaly_score"]) >= 0.5)
    seconds = sum((t1 - t0).total_seconds() for (t0, t1), c0, c1
                  in zip(itertools.pairwise(stamps), calm, calm[1:]) if c0 and c1 and t1 > t0)
    return alarms, seconds / (7 * 86400)


def report_budget(out: Path, labels: Path, cats: list[str], budget: float) -> int:
    windows = json.loads(labels.read_text())
    total_alarms = total_weeks = 0.0
    for c in cats:
        alarms = weeks = 0.0
        for f in sorted((out / c).glob("*.csv")):
            a, w = calm_alarms(f, windows.get(f"{c}/{f.name}", []))
            alarms, weeks = alarms + a, weeks + w
        total_alarms, total_weeks = total_alarms + alarms, total_weeks + weeks
        print(f"{c:24} {alarms:4.0f} alarms in {weeks:6.1f} calm weeks: "
              f"{alarms / max(weeks, 1e-9):.2f} a week (budget {budget:g})")
    print(f"{'all':24} {total_alarms:4.0f} alarms in {total_weeks:6.1f} calm weeks: "
          f"{total_alarms / max(total_weeks, 1e-9):.2f} a week (budget {budget:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
