"""Replica benchmark: 1, 2 and 3 `trialwatch run` replicas polling many loopback outlets.

    python -m bench.replicas --postgres postgresql://postgres@127.0.0.1/DB \
        [--outlets 3000] [--items 3] [--latency 100] [--replicas 0,1,2,3] [--seed 14]

(`--replicas 0` is the baseline: one process in single mode.)

DB is emptied (its public schema dropped) before each run. The outlets are served by
`bench.server` in its own process with --latency ms added to every response. Measured,
per run, for two cycles over every outlet (the clock finds them all due at once):

- cycle 1: every item new (fetch, parse, match, store every article);
- cycle 2: nothing new (the bench marks every outlet due again; conditional GET → 304).

With --steady, replicas measure cycle 2 only, on the database the single-mode run
filled (not emptied between runs): the steady state, in about a third of the time.

Time per cycle runs from the first feed request the outlet server sees to the last
outlet stored (start-up excluded, the same measure for both modes).
Database load in the cycle's window comes from `pg_stat_database` (transactions
committed, rows read, rows written: this database only) and from the CPU seconds of
the PostgreSQL backends serving this database (/proc, sampled every 0.2 s); CPU
is the trialwatch processes' own user+system seconds. The load average is printed with
each run: other work on the machine shows there. Baseline in the same run: one process
in single mode (`trialwatch run --once`, no task queue), how trialwatch ran before replicas.
"""

import argparse
import contextlib
import json
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
BACKENDS = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid()"
)


@dataclass
class Cycle:
    seconds: float
    commits: int
    rows_read: int
    rows_written: int
    cpu: float
    db_cpu: float  # PostgreSQL backends serving this database

    def __str__(self) -> str:
        return (
            f"{self.seconds:.1f} s, {self.commits} commits, {self.rows_read} rows read, "
            f"{self.rows_written} written, CPU {self.cpu:.1f} s, PostgreSQL CPU {self.db_cpu:.1f} s"
        )


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


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of a process so far (0 once it has gone)."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    return 0.0


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_of(pid) for pid in pids)


