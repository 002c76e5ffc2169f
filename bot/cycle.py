"""One poll cycle, as a pipeline, in `run_cycle`:

    outlets = outlets_for_poll(engine, due_by(now, tick))  # due outlets (within half a tick)
    async for fetched in fetch_all(client, outlets):     # fetch: concurrent, bounded (event loop)
      per outlet, IN_FLIGHT outlets at once:
        articles = parse_articles(fetched.feed, now)     # parse: feedparser → text,   [workers]
                                                         #   impossible dates → None
        new      = _decide(outlet, articles, batch)      # known: one IN (…) query by key,  [db]
                   ├ known_keys, articles_by_link        #   one by link, and what the batch
                   └ new_articles(outlet, articles, …)   #   holds or has reserved (feeds.identity)
        new      = with_full_text(pages, new)            # full text, `fulltext: true` outlets
                                                         #   (event loop)
        intents  = match_articles(matcher, feed, new, …) # match, route:              [workers]
                   ├ matcher.analyse(title, text, lang)  #   bot.route: alert, digest,
                   ├ route(article, outlet, analysis, …) #   region or unsent, to destinations;
                   └ raw_items(feed, matched)            #   evidence: matched items' XML
        update   = after_success(outlet, feed, now, …)   # decide: the outlet row, next poll
        batch.add(update, intents)                       # apply_many: one transaction per  [db]
                                                         #   BATCH_OUTLETS outlets or
                                                         #   BATCH_ARTICLES articles, and at the end
    changes = refresh_health(engine, now)                # health: state_changes, write_states [db]

[workers]: a `bot.workers.CpuPool` of processes (TRIALWATCH_CPU_WORKERS, one per core
by default), so parsing and matching use every core and never hold the event loop's
GIL; a cycle of fewer than POOL_FROM outlets runs them in the database thread unless
the pool is already running. [db]: the cycle's one database thread, which keeps the
writes in order and SQLite to one writer. The event loop only fetches and passes
records along, so the bot's commands are answered during a cycle. At most IN_FLIGHT
outlets are between fetch and write, and `fetch_all` waits while its queue is full:
memory follows the concurrency, not the number of outlets.

A failed fetch or parse becomes `after_failure(...)` (backoff) and the cycle goes
on. An outlet's new articles are reserved in the batch when they are decided, so
the outlets after it see them as known before they are written. A crash loses at
most an unwritten batch, outlet state and articles together, and those outlets are
simply fetched again; a worker process that dies costs the outlets whose work was
in it (not written, polled again next cycle) and the pool is started anew.
Decisions are pure functions (`feeds.decide`, `feeds.health`, `bot.route`);
storage only writes them. No Telegram here: urgent alerts are sent after the
cycle by `bot.services`, so a poll-only process needs no Telegram code.
"""

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine

from bot.destinations import Destination
from bot.workers import (
    CpuPool,
    ParseFailure,
    WorkerLost,
    match_articles,
    match_in_worker,
    parse_articles,
)
from core.errors import FeedError
from core.records import (
    ArticleIntent,
    KnownArticle,
    OutletForPoll,
    OutletUpdate,
    ParsedArticle,
    StateChange,
)
from feeds.decide import after_failure, after_success, due_by
from feeds.fetch import fetch_all, fetch_one
from feeds.fulltext import with_full_text
from feeds.health import state_changes
from feeds.identity import new_articles
from feeds.pages import PageFetcher
from feeds.records import FetchedFeed, FetchResult, PollResult
from matchers import Matcher
from storage.articles import apply_many, articles_by_link, known_keys
from storage.outlets import outlet_status, outlets_for_poll, write_states

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CycleDeps:
    """What a cycle runs on: the database, the HTTP client, the compiled watchlist,
    the destinations (their filters route each new article), and the worker
    processes for parsing and matching (None: the cycle's database thread does it)."""

    engine: Engine
    client: httpx.AsyncClient
    matcher: Matcher
    pages: PageFetcher | None = None  # article pages, for full text; None: feed text only
    fulltext: frozenset[str] = frozenset()  # ids of the outlets with `fulltext: true`
    destinations: tuple[Destination, ...] = ()
    workers: CpuPool | None = None


