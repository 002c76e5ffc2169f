"""Storing is idempotent: a retried poll task or two replicas storing the same article
add it once, with its matches and its delivery, and raise no unique violation."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.services import sync_outlets
from core.records import ArticleIntent, Counts, Match, OutletConfig, OutletUpdate, ParsedArticle
from storage import articles, outbox
from storage.db import init_db, make_engine

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
EVERY = timedelta(minutes=5)


@pytest.fixture
def store(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    init_db(engine)
    sync_outlets(
        engine,
        [
            OutletConfig("steppe", "Steppe Courier", "https://steppe.test/rss", "en"),
            OutletConfig("oasis", "Oasis Daily", "https://oasis.test/rss", "ru"),
        ],
        EVERY,
        NOW,
    )
    yield engine
    engine.dispose()


def intent(key: str) -> ArticleIntent:
    article = ParsedArticle(
        key, key, None, f"Verdict for Arman Tulegenov ({key})", "Body", None, NOW
    )
    found = Match("tulegenov", "person", "Tulegenov", 12, 21, 1.0, "surname", "…", (0, 9))
    return ArticleIntent(article, "en", (found,), urgent=True)


def test_a_retried_poll_stores_nothing_twice(store: Engine) -> None:
    """The same outlet update applied again (a task retried after its replica died
    between commit and finish) adds no article, match or delivery."""
    intents = [intent("https://steppe.test/1"), intent("https://steppe.test/2")]
    articles.apply(store, OutletUpdate("steppe", NOW, NOW + EVERY), intents)
    articles.apply(store, OutletUpdate("steppe", NOW, NOW + EVERY), intents)
    assert articles.counts(store) == Counts(articles=2, matches=2, deliveries=2, sent=0)


def test_two_outlets_storing_one_article_keep_one_copy(store: Engine) -> None:
    """Two replicas polling two outlets that carry the same story, each having checked
    known_keys before the other committed: one copy, one alert, no error."""
    articles.apply(
        store, OutletUpdate("steppe", NOW, NOW + EVERY), [intent("https://x.test/shared")]
    )
    articles.apply(
        store,
        OutletUpdate("oasis", NOW, NOW + EVERY),
        [intent("https://x.test/shared"), intent("https://oasis.test/own")],
    )
    assert articles.counts(store) == Counts(articles=2, matches=2, deliveries=2, sent=0)
    assert len(outbox.pending(store, urgent=True)) == 2
