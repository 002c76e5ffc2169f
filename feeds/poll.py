"""One poll cycle, as a pipeline:

    outlets = store.outlets_due(now)                      # storage
    async for fetched in fetch_all(client, outlets):      # concurrent, bounded
        parsed   = parse(fetched)                         # feedparser → text
        known    = store.known_keys(article keys)         # one IN (…) query
        new      = articles whose key is not known
        intents  = [ArticleIntent(a, match(a)) for a in new]   # matchers
        store.apply(OutletUpdate(...), intents)           # one transaction
        yield PollResult(outlet, new, matched, error)

Storage and matching come in through the small protocols below, so this module
imports neither `storage` nor `bot`.
"""

import logging
import random
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx

from feeds.decide import next_poll_at
from feeds.errors import FeedError
from feeds.fetch import fetch_all
from feeds.parse import parse
from feeds.records import FetchResult, OutletForPoll, ParsedArticle, PollResult
from matchers import Match

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ArticleIntent:
    """A new article and what the matcher found in it."""

    article: ParsedArticle
    lang: str
    matches: tuple[Match, ...]
    urgent: bool

    @property
    def deliverable(self) -> bool:
        return any(m.deliverable for m in self.matches)


@dataclass(frozen=True, slots=True)
class OutletUpdate:
    """What a poll learned about an outlet: fetch state and the next poll time."""

    outlet_id: str
    polled_at: datetime
    next_poll_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None
    error: str | None = None
    error_kind: str | None = None
    failures: int = 0
    status: int | None = None


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
        try:
            yield _store_one(fetched, store, match, now)
        except FeedError as e:
            yield _store_failure(fetched, e, store, now)


def _store_one(fetched: FetchResult, store: PollStore, match: MatchFn, now: datetime) -> PollResult:
    outlet = fetched.outlet
    if fetched.error is not None:
        raise fetched.error
    assert fetched.feed is not None
    feed = fetched.feed
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
    articles = parse(feed).articles
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
    fetched: FetchResult, error: FeedError, store: PollStore, now: datetime
) -> PollResult:
    outlet = fetched.outlet
    failures = outlet.failures + 1
    retry_after = fetched.retry_after if fetched.error is error else None
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


__all__ = ["ArticleIntent", "OutletUpdate", "PollStore", "poll_outlets"]
