"""The bench suite: trialwatch's poll loop against a naive script and the best raw client.

    python -m bench [--feeds 1000] [--items 20] [--runs 3] [--latencies 0,50,100]

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
  on a fresh SQLite database (or --postgres URL).

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
from bench import storage as bench_storage
from bench.feedgen import people, watchlist_yaml, write_feeds
from bot.app import App, build_app
from bot.cycle import run_cycle
from bot.deliver import send_urgent
from bot.settings import Settings
from core.records import OutletForPoll
from feeds import fetch
from feeds.fetch import fetch_all, make_client
from feeds.parse import parse


@dataclass
class Figures:
    """Seconds (and client CPU seconds) per case, one entry per run."""

    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    lag: dict[str, list[float]] = field(default_factory=dict)

    def add(self, case: str, wall: float, cpu: float, lag: float | None = None) -> None:
        self.wall.setdefault(case, []).append(wall)
        self.cpu.setdefault(case, []).append(cpu)
        if lag is not None:
            self.lag.setdefault(case, []).append(lag)

    def median(self, case: str) -> float | None:
        runs = self.wall.get(case)
        return statistics.median(runs) if runs else None


class Discard:
    """A notifier that accepts every message: the bench measures polling, not Telegram."""

    async def send(self, text_html: str) -> None:
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


async def ours_fetch(outlets: list[OutletForPoll], *, parse_too: bool) -> list[OutletForPoll]:
    """trialwatch's fetch stage (and parse, for first polls); the outlets with new etags."""
    updated = []
    async with make_client() as client:
        async for result in fetch_all(client, outlets):
            assert result.feed is not None, result.error
            if parse_too and not result.feed.not_modified:
                parse(result.feed)
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
    wall, cpu = time.perf_counter(), time.process_time()
    async with loop_lag() as lag:
        results = (await run_cycle(app.cycle_deps(), now, every_outlet=True)).results
    figures.add(case, time.perf_counter() - wall, time.process_time() - cpu, lag[0])
    failed = [r for r in results if r.error]
    assert not failed, failed[0].error
    with measure(figures, f"{case} alerts"):
        await send_urgent(app.engine, app.notifier, app.settings.tz, app.name_of, now)
    return sum(r.new for r in results)


def settings_for(config: Path, db_url: str) -> Settings:
    return Settings(config_dir=config, database_url=db_url, poll_every="15m")


def fresh_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from storage.db import make_engine

    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


async def first_cycle(config: Path, db_url: str, figures: Figures) -> int:
    fresh_database(db_url)
    wall, cpu = time.perf_counter(), time.process_time()
    async with build_app(settings_for(config, db_url), notifier=Discard()) as app:
        figures.add("start-up", time.perf_counter() - wall, time.process_time() - cpu)
        return await cycle(app, "tw cycle first", figures)


async def unchanged_cycle(config: Path, db_url: str, latency: int, figures: Figures) -> None:
    async with build_app(settings_for(config, db_url), notifier=Discard()) as app:
        new = await cycle(app, f"tw cycle 304 +{latency}", figures)
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
            for r in range(args.runs):
                print(f"run {r + 1}/{args.runs} …", file=sys.stderr, flush=True)
                one_run(args, figures, base, urls, outlets, config, db_url)
                if not args.no_storage:
                    store_dir = root / f"store{r}"
                    store_dir.mkdir()
                    for case, seconds in bench_storage.run(
                        store_dir, args.feeds, args.items, args.storage_sample
                    ).items():
                        figures.add(case, seconds, seconds)
    return figures, inputs


def one_run(
    args: argparse.Namespace,
    figures: Figures,
    base: str,
    urls: list[str],
    outlets: list[OutletForPoll],
    config: Path,
    db_url: str,
) -> None:
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
        with measure(figures, f"tw fetch{'+parse' if parse_too else ''} first {plus}"):
            with_etags = asyncio.run(ours_fetch(outlets, parse_too=parse_too))
        with measure(figures, f"tw fetch 304 {plus}"):
            asyncio.run(ours_fetch(with_etags, parse_too=False))
        if latency == 0:
            new = asyncio.run(first_cycle(config, db_url, figures))
            assert new == len(outlets) * args.items, new
        asyncio.run(unchanged_cycle(config, db_url, latency, figures))
        counts = json.loads(control(base, "/_stats"))
        assert counts["200"] and counts["304"], counts


