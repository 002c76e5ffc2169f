"""Parse part of the bench suite: CPU per feed of feedparser, the fast path and `parse`.

    python -m bench.parse [--feeds 1000] [--items 20] [--seed 2026] [--runs 3]

Inputs: the bench's generated feeds (`bench.feedgen`: half RSS 2.0, half Atom,
a third in Russian, 1 KB HTML bodies) and the fixture feeds (tests/data, and the
shared real-world samples when present), all read into memory first. Cases, run in
turn on the same bytes, each the median of --runs runs of CPU time
(`time.process_time`) per feed:

- feedparser naive: `feedparser.parse(body)` with its defaults (sanitizer and
  relative-URI resolver on);
- feedparser as we call it: `sanitize_html=False, resolve_relative_uris=False`;
- fast path (entries only): `feeds.parse.fast_entries`, i.e. `feeds.fastparse`
  on what `parse` hands it (feedparser's entries, see its docstring), no articles;
- parse, feedparser only: `feeds.parse.parse_with_feedparser`, i.e. trialwatch's
  parse before the fast path (feedparser, then text extraction, dates, identity);
- parse: `feeds.parse.parse`, the fast path with feedparser as fallback.

It prints how many feeds the fast path read (the others went to feedparser).
"""

import argparse
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

import feedparser

from bench.feedgen import people, write_feeds
from core.errors import ParseError
from core.records import OutletForPoll
from feeds.parse import fast_entries, parse, parse_with_feedparser
from feeds.records import FetchedFeed

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TRIALWATCH_SHARED_DIR", REPO.parent / "shared")) / "fixtures/feeds"
FIXTURE_SUFFIXES = {".xml", ".atom", ".rss", ".gz"}


def generated(folder: Path, feeds: int, items: int, seed: int) -> list[FetchedFeed]:
    written = write_feeds(folder, feeds, items, people(100, seed), seed)
    return [_fetched(i, (folder / name).read_bytes()) for i, (name, _) in enumerate(written)]


def fixtures() -> list[FetchedFeed]:
    paths = sorted(p for p in (REPO / "tests" / "data").rglob("*") if p.suffix in FIXTURE_SUFFIXES)
    if SHARED.is_dir():
        paths += sorted(p for p in SHARED.iterdir() if p.suffix in FIXTURE_SUFFIXES)
    return [_fetched(i, p.read_bytes()) for i, p in enumerate(paths)]


def _fetched(number: int, body: bytes) -> FetchedFeed:
    outlet = OutletForPoll(
        f"o{number}", f"O{number}", f"http://127.0.0.1/feed{number}", "en", timedelta(minutes=15)
    )
    return FetchedFeed(outlet, 200, body, {"Content-Type": "application/xml"}, None, None)


def _parse_or_error(parser: Callable[[FetchedFeed], object], feed: FetchedFeed) -> None:
    # broken fixtures: the error is the result, and it costs time too
    with contextlib.suppress(ParseError):
        parser(feed)


def _feedparser(feed: FetchedFeed, **options: bool) -> None:
    # feedparser itself raises on a few broken fixtures (a lone surrogate reference)
    with contextlib.suppress(Exception):
        feedparser.parse(feed.body, **options)


CASES: dict[str, Callable[[FetchedFeed], object]] = {
    "feedparser naive": _feedparser,
    "feedparser as we call it": lambda f: _feedparser(
        f, sanitize_html=False, resolve_relative_uris=False
    ),
    "fast path (entries only)": lambda f: _parse_or_error(fast_entries, f),
    "parse, feedparser only (before)": lambda f: _parse_or_error(parse_with_feedparser, f),
    "parse (fast path + fallback)": lambda f: _parse_or_error(parse, f),
}


def measure(sets: dict[str, list[FetchedFeed]], runs: int) -> dict[tuple[str, str], list[float]]:
    """ms of CPU per feed, for each (input set, case), one figure per run."""
    figures: dict[tuple[str, str], list[float]] = {}
    for r in range(runs):
        print(f"run {r + 1}/{runs} …", file=sys.stderr, flush=True)
        for label, feeds in sets.items():
            for case, run in CASES.items():
                started = time.process_time()
                for feed in feeds:
                    run(feed)
                spent = time.process_time() - started
                figures.setdefault((label, case), []).append(spent / len(feeds) * 1000)
    return figures


def fast_share(feeds: list[FetchedFeed]) -> str:
    """How many feeds the fast path reads, and why it leaves the others."""
    reasons: dict[str, int] = {}
    for feed in feeds:
        try:
            found, why = fast_entries(feed)
        except ParseError as e:
            found, why = None, str(e)
        if found is None:
            reason = why.split(":")[0]
            reasons[reason] = reasons.get(reason, 0) + 1
    left = sum(reasons.values())
    why = "; ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    return f"{len(feeds) - left} of {len(feeds)} read by the fast path" + (
        f" (left to feedparser: {why})" if left else ""
    )


def report(sets: dict[str, list[FetchedFeed]], figures: dict[tuple[str, str], list[float]]) -> str:
    rows = []
    for label, feeds in sets.items():
        size = sum(len(f.body) for f in feeds) / len(feeds) / 1024
        rows += [
            "",
            f"{label}: {len(feeds)} feeds, {size:.1f} KiB each on average; {fast_share(feeds)}",
            "| case | ms CPU per feed (median) | runs | × feedparser naive |",
            "|---|---:|---|---:|",
        ]
        naive = statistics.median(figures[(label, "feedparser naive")])
        for case in CASES:
            runs = figures[(label, case)]
            median = statistics.median(runs)
            rows.append(
                f"| {case} | {median:.2f} | {min(runs):.2f}–{max(runs):.2f} | "
                f"{naive / median:.1f} |"
            )
    return "\n".join(rows)


def inputs(args: argparse.Namespace) -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} cores ({platform.machine()}), load average {load}, "
        f"Python {platform.python_version()}, feedparser {version('feedparser')}\n"
        f"inputs: {args.feeds} generated feeds × {args.items} items (bench.feedgen, seed "
        f"{args.seed}) and the fixture feeds"
        + ("" if SHARED.is_dir() else " (ours only: no shared fixtures)")
        + f"; {args.runs} runs, cases in turn; CPU time of this process"
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20, help="items per feed")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(inputs(args), flush=True)
    with tempfile.TemporaryDirectory(prefix="tw-bench-parse-") as tmp:
        sets = {
            "generated": generated(Path(tmp), args.feeds, args.items, args.seed),
            "fixtures": fixtures(),
        }
    table = report(sets, measure(sets, args.runs))
    print(table)
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return table


if __name__ == "__main__":
    main()