@dataclass(frozen=True, slots=True)
class CycleReport:
    """What one cycle did: a result per outlet polled, and the health changes."""

    results: tuple[PollResult, ...]
    changes: tuple[StateChange, ...]


BATCH_OUTLETS = 200  # outlets written per transaction
BATCH_ARTICLES = 2_000  # or articles, whichever comes first
# Below this many due outlets a cycle does not start the worker processes (it uses
# them if they run). Measured on 2 cores at a load average of 7: starting two takes
# 1.2-3.9 s of wall time (the fork server imports the parser and matcher once) and
# 0.1 s of this process's CPU to pickle a 1,000-person watchlist, which each worker
# unpickles at its first match (0.3 s); a feed of 20 items parses in about 10 ms.
# Once started they serve every later cycle.
POOL_FROM = 20
IN_FLIGHT_PER_WORKER = 4  # outlets between fetch and write, per worker process
T = TypeVar("T")


@dataclass
class _Batch:
    """Polls waiting to be written together, and the article keys and links they
    hold, with those of the outlets decided but not yet added (reserved)."""

    engine: Engine
    polls: list[tuple[OutletUpdate, Sequence[ArticleIntent]]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    links: dict[str, list[KnownArticle]] = field(default_factory=dict)
    reserved: dict[str, list[ParsedArticle]] = field(default_factory=dict)  # by outlet id

    def reserve(self, outlet_id: str, articles: list[ParsedArticle]) -> None:
        self.reserved[outlet_id] = articles
        self._hold(outlet_id, articles)

    def release(self, outlet_id: str) -> None:
        """Forget an outlet's reservation: its poll is not written this cycle."""
        if self.reserved.pop(outlet_id, None) is not None:
            self._rehold()

    def add(self, update: OutletUpdate, intents: Sequence[ArticleIntent]) -> None:
        reserved = self.reserved.pop(update.outlet_id, None)
        self.polls.append((update, intents))
        if reserved is None:  # not decided through `reserve` (single-outlet callers)
            self._hold(update.outlet_id, [i.article for i in intents])
        if len(self.polls) >= BATCH_OUTLETS or len(self.keys) >= BATCH_ARTICLES:
            self.flush()

    def flush(self) -> None:
        if self.polls:
            apply_many(self.engine, self.polls)
        self.polls = []
        self._rehold()  # what was written is found by the queries now

    def _hold(self, outlet_id: str, articles: Sequence[ParsedArticle]) -> None:
        self.keys.update(a.key for a in articles)
        for a in articles:
            if a.url_key:
                known = KnownArticle(a.key, outlet_id, a.guid, a.title, a.url_key)
                self.links.setdefault(a.url_key, []).append(known)

    def _rehold(self) -> None:
        self.keys, self.links = set(), {}
        for update, intents in self.polls:
            self._hold(update.outlet_id, [i.article for i in intents])
        for outlet_id, articles in self.reserved.items():
            self._hold(outlet_id, articles)


@dataclass
class _Stages:
    """Where each stage runs: `db` in the cycle's database thread, `parse` and
    `match` in the worker processes (or, without them, in the database thread)."""

    deps: CycleDeps
    thread: ThreadPoolExecutor
    pool: CpuPool | None = None  # None: the CPU stages run in the database thread
    in_flight: int = 2

    async def db(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.thread, fn, *args)

    def use_workers(self, due: int, *, starting: bool = True) -> None:
        """Run the CPU stages in the worker processes when they run, or when `due`
        outlets are worth starting them (`starting`): they start with the first body
        to parse, so an all-304 cycle starts nothing."""
        pool = self.deps.workers
        if pool is not None and (pool.executor is not None or (starting and due >= POOL_FROM)):
            self.pool, self.in_flight = pool, pool.workers * IN_FLIGHT_PER_WORKER

    async def parse(self, feed: FetchedFeed, now: datetime) -> list[ParsedArticle] | ParseFailure:
        executor = await self._workers()
        if executor is None:
            return await self.db(parse_articles, feed, now)
        result: list[ParsedArticle] | ParseFailure = await self._in_worker(
            executor, parse_articles, feed, now
        )
        return result

    async def match(
        self, feed: FetchedFeed, articles: list[ParsedArticle], now: datetime
    ) -> list[ArticleIntent]:
        d = self.deps
        executor = await self._workers()
        if executor is None:
            return await self.db(match_articles, d.matcher, feed, articles, now, d.destinations)
        result: list[ArticleIntent] = await self._in_worker(
            executor, match_in_worker, feed, articles, now, d.destinations
        )
        return result

    async def _workers(self) -> ProcessPoolExecutor | None:
        """The workers holding this cycle's watchlist, started (in the database thread)
        at the first need, anew after a live reload; None when this cycle has none, or
        they cannot start (the thread does the work)."""
        if self.pool is None:
            return None
        if self.pool.holds(self.deps.matcher):
            return self.pool.executor
        try:
            return await self.db(self.pool.start, self.deps.matcher)
        except Exception:  # no processes here (a sandbox, a limit): the thread does it
            log.exception("worker processes did not start; parsing in the database thread")
            self.pool = None
            return None

    async def _in_worker(
        self, executor: ProcessPoolExecutor, fn: Callable[..., Any], *args: object
    ) -> Any:
        """`fn(*args)` in a worker process. A pool found broken before the work went
        in (a worker died since) is replaced and the work submitted again; a worker
        dying with the work in it, or silent past the pool's deadline, is
        `WorkerLost` (and the pool is replaced)."""
        assert self.pool is not None
        try:
            future = executor.submit(fn, *args)
        except BrokenProcessPool:
            executor = await self.db(self.pool.restart, executor)
            future = executor.submit(fn, *args)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.pool.deadline)
        except BrokenProcessPool as e:
            await self.db(self.pool.restart, executor)
            raise WorkerLost(str(e)) from e
        except TimeoutError as e:
            await self.db(self.pool.abandon, executor)
            raise WorkerLost(f"no answer within {self.pool.deadline:g} s") from e


