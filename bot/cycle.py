"""One poll cycle, as a pipeline, in `run_cycle`:

    outlets = outlets_for_poll(engine, due_by(now, tick))  # due outlets (within half a tick)
    async for fetched in fetch_all(client, outlets):     # fetch: concurrent, bounded (event loop)
      in the cycle's worker thread, one outlet at a time:
        articles = parse(fetched.feed)                   # parse: feedparser → text,
                                                         #   impossible dates → None (feeds.dates)
        known    = known_keys(engine, article keys)      # known: one IN (…) query,
                   | keys waiting in the batch           #   and what the batch holds;
        by_link  = articles_by_link(engine, links)       #   the same by link
        new      = new_articles(outlet, articles, …)     # decide: what is new (feeds.identity),
        update   = after_success(outlet, feed, now, …)   #   the outlet row, the next poll
        new      = with_full_text(pages, new)            # full text, `fulltext: true` outlets:
                                                         #   page text on the event loop, else feed
        analysis = matcher.analyse(title, text, lang)    # match: per new article
        intents  = route(article, outlet, analysis, …,   # route: alert, digest, region or unsent,
                         destinations)                   #   to the destinations it passes
        batch.add(update, intents)                       # apply_many: one transaction per
                                                         #   BATCH_OUTLETS outlets or
                                                         #   BATCH_ARTICLES articles, and at the end
    changes = state_changes(outlet_status(engine), now)  # health
    write_states(engine, changes)

A failed fetch or parse becomes `after_failure(...)` (backoff) and the cycle goes
on. Parsing, matching and the database run in one worker thread, so the event loop
(fetching, the bot's commands) never waits for them; one thread keeps the writes
in order and SQLite to one writer. A crash loses at most an unwritten batch, outlet
state and articles together, and those outlets are simply fetched again.
Decisions are pure functions (`feeds.decide`, `feeds.health`, `bot.route`);
storage only writes them. No Telegram here: urgent alerts are sent after the
cycle by `bot.services`, so a poll-only process needs no Telegram code.
"""

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
from sqlalchemy import Engine

from bot.destinations import Destination
from bot.route import route
from core.errors import FeedError
from core.records import (
    ArticleIntent,
    KnownArticle,
    OutletForPoll,
    OutletUpdate,
    ParsedArticle,
    StateChange,
)
from feeds.dates import plausible_date
from feeds.decide import after_failure, after_success, due_by
from feeds.fetch import fetch_all, fetch_one
from feeds.fulltext import with_full_text
from feeds.health import state_changes
from feeds.identity import new_articles
from feeds.pages import PageFetcher
from feeds.parse import parse
from feeds.rawitem import raw_items
from feeds.records import FetchResult, PollResult
from matchers import Matcher
from storage.articles import apply_many, articles_by_link, known_keys
from storage.outlets import outlet_status, outlets_for_poll, write_states

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CycleDeps:
    """What a cycle runs on: the database, the HTTP client, the compiled watchlist,
    the destinations (their filters route each new article)."""

    engine: Engine
    client: httpx.AsyncClient
    matcher: Matcher
    pages: PageFetcher | None = None  # article pages, for full text; None: feed text only
    fulltext: frozenset[str] = frozenset()  # ids of the outlets with `fulltext: true`
    destinations: tuple[Destination, ...] = ()


@dataclass(frozen=True, slots=True)
class CycleReport:
    """What one cycle did: a result per outlet polled, and the health changes."""

    results: tuple[PollResult, ...]
    changes: tuple[StateChange, ...]


BATCH_OUTLETS = 200  # outlets written per transaction
BATCH_ARTICLES = 2_000  # or articles, whichever comes first
T = TypeVar("T")


