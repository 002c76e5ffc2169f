"""Full text in the poll cycle, and evidence notices to the channel, on real databases."""

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.cycle import CycleDeps, poll_outlet, run_cycle
from bot.deliver import send_digest
from bot.research.evidence import recheck, tell_changes
from bot.research.search import search
from bot.services import sync_outlets
from core.errors import DeliveryError
from core.records import OutletConfig
from feeds.fetch import make_client
from feeds.localserver import Canned, OutletServer, serve
from feeds.pages import PageFetcher
from storage import articles
from storage.db import init_db, make_engine
from storage.outlets import outlets_for_poll
from tests.archive import OUTLETS, Item, matcher, store_item
from tests.fakes import FakeNotifier

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 21, 9, 40, tzinfo=UTC)
FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>B</title>
<item><title>Заседание отложено</title><link>{link}</link><guid>b-1</guid>
<pubDate>Sat, 21 Nov 2026 09:30:00 +0000</pubDate>
<description>Заседание по делу активиста перенесли на декабрь.</description></item>
</channel></rss>"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[OutletServer]:
    """An outlet whose feed gives only a lead; the name is in the article page's body."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(DATA / "pages" / "article.html", root / "article.html")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    with serve(root) as server:
        (root / "feed.xml").write_text(FEED.format(link=server.url("article.html")))
        yield server


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("fulltext", [True, False], ids=["fulltext: true", "feed text only"])
async def test_a_name_only_in_the_page_body_is_matched_with_full_text(
    engine: Engine, site: OutletServer, fulltext: bool
) -> None:
    """The lead names no one; with `fulltext: true` the page's body (Тасболатов) is matched
    and stored (so search finds it); without it, nothing matches."""
    outlet = OutletConfig("b", "Outlet B", site.url("feed.xml"), "ru", fulltext=fulltext)
    sync_outlets(engine, [outlet], timedelta(minutes=15), NOW)
    async with make_client() as client:
        pages = PageFetcher(client, per_host=0.0)
        wanted = frozenset({"b"} if fulltext else ())
        report = await run_cycle(CycleDeps(engine, client, matcher(), pages, wanted), NOW)
    assert [r.new for r in report.results] == [1]
    assert articles.counts(engine).matches == (1 if fulltext else 0)
    found = search(engine, "домашним арестом")
    assert len(found) == (1 if fulltext else 0)


async def test_replica_mode_polls_with_full_text_too(engine: Engine, site: OutletServer) -> None:
    """An outlet polled as a replica task (`poll_outlet`) gets the same full-text stage."""
    outlet = OutletConfig("b", "Outlet B", site.url("feed.xml"), "ru", fulltext=True)
    sync_outlets(engine, [outlet], timedelta(minutes=15), NOW)
    [for_poll] = outlets_for_poll(engine)
    async with make_client() as client:
        deps = CycleDeps(
            engine, client, matcher(), PageFetcher(client, per_host=0.0), frozenset("b")
        )
        result = await poll_outlet(deps, for_poll, NOW)
    assert (result.new, result.matched) == (1, 1)


@dataclass
class FlakyNotifier(FakeNotifier):
    """Refuses the first `failures` messages, like Telegram during an outage."""

    failures: int = 1
    refused: list[str] = field(default_factory=list)

    async def send(
        self, text_html: str, *, silent: bool = False, reply_to: int | None = None
    ) -> None:
        if self.failures:
            self.failures -= 1
            self.refused.append(text_html)
            raise DeliveryError("Telegram is down")
        await super().send(text_html, silent=silent, reply_to=reply_to)


@pytest.fixture
async def fetcher() -> AsyncIterator[PageFetcher]:
    async with make_client() as client:
        yield PageFetcher(client, per_host=0.0)


async def test_a_takedown_reaches_the_channel_once_even_after_an_outage(
    engine: Engine, site: OutletServer, fetcher: PageFetcher
) -> None:
    """The notice waits for its article's digest, waits out a refused send, is sent
    once, and never again."""
    sync_outlets(engine, OUTLETS, timedelta(minutes=15), NOW)
    title, body = "Суд над Тасболатовым отложен", "Ержан Тасболатов."
    store_item(engine, Item("b", site.url("article.html"), "ru", NOW, title, body), matcher())
    seen = NOW + timedelta(minutes=10)
    await recheck(engine, fetcher, seen)
    site.canned["/article.html"] = Canned(410, b"")
    await recheck(engine, fetcher, seen + timedelta(days=1))
    channel = FlakyNotifier()
    assert await tell_changes(engine, channel, seen + timedelta(days=1)) == 0
    assert channel.refused == [] and channel.sent == []  # waits: the article is still queued
    await send_digest(engine, FakeNotifier(), ZoneInfo("UTC"), str, seen + timedelta(days=1))
    assert await tell_changes(engine, channel, seen + timedelta(days=1)) == 0
    assert channel.refused and channel.sent == []
    assert await tell_changes(engine, channel, seen + timedelta(days=1, minutes=10)) == 1
    [message] = channel.sent
    assert message.startswith("Taken down (410): <a href=") and title in message
    assert "Not a reply: the article went out in a digest." in message
    assert await tell_changes(engine, channel, seen + timedelta(days=2)) == 0
    assert len(channel.sent) == 1
