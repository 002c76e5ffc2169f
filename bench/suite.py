"""The bench suite: trialwatch's poll loop against a naive script and the best raw client.

    python -m bench [--feeds 1000] [--items 20] [--runs 3] [--latencies 0,50,100]
                    [--workers 0,2] [--no-storage] [--no-parse] [--no-startup] [--no-match]

Serves generated feeds (`bench.feedgen`) from a separate process (`bench.server`)
on several loopback addresses, so per-host connection limits come into play, and
measures, round-robin in the same run:

- naive: what a user writes first, sequential `feedparser.parse(url)` and, for the
  second poll, `feedparser.parse(url, etag=...)`;
- aiohttp: the best raw Python client, GET and read the body, nothing else, with the
  same connection limits as trialwatch;
- trialwatch: its fetch stage alone (`fetch_all`), fetch + parse, and whole cycles
  (`bot.cycle.run_cycle`: fetch, parse, match, store; the urgent alerts after it, to
  a discarding notifier, are timed apart)
  on a fresh SQLite database (or --postgres URL), with parsing and matching in
  --workers processes (a list, e.g. 0,2, runs each in turn; 0: in the cycle's
  database thread, and the fetch + parse case parses on the event loop). The
  workers' CPU and peak RSS are read from /proc and shown apart from this process's.

Then the parsing bench (`bench.parse`) and the matching bench (`bench.match`).

Each figure is the median of --runs runs (min–max beside it). With added latency the
naive script runs on the first --naive-sample feeds and is scaled to all of them
(marked ≈): it is sequential, so every request costs the same. Loop lag is the
longest a 5 ms timer on the event loop fired late during a cycle.
"""

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import aiohttp
import feedparser

from bench import match as bench_match
from bench import parse as bench_parse
from bench import startup as bench_startup
from bench import storage as bench_storage
from bench.feedgen import people, watchlist_yaml, write_feeds
from bot.app import App, build_app
from bot.cycle import IN_FLIGHT_PER_WORKER, run_cycle
from bot.deliver import send_urgent
from bot.notifier import Posted
from bot.settings import Settings
from bot.workers import CpuPool, ParseFailure, parse_articles, usable_cores
from core.records import OutletForPoll
from feeds import fetch
from feeds.fetch import fetch_all, make_client
from matchers import compile_watchlist, parse_watchlist


@dataclass
class Figures:
    """Seconds (and client CPU seconds) per case, one entry per run."""

    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    lag: dict[str, list[float]] = field(default_factory=dict)
    workers_cpu: dict[str, list[float]] = field(default_factory=dict)  # the worker processes'
    workers_peak: int = 0  # bytes: the largest sum of the workers' peak RSS in one case

    def add(
        self,
        case: str,
        wall: float,
        cpu: float,
        lag: float | None = None,
        workers: "WorkerUsage | None" = None,
    ) -> None:
        self.wall.setdefault(case, []).append(wall)
        self.cpu.setdefault(case, []).append(cpu)
        if lag is not None:
            self.lag.setdefault(case, []).append(lag)
        if workers is not None:
            self.workers_cpu.setdefault(case, []).append(workers.cpu)
            self.workers_peak = max(self.workers_peak, workers.peak_rss)

    def median(self, case: str) -> float | None:
        runs = self.wall.get(case)
        return statistics.median(runs) if runs else None


@dataclass(frozen=True)
class WorkerUsage:
    """CPU seconds and peak RSS (bytes, summed) of worker processes, from /proc
    (Linux): their CPU is not this process's, and they are the fork server's
    children, not ours, so `RUSAGE_CHILDREN` never sees them."""

    cpu: float = 0.0
    peak_rss: int = 0

    @classmethod
    def of(cls, pids: list[int]) -> "WorkerUsage":
        cpu, peak, tick = 0.0, 0, os.sysconf("SC_CLK_TCK")
        for pid in pids:
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                cpu += (int(stat[11]) + int(stat[12])) / tick  # utime, stime
                status = Path(f"/proc/{pid}/status").read_text()
                peak += int(status.split("VmHWM:")[1].split()[0]) * 1024
        return cls(cpu, peak)

    def since(self, before: "WorkerUsage") -> "WorkerUsage":
        return WorkerUsage(self.cpu - before.cpu, self.peak_rss)


def workers_of(app: App) -> list[int]:
    return app.workers.pids() if app.workers else []


class Discard:
    """A notifier that accepts every message: the bench measures polling, not Telegram."""

    async def send(
        self, text_html: str, *, silent: bool = False, reply_to: int | None = None
    ) -> Posted | None:
        return None