@dataclass
class _Batch:
    """Polls waiting to be written together, and the article keys they hold."""

    engine: Engine
    polls: list[tuple[OutletUpdate, Sequence[ArticleIntent]]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    links: dict[str, list[KnownArticle]] = field(default_factory=dict)

    def add(self, update: OutletUpdate, intents: Sequence[ArticleIntent]) -> None:
        self.polls.append((update, intents))
        self.keys.update(i.article.key for i in intents)
        for i in intents:
            a = i.article
            if a.url_key:
                known = KnownArticle(a.key, update.outlet_id, a.guid, a.title, a.url_key)
                self.links.setdefault(a.url_key, []).append(known)
        if len(self.polls) >= BATCH_OUTLETS or len(self.keys) >= BATCH_ARTICLES:
            self.flush()

    def flush(self) -> None:
        if self.polls:
            apply_many(self.engine, self.polls)
        self.polls, self.keys, self.links = [], set(), {}


async def run_cycle(
    deps: CycleDeps, now: datetime, *, every_outlet: bool = False, tick: timedelta = timedelta(0)
) -> CycleReport:
    """Poll the due outlets (or every active one) and store what is new; one outlet's
    failure never stops the others. `tick`: the scheduler's interval; outlets due
    within half of it count as due now. Raises `StorageError` if the database fails."""
    batch = _Batch(deps.engine)
    with ThreadPoolExecutor(1, thread_name_prefix="cycle") as worker:
        loop = asyncio.get_running_loop()

        def off_loop(fn: Callable[..., T], *args: object) -> "asyncio.Future[T]":
            return loop.run_in_executor(worker, fn, *args)

        due = None if every_outlet else due_by(now, tick)
        outlets = await off_loop(outlets_for_poll, deps.engine, due)

        full_text = _full_text_from(loop, deps)
        results = [
            await off_loop(_poll_one, deps, fetched, now, batch, _wants(deps, fetched, full_text))
            async for fetched in fetch_all(deps.client, outlets, now=now)
        ]
        await off_loop(batch.flush)
        changes = state_changes(await off_loop(outlet_status, deps.engine), now)
        await off_loop(write_states, deps.engine, changes)
    return CycleReport(tuple(results), tuple(changes))


async def poll_outlet(deps: CycleDeps, outlet: OutletForPoll, now: datetime) -> PollResult:
    """The cycle's stages for one outlet, written at once (replica mode polls outlet
    by outlet, as tasks, several at a time; each task's parse, match and write run on
    the event loop, one task's at a time)."""
    fetched = await fetch_one(deps.client, outlet, now=now)
    batch = _Batch(deps.engine)
    loop = asyncio.get_running_loop()
    full_text = _wants(deps, fetched, _full_text_from(loop, deps))
    if full_text is None:
        result = _poll_one(deps, fetched, now, batch)
    else:  # the full-text stage waits for the event loop: the stages run in a thread
        result = await loop.run_in_executor(None, _poll_one, deps, fetched, now, batch, full_text)
    batch.flush()
    return result


def refresh_health(engine: Engine, now: datetime) -> tuple[StateChange, ...]:
    """Each active outlet's health state at `now`; store and return the changes."""
    changes = state_changes(outlet_status(engine), now)
    write_states(engine, changes)
    return tuple(changes)


FullText = Callable[[list[ParsedArticle]], list[ParsedArticle]]


def _full_text_from(loop: asyncio.AbstractEventLoop, deps: CycleDeps) -> FullText:
    """The full-text stage as the worker thread calls it: the pages are fetched on the
    event loop (politely, with the shared client) while the worker waits."""

    def full_text(articles: list[ParsedArticle]) -> list[ParsedArticle]:
        assert deps.pages is not None
        coroutine = with_full_text(deps.pages, articles)
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    return full_text


def _wants(deps: CycleDeps, fetched: FetchResult, full_text: FullText) -> FullText | None:
    """The full-text stage, for an outlet configured with `fulltext: true`."""
    wanted = deps.pages is not None and fetched.outlet.id in deps.fulltext
    return full_text if wanted else None


def _poll_one(
    deps: CycleDeps,
    fetched: FetchResult,
    now: datetime,
    batch: _Batch,
    full_text: FullText | None = None,
) -> PollResult:
    """The stages after fetch, for one outlet."""
    outlet, feed = fetched.outlet, fetched.feed
    if feed is None:
        assert fetched.error is not None
        return _failed(fetched, fetched.error, now, fetched.retry_after, batch)
    if feed.not_modified:
        batch.add(after_success(outlet, feed, now, found_new=False), [])
        return PollResult(outlet.id, outlet.url, not_modified=True)
    try:
        parsed = parse(feed).articles
    except FeedError as e:  # the body is not a usable feed
        return _failed(fetched, e, now, None, batch)
    articles = [replace(a, published=plausible_date(a.published, now)) for a in parsed]
    known = known_keys(deps.engine, [a.key for a in articles]) | batch.keys
    links = [a.url_key for a in articles if a.url_key]
    by_link = articles_by_link(deps.engine, links)
    by_link += [k for link in links for k in batch.links.get(link, [])]
    new = new_articles(outlet.id, articles, known, by_link)
    if full_text is not None and new:
        new = full_text(new)
    intents = []
    for article in new:
        analysis = deps.matcher.analyse(article.title, article.text, outlet.lang)
        intents.append(
            route(article, outlet, analysis, deps.matcher.watchlist, now, deps.destinations)
        )
    if any(i.matches for i in intents):  # evidence: each matched item's XML as served
        raws = raw_items(feed, [i.article for i in intents if i.matches])
        intents = [replace(i, raw=raws.get(i.article.key)) for i in intents]
    batch.add(after_success(outlet, feed, now, found_new=bool(new)), intents)
    matched = sum(1 for i in intents if i.deliverable)
    log.info("%s: %d items, %d new, %d matched", outlet.id, len(articles), len(new), matched)
    return PollResult(outlet.id, outlet.url, new=len(new), matched=matched)


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
