"""Storage on real SQLite and, when configured, real PostgreSQL."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from core.records import ArticleIntent, Match, OutletConfig, OutletUpdate, ParsedArticle
from storage.db import init_db, make_engine
from storage.queries import Store

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
EVERY = timedelta(minutes=15)
OUTLETS = [
    OutletConfig("a", "Outlet A", "https://a.test/rss", "en"),
    OutletConfig("b", "Outlet B", "https://b.test/rss", "ru", timedelta(hours=1)),
]


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    engine = make_engine(database_url)
    init_db(engine)
    store = Store(engine)
    store.sync_outlets(OUTLETS, EVERY, NOW)
    yield store
    engine.dispose()


def intent(key: str, *, score: float = 1.0, urgent: bool = False) -> ArticleIntent:
    article = ParsedArticle(key, key, None, f"Title {key}", "Body", None, NOW)
    found = Match("mamay", "person", "Mamay", 0, 5, score, "surname", "Mamay said", (0, 5))
    return ArticleIntent(article, "en", (found,), urgent)


def update(outlet_id: str, **kwargs: object) -> OutletUpdate:
    return OutletUpdate(outlet_id, NOW, NOW + EVERY, **kwargs)  # type: ignore[arg-type]


def test_new_outlets_are_due_at_once(store: Store) -> None:
    """Outlets from feeds.yaml are polled right away, with their own intervals."""
    due = store.outlets_for_poll(NOW)
    assert [(o.id, o.every) for o in due] == [("a", EVERY), ("b", timedelta(hours=1))]
    store.apply(update("a", etag='"v1"'), [])
    assert [o.id for o in store.outlets_for_poll(NOW)] == ["b"]
    [a] = [o for o in store.outlets_for_poll() if o.id == "a"]
    assert a.etag == '"v1"'


def test_article_seen_in_two_feeds_is_stored_once(store: Store) -> None:
    """known_keys lets the second outlet skip what the first one stored."""
    store.apply(update("a"), [intent("https://x.test/1")])
    assert store.known_keys(["https://x.test/1", "https://x.test/2"]) == {"https://x.test/1"}
    assert store.counts()["articles"] == 1


def test_only_deliverable_articles_are_queued(store: Store) -> None:
    """Matches under the alert threshold are kept but never sent."""
    store.apply(update("a"), [intent("k1"), intent("k2", score=0.3), intent("k3", urgent=True)])
    assert store.counts() == {"articles": 3, "matches": 3, "deliveries": 2, "sent": 0}
    assert [i.title for i in store.pending(urgent=False)] == ["Title k1"]
    [urgent] = store.pending(urgent=True)
    assert urgent.matches[0].snippet_mark == (0, 5) and urgent.outlet == "Outlet A"


def test_sent_deliveries_leave_the_queue(store: Store) -> None:
    """After mark_sent nothing is pending; a failure keeps it queued with the reason."""
    store.apply(update("a"), [intent("k1"), intent("k2")])
    first, second = store.pending(urgent=False)
    store.mark_failed([first.delivery_id], "Telegram said no")
    store.mark_sent([second.delivery_id], NOW)
    assert [i.delivery_id for i in store.pending(urgent=False)] == [first.delivery_id]


def test_failure_is_recorded_on_the_outlet(store: Store) -> None:
    """The last error and the failure count are kept for status and backoff."""
    store.apply(update("b", error="fetch failed: b: HTTP 503", failures=2), [])
    [status] = [s for s in store.outlet_status() if s.id == "b"]
    assert status.failures == 2 and status.last_error == "fetch failed: b: HTTP 503"
    store.apply(update("b"), [])
    [status] = [s for s in store.outlet_status() if s.id == "b"]
    assert status.failures == 0 and status.last_error is None and status.last_success_at


def test_permanent_redirect_updates_url_until_config_changes(store: Store) -> None:
    """A 301 moves the stored URL; editing the URL in feeds.yaml resets it."""
    store.apply(update("a", moved_to="https://a.test/new-rss"), [])
    assert {o.id: o.url for o in store.outlets_for_poll()}["a"] == "https://a.test/new-rss"
    store.sync_outlets(OUTLETS, EVERY, NOW)  # unchanged config keeps the redirect
    assert {o.id: o.url for o in store.outlets_for_poll()}["a"] == "https://a.test/new-rss"
    edited = [OutletConfig("a", "Outlet A", "https://a.test/feed", "en"), OUTLETS[1]]
    store.sync_outlets(edited, EVERY, NOW)
    assert {o.id: o.url for o in store.outlets_for_poll()}["a"] == "https://a.test/feed"


def test_removed_outlet_is_not_polled_but_keeps_its_articles(store: Store) -> None:
    """Deleting an outlet from feeds.yaml stops polling it; history stays."""
    store.apply(update("b"), [intent("k1")])
    store.sync_outlets(OUTLETS[:1], EVERY, NOW)
    assert [o.id for o in store.outlets_for_poll()] == ["a"]
    assert store.counts()["articles"] == 1