@contextlib.contextmanager
def outlet_server(folder: Path, hosts: list[str]) -> Iterator[int]:
    """Start `bench.server` in its own process; yield its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.server", str(folder), "--hosts", ",".join(hosts)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().split()
        if not line or line[0] != "ready":
            raise RuntimeError("bench.server did not start")
        yield int(line[1])
    finally:
        process.terminate()
        process.communicate(timeout=10)


def control(base: str, path: str) -> str:
    with urllib.request.urlopen(f"{base}{path}") as response:
        return str(response.read().decode())


def naive(urls: list[str], etags: dict[str, str]) -> dict[str, str]:
    """Sequential feedparser.parse(url, etag=...), as a user's first script does it."""
    seen = {}
    for url in urls:
        result = feedparser.parse(url, etag=etags.get(url))
        seen[url] = result.get("etag", "")
    return seen


async def best_raw(urls: list[str], etags: dict[str, str]) -> dict[str, str]:
    """aiohttp, GET and read, the same limits trialwatch uses."""
    connector = aiohttp.TCPConnector(limit=fetch.CONCURRENCY, limit_per_host=_per_host())
    seen: dict[str, str] = {}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            url = queue.get_nowait()
            headers = {"If-None-Match": etags[url]} if url in etags else {}
            async with session.get(url, headers=headers) as response:
                await response.read()
                seen[url] = response.headers.get("ETag", "")

    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(fetch.CONCURRENCY)))
    return seen


async def ours_fetch(
    outlets: list[OutletForPoll], *, parse_too: bool = False, parse_in: CpuPool | None = None
) -> list[OutletForPoll]:
    """trialwatch's fetch stage, and its parse stage for first polls: in the worker
    processes `parse_in`, as a cycle runs it, else on the event loop; the outlets with
    new etags."""
    updated, now, parsing = [], datetime.now(UTC), set()
    room = asyncio.Semaphore(parse_in.workers * IN_FLIGHT_PER_WORKER if parse_in else 1)
    async with make_client() as client:
        async for result in fetch_all(client, outlets):
            assert result.feed is not None, result.error
            if not parse_too or result.feed.not_modified:
                pass
            elif parse_in is None or parse_in.executor is None:
                parse_articles(result.feed, now)
            else:
                await room.acquire()
                done = asyncio.wrap_future(
                    parse_in.executor.submit(parse_articles, result.feed, now)
                )
                done.add_done_callback(lambda _: room.release())
                parsing.add(done)
                done.add_done_callback(parsing.discard)
            updated.append(
                OutletForPoll(
                    result.outlet.id,
                    result.outlet.name,
                    result.outlet.url,
                    result.outlet.lang,
                    result.outlet.every,
                    etag=result.feed.etag,
                )
            )
        for articles in await asyncio.gather(*parsing):
            assert not isinstance(articles, ParseFailure), articles
    return updated


@contextlib.asynccontextmanager
async def loop_lag() -> AsyncIterator[list[float]]:
    """The longest delay of a 5 ms timer while the block runs (seconds, in a list)."""
    worst = [0.0]

    async def tick() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            worst[0] = max(worst[0], time.perf_counter() - started - 0.005)

    task = asyncio.create_task(tick())
    try:
        yield worst
    finally:
        task.cancel()


async def cycle(app: App, case: str, figures: Figures) -> int:
    """One poll cycle (`bot.cycle.run_cycle`: fetch, parse, match, store), then the
    urgent alerts (`send_urgent`, to a notifier that accepts at once), timed apart."""
    now = datetime.now(UTC)
    before = WorkerUsage.of(workers_of(app))
    wall, cpu = time.perf_counter(), time.process_time()
    async with loop_lag() as lag:
        results = (await run_cycle(app.cycle_deps(), now, every_outlet=True)).results
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    usage = WorkerUsage.of(workers_of(app)).since(before) if app.workers else None
    figures.add(case, wall, cpu, lag[0], usage)
    failed = [r for r in results if r.error]
    assert not failed, failed[0].error
    with measure(figures, f"{case} alerts"):
        await send_urgent(app.engine, app.notifier, app.settings.tz, app.name_of, now)
    return sum(r.new for r in results)


def settings_for(config: Path, db_url: str, workers: int | None = None) -> Settings:
    return Settings(config_dir=config, database_url=db_url, poll_every="15m", cpu_workers=workers)


def tag(workers: int) -> str:
    """The case-name suffix of a worker count: parse and match in `workers` processes,
    or (0) in the cycle's database thread."""
    return f" w{workers}"


def fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    from sqlalchemy import text

    from storage.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:  # also the tables migrations made beside the models
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


async def first_cycle(config: Path, db_url: str, workers: int, figures: Figures) -> int:
    fresh_database(db_url)
    wall, cpu = time.perf_counter(), time.process_time()
    async with build_app(settings_for(config, db_url, workers), notifier=Discard()) as app:
        figures.add("start-up", time.perf_counter() - wall, time.process_time() - cpu)
        return await cycle(app, f"tw cycle first{tag(workers)}", figures)


async def unchanged_cycle(
    config: Path, db_url: str, workers: int, latency: int, figures: Figures
) -> None:
    async with build_app(settings_for(config, db_url, workers), notifier=Discard()) as app:
        new = await cycle(app, f"tw cycle 304 +{latency}{tag(workers)}", figures)
    assert new == 0


def machine() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({platform.machine()}), load average {load}, "
        f"Python {platform.python_version()}; httpx {version('httpx')}, aiohttp "
        f"{version('aiohttp')}, httpx-aiohttp {version('httpx-aiohttp')}, "
        f"feedparser {version('feedparser')}"
    )


def run(args: argparse.Namespace) -> tuple[Figures, dict[str, object]]:
    figures = Figures()
    hosts = [f"127.0.0.{i + 1}" for i in range(args.hosts)]
    with tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp:
        root = Path(tmp)
        feeds_dir, config = root / "feeds", root / "config"
        feeds_dir.mkdir()
        config.mkdir()
        names = people(args.people, args.seed)
        written = write_feeds(feeds_dir, args.feeds, args.items, names, args.seed)
        size = sum(p.stat().st_size for p in feeds_dir.iterdir())
        (config / "watchlist.yaml").write_text(watchlist_yaml(names), encoding="utf-8")
        db_url = args.postgres or f"sqlite:///{root / 'db' / 'bench.db'}"
        with outlet_server(feeds_dir, hosts) as port:
            base = f"http://{hosts[0]}:{port}"
            urls = [
                f"http://{hosts[i % len(hosts)]}:{port}/{name}"
                for i, (name, _) in enumerate(written)
            ]
            (config / "feeds.yaml").write_text(
                "feeds:\n"
                + "".join(
                    f"  - {{id: o{i}, name: Outlet {i}, url: '{url}', lang: {lang}}}\n"
                    for i, (url, (_, lang)) in enumerate(zip(urls, written, strict=True))
                ),
                encoding="utf-8",
            )
            outlets = [
                OutletForPoll(f"o{i}", f"O{i}", url, lang, timedelta(minutes=15))
                for i, (url, (_, lang)) in enumerate(zip(urls, written, strict=True))
            ]
            inputs = {
                "feeds": args.feeds,
                "items": args.feeds * args.items,
                "MB": round(size / 1e6, 1),
                "hosts": hosts,
                "people": args.people,
            }
            with parse_pools(args.workers) as pools:
                for r in range(args.runs):
                    print(f"run {r + 1}/{args.runs} …", file=sys.stderr, flush=True)
                    one_run(args, figures, base, urls, outlets, config, db_url, pools)
                    if args.no_storage:
                        continue
                    store_dir = root / f"store{r}"
                    store_dir.mkdir()
                    for case, seconds in bench_storage.run(
                        store_dir, args.feeds, args.items, args.storage_sample
                    ).items():
                        figures.add(case, seconds, seconds)
    return figures, inputs


@contextlib.contextmanager
def parse_pools(counts: list[int]) -> Iterator[dict[int, CpuPool | None]]:
    """Worker processes for the fetch + parse case, one pool per count (0: parse on
    the event loop), started before the timings as a running monitor's are."""
    pools = {n: CpuPool(n) if n else None for n in counts}
    try:
        for pool in pools.values():
            if pool is not None:
                pool.start(compile_watchlist(parse_watchlist("defendants: []\n")))
        yield pools
    finally:
        for pool in pools.values():
            if pool is not None:
                pool.close()