def backend_cpu(engine: Engine) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to this database."""
    with engine.connect() as connection:
        pids = list(connection.execute(text(BACKENDS)).scalars())
    return {pid: cpu_of(pid) for pid in pids}


def first_request(server: str) -> float | None:
    """When the outlet server saw its first feed request since the last reset."""
    first = json.loads(control(server, "/_first"))
    return None if first is None else float(first)


def measure(
    engine: Engine,
    server: str,
    feeds: int,
    pids: list[int],
    since: float | None,
    before: tuple[int, int, int] | None = None,
) -> Cycle:
    """Wait for a whole cycle, from the first feed request (the caller reset the
    server's stats before it) to the last outlet stored; its time, database load and
    CPU. The load counts from `before` (taken just ahead of cycle 2) or from the first
    request (cycle 1: start-up excluded)."""
    while (started := first_request(server)) is None:
        time.sleep(0.02)
    cpu0, backends = cpu_seconds(pids), backend_cpu(engine)
    before = before or db_stats(engine)
    latest = dict(backends)  # sampled as the cycle goes: a backend that ends keeps its last
    while polled(engine, since) < feeds:
        latest |= backend_cpu(engine)
        time.sleep(0.2)
    seconds, cpu = time.monotonic() - started, cpu_seconds(pids) - cpu0
    latest |= backend_cpu(engine)
    db_cpu = sum(cpu - backends.get(pid, 0.0) for pid, cpu in latest.items())
    after = db_stats(engine, settle=True)
    deltas = (a - b for a, b in zip(after, before, strict=True))
    return Cycle(seconds, *deltas, cpu, db_cpu)


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
    engine: Engine,
    server: str,
    env: dict[str, str],
    replicas: int,
    feeds: int,
    log: Path,
    *,
    steady: bool = False,
) -> tuple[Cycle | None, Cycle]:
    """Both cycles on an emptied database; with `steady`, replicas measure only the
    unchanged cycle, on the database a single-mode run just filled."""
    trialwatch = [sys.executable, "-m", "bot", "run"]
    if steady and replicas:
        with processes([trialwatch] * replicas, {**env, "TRIALWATCH_MODE": "replica"}, log) as pids:
            return None, unchanged_cycle(engine, server, feeds, pids)
    reset(engine)
    control(server, "/_stats")
    if replicas == 0:  # single mode: two `run --once`, each one cycle over every outlet
        with processes([[*trialwatch, "--once"]], env, log) as pids:
            first = measure(engine, server, feeds, pids, None)
        since, before = time.time(), db_stats(engine, settle=True)
        control(server, "/_stats")
        with processes([[*trialwatch, "--once"]], env, log) as pids:
            second = measure(engine, server, feeds, pids, since, before)
        return first, second
    replica_env = {**env, "TRIALWATCH_MODE": "replica"}
    with processes([trialwatch] * replicas, replica_env, log) as pids:
        first = measure(engine, server, feeds, pids, None)
        second = unchanged_cycle(engine, server, feeds, pids)
    return first, second


def unchanged_cycle(engine: Engine, server: str, feeds: int, pids: list[int]) -> Cycle:
    """Mark every outlet due and measure the replicas' cycle over them (all 304)."""
    since, before = time.time(), db_stats(engine, settle=True)
    control(server, "/_stats")
    with engine.begin() as connection:
        connection.execute(text("UPDATE outlet SET next_poll_at = now()"))
    return measure(engine, server, feeds, pids, since, before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", required=True, help="a database this bench may empty")
    parser.add_argument("--outlets", "--feeds", dest="feeds", type=int, default=3000)
    parser.add_argument("--items", type=int, default=3, help="items per feed")
    parser.add_argument("--latency", type=int, default=100, help="ms added to every response")
    parser.add_argument("--replicas", default="0,1,2,3", help="0: single mode (the baseline)")
    parser.add_argument("--concurrency", type=int, default=20, help="tasks at once per replica")
    parser.add_argument("--hosts", type=int, default=25, help="loopback addresses serving")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--log", type=Path, help="the processes' output (default: discarded)")
    parser.add_argument(
        "--steady",
        action="store_true",
        help="replicas measure the unchanged (304) cycle only, on the database the "
        "single-mode run (0, first in --replicas) filled: the steady state, in a third "
        "of the time",
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.replicas.split(",")]
    if args.steady and counts[0] != 0:
        parser.error("--steady needs the single-mode run first: --replicas 0,1,2,3")
    print(
        f"inputs: {args.feeds} outlets × {args.items} items, {args.latency} ms latency, "
        f"{args.hosts} loopback addresses, seed {args.seed}, replica concurrency "
        f"{args.concurrency}, runs {counts} (0: single mode){' steady' if args.steady else ''}, "
        f"{os.cpu_count()} cores, "
        f"load average {load()}",
        flush=True,
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
            server = f"http://{hosts[0]}:{port}"
            control(server, f"/_delay/{args.latency}")
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
            for replicas in counts:
                load_before = load()
                log = args.log or Path(tmp, "log")
                first, second = run(
                    engine, server, env, replicas, args.feeds, log, steady=args.steady
                )
                rows.append((replicas, first, second))
                label = "single" if replicas == 0 else f"{replicas} replica(s)"
                print(
                    f"{label}: cycle 1 {first or 'not measured'}, cycle 2 {second}, "
                    f"load average {load_before} → {load()}",
                    flush=True,
                )
    engine.dispose()
    print(table(rows, args.feeds))


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def table(rows: list[tuple[int, Cycle | None, Cycle]], outlets: int) -> str:
    """The README's table: per cycle, seconds, outlets a second, commits per outlet, rows
    written, CPU seconds of trialwatch and of PostgreSQL."""
    lines = [
        "\n| processes | cycle 1 (new) s | outlets/s | cycle 2 (304) s | outlets/s "
        "| commits per outlet c1/c2 | rows written c1 | CPU s c1/c2 | PostgreSQL CPU s c1/c2 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for replicas, first, second in rows:
        label = "1, single mode" if replicas == 0 else f"{replicas} replica(s)"
        c1 = (
            [
                f"{first.seconds:.1f}",
                f"{outlets / first.seconds:.0f}",
                f"{first.commits / outlets:.1f}",
                f"{first.rows_written:,}",
                f"{first.cpu:.0f}",
                f"{first.db_cpu:.0f}",
            ]
            if first
            else ["–"] * 6
        )
        lines.append(
            f"| {label} | {c1[0]} | {c1[1]} "
            f"| {second.seconds:.1f} | {outlets / second.seconds:.0f} "
            f"| {c1[2]}/{second.commits / outlets:.1f} | {c1[3]} | {c1[4]}/{second.cpu:.0f} "
            f"| {c1[5]}/{second.db_cpu:.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
