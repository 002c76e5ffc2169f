"""A cycle writes its outlets in batches: what the batch holds counts as stored."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.cycle import CycleDeps, run_cycle
from bot.services import sync_outlets
from core.records import OutletConfig
from feeds.fetch import make_client
from feeds.localserver import OutletServer
from matchers import compile_watchlist, parse_watchlist
from storage import articles, outlets
from storage.db import init_db, make_engine

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
MATCHER = compile_watchlist(
    parse_watchlist("defendants:\n  - {id: duman, name: Duman Mukhammedkarim}\n", "watchlist")
)


async def test_one_article_in_three_feeds_of_one_batch(
    outlet_server: OutletServer, database_url: str
) -> None:
    """Three outlets carry the same story in one cycle: one article, one delivery,
    and every outlet's fetch state written."""
    engine = make_engine(database_url)
    init_db(engine)
    configs = [
        OutletConfig(name, name.title(), outlet_server.url("eurasianet_en.xml"), "en")
        for name in ("first", "second", "third")
    ]
    sync_outlets(engine, configs, timedelta(minutes=15), NOW)
    async with make_client(timeout=2.0) as client:
        report = await run_cycle(CycleDeps(engine, client, MATCHER), NOW, every_outlet=True)
    assert sorted(r.new for r in report.results) == [0, 0, 3]
    counts = articles.counts(engine)
    assert (counts.articles, counts.deliveries) == (3, 1)
    assert all(o.last_success_at == NOW for o in outlets.outlet_status(engine))
    assert outlets.outlets_for_poll(engine, NOW) == []  # all polled: next poll in 15 min
    engine.dispose()
