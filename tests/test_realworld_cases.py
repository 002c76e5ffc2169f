"""The field inputs of issue 8 (shared fixtures, when present), through a real cycle.

Our own inputs of each kind are in the per-kind tests; this runs the reported
inputs themselves, served from 127.0.0.1 with their sidecar headers.
"""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.cycle import CycleDeps, run_cycle
from bot.deliver import send_urgent
from bot.notify import TelegramNotifier, make_bot
from bot.render import render_alert
from bot.services import sync_outlets
from core.records import OutletConfig
from feeds.fetch import make_client
from feeds.localserver import Canned, OutletServer
from matchers import compile_watchlist, parse_watchlist
from storage import articles, outbox
from storage.db import init_db, make_engine
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram

HERE = Path(__file__).resolve()
FIXTURES = next(
    (
        p / "shared" / "fixtures" / "realworld"
        for p in HERE.parents[1:4]
        if (p / "shared" / "fixtures" / "realworld").is_dir()
    ),
    None,
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(FIXTURES is None, reason="shared fixtures not present"),
]
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def serve(server: OutletServer, name: str, as_path: str = "/feed") -> None:
    assert FIXTURES is not None
    headers = {"Content-Type": "application/xml"}
    sidecar = FIXTURES / f"{name}.headers"
    if sidecar.exists():
        headers = json.loads(sidecar.read_text(encoding="utf-8"))
    server.canned[as_path] = Canned(body=(FIXTURES / name).read_bytes(), headers=headers)


async def cycle(tmp_path: Path, server: OutletServer, now: datetime = NOW) -> Engine:
    assert FIXTURES is not None
    engine = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    init_db(engine)
    sync_outlets(engine, [OutletConfig("o", "Outlet", server.url("feed"), "ru")], timedelta(1), now)
    watchlist = parse_watchlist((FIXTURES / "watchlist.yaml").read_text("utf-8"), "watchlist")
    async with make_client(timeout=2.0) as client:
        await run_cycle(
            CycleDeps(engine, client, compile_watchlist(watchlist)), now, every_outlet=True
        )
    return engine


def alerts(engine: Engine, tz: str = "Asia/Almaty") -> list[str]:
    """Every queued article rendered as an alert (a first poll's are digest: backlog)."""
    items = outbox.pending(engine, urgent=True) + outbox.pending(engine, urgent=False)
    return [render_alert(i, ZoneInfo(tz), str).html for i in items]


@pytest.mark.parametrize("name", ["01_relative_link.xml", "01_relative_link.atom"])
async def test_case_1_relative_links(
    tmp_path: Path, outlet_server: OutletServer, name: str
) -> None:
    """The alert links to the article, resolved against the feed's URL."""
    serve(outlet_server, name)
    [alert] = alerts(await cycle(tmp_path, outlet_server))
    assert f'<a href="{outlet_server.base_url}/news/2026/11/20/verdict-testov' in alert


async def test_case_2_shared_link(tmp_path: Path, outlet_server: OutletServer) -> None:
    """The verdict that shares the schedule page's link is delivered on poll 2."""
    serve(outlet_server, "02_poll1.xml")
    engine = await cycle(tmp_path, outlet_server)
    serve(outlet_server, "02_poll2.xml")
    await cycle(tmp_path, outlet_server, NOW + timedelta(hours=1))
    assert articles.counts(engine).articles == 2
    assert any("приговор оглашён" in a for a in alerts(engine))


async def test_case_3_utf8_labelled_latin1(tmp_path: Path, outlet_server: OutletServer) -> None:
    """The Cyrillic title is read as UTF-8 and the verdict alerted."""
    serve(outlet_server, "04_utf8_labelled_latin1.xml")
    [alert] = alerts(await cycle(tmp_path, outlet_server))
    assert "Суд вынес приговор Ерлану Тестову" in alert


@pytest.mark.parametrize("tz", ["Europe/London", "Asia/Almaty", "America/Los_Angeles"])
async def test_case_5_zero_date(tmp_path: Path, outlet_server: OutletServer, tz: str) -> None:
    """The year-0001 item is alerted, dated when first seen, and so is the other item."""
    serve(outlet_server, "06_zero_date.xml")
    sent = alerts(await cycle(tmp_path, outlet_server), tz)
    assert len(sent) == 2 and not any("0001" in a or "Jan 1 " in a for a in sent)


async def test_case_6_plain_body_labelled_gzip(tmp_path: Path, outlet_server: OutletServer) -> None:
    """A plain body labelled gzip is read, not a decoding error."""
    serve(outlet_server, "07_plain_body.xml")
    assert len(alerts(await cycle(tmp_path, outlet_server))) == 1


async def test_case_7_escaped_brackets(tmp_path: Path, outlet_server: OutletServer) -> None:
    """The title keeps `<rubber stamp>` (escaped for Telegram)."""
    serve(outlet_server, "08_escaped_brackets_title.xml")
    [alert] = alerts(await cycle(tmp_path, outlet_server))
    assert "calling parliament a &lt;rubber stamp&gt;" in alert


async def test_case_4_alert_naming_150_people(
    tmp_path: Path, outlet_server: OutletServer, telegram: FakeTelegram
) -> None:
    """The alert naming 150 watched people is accepted whole, and the urgent alert after
    it goes out too: no bare header, nothing stuck."""
    assert FIXTURES is not None
    feed = (FIXTURES / "05_many_people_feed.xml").read_bytes()
    empty = feed[: feed.index(b"<item>")] + b"</channel></rss>"
    outlet_server.canned["/feed"] = Canned(body=empty)  # the first poll is backlog
    engine = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    init_db(engine)
    outlets = [OutletConfig("o", "O", outlet_server.url("feed"), "ru")]
    sync_outlets(engine, outlets, timedelta(1), NOW)
    text = (FIXTURES / "05_many_people_watchlist.yaml").read_text("utf-8")
    watchlist = parse_watchlist(text, "watchlist")
    async with make_client(timeout=2.0) as client:
        deps = CycleDeps(engine, client, compile_watchlist(watchlist))
        await run_cycle(deps, NOW, every_outlet=True)
        outlet_server.canned["/feed"] = Canned(body=feed)
        await run_cycle(deps, NOW + timedelta(minutes=1), every_outlet=True)
    bot = make_bot(TOKEN, telegram.base_url, timeout=2.0)
    async with bot:
        notifier = TelegramNotifier(bot, int(telegram.chat_id), backoff=0.01)
        sent = await send_urgent(engine, notifier, ZoneInfo("Asia/Almaty"), watchlist.name_of, NOW)
    assert sent.error is None and not sent.set_aside and sent.count == 2
    assert all("outlet.test/news/" in str(m) for m in telegram.sent)  # never a header alone
    assert any(" more" in t for t in telegram.texts)
    assert any("Кайратулы" in t for t in telegram.texts)
