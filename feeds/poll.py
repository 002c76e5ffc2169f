"""One poll cycle, as a pipeline:

    async for fetched in fetch_all(client, outlets):      # concurrent, bounded
        parsed   = parse(fetched)                         # feedparser → text
        dated    = impossible dates → None (first seen)   # feeds.dates
        known    = store.known_keys(article keys)         # one IN (…) query
        new      = articles whose key is not known
        intents  = [ArticleIntent(a, match(a)) for a in new]   # matchers
        store.apply(OutletUpdate(...), intents)           # one transaction
        yield PollResult(outlet, new, matched, error)

The caller picks the outlets (`store.outlets_for_poll(now)`). Storage and
matching come in through the small protocols below, so this module imports
neither `storage` nor `bot`.
"""

import logging
import random
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

import httpx

from core.errors import FeedError
from core.records import ArticleIntent, Match, OutletForPoll, OutletUpdate, ParsedArticle
from feeds.dates import plausible_date
from feeds.decide import next_poll_at
from feeds.fetch import fetch_all
from feeds.parse import parse
from feeds.records import FetchedFeed, FetchResult, PollResult

log = logging.getLogger(__name__)


class PollStore(Protocol):
    def known_keys(self, keys: Sequence[str]) -> set[str]: ...
    def apply(self, update: OutletUpdate, intents: Sequence[ArticleIntent]) -> None: ...


MatchFn = Callable[[ParsedArticle, str], tuple[tuple[Match, ...], bool]]


async def poll_outlets(
    client: httpx.AsyncClient,
    outlets: Iterable[OutletForPoll],
    store: PollStore,
    match: MatchFn,
    now: datetime,
) -> AsyncIterator[PollResult]:
    """Poll the given outlets; yield one result per outlet; store as each finishes."""
    async for fetched in fetch_all(client, outlets, now=now):
        if fetched.feed is None:
            assert fetched.error is not None
            yield _store_failure(fetched, fetched.error, store, now, fetched.retry_after)
            continue
        try:
            yield _store_one(fetched.outlet, fetched.feed, store, match, now)
        except FeedError as e:  # the body is not a usable feed
            yield _store_failure(fetched, e, store, now, None)


def _store_one(
    outlet: OutletForPoll, feed: FetchedFeed, store: PollStore, match: MatchFn, now: datetime
) -> PollResult:
    update = OutletUpdate(
        outlet_id=outlet.id,
        polled_at=now,
        next_poll_at=next_poll_at(now, outlet.every),
        etag=feed.etag,
        last_modified=feed.last_modified,
        moved_to=feed.moved_to,
        status=feed.status,
    )
    if feed.not_modified:
        store.apply(update, [])
        return PollResult(outlet.id, outlet.url, not_modified=True)
    articles = [
        replace(a, published=plausible_date(a.published, now)) for a in parse(feed).articles
    ]
    known = store.known_keys([a.key for a in articles])
    intents = [_intent(a, outlet.lang, match) for a in articles if a.key not in known]
    store.apply(update, intents)
    matched = sum(1 for i in intents if i.deliverable)
    log.info("%s: %d items, %d new, %d matched", outlet.id, len(articles), len(intents), matched)
    return PollResult(outlet.id, outlet.url, new=len(intents), matched=matched)


def _intent(article: ParsedArticle, lang: str, match: MatchFn) -> ArticleIntent:
    matches, urgent = match(article, lang)
    return ArticleIntent(article, lang, matches, urgent)


def _store_failure(
    fetched: FetchResult,
    error: FeedError,
    store: PollStore,
    now: datetime,
    retry_after: timedelta | None,
) -> PollResult:
    outlet = fetched.outlet
    failures = outlet.failures + 1
    log.warning("%s (failure %d in a row)", error, failures)
    store.apply(
        OutletUpdate(
            outlet_id=outlet.id,
            polled_at=now,
            next_poll_at=next_poll_at(
                now,
                outlet.every,
                failures=failures,
                retry_after=retry_after,
                jitter=random.random(),
            ),
            etag=outlet.etag,
            last_modified=outlet.last_modified,
            error=str(error),
            error_kind=error.kind,
            failures=failures,
            status=error.status,
        ),
        [],
    )
    return PollResult(outlet.id, outlet.url, error=error)
