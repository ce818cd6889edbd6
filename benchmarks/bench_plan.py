"""How long the plan's health view takes: every prepared message of the default plan
(84 renderings, EN and FR) rendered and linted, the contacts and lessons queried, on a
fresh SQLite store. The Plan page computes it on every refresh.

    python benchmarks/bench_plan.py [--runs 5]

Prints the number of findings and the median and fastest wall time of `health()`."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from responders.plan_defaults import seed_default_plan
from responders.plan_health import health
from responders.templates import TemplateLibrary
from store import Store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (default 5)")
    args = parser.parse_args()
    now = datetime(2026, 12, 3, 12, 0)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store("sqlite:///" + str(Path(tmp) / "plan.db"))
        store.upgrade()
        with store.session() as session:
            seed_default_plan(session, actor="bench", now=now)
        library = TemplateLibrary()
        with store.session() as session:
            findings = len(health(session, library, now))  # warm: templates compiled
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            with store.session() as session:
                health(session, library, now)
            times.append(time.perf_counter() - began)
        store.engine.dispose()
    print(f"findings={findings} runs={args.runs} median_s={statistics.median(times):.3f} "
          f"min_s={min(times):.3f}")


if __name__ == "__main__":
    main()