def report(args: argparse.Namespace, figures: Figures, inputs: dict[str, object]) -> str:
    """The table: median seconds (min–max), ratios to naive and to aiohttp."""
    scale = args.feeds / max(1, min(args.naive_sample, args.feeds))
    rows = [
        "| case | naive s | best raw s | trialwatch s | runs | × naive | × best | "
        "CPU ms/feed | loop lag ms |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|",
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
        rows.append(
            f"| {label} | {_fmt(n, approx=scaled)} | {_fmt(a)} | **{_fmt(mine)}** | "
            f"{min(runs):.2f}–{max(runs):.2f} | {_ratio(n, mine)} | {_ratio(a, mine)} | "
            f"{cpu_text} | {'' if lag is None else f'{lag:.0f}'} |"
        )

    for latency in args.latencies:
        where = "loopback" if latency == 0 else f"+{latency} ms a response"
        plus, scaled = f"+{latency}", latency > 0
        first = "naive first" if latency == 0 else None
        row(
            f"first poll, fetch + parse, {where}",
            first,
            f"aiohttp first {plus}",
            f"tw fetch+parse first {plus}",
            False,
        )
        row(
            f"all-304 poll, fetch, {where}",
            f"naive 304 {plus}",
            f"aiohttp 304 {plus}",
            f"tw fetch 304 {plus}",
            scaled,
        )
        row(
            f"all-304 poll, whole cycle, {where}",
            f"naive 304 {plus}",
            f"aiohttp 304 {plus}",
            f"tw cycle 304 {plus}",
            scaled,
        )
    items = int(str(inputs["items"]))
    row("full first cycle: fetch, parse, match, store", None, None, "tw cycle first", False)
    n = f"{items:,}"
    row(f"store {n} articles (SQLite WAL)", "store naive", "store core", "store trialwatch", True)
    row(f'"seen?" for {n} keys', "seen naive", "seen core", "seen trialwatch", True)
    first = figures.median("tw cycle first")
    alerts = figures.median("tw cycle first alerts")
    startup = figures.median("start-up")
    notes = []
    if first:
        notes.append(f"full first cycle: {items / first:,.0f} items/s")
    if alerts is not None:
        notes.append(f"then its urgent alerts to a notifier that accepts at once: {alerts:.2f} s")
    if startup is not None:
        notes.append(f"start-up (config, watchlist, database): {startup:.2f} s")
    return "\n".join(rows) + "\n\n" + "; ".join(notes)


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
    args = parser.parse_args(argv)
    args.latencies = [int(x) for x in args.latencies.split(",")]
    return args


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    header = [
        f"machine: {machine()}",
        f"inputs: {args.feeds} feeds × {args.items} items from {args.hosts} loopback addresses, "
        f"{args.people} watched people, seed {args.seed}, {args.runs} runs, latencies "
        f"{args.latencies} ms, naive with latency on {min(args.naive_sample, args.feeds)} "
        f"feeds (≈ scaled)",
        f"trialwatch: {fetch.CONCURRENCY} requests at once, {_per_host()} per host",
    ]
    print("\n".join(header), flush=True)
    figures, inputs = run(args)
    table = report(args, figures, inputs)
    print(f"data: {inputs['MB']} MB, {inputs['items']} items\n")
    print(table)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (everything above, so at most trialwatch's): {peak:.0f} MiB")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.no_match:
        print("\nmatching (bench.match):", flush=True)
        bench_match.main(["--mb", str(args.match_mb)])
    return table


def _per_host() -> int:
    return int(getattr(fetch, "PER_HOST", fetch.CONCURRENCY))


@contextlib.contextmanager
def measure(figures: Figures, case: str) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    figures.add(case, time.perf_counter() - wall, time.process_time() - cpu)
