"""`crisiswatch signals score-csv --input IN.csv --output OUT.csv` (a stable contract).

Reads `timestamp,value` (a header row, one row per fixed interval, any interval; ISO 8601
times such as `2015-02-26 21:42:53`, or Unix seconds) and writes
`timestamp,value,anomaly_score`, the score in [0, 1], each row computed only from the rows
before it and itself, by the streaming detector `signals.novelty`: the largest of a rank-tail
surprise (`signals.anomaly`: each row's value and its short-against-long window mean ranked
against the series' own recent history, extended by a fitted exponential tail,
Bonferroni-combined), a seasonal residual (`signals.seasonal`: the row against the same
time of the previous 7 days, on a log scale for counts, weighted by how much of the spread
the daily rhythm explains), or, at half weight, the shape discord of `signals.discord` (how
far the last 24 values are from their nearest earlier window, ranked the same way); and a sequence
novelty (the share of never-seen patterns of the quantised values); a row keeps its score
only if it beats the last 100 rows, so an anomaly gives a short peak, not a plateau. The score is
`s / (s + k)` of the surprise `s = -log10 p`: it ranks rows across series and never
saturates. `--false-alarms-per-week F` sets `k` to the surprise that budget allows at the
series' interval (median gap), so a score of 0.5 is then an alarm. Rows with an empty or
non-numeric value are copied with a score of 0 and not fed to the detector. Measured on the
48 NAB series by `benchmarks/bench_nab.py`.
"""

from __future__ import annotations

import csv
import itertools
import math
import statistics
import sys
from contextlib import nullcontext
from datetime import UTC, datetime

from signals import anomaly, novelty


def register(subparsers) -> None:
    signals = subparsers.add_parser("signals", help="the early-warning detector on its own")
    sub = signals.add_subparsers(dest="signals", required=True)
    score = sub.add_parser("score-csv", help="score a timestamp,value CSV causally")
    score.add_argument("--input", required=True, help="CSV with timestamp,value ('-': stdin)")
    score.add_argument("--output", required=True, help="CSV to write ('-': stdout)")
    score.add_argument("--false-alarms-per-week", type=float, default=None,
                       help="make 0.5 the alarm threshold for this budget (default: scores "
                            "only rank rows)")
    score.set_defaults(func=cmd_score_csv, own_db=None)


def parse_time(text: str) -> datetime:
    text = text.strip()
    try:
        return datetime.fromtimestamp(float(text), tz=UTC).replace(tzinfo=None)
    except ValueError:
        pass
    at = datetime.fromisoformat(text)
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


SETTLE_ROWS = 60  # rows (the warm-up of signals.anomaly) before any part scores above 0


def score_rows(rows: list[tuple[str, str]], false_alarms_per_week: float | None = None
               ) -> list[tuple[str, str, float]]:
    """(timestamp, value) text rows -> (timestamp, value, score) rows."""
    times = [parse_time(t) for t, _ in rows]
    values = [_number(v) for _, v in rows]
    # The sampling interval (minutes) from the first rows only, so that the scores stay causal:
    # no part scores above 0 before its 60th row, and every prefix that holds such a row
    # sees the same interval as the full run.
    gaps = [(b - a).total_seconds() / 60
            for a, b in itertools.pairwise(times[:SETTLE_ROWS]) if b > a]
    present = [i for i, v in enumerate(values) if v is not None]
    interval = statistics.median(gaps) if gaps else None
    params = {}
    if false_alarms_per_week is not None:  # 0.5 is then the alarm threshold of that budget
        per_week = 7 * 24 * 60 / (interval or 1.0)
        # 4 tests a row: value, window mean (signals.anomaly), seasonal residual
        # (signals.seasonal), shape discord (signals.discord)
        params["k"] = anomaly.threshold_for(false_alarms_per_week, per_week * 4)
    epoch = datetime(1970, 1, 1)
    scores = novelty.score_series([values[i] for i in present],
                                  [(times[i] - epoch).total_seconds() for i in present], **params)
    by_row = dict(zip(present, scores))
    return [(t, v, by_row.get(i, 0.0)) for i, (t, v) in enumerate(rows)]


def cmd_score_csv(args, app=None) -> int:
    source = nullcontext(sys.stdin) if args.input == "-" else open(  # noqa: SIM115 (closed by the with below)
        args.input, newline="", encoding="utf-8")
    with source as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:2]] != ["timestamp", "value"]:
            print(f"{args.input}: expected a header row 'timestamp,value'", file=sys.stderr)
            return 2
        rows = [(r[0], r[1] if len(r) > 1 else "") for r in reader if r]
    try:
        scored = score_rows(rows, args.false_alarms_per_week)
    except ValueError as exc:
        print(f"{args.input}: {exc}", file=sys.stderr)
        return 2
    sink = nullcontext(sys.stdout) if args.output == "-" else open(  # noqa: SIM115 (closed by the with below)
        args.output, "w", newline="", encoding="utf-8")
    with sink as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["timestamp", "value", "anomaly_score"])
        for t, v, score in scored:
            writer.writerow([t, v, f"{score:.6f}"])
    return 0
