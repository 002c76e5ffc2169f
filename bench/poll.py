"""Poll-cycle benchmark: fetch + parse (+ store and match) of many feeds on loopback.

    python -m bench.poll [--feeds 300] [--items 40]

Naive baseline, in the same run: what a user writes first, sequential
`feedparser.parse(url)` (and `feedparser.parse(url, etag=...)` for the second,
all-304 poll). trialwatch: one httpx client, 10 concurrent requests,
feedparser without its HTML sanitiser, conditional GET.
"""

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser

from core.records import Match, OutletForPoll, ParsedArticle
from feeds.fetch import fetch_all, make_client
from feeds.localserver import serve
from feeds.parse import parse
from feeds.poll import poll_outlets
from matchers import compile_watchlist, is_urgent, parse_watchlist
from storage.db import init_db, make_engine
from storage.queries import Store

WORDS = (
    "суд приговор адвокат полиция заявил года власти court trial lawyer police said "
    "government protest Алматы Астана Kazakhstan Казахстан jail appeal"
).split()


def write_feeds(folder: Path, feeds: int, items: int, rng: random.Random) -> None:
    for f in range(feeds):
        entries = []
        for i in range(items):
            body = " ".join(rng.choice(WORDS) for _ in range(150))
            entries.append(
                f"<item><title>Item {f}-{i} {rng.choice(WORDS)}</title>"
                f"<link>https://outlet{f}.test/news/{i}</link><guid>{f}-{i}</guid>"
                f"<pubDate>Sat, 21 Nov 2026 10:{i % 60:02d}:00 +0000</pubDate>"
                f"<description><![CDATA[<p>{body}</p><p><a href='/x'>more</a></p>]]>"
                f"</description></item>"
            )
        (folder / f"feed{f}.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Outlet {f}</title>{''.join(entries)}</channel></rss>",
            encoding="utf-8",
        )


def naive(urls: list[str], etags: dict[str, str] | None = None) -> tuple[float, dict[str, str]]:
    started, seen = time.perf_counter(), {}
    for url in urls:
        result = feedparser.parse(url, etag=(etags or {}).get(url))
        seen[url] = result.get("etag", "")
    return time.perf_counter() - started, seen


async def ours(outlets: list[OutletForPoll]) -> tuple[float, list[OutletForPoll]]:
    started, updated = time.perf_counter(), []
    async with make_client() as client:
        async for result in fetch_all(client, outlets):
            assert result.feed is not None, result.error
            if not result.feed.not_modified:
                parse(result.feed)
            updated.append(
                OutletForPoll(
                    result.outlet.id,
                    result.outlet.name,
                    result.outlet.url,
                    "en",
                    result.outlet.every,
                    etag=result.feed.etag,
                )
            )
    return time.perf_counter() - started, updated


async def full_cycle(outlets: list[OutletForPoll], db: Path) -> tuple[float, dict[str, int]]:
    engine = make_engine(f"sqlite:///{db}")
    init_db(engine)
    store = Store(engine)
    from core.records import OutletConfig

    store.sync_outlets(
        [OutletConfig(o.id, o.name, o.url, "en") for o in outlets],
        timedelta(minutes=15),
        datetime.now(UTC),
    )
    watchlist = parse_watchlist(
        "defendants:\n  - {id: a, name: Ruslan Kulekbayev}\n"
        "keywords:\n  - {id: v, terms: [приговор], urgent: true}\n"
    )
    matcher = compile_watchlist(watchlist)

    def match(article: ParsedArticle, lang: str) -> tuple[tuple[Match, ...], bool]:
        found = matcher.match(article.title, article.text, lang)
        return tuple(found), is_urgent(found, watchlist)

    started = time.perf_counter()
    async with make_client() as client:
        async for _ in poll_outlets(client, outlets, store, match, datetime.now(UTC)):
            pass
    elapsed = time.perf_counter() - started
    counts = store.counts()
    engine.dispose()
    return elapsed, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--items", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_feeds(folder, args.feeds, args.items, random.Random(1))
        size = sum(p.stat().st_size for p in folder.glob("*.xml")) / 1e6
        rows = []
        for latency in (0.0, 0.05):
            with serve(folder, latency=latency) as server:
                urls = [server.url(f"feed{f}.xml") for f in range(args.feeds)]
                outlets = [
                    OutletForPoll(f"o{f}", f"O{f}", url, "en", timedelta(minutes=15))
                    for f, url in enumerate(urls)
                ]
                naive_first, etags = naive(urls)
                naive_second, _ = naive(urls, etags)
                ours_first, with_etags = asyncio.run(ours(outlets))
                ours_second, _ = asyncio.run(ours(with_etags))
                rows.append((latency, naive_first, ours_first, naive_second, ours_second))
                if not latency:
                    cycle, counts = asyncio.run(full_cycle(outlets, folder / "bench.db"))
    items = args.feeds * args.items
    print(f"{args.feeds} feeds × {args.items} items, {size:.1f} MB, served on 127.0.0.1\n")
    print(f"{'poll':<48} {'naive s':>8} {'trialwatch s':>12} {'× naive':>8}")
    for latency, n1, o1, n2, o2 in rows:
        where = f"+{latency * 1000:.0f} ms a response" if latency else "loopback"
        print(
            f"{'first poll (200s), fetch + parse, ' + where:<48} {n1:>8.2f} {o1:>12.2f} "
            f"{n1 / o1:>8.1f}"
        )
        print(f"{'second poll (all 304), ' + where:<48} {n2:>8.2f} {o2:>12.2f} {n2 / o2:>8.1f}")
    print(
        f"\nfull first cycle with matching and SQLite storage: {cycle:.2f} s, "
        f"{items / cycle:,.0f} items/s ({counts['articles']} articles stored)"
    )


if __name__ == "__main__":
    main()
