"""Scale-out on PostgreSQL: a recorded stream replayed through 1, 2 and 4 worker processes,
one of them killed with SIGKILL mid-run (and replaced), against one database.

    python benchmarks/bench_scale.py --pg postgresql://user@host:port/postgres
        [--mentions 200000] [--workers 1,2,4] [--model words|embedded]

Each run gets a fresh database. The stream is first stored through the product's ingest
path (`collect_once` of a ReplayCollector: the ingest rate is printed), then the workers run
the product's own stages (score, detect, page) through `Pipeline.run_stage`, claiming their
work as in production. Printed per worker count: mentions/s from the workers' start to the
last score, the delay from the last mention stored to its score (the queue drained), and
the counts of
mentions, scores, signals and alerts against the first run's, as `duplicates=` and
`lost=` (pages are not counted: a bulk replay closes each alert before paging sees it open;
tests/responders covers paging once per alert across workers). `--model words` (default) scores with the tests' word model, so the figures
are the store's and the claims', not the encoder's (`bench_sentiment.py` measures that).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sqlalchemy import create_engine, func, select, text

from collectors.ingest import collect_once
from collectors.replay import ReplayCollector
from crisiswatch.pipeline import Pipeline
from responders.alerting import Contact
from responders.channels.log import LogChannel
from responders.drafts import Brand
from sentiment.scorer import Scorer
from store import Store
from store.models import AlertRow, DetectorStateRow, MentionRow, ScoreRow, SignalRow

T0 = datetime(2026, 3, 2)
STAGES = ("scored", "signals", "paged")
WORDS = ["the app", "sync", "photos", "my account", "the new update", "support", "pricing"]


def record_stream(path: Path, n: int, seed: int = 11) -> None:
    """n posts over 7 days with a daily rhythm, and an outage burst on day 6."""
    rng = random.Random(seed)
    onset = T0 + timedelta(days=6, hours=10)
    with path.open("w") as f:
        for i in range(n):
            if i % 10 == 0:  # a tenth of the stream is the crisis hour
                at, text = onset + timedelta(seconds=rng.uniform(0, 3600)), "Nimbus is down!!"
            else:
                day, hour = rng.randrange(7), min(23.99, max(0.0, rng.gauss(14, 4)))
                at = T0 + timedelta(days=day, hours=hour)
                text = f"Nimbus {rng.choice(WORDS)} {'works fine' if i % 3 else 'is ok'}"
            f.write(json.dumps({"id": i, "created_at": at.isoformat() + "Z", "text": text,
                                "author": f"u{rng.randrange(50_000)}"}) + "\n")


def scorer(model: str) -> Scorer:
    if model == "embedded":
        from sentiment.model import EmbeddedSentiment

        return Scorer(EmbeddedSentiment(Path.home() / ".cache" / "crisiswatch"))
    sys.path.insert(0, str(PROJECT))
    from tests.support.word_model import WordModel

    return Scorer(WordModel())


def worker(url: str, stream: str, model: str, outbox: str) -> None:
    store = Store(url)
    channels = {n: LogChannel(n, Path(outbox)) for n in ("sms", "email")}
    pipeline = Pipeline(store=store, collectors=[],
                        scorer=scorer(model), channels=channels, brand=Brand(),
                        contacts=[Contact("on-call", (("sms", "+15550100"),))])
    end = T0 + timedelta(days=8)
    while True:
        done = {k: pipeline.run_stage(k, end) for k in STAGES}
        if not any(done.values()):
            time.sleep(0.2)


def counts(store: Store) -> dict:
    with store.session() as s:
        out = {name: s.execute(select(func.count()).select_from(table)).scalar_one()
               for name, table in (("mentions", MentionRow), ("scores", ScoreRow),
                                   ("signals", SignalRow), ("alerts", AlertRow))}
        state = s.get(DetectorStateRow, "brand")
        out["detected_to"] = state.last_minute if state else datetime.min
    return out


def run(pg: str, n: int, workers: int, stream: Path, model: str, kill: bool) -> dict:
    name = "cw_scale_" + uuid.uuid4().hex[:8]
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg.rsplit("/", 1)[0] + "/" + name
    store = Store(url)
    store.upgrade()
    t = time.perf_counter()
    collect_once(store, ReplayCollector(str(stream), default_source="x"), "nimbus",
                 T0 + timedelta(days=8))
    ingest = n / (time.perf_counter() - t)
    with store.session() as s:
        last_minute = s.execute(select(func.max(MentionRow.created_at))).scalar().replace(
            second=0, microsecond=0)
    store.engine.dispose()
    ctx = multiprocessing.get_context("fork")
    outbox = str(stream.parent / f"{name}-outbox.jsonl")
    procs = [ctx.Process(target=worker, args=(url, str(stream), model, outbox))
             for _ in range(workers)]
    began = time.perf_counter()
    for p in procs:
        p.start()
    killed, all_in, last = False, time.perf_counter(), {}
    while True:
        time.sleep(0.5)
        last = counts(store)
        if kill and not killed and last["scores"] >= 0.4 * n:
            os.kill(procs[0].pid, signal.SIGKILL)  # its open claims must be taken over
            procs[0].join()
            procs[0] = ctx.Process(target=worker, args=(url, str(stream), model, outbox))
            procs[0].start()
            killed = True
        if last["scores"] >= n and last["detected_to"] >= last_minute:
            break  # every mention scored and every minute through detection
        if time.perf_counter() - began > 3600:
            break
    done = time.perf_counter()
    for p in procs:
        p.kill()
        p.join()
    store.engine.dispose()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
    return {"workers": workers, "killed": killed, "counts": last,
            "ingest_per_s": round(ingest),
            "mentions_per_s": round(n / (done - began), 1),
            "last_mention_to_score_s": round(done - (all_in or done), 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", default=os.environ.get("CRISISWATCH_TEST_POSTGRES_URL"),
                    help="PostgreSQL server URL (a database per run is created on it)")
    ap.add_argument("--mentions", type=int, default=200_000)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--model", choices=("words", "embedded"), default="words")
    args = ap.parse_args(argv)
    if not args.pg:
        print("give --pg or CRISISWATCH_TEST_POSTGRES_URL", file=sys.stderr)
        return 2
    stream = Path(tempfile.mkdtemp(prefix="scale-")) / "stream.jsonl"
    record_stream(stream, args.mentions)
    reference = None
    for w in (int(x) for x in args.workers.split(",")):
        r = run(args.pg, args.mentions, w, stream, args.model, kill=True)
        reference = reference or {k: v for k, v in r["counts"].items() if k != "detected_to"}
        c = {k: v for k, v in r["counts"].items() if k != "detected_to"}
        dup = sum(max(0, c[k] - reference[k]) for k in c) + max(0, c["scores"] - c["mentions"])
        lost = sum(max(0, reference[k] - c[k]) for k in c) + max(0, args.mentions - c["scores"])
        print(f"workers={w} killed_one={r['killed']} ingest_per_s={r['ingest_per_s']} "
              f"mentions_per_s={r['mentions_per_s']} "
              f"last_mention_to_score_s={r['last_mention_to_score_s']} duplicates={dup} "
              f"lost={lost} {json.dumps(c)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
