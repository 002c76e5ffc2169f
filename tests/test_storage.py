"""Storage on real SQLite and, when configured, real PostgreSQL."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.services import sync_outlets
from core.records import ArticleIntent, Counts, Match, OutletConfig, OutletUpdate, ParsedArticle
from storage import articles, outbox
from storage.db import init_db, make_engine
from storage.outlets import outlet_status, outlets_for_poll

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
EVERY = timedelta(minutes=15)
OUTLETS = [
    OutletConfig("a", "Outlet A", "https://a.test/rss", "en"),
    OutletConfig("b", "Outlet B", "https://b.test/rss", "ru", timedelta(hours=1)),
]


@pytest.fixture
def db(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    init_db(engine)
    sync_outlets(engine, OUTLETS, EVERY, NOW)
    yield engine
    engine.dispose()


def intent(key: str, *, score: float = 1.0, urgent: bool = False) -> ArticleIntent:
    article = ParsedArticle(key, key, None, f"Title {key}", "Body", None, NOW)
    found = Match("mamay", "person", "Mamay", 0, 5, score, "surname", "Mamay said", (0, 5))
    return ArticleIntent(article, "en", (found,), urgent)


def update(outlet_id: str, **kwargs: object) -> OutletUpdate:
    return OutletUpdate(outlet_id, NOW, NOW + EVERY, **kwargs)  # type: ignore[arg-type]


def test_new_outlets_are_due_at_once(db: Engine) -> None:
    """Outlets from feeds.yaml are polled right away, with their own intervals."""
    due = outlets_for_poll(db, NOW)
    assert [(o.id, o.every) for o in due] == [("a", EVERY), ("b", timedelta(hours=1))]
    articles.apply(db, update("a", etag='"v1"'), [])
    assert [o.id for o in outlets_for_poll(db, NOW)] == ["b"]
    [a] = [o for o in outlets_for_poll(db) if o.id == "a"]
    assert a.etag == '"v1"'


def test_article_seen_in_two_feeds_is_stored_once(db: Engine) -> None:
    """known_keys lets the second outlet skip what the first one stored."""
    articles.apply(db, update("a"), [intent("https://x.test/1")])
    assert articles.known_keys(db, ["https://x.test/1", "https://x.test/2"]) == {"https://x.test/1"}
    assert articles.counts(db).articles == 1


def test_only_deliverable_articles_are_queued(db: Engine) -> None:
    """Matches under the alert threshold are kept but never sent."""
    articles.apply(
        db, update("a"), [intent("k1"), intent("k2", score=0.3), intent("k3", urgent=True)]
    )
    assert articles.counts(db) == Counts(articles=3, matches=3, deliveries=2, sent=0)
    assert [i.title for i in outbox.pending(db, urgent=False)] == ["Title k1"]
    [urgent] = outbox.pending(db, urgent=True)
    assert urgent.matches[0].snippet_mark == (0, 5) and urgent.outlet == "Outlet A"


def test_sent_deliveries_leave_the_queue(db: Engine) -> None:
    """After mark_sent nothing is pending; a failure keeps it queued with the reason."""
    articles.apply(db, update("a"), [intent("k1"), intent("k2")])
    first, second = outbox.pending(db, urgent=False)
    outbox.mark_failed(db, [first.delivery_id], "Telegram said no")
    outbox.mark_sent(db, [second.delivery_id], NOW)
    assert [i.delivery_id for i in outbox.pending(db, urgent=False)] == [first.delivery_id]


def test_failure_is_recorded_on_the_outlet(db: Engine) -> None:
    """The last error and the failure count are kept for status and backoff."""
    articles.apply(db, update("b", error="fetch failed: b: HTTP 503", failures=2), [])
    [status] = [s for s in outlet_status(db) if s.id == "b"]
    assert status.failures == 2 and status.last_error == "fetch failed: b: HTTP 503"
    articles.apply(db, update("b"), [])
    [status] = [s for s in outlet_status(db) if s.id == "b"]
    assert status.failures == 0 and status.last_error is None and status.last_success_at


def test_permanent_redirect_updates_url_until_config_changes(db: Engine) -> None:
    """A 301 moves the stored URL; editing the URL in feeds.yaml resets it."""
    articles.apply(db, update("a", moved_to="https://a.test/new-rss"), [])
    assert {o.id: o.url for o in outlets_for_poll(db)}["a"] == "https://a.test/new-rss"
    sync_outlets(db, OUTLETS, EVERY, NOW)  # unchanged config keeps the redirect
    assert {o.id: o.url for o in outlets_for_poll(db)}["a"] == "https://a.test/new-rss"
    edited = [OutletConfig("a", "Outlet A", "https://a.test/feed", "en"), OUTLETS[1]]
    sync_outlets(db, edited, EVERY, NOW)
    assert {o.id: o.url for o in outlets_for_poll(db)}["a"] == "https://a.test/feed"


def test_removed_outlet_is_not_polled_but_keeps_its_articles(db: Engine) -> None:
    """Deleting an outlet from feeds.yaml stops polling it; history stays."""
    articles.apply(db, update("b"), [intent("k1")])
    sync_outlets(db, OUTLETS[:1], EVERY, NOW)
    assert [o.id for o in outlets_for_poll(db)] == ["a"]
    assert articles.counts(db).articles == 1
