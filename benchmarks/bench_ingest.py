"""Sustained ingest: mentions per second into SQLite and PostgreSQL through `save_batch`,
the code path every collector's batches take (idempotent upsert + cursor, one transaction
per batch), with a share of duplicates as real sources re-deliver.

    python benchmarks/bench_ingest.py [--n 50000] [--batch 500] [--dup 0.2]
                                      [--postgres postgresql://...]

Without --postgres, $CRISISWATCH_TEST_POSTGRES_URL is used when set (a throwaway cluster:
`eval "$(.ci/postgres.sh start /tmp/pg)"`); a fresh database is created in it and dropped.
Each engine gets a fresh, migrated store. Prints one line per engine and a JSON summary,
with the CPU time of this process beside the wall clock: on a machine shared with other
work the wall clock moves with their load, while the CPU seconds of the SQLite path (which
runs in this process) hardly do. For PostgreSQL the CPU of the server backend that did the
work is printed too when the server is local (``benchmarks/cpu_meter.py``, from /proc; its
WAL writer and checkpointer are not in it): client + server CPU per mention is the rate
one idle core would reach doing both in turn.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

from cpu_meter import CpuMeter, backend_pid
from sqlalchemy import create_engine, func, select, text

from collectors.base import Batch, Mention
from collectors.ingest import save_batch
from store import Store
from store.models import MentionRow

T0 = datetime(2026, 11, 21, 9, 0)
WORDS = ("nimbus is down again", "cannot log in", "sync broken", "thanks for the fix",
         "le site ne marche plus", "any ETA?", "apparently they got hacked", "#nimbusdown")


def batches(n: int, size: int, dup: float, seed: int = 1):
    """Batches of `size` mentions; a `dup` share of each re-sends ids already sent."""
    rng = random.Random(seed)
    sent, next_id = [], 0
    offered = 0
    while offered < n:
        mentions = []
        for _ in range(min(size, n - offered)):
            if sent and rng.random() < dup:
                i = rng.choice(sent)
            else:
                i, next_id = next_id, next_id + 1
                sent.append(i)
            mentions.append(Mention(
                source="x", external_id=str(1_800_000_000_000_000_000 + i),
                author=f"user{i % 5000}", author_followers=rng.randrange(100_000),
                text=" ".join(rng.choice(WORDS) for _ in range(3)) + f" #{i}",
                created_at=T0 + timedelta(seconds=i // 10), lang="en",
                url=f"https://x.com/user{i % 5000}/status/{i}",
                metrics={"like_count": i % 17, "retweet_count": i % 5},
                raw={"id": str(i), "text": "…", "public_metrics": {"like_count": i % 17}}))
        offered += len(mentions)
        yield Batch(mentions, cursor=json.dumps({"since": str(next_id)}))


def run(store: Store, n: int, size: int, dup: float) -> dict:
    now = T0 + timedelta(hours=1)
    new = 0
    batches_ = list(batches(n, size, dup))  # generated before the clock starts
    with store.session() as session:  # one connection, reused by every batch below
        pid = backend_pid(session)
    with CpuMeter(backends=[pid] if pid else None) as meter:
        start = time.perf_counter()
        for batch in batches_:
            with store.session() as session:
                new += save_batch(session, "x", "bench", batch, now)
        elapsed = time.perf_counter() - start
    cpu, server = meter.client_s, meter.server_s
    with store.session() as session:
        if backend_pid(session) != pid:  # another connection did part of the work
            server = None
    with store.session() as session:
        stored = session.execute(select(func.count()).select_from(MentionRow)).scalar_one()
    assert stored == new, (stored, new)  # nothing twice, nothing lost
    return {"offered": n, "new": new, "duplicates": n - new, "seconds": round(elapsed, 2),
            "offered_per_s": round(n / elapsed), "new_per_s": round(new / elapsed),
            "client_cpu_s": round(cpu, 2), "offered_per_cpu_s": round(n / cpu),
            # the CPU of the PostgreSQL backend that stored them (None: SQLite, or a server
            # this process cannot read; WAL writer and checkpointer not included)
            "server_cpu_s": None if server is None else round(server, 2),
            "offered_per_total_cpu_s": None if server is None else round(n / (cpu + server))}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=50_000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--dup", type=float, default=0.2)
    p.add_argument("--postgres", default=os.environ.get("CRISISWATCH_TEST_POSTGRES_URL"))
    args = p.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store("sqlite:///" + str(Path(tmp) / "bench.db"))
        store.upgrade()
        results["sqlite"] = run(store, args.n, args.batch, args.dup)
        store.engine.dispose()
    if args.postgres:
        name = "cw_bench_" + uuid.uuid4().hex[:8]
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            store = Store(args.postgres.rsplit("/", 1)[0] + "/" + name)
            store.upgrade()
            results["postgresql"] = run(store, args.n, args.batch, args.dup)
            store.engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
    else:
        print("postgresql: skipped (no --postgres and no CRISISWATCH_TEST_POSTGRES_URL)",
              file=sys.stderr)
    for engine, r in results.items():
        print(f"{engine:11} {r['offered']:>7} offered ({r['duplicates']} duplicates) in "
              f"{r['seconds']:6.2f} s: {r['offered_per_s']:>6} mentions/s offered, "
              f"{r['new_per_s']:>6} new/s; this process's CPU {r['client_cpu_s']:.2f} s "
              f"({r['offered_per_cpu_s']} offered per CPU-second)"
              + ("" if r["server_cpu_s"] is None else
                 f"; server CPU {r['server_cpu_s']:.2f} s, client + server "
                 f"{r['offered_per_total_cpu_s']} offered per CPU-second"))
    print(json.dumps({"batch": args.batch, "dup": args.dup, **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