def one_run(
    args: argparse.Namespace,
    figures: Figures,
    base: str,
    urls: list[str],
    outlets: list[OutletForPoll],
    config: Path,
    db_url: str,
    pools: dict[int, CpuPool | None],
) -> None:
    """One round of every case; trialwatch's with each worker count in `pools`."""
    sample = urls[: args.naive_sample]
    for latency in args.latencies:
        control(base, f"/_delay/{latency}")
        plus = f"+{latency}"
        if latency == 0:
            with measure(figures, "naive first"):
                etags = naive(urls, {})
        else:
            etags = naive(sample, {})
        with measure(figures, f"naive 304 {plus}"):
            naive(urls if latency == 0 else sample, etags)
        with measure(figures, f"aiohttp first {plus}"):
            raw_etags = asyncio.run(best_raw(urls, {}))
        with measure(figures, f"aiohttp 304 {plus}"):
            asyncio.run(best_raw(urls, raw_etags))
        # Parsing dominates a first poll; with latency it is measured at the largest only.
        parse_too = latency in (0, max(args.latencies))
        for n, pool in pools.items():
            first = f"tw fetch{'+parse' if parse_too else ''} first {plus}{tag(n)}"
            with measure(figures, first, pool):
                with_etags = asyncio.run(ours_fetch(outlets, parse_too=parse_too, parse_in=pool))
        with measure(figures, f"tw fetch 304 {plus}"):
            asyncio.run(ours_fetch(with_etags))
        for n in pools:
            if latency == 0:
                new = asyncio.run(first_cycle(config, db_url, n, figures))
                assert new == len(outlets) * args.items, new
            asyncio.run(unchanged_cycle(config, db_url, n, latency, figures))
        counts = json.loads(control(base, "/_stats"))
        assert counts["200"] and counts["304"], counts


