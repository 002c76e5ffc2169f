"""Replica benchmark: 1, 2 and 3 `trialwatch run` replicas polling many loopback outlets.

    python -m bench.replicas --postgres postgresql://postgres@127.0.0.1/DB \
        [--feeds 3000] [--items 10] [--latency 100] [--replicas 1,2,3] [--seed 14]

DB is emptied (its public schema dropped) before each run. The outlets are served by
`bench.server` in its own process with --latency ms added to every response. Measured,
per run, for two cycles over every outlet (the clock finds them all due at once):

- cycle 1: every item new (fetch, parse, match, store every article);
- cycle 2: nothing new (the bench marks every outlet due again; conditional GET → 304).

Time per cycle runs from the first outlet stored to the last (start-up excluded).
Database load in the cycle's window comes from `pg_stat_database` (transactions
committed, rows read, rows written); CPU is the replicas' own user+system seconds.
Baseline in the same run: one process in single mode (`trialwatch run --once`, no task
queue), which is how trialwatch ran before replicas.
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from bench.feedgen import people, watchlist_yaml, write_feeds
from bench.suite import control, outlet_server
from storage.db import make_engine

TICKS = os.sysconf("SC_CLK_TCK")
STATS = (
    "SELECT xact_commit, tup_returned + tup_fetched, tup_inserted + tup_updated + tup_deleted "
    "FROM pg_stat_database WHERE datname = current_database()"
)


@dataclass
class Cycle:
    seconds: float
    commits: int
    rows_read: int
    rows_written: int
    cpu: float


def reset(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


def polled(engine: Engine, since: float | None) -> int:
    """Outlets whose last poll is stored (after `since`, a Unix time, when given)."""
    query = "SELECT count(*) FROM outlet WHERE last_polled_at IS NOT NULL"
    if since is not None:
        query += " AND last_polled_at > to_timestamp(:since)"
    with contextlib.suppress(Exception), engine.connect() as connection:
        return int(connection.execute(text(query), {"since": since}).scalar_one())
    return 0  # the schema is not there yet


def db_stats(engine: Engine, *, settle: bool = False) -> tuple[int, int, int]:
    if settle:
        time.sleep(1.1)  # backends report to pg_stat_database about once a second
    with engine.connect() as connection:
        row = connection.execute(text(STATS)).one()
    return int(row[0]), int(row[1]), int(row[2])


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def measure(
    engine: Engine,
    feeds: int,
    pids: list[int],
    since: float | None,
    before: tuple[int, int, int] | None = None,
) -> Cycle:
    """Wait for a whole cycle; its time, database load and CPU. The load counts from
    `before` (taken just ahead of cycle 2) or from the first poll stored (cycle 1:
    start-up excluded)."""
    while polled(engine, since) == 0:
        time.sleep(0.02)
    started, cpu0 = time.monotonic(), cpu_seconds(pids)
    before = before or db_stats(engine)
    while polled(engine, since) < feeds:
        time.sleep(0.05)
    seconds, cpu = time.monotonic() - started, cpu_seconds(pids) - cpu0
    after = db_stats(engine, settle=True)
    return Cycle(seconds, *(a - b for a, b in zip(after, before, strict=True)), cpu)


@contextlib.contextmanager
def processes(commands: list[list[str]], env: dict[str, str], log: Path) -> Iterator[list[int]]:
    with log.open("ab") as out:
        running = [subprocess.Popen(c, env=env, stdout=out, stderr=out) for c in commands]
    try:
        yield [p.pid for p in running]
    finally:
        for p in running:
            p.send_signal(signal.SIGTERM)
        for p in running:
            p.wait(timeout=60)


def run(
    engine: Engine, env: dict[str, str], replicas: int, feeds: int, log: Path
) -> tuple[Cycle, Cycle]:
    reset(engine)
    trialwatch = [sys.executable, "-m", "bot", "run"]
    if replicas == 0:  # single mode: two `run --once`, each one cycle over every outlet
        with processes([[*trialwatch, "--once"]], env, log) as pids:
            first = measure(engine, feeds, pids, None)
        since, before = time.time(), db_stats(engine, settle=True)
        with processes([[*trialwatch, "--once"]], env, log) as pids:
            second = measure(engine, feeds, pids, since, before)
        return first, second
    replica_env = {**env, "TRIALWATCH_MODE": "replica"}
    with processes([trialwatch] * replicas, replica_env, log) as pids:
        first = measure(engine, feeds, pids, None)
        since, before = time.time(), db_stats(engine, settle=True)
        with engine.begin() as connection:  # every outlet due again: cycle 2
            connection.execute(text("UPDATE outlet SET next_poll_at = now()"))
        second = measure(engine, feeds, pids, since, before)
    return first, second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="a database this bench may empty")
    parser.add_argument("--feeds", type=int, default=3000)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--latency", type=int, default=100, help="ms added to every response")
    parser.add_argument("--replicas", default="1,2,3")
    parser.add_argument("--concurrency", type=int, default=20, help="tasks at once per replica")
    parser.add_argument("--hosts", type=int, default=25, help="loopback addresses serving")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--log", type=Path, help="the processes' output (default: discarded)")
    args = parser.parse_args()
    counts = [int(n) for n in args.replicas.split(",")]
    print(
        f"inputs: {args.feeds} feeds × {args.items} items, {args.latency} ms latency, "
        f"{args.hosts} loopback addresses, seed {args.seed}, replica concurrency "
        f"{args.concurrency}, {os.cpu_count()} cores"
    )
    engine = make_engine(args.postgres)
    hosts = [f"127.0.0.{i + 1}" for i in range(args.hosts)]
    with tempfile.TemporaryDirectory() as tmp:
        folder, config = Path(tmp, "feeds"), Path(tmp, "config")
        folder.mkdir()
        config.mkdir()
        names = people(40, args.seed)
        written = write_feeds(folder, args.feeds, args.items, names, args.seed)
        (config / "watchlist.yaml").write_text(watchlist_yaml(names), encoding="utf-8")
        with outlet_server(folder, hosts) as port:
            control(f"http://{hosts[0]}:{port}", f"/_delay/{args.latency}")
            (config / "feeds.yaml").write_text(
                "feeds:\n"
                + "".join(
                    f"  - {{id: o{i}, name: O{i}, url: 'http://{hosts[i % len(hosts)]}:{port}/"
                    f"{name}', lang: {lang}}}\n"
                    for i, (name, lang) in enumerate(written)
                ),
                encoding="utf-8",
            )
            env = {
                **os.environ,
                "TRIALWATCH_DATABASE_URL": args.postgres,
                "TRIALWATCH_CONFIG_DIR": str(config),
                "TRIALWATCH_POLL_EVERY": "1h",
                "TRIALWATCH_REPLICA_CONCURRENCY": str(args.concurrency),
                "TRIALWATCH_DIGEST_AT": "03:33",
            }
            rows = []
            for replicas in [0, *counts]:
                first, second = run(engine, env, replicas, args.feeds, args.log or Path(tmp, "log"))
                rows.append((replicas, first, second))
                label = "single" if replicas == 0 else f"{replicas} replica(s)"
                print(f"{label}: cycle 1 {first}, cycle 2 {second}", flush=True)
    engine.dispose()
    base = rows[0][1:]
    print(
        "\n| processes | cycle 1 (new) s | ×single | cycle 2 (304) s | ×single "
        "| commits c1/c2 | rows written c1 | rows read c1/c2 | CPU s c1/c2 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for replicas, first, second in rows:
        label = "1, single mode" if replicas == 0 else f"{replicas} replica(s)"
        print(
            f"| {label} | {first.seconds:.1f} | {base[0].seconds / first.seconds:.2f} "
            f"| {second.seconds:.1f} | {base[1].seconds / second.seconds:.2f} "
            f"| {first.commits}/{second.commits} | {first.rows_written} "
            f"| {first.rows_read}/{second.rows_read} | {first.cpu:.0f}/{second.cpu:.0f} |"
        )


if __name__ == "__main__":
    main()
