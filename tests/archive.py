"""A small stored archive for the research-tool tests: tests/data/research/, stored
through the real poll path (storage.articles.apply), matched by the real matcher."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from bot.services import sync_outlets
from core.records import ArticleIntent, OutletConfig, OutletUpdate, ParsedArticle
from matchers import Matcher, compile_watchlist, parse_watchlist
from storage import articles

RESEARCH = Path(__file__).parent / "data" / "research"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
UNDATED_SEEN = datetime(2026, 11, 19, 12, 0, tzinfo=UTC)
OUTLETS = [
    OutletConfig("a", "Outlet A", "https://a.test/rss", "en"),
    OutletConfig("b", "Outlet B", "https://b.test/rss", "ru"),
]


@dataclass(frozen=True)
class Item:
    outlet: str
    key: str
    lang: str
    published: datetime | None
    title: str
    text: str


def items() -> list[Item]:
    rows = []
    for line in (RESEARCH / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        published = raw["published"] and datetime.fromisoformat(raw["published"])
        rows.append(
            Item(raw["outlet"], raw["key"], raw["lang"], published, raw["title"], raw["text"])
        )
    return rows


def matcher(name: str = "watchlist.yaml") -> Matcher:
    path = RESEARCH / name
    return compile_watchlist(parse_watchlist(path.read_text(encoding="utf-8"), str(path)))


def store_item(engine: Engine, item: Item, matcher: Matcher) -> None:
    """Store one article as a poll does: first seen 10 minutes after publication."""
    seen = item.published + timedelta(minutes=10) if item.published else UNDATED_SEEN
    article = ParsedArticle(item.key, item.key, None, item.title, item.text, None, item.published)
    matches = tuple(matcher.match(item.title, item.text, item.lang))
    intent = ArticleIntent(article, item.lang, matches, urgent=False)
    articles.apply(engine, OutletUpdate(item.outlet, seen, seen + timedelta(minutes=15)), [intent])


def fill(engine: Engine, watchlist: str = "watchlist.yaml") -> None:
    sync_outlets(engine, OUTLETS, timedelta(minutes=15), NOW)
    m = matcher(watchlist)
    for item in items():
        store_item(engine, item, m)