def report(args: argparse.Namespace, figures: Figures, inputs: dict[str, object]) -> str:
    """The table: median seconds (min–max), ratios to naive and to aiohttp."""
    scale = args.feeds / max(1, min(args.naive_sample, args.feeds))
    rows = [
        "| case | naive s | best raw s | trialwatch s | runs | × naive | × best | "
        "CPU ms/feed | workers' CPU ms/feed | loop lag ms |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]

    def row(label: str, naive_case: str | None, raw: str | None, ours: str, scaled: bool) -> None:
        mine = figures.median(ours)
        if mine is None:
            return
        n = figures.median(naive_case) if naive_case else None
        if n is not None and scaled and not naive_case.startswith(("store", "seen")):
            n *= scale
        a = figures.median(raw) if raw else None
        runs = figures.wall[ours]
        cpu = statistics.median(figures.cpu[ours]) / args.feeds * 1000
        cpu_text = "" if ours.startswith(("store", "seen")) else f"{cpu:.2f}"
        lag = max(figures.lag[ours]) * 1000 if ours in figures.lag else None
        workers = figures.workers_cpu.get(ours)
        workers_text = f"{statistics.median(workers) / args.feeds * 1000:.2f}" if workers else ""
        rows.append(
            f"| {label} | {_fmt(n, approx=scaled)} | {_fmt(a)} | **{_fmt(mine)}** | "
            f"{min(runs):.2f}–{max(runs):.2f} | {_ratio(n, mine)} | {_ratio(a, mine)} | "
            f"{cpu_text} | {workers_text} | {'' if lag is None else f'{lag:.0f}'} |"
        )

    def by_workers(label: str) -> str:
        return label if len(args.workers) == 1 else f"{label}, {_workers_label(n)}"

    for latency in args.latencies:
        where = "loopback" if latency == 0 else f"+{latency} ms a response"
        plus, scaled = f"+{latency}", latency > 0
        first = "naive first" if latency == 0 else None
        for n in args.workers:
            row(
                by_workers(f"first poll, fetch + parse, {where}"),
                first,
                f"aiohttp first {plus}",
                f"tw fetch+parse first {plus}{tag(n)}",
                False,
            )
        row(
            f"all-304 poll, fetch, {where}",
            f"naive 304 {plus}",
            f"aiohttp 304 {plus}",
            f"tw fetch 304 {plus}",
            scaled,
        )
        for n in args.workers:
            row(
                by_workers(f"all-304 poll, whole cycle, {where}"),
                f"naive 304 {plus}",
                f"aiohttp 304 {plus}",
                f"tw cycle 304 {plus}{tag(n)}",
                scaled,
            )
    items = int(str(inputs["items"]))
    for n in args.workers:
        label = by_workers("full first cycle: fetch, parse, match, store")
        row(label, None, None, f"tw cycle first{tag(n)}", False)
    count = f"{items:,}"
    row(
        f"store {count} articles (SQLite WAL)",
        "store naive",
        "store core",
        "store trialwatch",
        True,
    )
    row(f'"seen?" for {count} keys', "seen naive", "seen core", "seen trialwatch", True)
    alerts = figures.median(f"tw cycle first{tag(args.workers[-1])} alerts")
    startup = figures.median("start-up")
    notes = []
    for n in args.workers:
        for case, what in (
            ("tw cycle first", "full first cycle"),
            ("tw fetch+parse first +0", "first poll, fetch + parse"),
        ):
            seconds = figures.median(f"{case}{tag(n)}")
            if seconds:
                notes.append(f"{what} ({_workers_label(n)}): {items / seconds:,.0f} items/s")
    if alerts is not None:
        notes.append(f"then its urgent alerts to a notifier that accepts at once: {alerts:.2f} s")
    if startup is not None:
        notes.append(f"start-up (config, watchlist, database): {startup:.2f} s")
    return "\n".join(rows) + "\n\n" + "; ".join(notes)


def _workers_label(n: int) -> str:
    return f"{n} worker processes" if n else "no worker processes"


def _fmt(value: float | None, *, approx: bool = False) -> str:
    if value is None:
        return "–"
    return f"{'≈' if approx else ''}{value:.2f}" if value >= 0.1 else f"{value:.3f}"


def _ratio(base: float | None, ours: float) -> str:
    return "–" if base is None else f"{base / ours:.1f}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20, help="items per feed")
    parser.add_argument("--people", type=int, default=1000, help="watched people")
    parser.add_argument("--hosts", type=int, default=25, help="loopback addresses serving")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latencies", default="0,50,100", help="ms added to each response")
    parser.add_argument("--naive-sample", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", help="a PostgreSQL URL to use instead of SQLite")
    parser.add_argument("--storage-sample", type=int, default=2000, help="rows, naive storage")
    parser.add_argument("--no-storage", action="store_true", help="skip the storage bench")
    parser.add_argument("--match-mb", type=float, default=4.0, help="matching corpus, MB")
    parser.add_argument("--no-match", action="store_true", help="skip the matching bench")
    parser.add_argument("--no-parse", action="store_true", help="skip the parsing bench")
    parser.add_argument(
        "--no-startup", action="store_true", help="skip the start-up bench (ready time, RSS)"
    )
    parser.add_argument(
        "--workers",
        default=str(usable_cores()),
        help="worker processes for parse and match (TRIALWATCH_CPU_WORKERS); a list, e.g. 0,2, "
        "runs trialwatch's cases with each, round-robin (0: in the cycle's database thread)",
    )
    args = parser.parse_args(argv)
    args.latencies = [int(x) for x in args.latencies.split(",")]
    args.workers = [int(x) for x in args.workers.split(",")]
    return args


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    header = [
        f"machine: {machine()}",
        f"inputs: {args.feeds} feeds × {args.items} items from {args.hosts} loopback addresses, "
        f"{args.people} watched people, seed {args.seed}, {args.runs} runs, latencies "
        f"{args.latencies} ms, naive with latency on {min(args.naive_sample, args.feeds)} "
        f"feeds (≈ scaled)",
        f"trialwatch: {fetch.CONCURRENCY} requests at once, {_per_host()} per host; "
        f"parse and match in {' / '.join(_workers_label(n) for n in args.workers)}",
    ]
    print("\n".join(header), flush=True)
    figures, inputs = run(args)
    table = report(args, figures, inputs)
    print(f"data: {inputs['MB']} MB, {inputs['items']} items\n")
    print(table)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = figures.workers_peak / 2**20
    print(
        f"peak RSS of this process (everything above, so at most trialwatch's): {peak:.0f} MiB; "
        f"of the worker processes, summed (at most): {workers:.0f} MiB; "
        f"together at most {peak + workers:.0f} MiB"
    )
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.no_parse:
        print("\nparsing (bench.parse):", flush=True)
        same = {"--feeds": args.feeds, "--items": args.items, "--seed": args.seed}
        bench_parse.main([str(x) for pair in {**same, "--runs": args.runs}.items() for x in pair])
    if not args.no_startup:
        print("\nstart-up (bench.startup):", flush=True)
        sizes = ["--runs", str(args.runs), "--feeds", str(args.feeds), "--people", "10000"]
        bench_startup.main([*sizes, "--no-cycle"])
    if not args.no_match:
        print("\nmatching (bench.match):", flush=True)
        bench_match.main(["--mb", str(args.match_mb)])
    return table


def _per_host() -> int:
    return int(getattr(fetch, "PER_HOST", fetch.CONCURRENCY))


@contextlib.contextmanager
def measure(figures: Figures, case: str, pool: CpuPool | None = None) -> Iterator[None]:
    pids = pool.pids() if pool else []
    before = WorkerUsage.of(pids)
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    figures.add(case, wall, cpu, None, WorkerUsage.of(pids).since(before) if pool else None)
