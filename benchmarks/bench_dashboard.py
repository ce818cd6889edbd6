"""The dashboard's reads at scale: p50/p95 of every query a dashboard refresh makes, on
SQLite and PostgreSQL, over a store of a month of mentions.

    python benchmarks/bench_dashboard.py [--mentions 1000000] [--days 30] [--repeat 30]
                                         [--postgres postgresql://...] [--no-sqlite]
                                         [--keep | --reuse DBNAME]

The store is filled with `--mentions` mentions over `--days` days ending at "now", one of
them (the last) a crisis day at 10x the usual volume, negative and rumour-heavy; a few
sources, two languages, a vocabulary of a few thousand words with Zipf frequencies, and one
rare word in 12 mentions. Mentions go in through `store.bulk.insert_mentions` (the ingest
path: COPY on PostgreSQL, with the text-search index kept by the engine), their scores in
bulk (COPY on PostgreSQL; the roll-up is kept by the scores' triggers, as when the scorer
writes them), then the planner statistics are refreshed (`store.statistics.analyze`, what
the pipeline does after a bulk ingest). The fill rate is printed too.

Then each dashboard read is timed `--repeat` times, in turn, at "now" during the crisis:

- overview: the reads of one refresh of the overview page (`kpis`, `activity` over 3
  hours, alert markers, open alerts, the incident);
- overview_with_figure: `activity` and the markers, and the Plotly figure built from them
  (the figure is pure Python, no database: it shows what the chart itself costs);
- kpis: `data.kpis` alone;
- mentions_facets: the Mentions page's filter choices (`data.mention_facets`);
- mentions_source: the Mentions page filtered by one source (`data.mentions`, 300 rows);
- mentions_search: the Mentions page searching for the rare word;
- mentions_search_common: searching for a common word (many matches, newest 300 shown).

Without --postgres, $CRISISWATCH_TEST_POSTGRES_URL is used when set; a fresh database is
created in it and dropped at the end, unless `--keep` (its name is printed); `--reuse
DBNAME` measures the reads again on a database kept that way, without filling it (a 10M fill
takes the best part of an hour: a fix is re-measured on the same data), after upgrading it
to the latest migration and refreshing its statistics. Prints one line per engine and read, then a JSON
summary: wall-clock p50/p95 (which move with whatever else the machine is doing) and the
mean CPU per call of this process and of the PostgreSQL backend serving it (`/proc`, when
the server is local), steadier on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

from cpu_meter import backend_pid, thread_cpu_ns
from sqlalchemy import create_engine, insert, text

from dashboard import data, figures
from store import Store
from store.bulk import insert_mentions
from store.models import ScoreRow
from store.statistics import analyze

NOW = datetime(2026, 11, 30, 15, 0)
SOURCES = (("x", 0.55), ("reddit", 0.15), ("mastodon", 0.1), ("bluesky", 0.1),
           ("rss", 0.05), ("zendesk", 0.05))
RARE = "quokkagate"
COMMON = "nimbus"
CRISIS_TYPES = ("outage", "data_leak", "security")
BATCH = 20_000


def vocabulary(rng: random.Random, size: int = 4000) -> tuple[list[str], list[float]]:
    """Words and their cumulative Zipf weights (for random.choices' cum_weights)."""
    letters = "abcdefghijklmnopqrstuvwxyzéè"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(size)}
    words = sorted(words - {RARE, COMMON})
    cum, total = [], 0.0
    for rank in range(len(words) + 1):
        total += 1 / (rank + 1)
        cum.append(total)
    return [COMMON, *words], cum


def day_weights(days: int) -> list[float]:
    return [1.0] * (days - 1) + [10.0]  # the last day is the crisis


