"""A cycle's batch write (`storage.articles.apply_many`): several outlets' articles
in one transaction, on real SQLite and PostgreSQL. Retried, raced by another writer,
or given one article twice, it stores each article once with its matches, its
delivery and its full-text index entry, and a search finds what it stored."""

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from bot.services import sync_outlets
from core.records import ArticleIntent, Counts, Match, OutletConfig, OutletUpdate, ParsedArticle
from matchers.searchkeys import name_keys, name_prefixes, query_terms, search_doc
from storage import articles
from storage.db import init_db, make_engine
from storage.search import INDEX_TABLES, find_articles

NOW = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)
EVERY = timedelta(minutes=5)
Polls = list[tuple[OutletUpdate, Sequence[ArticleIntent]]]


@pytest.fixture
def store(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    init_db(engine)
    configs = [
        OutletConfig("steppe", "Steppe Courier", "https://steppe.test/rss", "en"),
        OutletConfig("oasis", "Oasis Daily", "https://oasis.test/rss", "en"),
    ]
    sync_outlets(engine, configs, EVERY, NOW)
    yield engine
    engine.dispose()


def intent(key: str, title: str, *, matched: bool = True) -> ArticleIntent:
    article = ParsedArticle(key, key, None, title, "The appeal court sat in Taraz.", None, NOW)
    found = Match("berik", "person", "Zhaksylykov", 0, 11, 1.0, "surname", "…", (0, 11))
    return ArticleIntent(article, "en", (found,) if matched else (), urgent=True)


def polls() -> Polls:
    """Two outlets; the second carries the first's story again, and one of its own."""
    shared = intent("https://x.test/shared", "Zhaksylykov sentenced in Taraz")
    return [
        (
            OutletUpdate("steppe", NOW, NOW + EVERY),
            [shared, intent("https://steppe.test/2", "Weather in Shymkent", matched=False)],
        ),
        (
            OutletUpdate("oasis", NOW, NOW + EVERY),
            [shared, intent("https://oasis.test/9", "Dauletova appeal heard")],
        ),
    ]


def indexed(engine: Engine) -> int:
    table = INDEX_TABLES[0] if engine.dialect.name == "sqlite" else INDEX_TABLES[1]
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_retried_batch_adds_nothing_twice(store: Engine) -> None:
    """The same batch written again (a cycle retried after a crash between commit and
    its end) adds no article, match, delivery or index entry; one article in two
    outlets of a batch is stored once, for the first outlet."""
    articles.apply_many(store, polls())
    articles.apply_many(store, polls())
    assert articles.counts(store) == Counts(articles=3, matches=2, deliveries=2, sent=0)
    assert indexed(store) == 3
    with store.connect() as connection:
        outlet = connection.execute(
            sa.text("SELECT outlet_id FROM article WHERE key = 'https://x.test/shared'")
        ).scalar_one()
    assert outlet == "steppe"


def test_search_finds_what_a_batch_stored(store: Engine) -> None:
    """Words and names of every article of a batch are searchable once it commits."""
    articles.apply_many(store, polls())
    with store.connect() as connection:

        def keys_of(**query: list[str]) -> set[str]:
            ids = find_articles(connection, **query)  # type: ignore[arg-type]
            rows = connection.execute(
                sa.text("SELECT key FROM article WHERE id IN :ids").bindparams(
                    sa.bindparam("ids", expanding=True)
                ),
                {"ids": ids},
            )
            return set(rows.scalars())

        assert keys_of(words=["shymk"]) == {"https://steppe.test/2"}
        assert keys_of(words=["appeal", "taraz"]) == {
            "https://x.test/shared",
            "https://steppe.test/2",
            "https://oasis.test/9",
        }
        assert keys_of(name_prefixes=name_prefixes("Berik Zhaksylykov")) == {
            "https://x.test/shared"
        }
        assert keys_of(name_prefixes=name_prefixes("Aida Dauletova")) == {"https://oasis.test/9"}


def test_an_article_another_writer_commits_meanwhile_is_not_taken_for_ours(
    store: Engine,
) -> None:
    """Another replica inserts an article and commits while our batch waits for it:
    the batch skips that article (its row is the other's), and stores no match,
    delivery or index entry for it."""
    other = store.connect()
    transaction = other.begin()
    other.execute(
        sa.text(
            "INSERT INTO article (key, outlet_id, url, title, text, lang, seen_at) "
            "VALUES ('https://x.test/shared', 'oasis', 'https://x.test/shared', "
            "'Zhaksylykov sentenced', 'Text', 'en', :now)"
        ),
        {"now": NOW},
    )
    with ThreadPoolExecutor(1) as worker:
        batch = worker.submit(articles.apply_many, store, polls()[:1])
        _wait_until_blocked(store, batch)
        transaction.commit()
        batch.result(timeout=60)
    other.close()
    assert articles.counts(store) == Counts(articles=2, matches=0, deliveries=0, sent=0)
    assert indexed(store) == 1  # the other writer indexes its own article (not here)


def _wait_until_blocked(engine: Engine, batch: object) -> None:
    """Until the batch waits for the other writer (PostgreSQL shows the lock wait;
    SQLite's busy wait cannot be seen, so give the batch a moment to reach it)."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)
        return
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with engine.connect() as watcher:
        for _ in range(200):
            if watcher.execute(query).scalar_one():
                return
            time.sleep(0.05)
    raise AssertionError("the batch never waited for the other writer's row")


def test_a_word_too_long_for_the_index_leaves_the_rest_searchable(store: Engine) -> None:
    """A feed that pastes an encoded blob into its text (one 3,000-letter "word",
    longer than PostgreSQL keeps in an index) is stored, and found by its words."""
    blob = "QmFzZTY0" * 375
    article = ParsedArticle(
        "https://steppe.test/blob",
        "https://steppe.test/blob",
        None,
        "Hearing in Aktobe",
        f"The court in Aktobe heard the case. {blob} The hearing ends Friday.",
        None,
        NOW,
    )
    articles.apply_many(
        store,
        [(OutletUpdate("steppe", NOW, NOW + EVERY), [ArticleIntent(article, "en", (), False)])],
    )
    with store.connect() as connection:
        assert len(find_articles(connection, words=["aktob", "friday"])) == 1


def test_index_entries_made_by_earlier_versions_are_still_found(store: Engine) -> None:
    """PostgreSQL databases indexed by earlier versions (words parsed by
    to_tsvector('simple', …)) answer the same searches without a reindex."""
    if store.dialect.name != "postgresql":
        pytest.skip("SQLite's index is written the same way as before")
    title, text = "Приговор Тасболатову", "Суд в Таразе огласил приговор Ержану Тасболатову."
    with store.begin() as connection:
        article_id = connection.execute(
            sa.text(
                "INSERT INTO article (key, outlet_id, url, title, text, lang, seen_at) "
                "VALUES ('https://oasis.test/old', 'oasis', 'https://oasis.test/old', "
                ":title, :text, 'ru', :now) RETURNING id"
            ),
            {"title": title, "text": text, "now": NOW},
        ).scalar_one()
        connection.execute(
            sa.text(
                "INSERT INTO article_search (article_id, doc, names) VALUES "
                "(:id, to_tsvector('simple', :doc), to_tsvector('simple', :names))"
            ),
            {"id": article_id, "doc": search_doc(title, text), "names": name_keys(title, text)},
        )
    with store.connect() as connection:
        assert find_articles(connection, words=query_terms("приговор тараз")) == [article_id]
        prefixes = name_prefixes("Тасболатов")
        assert find_articles(connection, name_prefixes=prefixes) == [article_id]
