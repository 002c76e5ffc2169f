"""Storage part of the bench suite: storing articles and asking "seen?" for their keys.

For each of `feeds` outlets of `items` articles (no matches, so no outbox rows):
- naive: a SQLModel object added and committed per article, and a SQLModel
  `select(...).where(key == k).first()` per key (run on the first `sample` articles
  and scaled, like the naive poll with latency: every row costs the same);
- Core: one `executemany` INSERT in one transaction, and one `IN (…)` query per
  outlet: the floor SQLAlchemy gives;
- trialwatch: `storage.articles.apply_many` in batches of `bot.cycle.BATCH_OUTLETS`
  outlets as a cycle writes them (outlet row, articles, full-text index documents),
  and `known_keys` per outlet.
"""

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from bot.cycle import BATCH_OUTLETS
from bot.services import sync_outlets
from core.records import ArticleIntent, OutletConfig, OutletUpdate, ParsedArticle
from storage.articles import apply_many, known_keys
from storage.db import init_db, make_engine
from storage.models import Article

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def articles_of(feed: int, items: int) -> list[ArticleIntent]:
    return [
        ArticleIntent(
            ParsedArticle(
                key=f"https://outlet{feed}.example/news/{i}",
                url=f"https://outlet{feed}.example/news/{i}",
                guid=None,
                title=f"Court hears appeal number {i} of outlet {feed}",
                text="The court said the trial will continue after the lawyer asked for time. "
                * 12,
                author=None,
                published=NOW,
            ),
            "en",
            (),
            False,
        )
        for i in range(items)
    ]


@contextlib.contextmanager
def database(folder: Path, name: str, feeds: int) -> Iterator[sa.Engine]:
    engine = make_engine(f"sqlite:///{folder / name}.db")
    init_db(engine)
    configs = [OutletConfig(f"o{f}", f"O{f}", f"http://o{f}.test/rss", "en") for f in range(feeds)]
    sync_outlets(engine, configs, timedelta(minutes=15), NOW)
    try:
        yield engine
    finally:
        engine.dispose()


def run(folder: Path, feeds: int, items: int, sample: int) -> dict[str, float]:
    """Seconds per case, scaled to feeds × items where sampled."""
    corpus = [articles_of(f, items) for f in range(feeds)]
    total = feeds * items
    found: dict[str, float] = {}

    def timed(case: str, fn: Callable[[], object], scale: float = 1.0) -> None:
        started = time.perf_counter()
        fn()
        found[case] = (time.perf_counter() - started) * scale

    with database(folder, "naive", feeds) as engine:
        flat = [(f, t) for f, intents in enumerate(corpus) for t in intents][:sample]
        timed("store naive", lambda: _naive_store(engine, flat), total / len(flat))
        keys = [t.article.key for _, t in flat]
        timed("seen naive", lambda: _naive_seen(engine, keys), total / len(keys))
    with database(folder, "core", feeds) as engine:
        timed("store core", lambda: _core_store(engine, corpus))
        timed("seen core", lambda: _core_seen(engine, corpus))
    with database(folder, "ours", feeds) as engine:
        timed("store trialwatch", lambda: _our_store(engine, corpus))
        timed("seen trialwatch", lambda: [known_keys(engine, _keys(i)) for i in corpus])
    return found


def _keys(intents: list[ArticleIntent]) -> list[str]:
    return [t.article.key for t in intents]


def _row(feed: int, t: ArticleIntent) -> dict[str, object]:
    a = t.article
    return {
        "key": a.key,
        "outlet_id": f"o{feed}",
        "url": a.url,
        "guid": a.guid,
        "title": a.title,
        "text": a.text,
        "author": a.author,
        "lang": t.lang,
        "published_at": a.published,
        "seen_at": NOW,
    }


def _naive_store(engine: sa.Engine, flat: list[tuple[int, ArticleIntent]]) -> None:
    with Session(engine) as session:
        for feed, t in flat:
            session.add(Article(**_row(feed, t)))  # type: ignore[arg-type]
            session.commit()


def _naive_seen(engine: sa.Engine, keys: list[str]) -> None:
    with Session(engine) as session:
        for key in keys:
            session.exec(select(Article).where(col(Article.key) == key)).first()


def _core_store(engine: sa.Engine, corpus: list[list[ArticleIntent]]) -> None:
    table = SQLModel.metadata.tables["article"]
    with engine.begin() as connection:
        rows = [_row(f, t) for f, intents in enumerate(corpus) for t in intents]
        connection.execute(sa.insert(table), rows)


def _core_seen(engine: sa.Engine, corpus: list[list[ArticleIntent]]) -> None:
    column = SQLModel.metadata.tables["article"].c.key
    with engine.connect() as connection:
        for intents in corpus:
            list(connection.execute(sa.select(column).where(column.in_(_keys(intents)))))


def _our_store(engine: sa.Engine, corpus: list[list[ArticleIntent]]) -> None:
    polls = [
        (OutletUpdate(f"o{f}", NOW, NOW + timedelta(minutes=15), found_new=True), intents)
        for f, intents in enumerate(corpus)
    ]
    for i in range(0, len(polls), BATCH_OUTLETS):
        apply_many(engine, polls[i : i + BATCH_OUTLETS])
