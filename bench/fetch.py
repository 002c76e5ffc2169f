"""The fetch path alone: an all-304 poll of many feeds, trialwatch against its floors.

    python -m bench.fetch [--feeds 1000] [--hosts 25] [--runs 5] [--latencies 0,100]
                          [--baseline REV] [--profile CASE] [--uvloop]

Serves generated feeds (`bench.feedgen`) from `bench.server` in its own process on
several loopback addresses, polls them once to learn their ETags, then times
all-304 polls, round-robin in one process, case after case within each run:

- aiohttp: the raw client, the same connection limits, GET + read, nothing else;
- httpx floor: trialwatch's client settings (`make_client`: headers, timeouts,
  redirects) over httpx-aiohttp's plain `AiohttpTransport` and the same aiohttp
  limits, one `client.get(url_string)` per feed, no retries, no deadline, no
  records: what code keeping httpx's API pays at least; and the same with each
  URL parsed into an `httpx.URL` before the poll (as trialwatch keeps them);
- trialwatch: `feeds.fetch.fetch_all` over `make_client()`, results consumed;
- baseline (with --baseline REV): feeds/fetch.py as it was at git revision REV,
  run the same way, for a before/after ratio taken side by side.

A fresh client per poll, as every poll of the bot opens its connections anew (the
poll interval is longer than the keep-alive). Prints CPU ms per feed
(`time.process_time` of this process: the client's cost; the server runs apart)
and wall seconds, median of --runs (min–max). --profile CASE runs that case once
more under cProfile and prints its top functions by own time. --uvloop runs every
case on uvloop's event loop instead of asyncio's (uvloop must be installed: it is
not a dependency of trialwatch).
"""

import argparse
import asyncio
import cProfile
import importlib
import importlib.util
import io
import os
import pstats
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from bench.feedgen import people, write_feeds
from bench.suite import control, outlet_server
from core.records import OutletForPoll
from feeds import fetch

Poll = Callable[[list[OutletForPoll]], Awaitable[int]]
# Made once, as trialwatch makes its own: loading certificates for every client
# would cost the floor tens of ms of CPU a poll that trialwatch does not pay.
TLS = ssl.create_default_context()


def connector() -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(limit=fetch.CONCURRENCY, limit_per_host=fetch.PER_HOST)


async def raw_aiohttp(outlets: list[OutletForPoll]) -> int:
    """GET + read with aiohttp alone; the count of 304s."""
    pending = iter(outlets)
    seen = [0]

    async def worker(session: aiohttp.ClientSession) -> None:
        for o in pending:
            headers = {"If-None-Match": o.etag} if o.etag else {}
            async with session.get(o.url, headers=headers) as response:
                await response.read()
                seen[0] += response.status == 304

    async with aiohttp.ClientSession(connector=connector()) as session:
        await asyncio.gather(*(worker(session) for _ in range(fetch.CONCURRENCY)))
    return seen[0]


async def httpx_floor(outlets: list[OutletForPoll], *, url_objects: bool = False) -> int:
    """`client.get` over AiohttpTransport, nothing around it; the count of 304s.
    `url_objects`: pass `httpx.URL`s parsed before the poll instead of strings."""
    pending = iter([(httpx.URL(o.url) if url_objects else o.url, o.etag) for o in outlets])
    seen = [0]

    async def worker(client: httpx.AsyncClient) -> None:
        for url, etag in pending:
            headers = {"If-None-Match": etag} if etag else {}
            response = await client.get(url, headers=headers)
            seen[0] += response.status_code == 304

    session = aiohttp.ClientSession(connector=connector(), cookie_jar=aiohttp.DummyCookieJar())
    transport = AiohttpTransport(verify=TLS, client=session)
    async with fetch.make_client(transport=transport) as client:
        await asyncio.gather(*(worker(client) for _ in range(fetch.CONCURRENCY)))
    return seen[0]


async def httpx_floor_parsed(outlets: list[OutletForPoll]) -> int:
    return await httpx_floor(outlets, url_objects=True)


def with_module(module: ModuleType) -> Poll:
    """A poll through `module.fetch_all` (trialwatch's feeds/fetch.py, or an old copy)."""

    async def poll(outlets: list[OutletForPoll]) -> int:
        seen = 0
        async with module.make_client() as client:
            async for result in module.fetch_all(client, outlets):
                assert result.feed is not None, result.error
                seen += result.feed.status == 304
        return seen

    return poll