async def run_cycle(
    deps: CycleDeps, now: datetime, *, every_outlet: bool = False, tick: timedelta = timedelta(0)
) -> CycleReport:
    """Poll the due outlets (or every active one) and store what is new; one outlet's
    failure never stops the others. `tick`: the scheduler's interval; outlets due
    within half of it count as due now. Raises `StorageError` if the database fails."""
    batch = _Batch(deps.engine)
    with _database_thread() as thread:
        stages = _Stages(deps, thread)
        due = None if every_outlet else due_by(now, tick)
        outlets = await stages.db(outlets_for_poll, deps.engine, due)
        stages.use_workers(len(outlets))
        fetched = fetch_all(deps.client, outlets, now=now)
        results = await _poll_all(stages, fetched, now, batch)
        await stages.db(batch.flush)
        changes = await stages.db(refresh_health, deps.engine, now)
    return CycleReport(tuple(results), changes)


async def poll_outlet(deps: CycleDeps, outlet: OutletForPoll, now: datetime) -> PollResult:
    """The cycle's stages for one outlet, written at once (replica mode polls outlet
    by outlet, as tasks, several at a time; each task's database calls, parsing and
    matching run in a thread of its own, or parsing and matching in the worker
    processes when they run)."""
    fetched = await fetch_one(deps.client, outlet, now=now)
    batch = _Batch(deps.engine)
    with _database_thread() as thread:
        stages = _Stages(deps, thread)
        stages.use_workers(1, starting=False)
        result = await _poll_fetched(stages, fetched, now, batch)
        await stages.db(batch.flush)
    return result


def refresh_health(engine: Engine, now: datetime) -> tuple[StateChange, ...]:
    """Each active outlet's health state at `now`; store and return the changes."""
    changes = state_changes(outlet_status(engine), now)
    write_states(engine, changes)
    return tuple(changes)


@contextlib.contextmanager
def _database_thread() -> Iterator[ThreadPoolExecutor]:
    """The cycle's one database thread. After an error it is not waited for (it
    finishes its statement alone), so the event loop never blocks here."""
    thread = ThreadPoolExecutor(1, thread_name_prefix="cycle")
    try:
        yield thread
    except BaseException:
        thread.shutdown(wait=False)
        raise
    thread.shutdown(wait=True)  # idle by now: every stage was awaited


