"""Helpers for the real-world input tests: a real store, the real matcher, one poll."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from core.records import Match, OutletConfig, ParsedArticle
from feeds.fetch import make_client
from feeds.poll import poll_outlets
from feeds.records import PollResult
from matchers import compile_watchlist, is_urgent, parse_watchlist
from storage.db import init_db, make_engine
from storage.queries import Store

DATA = Path(__file__).parent / "data" / "realworld"
WATCHLIST = parse_watchlist((DATA / "watchlist.yaml").read_text(encoding="utf-8"), "watchlist")
MATCHER = compile_watchlist(WATCHLIST)


def match(article: ParsedArticle, lang: str) -> tuple[tuple[Match, ...], bool]:
    """What the app does: the real matcher on the real test watchlist."""
    matches = MATCHER.match(article.title, article.text, lang)
    return tuple(matches), is_urgent(matches, WATCHLIST)


def open_store(url: str, outlets: Sequence[OutletConfig], now: datetime) -> Store:
    engine = make_engine(url)
    init_db(engine)
    store = Store(engine)
    store.sync_outlets(outlets, timedelta(minutes=15), now)
    return store


async def poll_all(store: Store, now: datetime) -> list[PollResult]:
    """One poll of every active outlet, stored, as `run --once` does."""
    async with make_client(timeout=2.0) as client:
        outlets = store.outlets_for_poll(None)
        return [r async for r in poll_outlets(client, outlets, store, match, now)]