def rows(n: int, days: int, seed: int = 17):
    """(mention row, score) pairs in created_at order over the `days` days before NOW."""
    rng = random.Random(seed)
    words, cum = vocabulary(rng)
    weights = day_weights(days)
    per_day = [round(n * w / sum(weights)) for w in weights]
    per_day[-1] += n - sum(per_day)
    rare_at = set(rng.sample(range(n), 12))
    start = NOW - timedelta(days=days)
    names = [s for s, _ in SOURCES]
    shares = [w for _, w in SOURCES]
    i = 0
    for day, count in enumerate(per_day):
        crisis = day == days - 1
        seconds = sorted(rng.randrange(86_400) for _ in range(count))
        for sec in seconds:
            text_words = rng.choices(words, cum_weights=cum, k=rng.randint(6, 20))
            if i in rare_at:
                text_words.insert(rng.randrange(len(text_words)), RARE)
            created = start + timedelta(days=day, seconds=sec, microseconds=rng.randrange(10**6))
            label = rng.choices(("negative", "neutral", "positive"),
                                (0.6, 0.3, 0.1) if crisis else (0.2, 0.6, 0.2))[0]
            mention = {
                "source": rng.choices(names, shares)[0], "external_id": str(i),
                "url": f"https://example.com/{i}", "author": f"user{rng.randrange(200_000)}",
                "author_followers": int(rng.paretovariate(1.2) * 50), "text": " ".join(text_words),
                "lang": "fr" if rng.random() < 0.3 else "en", "created_at": created,
                "collected_at": created, "metrics": {"like_count": rng.randrange(50)},
                "in_reply_to": None, "raw": {"id": str(i)},
            }
            score = {"label": label, "negative": 0.6 if label == "negative" else 0.2,
                     "neutral": 0.6 if label == "neutral" else 0.2,
                     "positive": 0.6 if label == "positive" else 0.2,
                     "rumour": rng.random() * (1.2 if crisis else 0.7),
                     "crisis_type": rng.choice(CRISIS_TYPES) if label == "negative" else None,
                     "lang": mention["lang"], "model": "bench", "scored_at": created}
            yield mention, score
            i += 1


SCORE_COLUMNS = tuple(c.name for c in ScoreRow.__table__.columns)


