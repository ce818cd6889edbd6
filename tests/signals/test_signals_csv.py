"""`crisiswatch signals score-csv`: the contract (columns, [0, 1], one output row per input
row), causality (a prefix scores the same as the whole), and that the scores rank (a count
spike and a level shift score above every calm row; a lasting shift is learned; 0.5 is the
alarm threshold when a false-alarm budget is given)."""

from __future__ import annotations

import csv
import math
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta

from crisiswatch.cli import main
from crisiswatch.signals_command import score_rows

T0 = datetime(2026, 1, 5)


def write(path, rows, header=("timestamp", "value")):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def read(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def counts(n=2000, spike_at=1500, interval=5):
    rng = random.Random(4)
    rows = []
    for i in range(n):
        at = T0 + timedelta(minutes=interval * i)
        lam = 20 + 15 * math.sin(2 * math.pi * (at.hour + at.minute / 60) / 24)
        value = sum(rng.random() < lam / 100 for _ in range(100))
        if spike_at <= i < spike_at + 3:
            value += 60
        rows.append((at.isoformat(sep=" "), str(value)))
    return rows


def test_score_csv_command_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("CRISISWATCH_DATA_DIR", str(tmp_path / "data"))
    rows = counts()
    write(tmp_path / "in.csv", rows)
    assert main(["signals", "score-csv", "--input", str(tmp_path / "in.csv"),
                 "--output", str(tmp_path / "out.csv")]) == 0
    out = read(tmp_path / "out.csv")
    assert out[0] == ["timestamp", "value", "anomaly_score"]
    assert [r[:2] for r in out[1:]] == [list(r) for r in rows]
    scores = [float(r[2]) for r in out[1:]]
    assert all(0 <= s < 1 for s in scores)
    calm = scores[300:1500]
    assert max(scores[1500:1503]) > 1.5 * max(calm), "the spike ranks far above calm rows"


def test_scores_are_causal():
    rows = counts(900, spike_at=800)
    whole = score_rows(rows)
    assert score_rows(rows[:820]) == whole[:820]


def test_a_level_shift_ranks_first_then_is_learned():
    rng = random.Random(8)
    rows = []
    for i in range(1200):
        value = 50 + 5 * math.sin(i / 40) + rng.gauss(0, 0.5) + (8 if i >= 1000 else 0)
        rows.append((str(1_700_000_000 + 60 * i), f"{value:.4f}"))  # Unix seconds
    scored = score_rows(rows)
    scores = [s for _, _, s in scored]
    calm = scores[600:1000]  # after the first cycles, which are all new patterns
    assert max(scores[1000:1005]) > max(calm)
    assert max(scores[1100:]) < max(calm), "a lasting shift is learned"


def test_a_false_alarm_budget_makes_half_the_alarm_threshold():
    rows = counts()
    budget = [s for _, _, s in score_rows(rows, false_alarms_per_week=1.0)]
    assert max(budget[1500:1503]) >= 0.5 > max(budget[300:1500])


def test_blank_values_are_kept_and_scored_zero():
    rows = counts(200, spike_at=10_000)
    rows[150] = (rows[150][0], "")
    scored = score_rows(rows)
    assert scored[150] == (rows[150][0], "", 0.0) and len(scored) == 200


def test_bad_header_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRISISWATCH_DATA_DIR", str(tmp_path / "data"))
    write(tmp_path / "bad.csv", [("1", "2")], header=("time", "count"))
    assert main(["signals", "score-csv", "--input", str(tmp_path / "bad.csv"),
                 "--output", str(tmp_path / "o.csv")]) == 2
    assert "timestamp,value" in capsys.readouterr().err


def test_as_a_subprocess_with_stdin_and_stdout(tmp_path):
    env = {**os.environ, "CRISISWATCH_DATA_DIR": str(tmp_path)}
    text = "timestamp,value\n" + "".join(f"{r[0]},{r[1]}\n" for r in counts(100))
    out = subprocess.run([sys.executable, "-m", "crisiswatch.cli", "signals", "score-csv",
                          "--input", "-", "--output", "-"], input=text, capture_output=True,
                         text=True, env=env, check=True, timeout=120)
    lines = out.stdout.splitlines()
    assert lines[0] == "timestamp,value,anomaly_score" and len(lines) == 101
