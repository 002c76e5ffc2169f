"""One poll cycle, as a pipeline, in `run_cycle`:

    outlets = outlets_for_poll(engine, due_by(now, tick))  # due outlets (within half a tick)
    async for fetched in fetch_all(client, outlets):     # fetch: concurrent, bounded
        articles = parse(fetched.feed)                   # parse: feedparser → text,
                                                         #   impossible dates → None (feeds.dates)
        known    = known_keys(engine, article keys)      # known: one IN (…) query
        new      = new_articles(articles, known)         # decide: what is new,
        update   = after_success(outlet, feed, now, …)   #   the outlet row, the next poll
        matches  = matcher.match(title, text, lang)      # match: per new article
        intents  = route(article, matches, watchlist)    # route: alert, digest or unsent
        apply(engine, update, intents)                   # apply: one transaction
    changes = state_changes(outlet_status(engine), now)  # health
    write_states(engine, changes)

A failed fetch or parse becomes `after_failure(...)` (backoff) and the cycle goes
on. Decisions are pure functions (`feeds.decide`, `feeds.health`, `bot.route`);
storage only writes them. No Telegram here: urgent alerts are sent after the
cycle by `bot.services`, so a poll-only process needs no Telegram code.
"""

import logging
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import httpx
from sqlalchemy import Engine

from bot.route import route
from core.errors import FeedError
from core.records import StateChange
from feeds.dates import plausible_date
from feeds.decide import after_failure, after_success, due_by, new_articles
from feeds.fetch import fetch_all
from feeds.health import state_changes
from feeds.parse import parse
from feeds.records import FetchResult, PollResult
from matchers import Matcher
from storage.articles import apply, known_keys
from storage.outlets import outlet_status, outlets_for_poll, write_states

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CycleDeps:
    """What a cycle runs on: the database, the HTTP client, the compiled watchlist."""

    engine: Engine
    client: httpx.AsyncClient
    matcher: Matcher


@dataclass(frozen=True, slots=True)
class CycleReport:
    """What one cycle did: a result per outlet polled, and the health changes."""

    results: tuple[PollResult, ...]
    changes: tuple[StateChange, ...]


async def run_cycle(
    deps: CycleDeps, now: datetime, *, every_outlet: bool = False, tick: timedelta = timedelta(0)
) -> CycleReport:
    """Poll the due outlets (or every active one) and store what is new; one outlet's
    failure never stops the others. `tick`: the scheduler's interval; outlets due
    within half of it count as due now. Raises `StorageError` if the database fails."""
    outlets = outlets_for_poll(deps.engine, None if every_outlet else due_by(now, tick))
    results = [
        _poll_one(deps, fetched, now) async for fetched in fetch_all(deps.client, outlets, now=now)
    ]
    changes = state_changes(outlet_status(deps.engine), now)
    write_states(deps.engine, changes)
    return CycleReport(tuple(results), tuple(changes))


def _poll_one(deps: CycleDeps, fetched: FetchResult, now: datetime) -> PollResult:
    """The stages after fetch, for one outlet."""
    outlet, feed = fetched.outlet, fetched.feed
    if feed is None:
        assert fetched.error is not None
        return _failed(deps, fetched, fetched.error, now, fetched.retry_after)
    if feed.not_modified:
        apply(deps.engine, after_success(outlet, feed, now, found_new=False), [])
        return PollResult(outlet.id, outlet.url, not_modified=True)
    try:
        parsed = parse(feed).articles
    except FeedError as e:  # the body is not a usable feed
        return _failed(deps, fetched, e, now, None)
    articles = [replace(a, published=plausible_date(a.published, now)) for a in parsed]
    known = known_keys(deps.engine, [a.key for a in articles])
    new = new_articles(articles, known)
    intents = []
    for article in new:
        matches = deps.matcher.match(article.title, article.text, outlet.lang)
        intents.append(route(article, outlet.lang, matches, deps.matcher.watchlist))
    apply(deps.engine, after_success(outlet, feed, now, found_new=bool(new)), intents)
    matched = sum(1 for i in intents if i.deliverable)
    log.info("%s: %d items, %d new, %d matched", outlet.id, len(articles), len(new), matched)
    return PollResult(outlet.id, outlet.url, new=len(new), matched=matched)


def _failed(
    deps: CycleDeps,
    fetched: FetchResult,
    error: FeedError,
    now: datetime,
    retry_after: timedelta | None,
) -> PollResult:
    outlet = fetched.outlet
    update = after_failure(outlet, error, now, retry_after=retry_after, jitter=random.random())
    log.warning("%s (failure %d in a row)", error, update.failures)
    apply(deps.engine, update, [])
    return PollResult(outlet.id, outlet.url, error=error)
