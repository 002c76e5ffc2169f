"""The poll cycle's CPU stages (parse; match and route) and the worker processes
that run them.

`parse_articles` and `match_articles` are pure (no network, no database, no clock:
`now` comes in). `bot.cycle` runs them in a `CpuPool` of worker processes, so a
cycle uses every core and the event loop's thread never waits for the GIL behind
them, or in its database thread when there is no pool (TRIALWATCH_CPU_WORKERS=0, or
a cycle too small to be worth starting one).

Each worker holds the compiled watchlist: it is pickled once per pool and handed
to the workers as they start (`multiprocessing` "forkserver": a clean process,
not a copy of this threaded one); a new watchlist (a live reload) gets a new pool.
A worker that dies (killed, out of memory) breaks the pool: the outlets whose
work was in it get a `WorkerLost` and are written nowhere, so they stay due, and
the next stage that asks gets a fresh pool.

As with multiprocessing's "spawn", a worker imports the program's main script
(not `python -m` modules, nor the `trialwatch` command): a script that runs a
cycle must keep its top level behind `if __name__ == "__main__":`.
"""

import logging
import multiprocessing
import os
import pickle
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.destinations import Destination
from bot.route import route
from core.errors import ErrorKind, FeedError, ParseError
from core.records import ArticleIntent, OutletForPoll, ParsedArticle
from feeds.dates import plausible_date
from feeds.parse import parse
from feeds.rawitem import raw_items
from feeds.records import FetchedFeed
from matchers import Matcher

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Why a body is not a usable feed, as a value: `FeedError`s do not survive
    pickling, so the worker sends their parts and `error()` rebuilds it."""

    cause: str
    kind: ErrorKind

    def error(self, outlet: OutletForPoll) -> ParseError:
        return ParseError(outlet.id, outlet.url, self.cause, kind=self.kind)


def parse_articles(feed: FetchedFeed, now: datetime) -> list[ParsedArticle] | ParseFailure:
    """The stage after fetch: the body's items as articles, impossible dates dropped
    (`feeds.dates.plausible_date`); a `ParseFailure` when the body is not a feed."""
    try:
        parsed = parse(feed).articles
    except FeedError as e:
        return ParseFailure(e.cause, e.kind)
    return [replace(a, published=plausible_date(a.published, now)) for a in parsed]


def match_articles(
    matcher: Matcher,
    feed: FetchedFeed,
    articles: Sequence[ParsedArticle],
    now: datetime,
    destinations: Sequence[Destination],
) -> list[ArticleIntent]:
    """The new articles with their matches, routed (`bot.route`), each matched one
    with its item's XML as served (`feeds.rawitem`, evidence): what the batch writes."""
    outlet = feed.outlet
    intents = [
        route(
            article,
            outlet,
            matcher.analyse(article.title, article.text, outlet.lang),
            matcher.watchlist,
            now,
            destinations,
        )
        for article in articles
    ]
    if any(i.matches for i in intents):
        raws = raw_items(feed, [i.article for i in intents if i.matches])
        intents = [replace(i, raw=raws.get(i.article.key)) for i in intents]
    return intents


class WorkerLost(Exception):
    """A worker process died while this outlet's work was in it, or gave no answer
    within the pool's deadline; the outlet is not written and stays due."""


# Seconds one parse or match may take: a 10 MB body (the fetch cap) parses in about
# 20 s of CPU. Past it the workers are given up: a worker killed while sending its
# answer leaves the pool waiting for the rest of it for ever.
DEADLINE = 120.0


class CpuPool:
    """`workers` processes for the CPU stages, kept from the first cycle that starts
    them until `close()`. `start`, `restart` and `close` block (pickling a large
    watchlist takes seconds, starting processes some milliseconds): the cycle calls
    them from its database thread, never on the event loop."""

    def __init__(self, workers: int, *, deadline: float = DEADLINE) -> None:
        if workers < 1:
            raise ValueError(f"a CpuPool needs at least one worker, got {workers}")
        self.workers = workers
        self.deadline = deadline
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._matcher: Matcher | None = None
        self._pickled = b""

    @property
    def executor(self) -> ProcessPoolExecutor | None:
        """The running workers, or None before `start` and after `close`."""
        return self._executor

    def holds(self, matcher: Matcher) -> bool:
        """Whether workers holding `matcher` are running."""
        return self._executor is not None and self._matcher is matcher

    def start(self, matcher: Matcher) -> ProcessPoolExecutor:
        """Workers holding `matcher`, started and waiting: the running ones, or new
        ones for a different matcher (a live reload) or after `close`."""
        with self._lock:
            if self._matcher is not matcher:
                self._shutdown()
                self._pickled = pickle.dumps(matcher, protocol=pickle.HIGHEST_PROTOCOL)
                self._matcher = matcher
            if self._executor is None:
                self._executor = self._spawn()
            return self._executor

    def restart(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """New workers in place of `broken` (a worker died); nothing to do if another
        stage has replaced it already."""
        with self._lock:
            if broken is self._executor or self._executor is None:
                log.error("a worker process died: starting %d new ones", self.workers)
                self._shutdown()
                self._executor = self._spawn()
            return self._executor

    def abandon(self, late: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """New workers in place of `late`, one of which gave no answer in time: its
        processes are killed (its other work fails as `WorkerLost`), and its end of
        their answer pipe closed, so a manager thread reading half an answer gets
        EOF and ends instead of waiting for ever."""
        with self._lock:
            if late is not self._executor:
                return self._executor or self._spawn()
            log.error("a worker gave no answer within %g s: starting new ones", self.deadline)
            for process in list(getattr(late, "_processes", {}).values()):
                process.kill()
            writer = getattr(getattr(late, "_result_queue", None), "_writer", None)
            if writer is not None:
                writer.close()
            late.shutdown(wait=False, cancel_futures=True)
            self._executor = self._spawn()
            return self._executor

    def pids(self) -> list[int]:
        """The worker processes' ids."""
        processes = getattr(self._executor, "_processes", None) or {}
        return sorted(processes)

    def close(self) -> None:
        """Stop the workers (the work in them is cancelled)."""
        with self._lock:
            self._shutdown()

    def _spawn(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(
            self.workers,
            mp_context=_context(),
            initializer=_hold_matcher,
            initargs=(self._pickled,),
        )
        # Workers start as work arrives: give each some now, so that no submission
        # from the event loop has to start a process.
        for future in [executor.submit(os.getpid) for _ in range(self.workers)]:
            future.result()
        return executor

    def _shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def usable_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one: workers start from a clean single-threaded
    server that imported this module once, instead of forking this process with its
    threads (Python 3.12 warns about that) or importing everything anew (spawn)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


# In the worker processes: the watchlist, unpickled at the first match (so a
# parse never waits for it).
_held: dict[str, Any] = {}


def _hold_matcher(pickled: bytes) -> None:
    _held["pickled"] = pickled


def match_in_worker(
    feed: FetchedFeed,
    articles: list[ParsedArticle],
    now: datetime,
    destinations: tuple[Destination, ...],
) -> list[ArticleIntent]:
    """`match_articles` with the worker's watchlist."""
    matcher = _held.get("matcher")
    if matcher is None:
        matcher = _held["matcher"] = pickle.loads(_held.pop("pickled"))
    return match_articles(matcher, feed, articles, now, destinations)