def module_at(revision: str) -> ModuleType:
    """feeds/fetch.py as it was at a git revision, imported under another name."""
    root = Path(__file__).resolve().parents[1]
    source = subprocess.run(
        ["git", "show", f"{revision}:feeds/fetch.py"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader("fetch_baseline", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module.__name__] = module  # stamina and dataclasses look it up
    exec(compile(source, f"{revision}:feeds/fetch.py", "exec"), module.__dict__)
    return module


async def learn_etags(outlets: list[OutletForPoll]) -> list[OutletForPoll]:
    """The outlets with the ETag a first poll returns."""
    updated = []
    async with fetch.make_client() as client:
        async for result in fetch.fetch_all(client, outlets):
            assert result.feed is not None and result.feed.etag, result.error
            o = result.outlet
            updated.append(
                OutletForPoll(o.id, o.name, o.url, o.lang, o.every, etag=result.feed.etag)
            )
    return updated


T = TypeVar("T")
LOOP_FACTORY: Callable[[], asyncio.AbstractEventLoop] | None = None  # uvloop's with --uvloop


def run(coroutine: Coroutine[object, object, T]) -> T:
    """`asyncio.run`, on uvloop's loop with --uvloop."""
    with asyncio.Runner(loop_factory=LOOP_FACTORY) as runner:
        return runner.run(coroutine)


def timed(poll: Poll, outlets: list[OutletForPoll]) -> tuple[float, float]:
    """(wall s, CPU s) of one poll; every reply must be a 304."""
    wall, cpu = time.perf_counter(), time.process_time()
    seen = run(poll(outlets))
    took = time.perf_counter() - wall, time.process_time() - cpu
    assert seen == len(outlets), f"{seen} 304s of {len(outlets)}"
    return took


def profile(poll: Poll, outlets: list[OutletForPoll], top: int = 35) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run(poll(outlets))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=5, help="items per feed (first poll only)")
    parser.add_argument("--hosts", type=int, default=25, help="loopback addresses serving")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latencies", default="0,100", help="ms added to each response")
    parser.add_argument("--baseline", help="a git revision: its feeds/fetch.py runs beside")
    parser.add_argument("--profile", help="a case to run once more under cProfile")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop")
    args = parser.parse_args(argv)
    global LOOP_FACTORY
    if args.uvloop:
        # Not a dependency of trialwatch: installed by hand for this comparison.
        LOOP_FACTORY = importlib.import_module("uvloop").new_event_loop
    latencies = [int(x) for x in args.latencies.split(",")]

    cases: dict[str, Poll] = {
        "aiohttp": raw_aiohttp,
        "httpx floor": httpx_floor,
        "httpx floor, URLs parsed before": httpx_floor_parsed,
        "trialwatch": with_module(fetch),
    }
    if args.baseline:
        cases[f"trialwatch at {args.baseline}"] = with_module(module_at(args.baseline))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"machine: {os.cpu_count()} cores, load average {load}; httpx {version('httpx')}, "
        f"aiohttp {version('aiohttp')}, httpx-aiohttp {version('httpx-aiohttp')}\n"
        f"inputs: {args.feeds} feeds (all 304) from {args.hosts} loopback addresses, "
        f"{fetch.CONCURRENCY} in flight, {fetch.PER_HOST} per host, fresh client per poll, "
        f"{args.runs} runs round-robin, latencies {latencies} ms, "
        f"{'uvloop ' + version('uvloop') if args.uvloop else 'asyncio'} event loop",
        flush=True,
    )
    hosts = [f"127.0.0.{i + 1}" for i in range(args.hosts)]
    with tempfile.TemporaryDirectory(prefix="tw-bench-fetch-") as tmp:
        folder = Path(tmp)
        written = write_feeds(folder, args.feeds, args.items, people(50, args.seed), args.seed)
        with outlet_server(folder, hosts) as port:
            outlets = [
                OutletForPoll(
                    f"o{i}",
                    f"O{i}",
                    f"http://{hosts[i % len(hosts)]}:{port}/{name}",
                    lang,
                    timedelta(minutes=15),
                )
                for i, (name, lang) in enumerate(written)
            ]
            outlets = run(learn_etags(outlets))
            for latency in latencies:
                control(f"http://{hosts[0]}:{port}", f"/_delay/{latency}")
                run(raw_aiohttp(outlets))  # warm-up: imports, first connections
                wall: dict[str, list[float]] = {c: [] for c in cases}
                cpu: dict[str, list[float]] = {c: [] for c in cases}
                for _ in range(args.runs):
                    for case, poll in cases.items():
                        w, c = timed(poll, outlets)
                        wall[case].append(w)
                        cpu[case].append(c)
                print(f"\nall-304 poll, +{latency} ms a response:")
                print("| case | CPU ms/feed | CPU runs (s) | wall s | wall runs |")
                print("|---|---:|---|---:|---|")
                for case in cases:
                    c, w = cpu[case], wall[case]
                    print(
                        f"| {case} | {statistics.median(c) / args.feeds * 1000:.3f} | "
                        f"{min(c):.2f}–{max(c):.2f} | {statistics.median(w):.2f} | "
                        f"{min(w):.2f}–{max(w):.2f} |"
                    )
                if args.profile and latency == latencies[0]:
                    print(profile(cases[args.profile], outlets))
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