def insert_scores(session, rows: list[dict]) -> None:
    """The scores in one statement: COPY on PostgreSQL (its roll-up trigger runs once per
    statement, over the whole batch), executemany on SQLite (a row trigger either way)."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(ScoreRow.__table__), rows)
        return
    conn = session.connection().connection.driver_connection  # same transaction
    with conn.cursor() as cur, cur.copy(
            f"COPY scores ({', '.join(SCORE_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row.get(c) for c in SCORE_COLUMNS])


def fill(store: Store, n: int, days: int) -> dict:
    start = time.perf_counter()
    batch: list = []

    def flush():
        with store.session() as session:
            ids = insert_mentions(session, [m for m, _ in batch])
            insert_scores(session, [{**s, "mention_id": i}
                                    for i, (_, s) in zip(ids, batch, strict=True)])
        batch.clear()

    done = 0
    for pair in rows(n, days):
        batch.append(pair)
        if len(batch) == BATCH:
            flush()
            done += BATCH
            if done % 1_000_000 == 0:  # a long fill says how far it is
                elapsed = time.perf_counter() - start
                print(f"  {done:,} mentions in {elapsed:.0f} s ({done / elapsed:,.0f}/s), "
                      f"load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
    if batch:
        flush()
    filled = time.perf_counter() - start
    t = time.perf_counter()
    analyze(store)
    return {"fill_s": round(filled, 1), "fill_per_s": round(n / filled),
            "analyze_s": round(time.perf_counter() - t, 2)}


def overview(session, now):
    k = data.kpis(session, now)
    data.activity(session, now - timedelta(hours=3), now)
    data.alert_markers(session, now - timedelta(hours=3), now)
    data.open_alerts(session)
    data.incident(session, now)
    return k


def overview_figure(session, now):
    df = data.activity(session, now - timedelta(hours=3), now)
    return figures.activity_figure(df, data.alert_markers(session, now - timedelta(hours=3),
                                                          now), now)


READS = {
    "overview": overview,
    "overview_with_figure": overview_figure,
    "kpis": lambda s, now: data.kpis(s, now),
    "mentions_facets": lambda s, now: data.mention_facets(s),
    "mentions_source": lambda s, now: data.mentions(s, sources=["reddit"], limit=300),
    "mentions_search": lambda s, now: data.mentions(s, search=RARE, limit=300),
    "mentions_search_common": lambda s, now: data.mentions(s, search=COMMON, limit=300),
}


def measure(store: Store, repeat: int) -> dict:
    """Each read once to warm up (imports, plotly's layout cache), then `repeat` times in
    turn: wall p50/p95, and the mean CPU per call of this
    process (all of SQLite's work; PostgreSQL's client side) and of the PostgreSQL backend
    that served it (read from /proc when the server is local; 0 otherwise)."""
    timings: dict[str, list[float]] = {name: [] for name in READS}
    client_cpu = dict.fromkeys(READS, 0.0)
    server_cpu = dict.fromkeys(READS, 0)
    checks = {}
    for name, read in READS.items():  # warm-up, not counted: a serving process is warm
        with store.session() as session:
            read(session, NOW)
    for _ in range(repeat):
        for name, read in READS.items():
            with store.session() as session:
                pid = backend_pid(session)
                server, cpu = thread_cpu_ns(pid), time.process_time()
                t = time.perf_counter()
                result = read(session, NOW)
                timings[name].append((time.perf_counter() - t) * 1000)
                client_cpu[name] += time.process_time() - cpu
                server_cpu[name] += thread_cpu_ns(pid) - server
            checks[name] = result
    assert len(checks["mentions_search"]) == 12, len(checks["mentions_search"])
    assert all(m["source"] == "reddit" for m in checks["mentions_source"])
    assert len(checks["mentions_search_common"]) == 300
    out = {}
    for name, ms in timings.items():
        ms.sort()
        out[name] = {"p50_ms": round(statistics.median(ms), 1),
                     "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
                     "client_cpu_ms": round(client_cpu[name] / repeat * 1000, 1),
                     "server_cpu_ms": round(server_cpu[name] / repeat / 1e6, 1)}
    return out


def run(store: Store, args, filled: bool = False) -> dict:
    store.upgrade()
    if filled:  # --reuse: the new migrations' indexes need statistics too
        t = time.perf_counter()
        analyze(store)
        result = {"reused": True, "analyze_s": round(time.perf_counter() - t, 2)}
    else:
        result = fill(store, args.mentions, args.days)
    result["load_before_reads"] = os.getloadavg()
    result["reads"] = measure(store, args.repeat)
    result["load_after_reads"] = os.getloadavg()
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mentions", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--repeat", type=int, default=30)
    p.add_argument("--postgres", default=os.environ.get("CRISISWATCH_TEST_POSTGRES_URL"))
    p.add_argument("--no-sqlite", action="store_true")
    keep = p.add_mutually_exclusive_group()
    keep.add_argument("--keep", action="store_true",
                      help="keep the PostgreSQL database (its name is printed)")
    keep.add_argument("--reuse", metavar="DBNAME",
                      help="measure on a database kept by --keep, without filling it")
    args = p.parse_args()
    if args.days < 2 or args.mentions < 1000:
        p.error("need --days >= 2 (a calm month and a crisis day) and --mentions >= 1000")
    results = {}
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store("sqlite:///" + str(Path(tmp) / "bench.db"))
            results["sqlite"] = run(store, args)
            store.engine.dispose()
            report("sqlite", results["sqlite"])
    if args.postgres:
        name = args.reuse or "cw_bench_" + uuid.uuid4().hex[:8]
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        if not args.reuse:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            store = Store(args.postgres.rsplit("/", 1)[0] + "/" + name)
            results["postgresql"] = run(store, args, filled=bool(args.reuse))
            with store.engine.connect() as conn:
                results["postgresql"]["db_size"] = conn.execute(
                    text("SELECT pg_size_pretty(pg_database_size(current_database()))")
                ).scalar_one()
            store.engine.dispose()
            report("postgresql", results["postgresql"])
        finally:
            if args.keep or args.reuse:
                print(f"postgresql: database {name} kept", file=sys.stderr)
            else:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
    else:
        print("postgresql: skipped (no --postgres and no CRISISWATCH_TEST_POSTGRES_URL)",
              file=sys.stderr)
    print(json.dumps({"mentions": args.mentions, "days": args.days, "repeat": args.repeat,
                      **results}))
    return 0


def report(engine: str, r: dict) -> None:
    if r.get("reused"):
        print(f"{engine}: reused a filled database, ANALYZE {r['analyze_s']} s", flush=True)
    else:
        print(f"{engine}: filled in {r['fill_s']} s ({r['fill_per_s']} mentions+scores/s), "
              f"ANALYZE {r['analyze_s']} s", flush=True)
    if "db_size" in r:
        print(f"{engine}: database size {r['db_size']}", flush=True)
    load = [round(x, 1) for x in (*r["load_before_reads"], *r["load_after_reads"])]
    print(f"{engine}: load average 1/5/15 min before reads {load[:3]}, after {load[3:]}",
          flush=True)
    for name, t in r["reads"].items():
        print(f"{engine:11} {name:24} p50 {t['p50_ms']:7.1f} ms   p95 {t['p95_ms']:7.1f} ms   "
              f"CPU per call: client {t['client_cpu_ms']:6.1f} ms, "
              f"server {t['server_cpu_ms']:6.1f} ms", flush=True)


if __name__ == "__main__":
    sys.exit(main())