async def _poll_all(
    stages: _Stages, fetched: AsyncIterator[FetchResult], now: datetime, batch: _Batch
) -> list[PollResult]:
    """Each fetched outlet through the stages after fetch, `stages.in_flight` at once;
    the results in fetch order. The first error that is not an outlet's (a bug, the
    database) stops the others and is raised."""
    results: list[PollResult | None] = []
    room = asyncio.Semaphore(stages.in_flight)
    running: set[asyncio.Task[None]] = set()

    async def one(slot: int, result: FetchResult) -> None:
        try:
            results[slot] = await _poll_fetched(stages, result, now, batch)
        finally:
            room.release()

    try:
        async for result in fetched:
            await room.acquire()
            _raise_failed(running)
            task = asyncio.create_task(one(len(results), result))
            results.append(None)
            running.add(task)
            task.add_done_callback(running.discard)
        await asyncio.gather(*running)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    return [r for r in results if r is not None]


def _raise_failed(running: set[asyncio.Task[None]]) -> None:
    for task in running:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


async def _poll_fetched(
    stages: _Stages, fetched: FetchResult, now: datetime, batch: _Batch
) -> PollResult:
    """The stages after fetch, for one outlet."""
    outlet, feed = fetched.outlet, fetched.feed
    if feed is None:
        assert fetched.error is not None
        return await stages.db(_failed, fetched, fetched.error, now, fetched.retry_after, batch)
    if feed.not_modified:
        update = after_success(outlet, feed, now, found_new=False)
        await stages.db(batch.add, update, [])
        return PollResult(outlet.id, outlet.url, not_modified=True)
    try:
        articles = await stages.parse(feed, now)
    except WorkerLost as e:
        return _lost(outlet, "parsing", e)
    if isinstance(articles, ParseFailure):  # the body is not a usable feed
        return await stages.db(_failed, fetched, articles.error(outlet), now, None, batch)
    new = await stages.db(_decide, stages.deps.engine, outlet, articles, batch)
    try:
        if new and stages.deps.pages is not None and outlet.id in stages.deps.fulltext:
            new = await with_full_text(stages.deps.pages, new)
        intents = await stages.match(feed, new, now) if new else []
    except WorkerLost as e:
        await stages.db(batch.release, outlet.id)
        return _lost(outlet, "matching", e)
    await stages.db(batch.add, after_success(outlet, feed, now, found_new=bool(new)), intents)
    matched = sum(1 for i in intents if i.deliverable)
    log.info("%s: %d items, %d new, %d matched", outlet.id, len(articles), len(new), matched)
    return PollResult(outlet.id, outlet.url, new=len(new), matched=matched)


def _decide(
    engine: Engine, outlet: OutletForPoll, articles: list[ParsedArticle], batch: _Batch
) -> list[ParsedArticle]:
    """The articles not stored, not in the batch and not reserved by another outlet
    (`feeds.identity.new_articles`); they are reserved for this one."""
    known = known_keys(engine, [a.key for a in articles]) | batch.keys
    links = [a.url_key for a in articles if a.url_key]
    by_link = articles_by_link(engine, links)
    by_link += [k for link in links for k in batch.links.get(link, [])]
    new = new_articles(outlet.id, articles, known, by_link)
    batch.reserve(outlet.id, new)
    return new


def _lost(outlet: OutletForPoll, stage: str, why: WorkerLost) -> PollResult:
    what = "gave no answer" if "no answer" in str(why) else "died"
    error = FeedError(
        outlet.id, outlet.url, f"a worker process {what} while {stage} it; polled again next cycle"
    )
    log.error("%s", error)
    return PollResult(outlet.id, outlet.url, error=error)


def _failed(
    fetched: FetchResult,
    error: FeedError,
    now: datetime,
    retry_after: timedelta | None,
    batch: _Batch,
) -> PollResult:
    outlet = fetched.outlet
    update = after_failure(outlet, error, now, retry_after=retry_after, jitter=random.random())
    log.warning("%s (failure %d in a row)", error, update.failures)
    batch.add(update, [])
    return PollResult(outlet.id, outlet.url, error=error)
